package handlers_test

import (
	"net/http"
	"net/url"
	"sync"
	"testing"
)

// The attack: twenty sessions of one agent sign out at the same moment,
// and with the revocations read-modify-written, 13 or 14 of the twenty
// cookies kept working. Each revocation is its own atomic write now.
func TestSimultaneousSignOutsRevokeEverySession(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	agent := app.newAgent(t)
	const n = 20
	cookies := make([]string, n)
	for i := range cookies {
		c := app.client(t)
		app.postForm(t, c, "/login", url.Values{"email": {agent.Email}, "password": {testPassword}}).wantRedirect(t, "/dashboard")
		cookies[i] = "ringdesk_session=" + app.sessionCookie(t, c)
	}

	var wg sync.WaitGroup
	start := make(chan struct{})
	for _, cookie := range cookies {
		wg.Go(func() {
			req := app.newRequest(t, http.MethodPost, "/logout", nil, "Cookie", cookie)
			<-start
			if resp := app.roundTrip(t, req); resp.StatusCode != http.StatusSeeOther {
				t.Errorf("POST /logout: status %d, want 303", resp.StatusCode)
			}
		})
	}
	close(start)
	wg.Wait()

	kept := 0
	for _, cookie := range cookies {
		resp := app.roundTrip(t, app.newRequest(t, http.MethodGet, "/dashboard", nil, "Cookie", cookie))
		if resp.StatusCode != http.StatusSeeOther {
			kept++
		}
	}
	if kept > 0 {
		t.Errorf("%d of %d cookies still open the dashboard after their sessions signed out", kept, n)
	}
}
