package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// TestSecurityHeaders visits every kind of page, signed in and out, good
// and bad. checkingTransport checks the headers of each HTML answer; this
// test makes sure the pages are visited and are HTML.
func TestSecurityHeaders(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	tk := app.createTicket(t, "Ada", "+14155552671", "Help")
	agent := app.client(t)
	app.signIn(t, agent)
	anon := app.client(t)

	tests := []struct {
		name   string
		c      *http.Client
		method string
		path   string
		form   url.Values
		status int
	}{
		{"home", anon, http.MethodGet, "/", nil, http.StatusOK},
		{"login", anon, http.MethodGet, "/login", nil, http.StatusOK},
		{"failed login", anon, http.MethodPost, "/login", url.Values{"email": {"x@example.com"}, "password": {"wrong password"}}, http.StatusUnauthorized},
		{"invalid ticket", anon, http.MethodPost, "/tickets", ticketForm("", "", ""), http.StatusUnprocessableEntity},
		{"bad set-up link", anon, http.MethodGet, "/setup?token=nope", nil, http.StatusNotFound},
		{"dashboard", agent, http.MethodGet, "/dashboard", nil, http.StatusOK},
		{"ticket", agent, http.MethodGet, "/tickets/" + tk.ID.Hex(), nil, http.StatusOK},
		{"unknown ticket", agent, http.MethodGet, "/tickets/0123456789abcdef01234567", nil, http.StatusNotFound},
		{"unknown route", anon, http.MethodGet, "/no/such/page", nil, http.StatusNotFound},
		{"wrong method", anon, http.MethodDelete, "/login", nil, http.StatusMethodNotAllowed},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var resp *response
			if tt.form != nil {
				resp = app.postForm(t, tt.c, tt.path, tt.form)
			} else {
				resp = app.do(t, tt.c, app.newRequest(t, tt.method, tt.path, nil))
			}
			resp.wantStatus(t, tt.status)
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
				t.Errorf("Content-Type = %q, want a page", ct)
			}
			if problems := securityHeaderProblems(resp.Header); len(problems) > 0 {
				t.Errorf("security headers: %s", strings.Join(problems, "; "))
			}
			if strings.Contains(resp.body, " onclick=") || strings.Contains(resp.body, "<script>") {
				t.Errorf("page has inline script")
			}
		})
	}
}

func TestCrossSiteFormPosts(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	agent := app.newAgent(t)
	sameOrigin := app.srv.URL // http://127.0.0.1:port, as a browser would send it

	tests := []struct {
		name   string
		path   string
		form   url.Values
		header []string
		want   int
	}{
		{"ticket, Sec-Fetch-Site cross-site", "/tickets", ticketForm("Eve", "+14155552671", "csrf 1"), []string{"Sec-Fetch-Site", "cross-site"}, http.StatusForbidden},
		{"ticket, foreign Origin", "/tickets", ticketForm("Eve", "+14155552671", "csrf 2"), []string{"Origin", "https://evil.example"}, http.StatusForbidden},
		{"ticket, same-site sibling", "/tickets", ticketForm("Eve", "+14155552671", "csrf 3"), []string{"Sec-Fetch-Site", "same-site"}, http.StatusForbidden},
		{"login, Sec-Fetch-Site cross-site", "/login", url.Values{"email": {agent.Email}, "password": {testPassword}}, []string{"Sec-Fetch-Site", "cross-site"}, http.StatusForbidden},
		{"login, foreign Origin", "/login", url.Values{"email": {agent.Email}, "password": {testPassword}}, []string{"Origin", "https://evil.example"}, http.StatusForbidden},
		{"logout, foreign Origin", "/logout", url.Values{}, []string{"Origin", "https://evil.example"}, http.StatusForbidden},
		{"ticket, Sec-Fetch-Site same-origin", "/tickets", ticketForm("Ann", "+14155552671", "ok 1"), []string{"Sec-Fetch-Site", "same-origin"}, http.StatusSeeOther},
		{"ticket, own Origin", "/tickets", ticketForm("Ann", "+14155552671", "ok 2"), []string{"Origin", sameOrigin}, http.StatusSeeOther},
		{"ticket, typed in the address bar", "/tickets", ticketForm("Ann", "+14155552671", "ok 3"), []string{"Sec-Fetch-Site", "none"}, http.StatusSeeOther},
		{"login, Sec-Fetch-Site same-origin", "/login", url.Values{"email": {agent.Email}, "password": {testPassword}}, []string{"Sec-Fetch-Site", "same-origin", "Origin", sameOrigin}, http.StatusSeeOther},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := app.postForm(t, app.client(t), tt.path, tt.form, tt.header...)
			resp.wantStatus(t, tt.want)
			if tt.want == http.StatusForbidden && resp.cookie("ringdesk_session") != nil {
				t.Errorf("a refused post set a session cookie")
			}
		})
	}

	var got []string
	for _, tk := range allTickets(t, app.store) {
		got = append(got, tk.Description)
	}
	if want := []string{"ok 3", "ok 2", "ok 1"}; strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("stored tickets %q, want only the same-origin ones %q", got, want)
	}
}

