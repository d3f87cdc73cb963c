package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/net/html"

	"github.com/ringdesk/ringdesk/models"
)

// team is a fresh app with its first agent (an admin) and a second one
// (an agent), each signed in with their own client.
type team struct {
	app          *testApp
	admin, agent *models.Agent
	ac, gc       *http.Client // the admin's and the agent's browsers
}

func newTeam(t testing.TB, opts ...appOption) *team {
	t.Helper()
	app := newTestApp(t, opts...)
	tm := &team{app: app, ac: app.client(t), gc: app.client(t)}
	tm.admin = app.signIn(t, tm.ac)
	tm.agent = app.signIn(t, tm.gc)
	if tm.admin.Role != models.RoleAdmin || tm.agent.Role != models.RoleAgent {
		t.Fatalf("roles: first %q, second %q; want admin, agent", tm.admin.Role, tm.agent.Role)
	}
	return tm
}

// signInAs signs c in with an existing agent's email and password.
func (a *testApp) signInAs(t testing.TB, c *http.Client, email, password string) {
	t.Helper()
	a.postForm(t, c, "/login", url.Values{"email": {email}, "password": {password}}).wantRedirect(t, "/dashboard")
}

// storedAgent reads an agent back from the store.
func storedAgent(t testing.TB, s *models.Store, id models.ID) *models.Agent {
	t.Helper()
	a, err := s.Agents.Get(t.Context(), id)
	if err != nil {
		t.Fatalf("get agent: %v", err)
	}
	return a
}

// linkResponse is what JSON clients get for an invitation or a reset.
type linkResponse struct {
	Link      string `json:"link"`
	ExpiresAt string `json:"expiresAt"`
}

// makeLink posts to path as a JSON client of the admin's and returns the
// one-time link's token, checking the link's shape.
func (tm *team) makeLink(t testing.TB, path string, body map[string]string) string {
	t.Helper()
	if body == nil {
		body = map[string]string{}
	}
	resp := tm.app.postJSON(t, tm.ac, path, body, "Accept", "application/json")
	resp.wantStatus(t, http.StatusCreated)
	var got linkResponse
	resp.json(t, &got)
	return tm.app.tokenOf(t, got.Link)
}

// tokenOf checks that link is PUBLIC_URL/invite?token=… and returns the
// token.
func (a *testApp) tokenOf(t testing.TB, link string) string {
	t.Helper()
	prefix := a.cfg.PublicURL.String() + "/invite?token="
	if !strings.HasPrefix(link, prefix) {
		t.Fatalf("link %q does not start with %q", link, prefix)
	}
	u, err := url.Parse(link)
	if err != nil {
		t.Fatal(err)
	}
	token := u.Query().Get("token")
	if len(token) < 40 {
		t.Fatalf("link %q has a short token", link)
	}
	return token
}

func TestAgentsAdminOnly(t *testing.T) {
	t.Parallel()
	tm := newTeam(t)
	app := tm.app
	target := "/agents/" + tm.admin.ID.Hex()

	t.Run("admin", func(t *testing.T) {
		page := app.get(t, tm.ac, "/agents")
		page.wantStatus(t, http.StatusOK)
		doc := page.doc(t)
		for _, a := range []*models.Agent{tm.admin, tm.agent} {
			row := find(doc, byID("agent-"+a.ID.Hex()))
			if row == nil {
				t.Fatalf("no row for %s", a.Email)
			}
			if got := squash(text(row)); !strings.Contains(got, a.Name) || !strings.Contains(got, a.Email) {
				t.Errorf("row %q lacks the name or email of %s", got, a.Email)
			}
		}
		if nav := find(doc, byClass("site-nav")); find(nav, byHref("/agents")) == nil || find(nav, byHref("/account")) == nil {
			t.Errorf("an admin's navigation lacks the Agents or Account link")
		}
	})

	t.Run("agent", func(t *testing.T) {
		page := app.get(t, tm.gc, "/agents")
		page.wantStatus(t, http.StatusForbidden)
		if !strings.Contains(page.body, "Only admins can manage agents") {
			t.Errorf("403 page does not say why:\n%s", truncate(page.body, 2000))
		}
		var refused struct{ Error string }
		resp := app.get(t, tm.gc, "/agents", "Accept", "application/json")
		resp.wantStatus(t, http.StatusForbidden)
		resp.json(t, &refused)
		if refused.Error == "" {
			t.Errorf("403 JSON has no error message")
		}
		posts := map[string]url.Values{
			"/agents/invite":    {"email": {"eve@example.com"}},
			target + "/disable": nil,
			target + "/enable":  nil,
			target + "/reset":   nil,
			target + "/role":    {"role": {"agent"}},
		}
		for path, form := range posts {
			app.postForm(t, tm.gc, path, form).wantStatus(t, http.StatusForbidden)
		}
		if a := storedAgent(t, app.store, tm.admin.ID); !a.IsAdmin() {
			t.Errorf("an agent's posts changed the admin: %+v", a)
		}
		dash := app.get(t, tm.gc, "/dashboard")
		dash.wantStatus(t, http.StatusOK)
		nav := find(dash.doc(t), byClass("site-nav"))
		if find(nav, byHref("/agents")) != nil {
			t.Errorf("an agent's navigation links to /agents")
		}
		if find(nav, byHref("/account")) == nil {
			t.Errorf("an agent's navigation lacks the Account link")
		}
	})

	t.Run("nobody", func(t *testing.T) {
		anon := app.client(t)
		app.get(t, anon, "/agents").wantRedirect(t, "/login?next=%2Fagents")
		app.get(t, anon, "/agents", "Accept", "application/json").wantStatus(t, http.StatusUnauthorized)
		app.postForm(t, anon, target+"/disable", nil).wantRedirect(t, "/login")
	})

	t.Run("unknown agent", func(t *testing.T) {
		for _, id := range []string{models.NewID().Hex(), "not-an-id"} {
			app.postForm(t, tm.ac, "/agents/"+id+"/disable", nil).wantStatus(t, http.StatusNotFound)
			app.postForm(t, tm.ac, "/agents/"+id+"/reset", nil).wantStatus(t, http.StatusNotFound)
		}
	})
}

