package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ringdesk/ringdesk/models"
)

func TestAccountPage(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	c := app.client(t)
	me := app.signIn(t, c)

	page := app.get(t, c, "/account")
	page.wantStatus(t, http.StatusOK)
	doc := page.doc(t)
	if got := fieldValue(t, doc, "name"); got != me.Name {
		t.Errorf("name field = %q, want %q", got, me.Name)
	}
	if got := squash(text(find(doc, byClass("account-email")))); got != me.Email {
		t.Errorf("account page shows email %q", got)
	}

	var got map[string]any
	resp := app.get(t, c, "/account", "Accept", "application/json")
	resp.wantStatus(t, http.StatusOK)
	resp.json(t, &got)
	want := map[string]any{"id": me.ID.Hex(), "email": me.Email, "name": me.Name, "role": "admin", "active": true}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("GET /account JSON (-want +got):\n%s", diff)
	}

	app.get(t, app.client(t), "/account").wantRedirect(t, "/login?next=%2Faccount")
	app.postForm(t, app.client(t), "/account", url.Values{"name": {"Nobody"}}).wantRedirect(t, "/login")
}

func TestAccountRename(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	c := app.client(t)
	me := app.signIn(t, c)
	tk := app.createTicket(t, "Customer", "+14155552671", "Mine")
	ref := models.AgentRef{ID: me.ID, Name: me.Name}
	if err := app.store.Tickets.Assign(t.Context(), tk.ID, &ref, ref); err != nil {
		t.Fatalf("assign: %v", err)
	}

	app.postForm(t, c, "/account", url.Values{"name": {"  Ada Lovelace  "}}).wantRedirect(t, "/account")
	page := app.get(t, c, "/account")
	if got := flashText(page.doc(t)); !strings.Contains(got, "Ada Lovelace") {
		t.Errorf("flash after renaming = %q", got)
	}
	if got := fieldValue(t, page.doc(t), "name"); got != "Ada Lovelace" {
		t.Errorf("name field after renaming = %q", got)
	}
	if got := storedAgent(t, app.store, me.ID).Name; got != "Ada Lovelace" {
		t.Errorf("stored name = %q", got)
	}
	if got, err := app.store.Tickets.Get(t.Context(), tk.ID); err != nil || got.Assignee == nil || got.Assignee.Name != "Ada Lovelace" {
		t.Errorf("the assigned ticket's assignee after renaming: %+v, %v", got, err)
	}

	var got struct{ Name string }
	resp := app.postJSON(t, c, "/account", map[string]string{"name": "Ada King"}, "Accept", "application/json")
	resp.wantStatus(t, http.StatusOK)
	resp.json(t, &got)
	if got.Name != "Ada King" {
		t.Errorf("POST /account JSON name = %q", got.Name)
	}
}

