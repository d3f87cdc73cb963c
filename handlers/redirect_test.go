package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// browserResolve resolves a Location header the way a browser's URL
// parser does for an http page: leading and trailing C0 controls and
// spaces are trimmed, tabs and newlines anywhere are dropped, a backslash
// counts as a slash, and two or more slashes start a host. net/url alone
// does none of that, which is how "/\evil.example" passed for a local
// path.
func browserResolve(t testing.TB, base *url.URL, location string) *url.URL {
	t.Helper()
	loc := strings.TrimFunc(location, func(r rune) bool { return r <= ' ' })
	loc = strings.NewReplacer("\t", "", "\n", "", "\r", "", `\`, "/").Replace(loc)
	if strings.HasPrefix(loc, "//") {
		// Any number of slashes starts an authority: "///host" is host.
		loc = "//" + strings.TrimLeft(loc, "/")
	}
	ref, err := url.Parse(loc)
	if err != nil {
		// A browser would still try; treat it as leaving the site.
		return &url.URL{Scheme: "https", Host: "unparseable.invalid"}
	}
	return base.ResolveReference(ref)
}

// TestLoginNextStaysOnSite signs in with tricky next= values, as they
// arrive in the query string of /login (so the server decodes them), and
// follows each redirect as a browser would: it must land on this site.
func TestLoginNextStaysOnSite(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	agent := app.newAgent(t)
	session := app.client(t)
	app.signIn(t, session)
	cookie := "ringdesk_session=" + app.sessionCookie(t, session)
	base, _ := url.Parse("http://localhost/login")

	// Raw query values, exactly as an attacker's link would carry them.
	tricky := []string{
		"//x", "/\\x", "/%5Cx", "/%5C%5Cx", "/%09/x", "/%0A/x", "/%0D%0A/x", "https:x", "https:/x", "https://x",
		"/./%5Cevil.example", "/.%5Cevil.example", "/../%5Cevil.example", "/x/../%5C%5Cevil.example",
		"/%09/evil.example", "%2F%2Fx", "%2F%5Cx", "/%2F/x", "/%2F%2Fx", "/.//x", "/..//x",
		"%5C%5Cx", "/%20/x", "%20//x", "/%00/x", "/%E3%80%80/x", "javascript:alert(1)", "/%2e%2e//x",
		"//%09x", "/%5C/x", "///x", "/x?//y", "/dashboard#//x", "%0A//x", "x", ".//x", "/;//x",
		"/%EF%BC%8F%EF%BC%8Fx", // fullwidth solidus
	}
	for _, raw := range tricky {
		t.Run(raw, func(t *testing.T) {
			next, err := url.QueryUnescape(raw)
			if err != nil {
				t.Fatal(err)
			}
			// Signing in with the form the login page carries next into...
			form := url.Values{"email": {agent.Email}, "password": {testPassword}, "next": {next}}
			req := app.newRequest(t, http.MethodPost, "/login", strings.NewReader(form.Encode()),
				"Content-Type", "application/x-www-form-urlencoded")
			// ...and visiting /login already signed in.
			again := app.newRequest(t, http.MethodGet, "/", nil, "Cookie", cookie)
			again.URL.RawQuery = "next=" + raw
			again.URL.Path = "/login"
			for _, req := range []*http.Request{req, again} {
				resp := app.roundTrip(t, req)
				resp.wantStatus(t, http.StatusSeeOther)
				loc := resp.Header.Get("Location")
				got := browserResolve(t, base, loc)
				if got.Scheme != "http" || got.Host != "localhost" {
					t.Errorf("%s: next=%q redirects to %q, which a browser opens as %s", req.Method, next, loc, got)
				}
			}
		})
	}
}