func TestAgentsJSON(t *testing.T) {
	t.Parallel()
	tm := newTeam(t)
	resp := tm.app.get(t, tm.ac, "/agents", "Accept", "application/json")
	resp.wantStatus(t, http.StatusOK)
	var got []map[string]any
	resp.json(t, &got)
	want := []map[string]any{
		{"id": tm.admin.ID.Hex(), "email": tm.admin.Email, "name": tm.admin.Name, "role": "admin", "active": true},
		{"id": tm.agent.ID.Hex(), "email": tm.agent.Email, "name": tm.agent.Name, "role": "agent", "active": true},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("GET /agents JSON (-want +got):\n%s", diff)
	}
}

// An admin invites an agent in the browser; the link they copy signs
// the new agent in, and works once.
func TestAgentInviteJourney(t *testing.T) {
	t.Parallel()
	tm := newTeam(t)
	app := tm.app

	page := app.postForm(t, tm.ac, "/agents/invite", url.Values{"email": {"Lin@Example.com"}, "name": {"Lin"}, "role": {"admin"}})
	page.wantStatus(t, http.StatusOK)
	if cc := page.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("the page with the link has Cache-Control %q, want no-store", cc)
	}
	link := attr(find(page.doc(t), byID("one-time-link")), "value")
	if got := squash(text(find(page.doc(t), byID("link-title")))); got != "Invitation link for lin@example.com" {
		t.Errorf("link heading = %q", got)
	}
	token := app.tokenOf(t, link)

	lin := app.client(t)
	form := app.get(t, lin, "/invite?token="+url.QueryEscape(token))
	form.wantStatus(t, http.StatusOK)
	doc := form.doc(t)
	if got := squash(text(find(doc, byClass("invite-email")))); got != "lin@example.com" {
		t.Errorf("invite page shows email %q", got)
	}
	if got := fieldValue(t, doc, "name"); got != "Lin" {
		t.Errorf("name field prefilled with %q, want Lin", got)
	}
	accept := url.Values{"token": {token}, "name": {"Lin Wei"}, "password": {testPassword}, "password_confirm": {testPassword}}
	app.postForm(t, lin, "/invite", accept).wantRedirect(t, "/dashboard")
	dash := app.get(t, lin, "/dashboard")
	dash.wantStatus(t, http.StatusOK)
	if got := squash(text(find(dash.doc(t), byClass("nav-agent")))); !strings.Contains(got, "Lin Wei") {
		t.Errorf("dashboard greets %q, want Lin Wei", got)
	}
	if got := flashText(dash.doc(t)); !strings.Contains(got, "Welcome to Ringdesk, Lin Wei") {
		t.Errorf("flash = %q", got)
	}

	var list []struct {
		Email, Name, Role string
		Active            bool
	}
	resp := app.get(t, tm.ac, "/agents", "Accept", "application/json")
	resp.json(t, &list)
	found := false
	for _, a := range list {
		if a.Email == "lin@example.com" {
			found = a.Name == "Lin Wei" && a.Role == "admin" && a.Active
		}
	}
	if !found {
		t.Errorf("the new admin is not listed as such: %+v", list)
	}

	t.Run("used twice", func(t *testing.T) {
		again := app.client(t)
		app.get(t, again, "/invite?token="+url.QueryEscape(token)).wantStatus(t, http.StatusNotFound)
		accept.Set("password", "another password 123")
		accept.Set("password_confirm", "another password 123")
		resp := app.postForm(t, again, "/invite", accept)
		resp.wantStatus(t, http.StatusNotFound)
		if resp.cookie("ringdesk_session") != nil {
			t.Errorf("a used link set a session cookie")
		}
		if _, err := app.store.Agents.Authenticate(t.Context(), "lin@example.com", testPassword); err != nil {
			t.Errorf("the first password no longer works: %v", err)
		}
	})
}