func TestAccountRefused(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	c := app.client(t)
	me := app.signIn(t, c)
	const next = "my new password 7"
	tests := []struct {
		name string
		form map[string]string
		want map[string]string
	}{
		{"blank name", map[string]string{"name": "  "}, map[string]string{"name": "Please enter a name."}},
		{"long name", map[string]string{"name": strings.Repeat("n", 101)}, map[string]string{"name": "Please shorten the name to 100 characters or fewer."}},
		{"wrong current password", map[string]string{"name": "Kept", "current_password": "not my password", "password": next, "password_confirm": next},
			map[string]string{"current_password": "That is not your current password."}},
		{"no current password", map[string]string{"name": "Kept", "password": next, "password_confirm": next},
			map[string]string{"current_password": "Please enter your current password to change it."}},
		{"passwords differ", map[string]string{"name": "Kept", "current_password": testPassword, "password": next, "password_confirm": next + "8"},
			map[string]string{"password_confirm": "The two passwords don't match."}},
		{"short new password", map[string]string{"name": "Kept", "current_password": testPassword, "password": "short", "password_confirm": "short"},
			map[string]string{"password": "Use at least 10 characters for the password."}},
		{"long current password", map[string]string{"name": "Kept", "current_password": strings.Repeat("x", 100), "password": next, "password_confirm": next},
			map[string]string{"current_password": "That is not your current password."}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			form := url.Values{}
			for k, v := range tt.form {
				form.Set(k, v)
			}
			resp := app.postForm(t, c, "/account", form)
			resp.wantStatus(t, http.StatusUnprocessableEntity)
			doc := resp.doc(t)
			if diff := cmp.Diff(tt.want, fieldErrors(doc, "name", "current_password", "password", "password_confirm")); diff != "" {
				t.Errorf("field errors (-want +got):\n%s", diff)
			}
			if got := fieldValue(t, doc, "name"); got != strings.TrimSpace(tt.form["name"]) {
				t.Errorf("name kept as %q, want %q", got, tt.form["name"])
			}
			for _, f := range []string{"current_password", "password", "password_confirm"} {
				if fieldValue(t, doc, f) != "" {
					t.Errorf("%s echoed back into the page", f)
				}
			}

			var body struct{ Errors map[string]string }
			jresp := app.postJSON(t, c, "/account", tt.form, "Accept", "application/json")
			jresp.wantStatus(t, http.StatusUnprocessableEntity)
			jresp.json(t, &body)
			if diff := cmp.Diff(tt.want, body.Errors); diff != "" {
				t.Errorf("JSON errors (-want +got):\n%s", diff)
			}
		})
	}
	a := storedAgent(t, app.store, me.ID)
	if a.Name != me.Name {
		t.Errorf("a refused form renamed the agent to %q", a.Name)
	}
	if _, err := app.store.Agents.Authenticate(t.Context(), me.Email, testPassword); err != nil {
		t.Errorf("a refused form changed the password: %v", err)
	}
}

func TestAccountChangePassword(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	c := app.client(t)
	me := app.signIn(t, c)
	const next = "my new password 7"

	form := url.Values{"name": {me.Name}, "current_password": {testPassword}, "password": {next}, "password_confirm": {next}}
	app.postForm(t, c, "/account", form).wantRedirect(t, "/account")
	if got := flashText(app.get(t, c, "/account").doc(t)); got != "Your new password is saved." {
		t.Errorf("flash = %q", got)
	}
	if _, err := app.store.Agents.Authenticate(t.Context(), me.Email, testPassword); err == nil {
		t.Errorf("the old password still works")
	}
	app.signInAs(t, app.client(t), me.Email, next)

	// JSON clients send only what they change.
	resp := app.postJSON(t, c, "/account", map[string]string{"current_password": next, "password": testPassword}, "Accept", "application/json")
	resp.wantStatus(t, http.StatusOK)
	app.signInAs(t, app.client(t), me.Email, testPassword)
}

// Wrong current passwords count against the account's sign-in limit, so
// a borrowed session cannot be used to guess the password.
func TestAccountPasswordGuessesThrottled(t *testing.T) {
	t.Parallel()
	app := newTestApp(t, withRealRateLimits())
	c := app.client(t)
	me := app.signIn(t, c)
	const next = "my new password 7"
	var last *response
	for range 30 {
		last = app.postForm(t, c, "/account", url.Values{"name": {me.Name}, "current_password": {"a wrong guess"}, "password": {next}, "password_confirm": {next}})
		if last.StatusCode == http.StatusTooManyRequests {
			break
		}
		last.wantStatus(t, http.StatusUnprocessableEntity)
	}
	last.wantStatus(t, http.StatusTooManyRequests)
	if last.Header.Get("Retry-After") == "" {
		t.Errorf("429 without Retry-After")
	}
	// The right password is refused too while the account is throttled.
	app.postForm(t, c, "/account", url.Values{"name": {me.Name}, "current_password": {testPassword}, "password": {next}, "password_confirm": {next}}).
		wantStatus(t, http.StatusTooManyRequests)
}
