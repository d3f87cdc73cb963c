package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ringdesk/ringdesk/models"
)

// wantBadLink fails unless resp is the page (or JSON) saying the link is
// no longer valid.
func wantBadLink(t testing.TB, resp *response) {
	t.Helper()
	resp.wantStatus(t, http.StatusNotFound)
	if !strings.Contains(resp.body, "no longer valid") || !strings.Contains(resp.body, "ask an admin for a new one") {
		t.Errorf("%s %s: the answer does not say the link is dead and what to do:\n%s", resp.Request.Method, resp.Request.URL.Path, truncate(resp.body, 2000))
	}
	if resp.cookie("ringdesk_session") != nil {
		t.Errorf("a dead link set a session cookie")
	}
}

func TestInviteUnknownLinks(t *testing.T) {
	t.Parallel()
	tm := newTeam(t)
	app := tm.app
	real := tm.makeLink(t, "/agents/invite", map[string]string{"email": "kim@example.com"})
	for _, bad := range []string{"", "wrong", real + "x", strings.ToUpper(real), strings.Repeat("a", 5000)} {
		c := app.client(t)
		wantBadLink(t, app.get(t, c, "/invite?token="+url.QueryEscape(bad)))
		wantBadLink(t, app.postForm(t, c, "/invite", url.Values{"token": {bad}, "name": {"Kim"}, "password": {testPassword}, "password_confirm": {testPassword}}))
	}
	wantBadLink(t, app.get(t, app.client(t), "/invite?token=wrong", "Accept", "application/json"))
	if _, err := app.store.Agents.GetByEmail(t.Context(), "kim@example.com"); err == nil {
		t.Errorf("a wrong token created the agent")
	}
}

func TestInviteExpires(t *testing.T) {
	t.Parallel()
	tm := newTeam(t)
	app := tm.app
	var ahead atomic.Int64
	app.h.SetClock(func() time.Time { return time.Now().Add(time.Duration(ahead.Load())) })

	resp := app.postJSON(t, tm.ac, "/agents/invite", map[string]string{"email": "late@example.com"}, "Accept", "application/json")
	resp.wantStatus(t, http.StatusCreated)
	var link linkResponse
	resp.json(t, &link)
	token := app.tokenOf(t, link.Link)
	expires, err := time.Parse(time.RFC3339, link.ExpiresAt)
	if err != nil {
		t.Fatalf("expiresAt %q: %v", link.ExpiresAt, err)
	}
	if d := time.Until(expires); d < models.InviteTTL-time.Minute || d > models.InviteTTL {
		t.Errorf("the link expires in %v, want %v", d, models.InviteTTL)
	}

	c := app.client(t)
	ahead.Store(int64(models.InviteTTL - time.Minute))
	app.get(t, c, "/invite?token="+url.QueryEscape(token)).wantStatus(t, http.StatusOK)
	ahead.Store(int64(models.InviteTTL + time.Second))
	wantBadLink(t, app.get(t, c, "/invite?token="+url.QueryEscape(token)))
	wantBadLink(t, app.postForm(t, c, "/invite", url.Values{"token": {token}, "name": {"Late"}, "password": {testPassword}, "password_confirm": {testPassword}}))
}

func TestInviteFormRefused(t *testing.T) {
	t.Parallel()
	tm := newTeam(t)
	app := tm.app
	token := tm.makeLink(t, "/agents/invite", map[string]string{"email": "sam@example.com"})
	tests := []struct {
		name                     string
		typedName, pass, confirm string
		want                     map[string]string
	}{
		{"no name, short password", "", "short", "short", map[string]string{"name": "Please enter a name.", "password": "Use at least 10 characters for the password."}},
		{"passwords differ", "Sam", testPassword, testPassword + "!", map[string]string{"password_confirm": "The two passwords don't match."}},
		{"long name, long password", strings.Repeat("S", 101), strings.Repeat("p", 73), "", map[string]string{"name": "Please shorten the name to 100 characters or fewer.", "password": "Use at most 72 bytes for the password."}},
		{"markup", "<b>Sam</b>\u202e", testPassword, "", map[string]string{"name": nameError(t, "<b>Sam</b>\u202e"), "password_confirm": "The two passwords don't match."}},
	}
	c := app.client(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			form := url.Values{"token": {token}, "name": {tt.typedName}, "password": {tt.pass}, "password_confirm": {tt.confirm}}
			resp := app.postForm(t, c, "/invite", form)
			resp.wantStatus(t, http.StatusUnprocessableEntity)
			doc := resp.doc(t)
			if diff := cmp.Diff(tt.want, fieldErrors(doc, "name", "password", "password_confirm")); diff != "" {
				t.Errorf("field errors (-want +got):\n%s", diff)
			}
			kept := map[string]string{"token": fieldValue(t, doc, "token"), "name": fieldValue(t, doc, "name")}
			if diff := cmp.Diff(map[string]string{"token": token, "name": strings.TrimSpace(tt.typedName)}, kept); diff != "" {
				t.Errorf("kept values (-want +got):\n%s", diff)
			}
			if fieldValue(t, doc, "password") != "" || fieldValue(t, doc, "password_confirm") != "" {
				t.Errorf("a password was echoed back into the page")
			}
			if resp.cookie("ringdesk_session") != nil {
				t.Errorf("a refused form set a session cookie")
			}

			var body struct{ Errors map[string]string }
			jresp := app.postJSON(t, app.client(t), "/invite", map[string]string{"token": token, "name": tt.typedName, "password": tt.pass, "password_confirm": tt.confirm}, "Accept", "application/json")
			jresp.wantStatus(t, http.StatusUnprocessableEntity)
			jresp.json(t, &body)
			if diff := cmp.Diff(tt.want, body.Errors); diff != "" {
				t.Errorf("JSON errors (-want +got):\n%s", diff)
			}
		})
	}
	// Refusals leave the link usable.
	app.postForm(t, c, "/invite", url.Values{"token": {token}, "name": {"Sam"}, "password": {testPassword}, "password_confirm": {testPassword}}).
		wantRedirect(t, "/dashboard")
}