func TestAgentInviteRefused(t *testing.T) {
	t.Parallel()
	tm := newTeam(t)
	app := tm.app
	tests := []struct {
		name       string
		form       url.Values
		status     int
		wantFields []string
	}{
		{"bad email", url.Values{"email": {"not-an-email"}, "name": {"Ann"}, "role": {"agent"}}, http.StatusUnprocessableEntity, []string{"email"}},
		{"long name, bad role", url.Values{"email": {"ann@example.com"}, "name": {strings.Repeat("A", 101)}, "role": {"owner"}}, http.StatusUnprocessableEntity, []string{"name", "role"}},
		{"markup", url.Values{"email": {`"><script>x</script>`}, "name": {"<b>Ann</b>"}, "role": {"agent"}}, http.StatusUnprocessableEntity, []string{"email"}},
		{"email taken", url.Values{"email": {strings.ToUpper(tm.agent.Email)}, "name": {"Again"}, "role": {"agent"}}, http.StatusConflict, []string{"email"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := app.postForm(t, tm.ac, "/agents/invite", tt.form)
			resp.wantStatus(t, tt.status)
			doc := resp.doc(t)
			errs := fieldErrors(doc, "email", "name", "role")
			for _, f := range tt.wantFields {
				if errs[f] == "" {
					t.Errorf("no error shown for %s; errors %v", f, errs)
				}
			}
			if len(errs) != len(tt.wantFields) {
				t.Errorf("errors shown for %v, want %v", errs, tt.wantFields)
			}
			for _, f := range []string{"email", "name"} {
				if got := fieldValue(t, doc, f); got != tt.form.Get(f) {
					t.Errorf("%s kept as %q, want %q", f, got, tt.form.Get(f))
				}
			}
			if find(doc, byID("one-time-link")) != nil {
				t.Errorf("a refused invite shows a link")
			}

			var body struct{ Errors map[string]string }
			jresp := app.postJSON(t, tm.ac, "/agents/invite", map[string]string{"email": tt.form.Get("email"), "name": tt.form.Get("name"), "role": tt.form.Get("role")}, "Accept", "application/json")
			jresp.wantStatus(t, tt.status)
			jresp.json(t, &body)
			if diff := cmp.Diff(errs, body.Errors); diff != "" {
				t.Errorf("JSON and HTML errors differ (-html +json):\n%s", diff)
			}
		})
	}
	if a, err := app.store.Agents.GetByEmail(t.Context(), "ann@example.com"); err == nil {
		t.Errorf("a refused invite created %+v", a)
	}
}

func TestAgentCrossSitePostsRefused(t *testing.T) {
	t.Parallel()
	tm := newTeam(t)
	app := tm.app
	target := "/agents/" + tm.agent.ID.Hex()
	for path, form := range map[string]url.Values{
		"/agents/invite":    {"email": {"eve@example.com"}, "role": {"admin"}},
		target + "/disable": nil,
		target + "/role":    {"role": {"admin"}},
		target + "/reset":   nil,
		"/account":          {"name": {"Mallory"}},
		"/invite":           {"token": {"x"}, "password": {testPassword}},
	} {
		for _, header := range [][]string{{"Sec-Fetch-Site", "cross-site"}, {"Origin", "https://evil.example"}} {
			app.postForm(t, tm.ac, path, form, header...).wantStatus(t, http.StatusForbidden)
		}
	}
	if a := storedAgent(t, app.store, tm.agent.ID); a.Disabled || a.Role != models.RoleAgent {
		t.Errorf("a cross-site post changed the agent: %+v", a)
	}
	if a := storedAgent(t, app.store, tm.admin.ID); a.Name != tm.admin.Name {
		t.Errorf("a cross-site post renamed the admin to %q", a.Name)
	}
}

