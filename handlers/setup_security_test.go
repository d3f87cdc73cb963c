package handlers_test

import (
	"net/http"
	"net/url"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ringdesk/ringdesk/models"
)

// postSetup tries to create an agent with the set-up link.
func postSetup(t testing.TB, app *testApp, token, email string) *response {
	t.Helper()
	form := url.Values{"token": {token}, "email": {email}, "name": {"Mallory"}, "password": {testPassword}}
	return app.postForm(t, app.client(t), "/setup", form)
}

// wantNoAgent fails if email can sign in.
func wantNoAgent(t testing.TB, app *testApp, email string) {
	t.Helper()
	if _, err := app.store.Agents.Authenticate(t.Context(), email, testPassword); err == nil {
		t.Errorf("the set-up link created agent %s", email)
	}
}

// The attack: the set-up link from the first start's log is still good
// after the team created its agents another way (`ringdesk agent add`,
// ADMIN_EMAIL), and whoever finds it makes themselves an agent.
func TestSetupLinkDiesOnceAnAgentExists(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	token, err := app.store.Setup.NewToken(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	app.get(t, app.client(t), "/setup?token="+url.QueryEscape(token)).wantStatus(t, http.StatusOK)

	app.newAgent(t) // what `ringdesk agent add` and ADMIN_EMAIL do

	app.get(t, app.client(t), "/setup?token="+url.QueryEscape(token)).wantStatus(t, http.StatusNotFound)
	postSetup(t, app, token, "mallory@example.com").wantStatus(t, http.StatusNotFound)
	wantNoAgent(t, app, "mallory@example.com")

	// Nor after a restart on the same data.
	again := newTestApp(t, withStore(app.store))
	again.get(t, again.client(t), "/setup?token="+url.QueryEscape(token)).wantStatus(t, http.StatusNotFound)
	postSetup(t, again, token, "mallory2@example.com").wantStatus(t, http.StatusNotFound)
	wantNoAgent(t, again, "mallory2@example.com")
}

func TestSetupLinkExpires(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	token, err := app.store.Setup.NewToken(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	var ahead atomic.Int64 // how far the server's clock runs ahead
	app.h.SetClock(func() time.Time { return time.Now().Add(time.Duration(ahead.Load())) })

	ahead.Store(int64(models.SetupTokenTTL + time.Minute))
	app.get(t, app.client(t), "/setup?token="+url.QueryEscape(token)).wantStatus(t, http.StatusNotFound)
	postSetup(t, app, token, "late@example.com").wantStatus(t, http.StatusNotFound)
	wantNoAgent(t, app, "late@example.com")

	// Within its day it works.
	ahead.Store(int64(models.SetupTokenTTL - time.Minute))
	postSetup(t, app, token, "first@example.com").wantRedirect(t, "/dashboard")
}