func TestCrossSiteStatusChange(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	c := app.client(t)
	app.signIn(t, c)
	tk := app.createTicket(t, "Ada", "+14155552671", "Help")

	app.postForm(t, c, "/tickets/"+tk.ID.Hex()+"/status", url.Values{"status": {"closed"}}, "Sec-Fetch-Site", "cross-site").
		wantStatus(t, http.StatusForbidden)
	if got := findTicket(t, app.store, tk.ID.Hex()); got.Status != "open" {
		t.Errorf("a cross-site post closed the ticket")
	}
}

func TestStaticFiles(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	c := app.client(t)
	tests := []struct {
		path       string
		status     int
		wantPrefix string // of Content-Type
	}{
		{"/static/css/app.css", http.StatusOK, "text/css"},
		{"/static/js/app.js", http.StatusOK, "text/javascript"},
		{"/static/css/", http.StatusNotFound, "text/html"},
		{"/static/css", http.StatusNotFound, "text/html"},
		{"/static/", http.StatusNotFound, "text/html"},
		{"/static/css/missing.css", http.StatusNotFound, "text/html"},
		{"/static/../views/layout.html", http.StatusNotFound, "text/html"},
		{"/static/%2e%2e/embed.go", http.StatusNotFound, "text/html"},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			req := app.newRequest(t, http.MethodGet, "/", nil)
			req.URL.Opaque = tt.path // sent as is, without the client cleaning ".."
			resp := app.do(t, c, req)
			resp.wantStatus(t, tt.status)
			if ct := resp.Header.Get("Content-Type"); !strings.HasPrefix(ct, tt.wantPrefix) {
				t.Errorf("Content-Type = %q, want %s", ct, tt.wantPrefix)
			}
			if tt.status == http.StatusOK && len(resp.body) == 0 {
				t.Errorf("empty file")
			}
			if tt.status == http.StatusOK && resp.Header.Get("X-Content-Type-Options") != "nosniff" {
				t.Errorf("static file without nosniff")
			}
		})
	}
}

func TestNotFoundPage(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	resp := app.get(t, app.client(t), "/definitely/not/here")
	resp.wantStatus(t, http.StatusNotFound)
	doc := resp.doc(t)
	if h1 := squash(text(find(doc, byTag("h1")))); h1 != "Not found" {
		t.Errorf("404 page heading = %q", h1)
	}
	if find(doc, func(n *html.Node) bool { return n.Data == "a" && attr(n, "href") == "/" }) == nil {
		t.Errorf("404 page has no way back home")
	}
}

// TestMalformedFormBodies: a body that does not decode as a form is the
// client's mistake, answered with 400, never a 500.
func TestMalformedFormBodies(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	c := app.client(t)
	app.signIn(t, c)
	tk := app.createTicket(t, "Ada", "+14155552671", "Help")

	paths := []string{"/tickets", "/login", "/setup", "/tickets/" + tk.ID.Hex() + "/status"}
	bodies := []string{"name=%zz&phone_number=%2", "status=closed;name=x"}
	for _, path := range paths {
		for _, body := range bodies {
			t.Run(path+" "+body, func(t *testing.T) {
				req := app.newRequest(t, http.MethodPost, path, strings.NewReader(body),
					"Content-Type", "application/x-www-form-urlencoded")
				app.do(t, c, req).wantStatus(t, http.StatusBadRequest)
			})
		}
	}
	if got := findTicket(t, app.store, tk.ID.Hex()); got.Status != "open" || len(allTickets(t, app.store)) != 1 {
		t.Errorf("a malformed post changed the store")
	}
	if strings.Contains(app.logs.String(), "level=ERROR") {
		t.Errorf("client mistakes were logged as errors:\n%s", app.logs.String())
	}
}