// Disabling an agent signs them out everywhere at once: their open
// dashboard's event stream ends without waiting for the periodic check
// of the session (10 s here).
func TestAgentDisableEndsSessionsAtOnce(t *testing.T) {
	t.Parallel()
	tm := newTeam(t)
	app := tm.app
	s := app.openEvents(t, tm.gc, "")
	s.next(t, "hello", 2*time.Second)

	resp := app.postForm(t, tm.ac, "/agents/"+tm.agent.ID.Hex()+"/disable", nil)
	resp.wantRedirect(t, "/agents")
	wantStreamEnds(t, s, 2*time.Second)
	app.get(t, tm.gc, "/dashboard").wantRedirect(t, "/login?next=%2Fdashboard")
	if got := flashText(app.get(t, tm.ac, "/agents").doc(t)); !strings.Contains(got, "is disabled") {
		t.Errorf("flash after disabling = %q", got)
	}
	if _, err := app.store.Agents.Authenticate(t.Context(), tm.agent.Email, testPassword); err == nil {
		t.Errorf("a disabled agent can still sign in")
	}

	var got map[string]any
	enabled := app.postForm(t, tm.ac, "/agents/"+tm.agent.ID.Hex()+"/enable", nil, "Accept", "application/json")
	enabled.wantStatus(t, http.StatusOK)
	enabled.json(t, &got)
	want := map[string]any{"id": tm.agent.ID.Hex(), "email": tm.agent.Email, "name": tm.agent.Name, "role": "agent", "active": true}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("enable JSON (-want +got):\n%s", diff)
	}
	app.signInAs(t, app.client(t), tm.agent.Email, testPassword)
}

func TestAgentLastAdminProtected(t *testing.T) {
	t.Parallel()
	tm := newTeam(t)
	app := tm.app
	self := "/agents/" + tm.admin.ID.Hex()

	resp := app.postForm(t, tm.ac, self+"/disable", nil)
	resp.wantRedirect(t, "/agents")
	if got := flashText(app.get(t, tm.ac, "/agents").doc(t)); !strings.Contains(got, "at least one active admin") {
		t.Errorf("flash after disabling the last admin = %q", got)
	}
	app.postForm(t, tm.ac, self+"/role", url.Values{"role": {"agent"}}).wantRedirect(t, "/agents")

	for path, field := range map[string]string{self + "/disable": "agent", self + "/role": "role"} {
		var body struct{ Errors map[string]string }
		resp := app.postForm(t, tm.ac, path, url.Values{"role": {"agent"}}, "Accept", "application/json")
		resp.wantStatus(t, http.StatusUnprocessableEntity)
		resp.json(t, &body)
		if !strings.Contains(body.Errors[field], "at least one active admin") {
			t.Errorf("%s: errors %v, want %s about the last admin", path, body.Errors, field)
		}
	}
	if a := storedAgent(t, app.store, tm.admin.ID); !a.IsAdmin() {
		t.Fatalf("the last admin was demoted or disabled: %+v", a)
	}

	// With a second admin, the first may step down, and loses the page.
	app.postForm(t, tm.ac, "/agents/"+tm.agent.ID.Hex()+"/role", url.Values{"role": {"admin"}}).wantRedirect(t, "/agents")
	app.get(t, tm.gc, "/agents").wantStatus(t, http.StatusOK)
	app.postForm(t, tm.ac, self+"/role", url.Values{"role": {"agent"}}).wantRedirect(t, "/dashboard")
	app.get(t, tm.ac, "/agents").wantStatus(t, http.StatusForbidden)
	var body struct{ Errors map[string]string }
	last := app.postForm(t, tm.gc, "/agents/"+tm.agent.ID.Hex()+"/disable", nil, "Accept", "application/json")
	last.wantStatus(t, http.StatusUnprocessableEntity)
	last.json(t, &body)
	if body.Errors["agent"] == "" {
		t.Errorf("disabling the new last admin: errors %v", body.Errors)
	}
}

func TestAgentRoleChange(t *testing.T) {
	t.Parallel()
	tm := newTeam(t)
	app := tm.app
	path := "/agents/" + tm.agent.ID.Hex() + "/role"

	var refused struct{ Errors map[string]string }
	bad := app.postJSON(t, tm.ac, path, map[string]string{"role": "owner"}, "Accept", "application/json")
	bad.wantStatus(t, http.StatusUnprocessableEntity)
	bad.json(t, &refused)
	if refused.Errors["role"] == "" {
		t.Errorf("an unknown role: errors %v", refused.Errors)
	}

	var got struct {
		Role   string
		Active bool
	}
	ok := app.postJSON(t, tm.ac, path, map[string]string{"role": "admin"}, "Accept", "application/json")
	ok.wantStatus(t, http.StatusOK)
	ok.json(t, &got)
	if got.Role != "admin" || !got.Active {
		t.Errorf("after promotion: %+v", got)
	}
	app.get(t, tm.gc, "/agents").wantStatus(t, http.StatusOK) // at once, same session
}

// byHref matches links to href.
func byHref(href string) func(*html.Node) bool {
	return func(n *html.Node) bool { return n.Type == html.ElementNode && n.Data == "a" && attr(n, "href") == href }
}