// nameError is the message the models give for an agent's name.
func nameError(t testing.TB, name string) string {
	t.Helper()
	_, err := models.ValidateName(name)
	verr, ok := err.(*models.ValidationError)
	if !ok {
		t.Fatalf("name %q is valid", name)
	}
	return verr.Fields["name"]
}

// A JSON client accepts an invitation with token, name and password: the
// design's fields, with no confirmation.
func TestInviteJSON(t *testing.T) {
	t.Parallel()
	tm := newTeam(t)
	app := tm.app
	token := tm.makeLink(t, "/agents/invite", map[string]string{"email": "Jo@Example.com", "name": "Jo", "role": "agent"})

	var inv map[string]any
	resp := app.get(t, app.client(t), "/invite?token="+url.QueryEscape(token), "Accept", "application/json")
	resp.wantStatus(t, http.StatusOK)
	resp.json(t, &inv)
	if inv["kind"] != "invite" || inv["email"] != "jo@example.com" || inv["name"] != "Jo" || inv["expiresAt"] == "" {
		t.Errorf("GET /invite JSON = %v", inv)
	}

	c := app.client(t)
	var got map[string]any
	joined := app.postJSON(t, c, "/invite", map[string]string{"token": token, "name": "", "password": testPassword}, "Accept", "application/json")
	joined.wantStatus(t, http.StatusOK)
	joined.json(t, &got)
	delete(got, "id")
	if diff := cmp.Diff(map[string]any{"email": "jo@example.com", "name": "Jo", "role": "agent", "active": true}, got); diff != "" {
		t.Errorf("POST /invite JSON (-want +got):\n%s", diff)
	}
	app.get(t, c, "/dashboard").wantStatus(t, http.StatusOK)
}

// Two browsers racing with the same link: one joins, the other is told
// the link is dead.
func TestInviteUsedOnce(t *testing.T) {
	t.Parallel()
	tm := newTeam(t)
	app := tm.app
	token := tm.makeLink(t, "/agents/invite", map[string]string{"email": "twice@example.com", "name": "Twice"})
	var wg sync.WaitGroup
	statuses := make([]int, 2)
	for i := range statuses {
		wg.Go(func() {
			form := url.Values{"token": {token}, "name": {"Twice"}, "password": {testPassword}, "password_confirm": {testPassword}}
			statuses[i] = app.postForm(t, app.client(t), "/invite", form).StatusCode
		})
	}
	wg.Wait()
	if !cmp.Equal(statuses, []int{http.StatusSeeOther, http.StatusNotFound}) && !cmp.Equal(statuses, []int{http.StatusNotFound, http.StatusSeeOther}) {
		t.Errorf("two uses of one link answered %v, want one 303 and one 404", statuses)
	}
}

// An admin resets an agent's password: the link sets a new one and signs
// the agent in; the old password stops working; the link works once.
func TestInviteResetPassword(t *testing.T) {
	t.Parallel()
	tm := newTeam(t)
	app := tm.app

	page := app.postForm(t, tm.ac, "/agents/"+tm.agent.ID.Hex()+"/reset", nil)
	page.wantStatus(t, http.StatusOK)
	if got := squash(text(find(page.doc(t), byID("link-title")))); got != "Password reset link for "+tm.agent.Email {
		t.Errorf("link heading = %q", got)
	}
	token := app.tokenOf(t, attr(find(page.doc(t), byID("one-time-link")), "value"))
	// A newer link replaces it.
	newer := tm.makeLink(t, "/agents/"+tm.agent.ID.Hex()+"/reset", nil)
	wantBadLink(t, app.get(t, app.client(t), "/invite?token="+url.QueryEscape(token)))

	c := app.client(t)
	form := app.get(t, c, "/invite?token="+url.QueryEscape(newer))
	form.wantStatus(t, http.StatusOK)
	doc := form.doc(t)
	if find(doc, byName("name")) != nil {
		t.Errorf("the reset page asks for a name")
	}
	if got := squash(text(find(doc, byID("invite-title")))); got != "Choose a new password" {
		t.Errorf("reset page title = %q", got)
	}
	if got := squash(text(find(doc, byClass("invite-email")))); got != tm.agent.Email {
		t.Errorf("reset page shows email %q", got)
	}

	const fresh = "a fresh password 42"
	app.postForm(t, c, "/invite", url.Values{"token": {newer}, "password": {fresh}, "password_confirm": {fresh}}).wantRedirect(t, "/dashboard")
	if got := squash(text(find(app.get(t, c, "/dashboard").doc(t), byClass("nav-agent")))); !strings.Contains(got, tm.agent.Name) {
		t.Errorf("signed in as %q after the reset, want %s", got, tm.agent.Name)
	}
	if _, err := app.store.Agents.Authenticate(t.Context(), tm.agent.Email, testPassword); err == nil {
		t.Errorf("the old password still works")
	}
	app.signInAs(t, app.client(t), tm.agent.Email, fresh)
	wantBadLink(t, app.postForm(t, app.client(t), "/invite", url.Values{"token": {newer}, "password": {testPassword}, "password_confirm": {testPassword}}))
}
