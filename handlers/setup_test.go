package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ringdesk/ringdesk/models"
)

func TestSetup(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	token, err := app.store.Setup.NewToken(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	c := app.client(t)

	t.Run("form", func(t *testing.T) {
		resp := app.get(t, c, "/setup?token="+url.QueryEscape(token))
		resp.wantStatus(t, http.StatusOK)
		doc := resp.doc(t)
		if got := fieldValue(t, doc, "token"); got != token {
			t.Errorf("form carries token %q, want %q", got, token)
		}
		for _, f := range []string{"email", "name", "password"} {
			if find(doc, byName(f)) == nil {
				t.Errorf("set-up form has no %s field", f)
			}
		}
	})

	for _, bad := range []string{"", "wrong", token + "x", strings.ToUpper(token)} {
		t.Run("wrong token "+bad, func(t *testing.T) {
			app.get(t, c, "/setup?token="+url.QueryEscape(bad)).wantStatus(t, http.StatusNotFound)
			form := url.Values{"token": {bad}, "email": {"eve@example.com"}, "name": {"Eve"}, "password": {testPassword}}
			app.postForm(t, c, "/setup", form).wantStatus(t, http.StatusNotFound)
		})
	}

	invalid := []struct {
		name  string
		input models.AgentInput
	}{
		{"all blank", models.AgentInput{}},
		{"bad email, short password", models.AgentInput{Email: "not-an-email", Name: "Ada", Password: "short"}},
		{"long name", models.AgentInput{Email: "ada@example.com", Name: strings.Repeat("A", 101), Password: testPassword}},
		{"markup", models.AgentInput{Email: `"><script>x</script>`, Name: `<b>Ada</b>`, Password: "x"}},
	}
	for _, tt := range invalid {
		t.Run("invalid "+tt.name, func(t *testing.T) {
			form := url.Values{"token": {token}, "email": {tt.input.Email}, "name": {tt.input.Name}, "password": {tt.input.Password}}
			resp := app.postForm(t, c, "/setup", form)
			resp.wantStatus(t, http.StatusUnprocessableEntity)
			doc := resp.doc(t)

			_, _, err := tt.input.Validate()
			verr, ok := err.(*models.ValidationError)
			if !ok {
				t.Fatalf("test input is valid; Validate = %v", err)
			}
			if diff := cmp.Diff(verr.Fields, fieldErrors(doc, "email", "name", "password")); diff != "" {
				t.Errorf("field errors (-want +got):\n%s", diff)
			}
			got := map[string]string{"email": fieldValue(t, doc, "email"), "name": fieldValue(t, doc, "name"), "token": fieldValue(t, doc, "token")}
			want := map[string]string{"email": tt.input.Email, "name": tt.input.Name, "token": token}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("kept values (-want +got):\n%s", diff)
			}
			if pw := fieldValue(t, doc, "password"); pw != "" {
				t.Errorf("password echoed back into the page")
			}
			if exists, _ := app.store.Agents.Exists(t.Context()); exists {
				t.Errorf("an agent was created from invalid input")
			}
		})
	}

	t.Run("valid", func(t *testing.T) {
		form := url.Values{"token": {token}, "email": {"Grace@Example.com"}, "name": {"Grace Hopper"}, "password": {testPassword}}
		resp := app.postForm(t, c, "/setup", form)
		resp.wantRedirect(t, "/dashboard")
		if ck := resp.cookie("ringdesk_session"); ck == nil || ck.Value == "" {
			t.Fatalf("no session cookie after set-up")
		}
		dash := app.get(t, c, "/dashboard")
		dash.wantStatus(t, http.StatusOK)
		if got := squash(text(find(dash.doc(t), byClass("nav-agent")))); !strings.Contains(got, "Grace Hopper") {
			t.Errorf("dashboard greets %q, want Grace Hopper", got)
		}
		a, err := app.store.Agents.Authenticate(t.Context(), "grace@example.com", testPassword)
		if err != nil {
			t.Fatalf("the new agent cannot sign in: %v", err)
		}
		if a.Name != "Grace Hopper" {
			t.Errorf("agent name = %q", a.Name)
		}
	})

	t.Run("token used up", func(t *testing.T) {
		other := app.client(t)
		app.get(t, other, "/setup?token="+url.QueryEscape(token)).wantStatus(t, http.StatusNotFound)
		form := url.Values{"token": {token}, "email": {"mallory@example.com"}, "name": {"Mallory"}, "password": {testPassword}}
		app.postForm(t, other, "/setup", form).wantStatus(t, http.StatusNotFound)
		if _, err := app.store.Agents.Authenticate(t.Context(), "mallory@example.com", testPassword); err == nil {
			t.Errorf("a second agent was created with a used token")
		}
	})
}
