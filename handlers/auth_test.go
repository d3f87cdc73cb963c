package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"
)

func TestAgentRoutesNeedSession(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	tk := app.createTicket(t, "Ada", "+14155552671", "Help")
	id := tk.ID.Hex()

	tests := []struct {
		method, path string
		wantNext     string // the ?next= a page redirect carries ("" for posts)
	}{
		{http.MethodGet, "/dashboard", "/dashboard"},
		{http.MethodGet, "/dashboard?before=x", "/dashboard?before=x"},
		{http.MethodGet, "/tickets/" + id, "/tickets/" + id},
		{http.MethodPost, "/tickets/" + id + "/status", ""},
	}
	for _, tt := range tests {
		t.Run(tt.method+" "+tt.path, func(t *testing.T) {
			c := app.client(t)
			send := func(header ...string) *response {
				var req *http.Request
				if tt.method == http.MethodPost {
					req = app.newRequest(t, tt.method, tt.path, strings.NewReader("status=closed"), header...)
					req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
				} else {
					req = app.newRequest(t, tt.method, tt.path, nil, header...)
				}
				return app.do(t, c, req)
			}

			want := "/login"
			if tt.wantNext != "" {
				want += "?next=" + url.QueryEscape(tt.wantNext)
			}
			send().wantRedirect(t, want)
			send("Accept", "text/html,application/xhtml+xml,*/*;q=0.8").wantRedirect(t, want)

			resp := send("Accept", "application/json")
			resp.wantStatus(t, http.StatusUnauthorized)
			var body map[string]string
			resp.json(t, &body)
			if body["error"] == "" {
				t.Errorf("401 body = %s, want an error message", resp.body)
			}
		})
	}
	if got := findTicket(t, app.store, id); got.Status != "open" {
		t.Errorf("ticket status = %s after anonymous posts, want open", got.Status)
	}
}

func TestLoginCookie(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name       string
		publicURL  string
		wantSecure bool
	}{
		{"http", "", false},
		{"https", "https://support.example.com", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			app := newTestApp(t, withEnv("PUBLIC_URL", tt.publicURL))
			agent := app.newAgent(t)
			resp := app.postForm(t, app.client(t), "/login", url.Values{"email": {agent.Email}, "password": {testPassword}})
			resp.wantRedirect(t, "/dashboard")
			ck := resp.cookie("ringdesk_session")
			if ck == nil || ck.Value == "" {
				t.Fatalf("no session cookie in %q", resp.Header.Values("Set-Cookie"))
			}
			got := cookieFlags{HttpOnly: ck.HttpOnly, Secure: ck.Secure, SameSite: ck.SameSite, Path: ck.Path}
			want := cookieFlags{HttpOnly: true, Secure: tt.wantSecure, SameSite: http.SameSiteLaxMode, Path: "/"}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("session cookie (-want +got):\n%s", diff)
			}
		})
	}
}

type cookieFlags struct {
	HttpOnly, Secure bool
	SameSite         http.SameSite
	Path             string
}

func TestLoginFailures(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	agent := app.newAgent(t)

	tests := []struct{ name, email, password string }{
		{"wrong password", agent.Email, "not the password at all"},
		{"unknown email", "nobody@example.com", testPassword},
		{"email in other case, wrong password", strings.ToUpper(agent.Email), "not the password at all"},
	}
	type outcome struct {
		Status  int
		Message string
		Cookie  bool
	}
	var first *outcome
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := app.postForm(t, app.client(t), "/login", url.Values{"email": {tt.email}, "password": {tt.password}})
			doc := resp.doc(t)
			got := outcome{
				Status:  resp.StatusCode,
				Message: squash(text(find(doc, byClass("error-summary")))),
				Cookie:  resp.cookie("ringdesk_session") != nil,
			}
			if got.Status < 400 || got.Message == "" || got.Cookie {
				t.Fatalf("failed sign-in answered %+v, want a 4xx with a message and no session", got)
			}
			if fieldValue(t, doc, "email") != tt.email {
				t.Errorf("email field = %q, want the typed %q", fieldValue(t, doc, "email"), tt.email)
			}
			if first == nil {
				first = &got
				return
			}
			if diff := cmp.Diff(*first, got); diff != "" {
				t.Errorf("answers differ, revealing which accounts exist (-first +this):\n%s", diff)
			}
		})
	}
}

func TestLoginNext(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	agent := app.newAgent(t)
	session := app.client(t)
	app.signIn(t, session)
	cookie := "ringdesk_session=" + app.sessionCookie(t, session)

	tests := []struct{ next, want string }{
		{"", "/dashboard"},
		{"/tickets/0123456789abcdef01234567", "/tickets/0123456789abcdef01234567"},
		{"/dashboard?before=1-2", "/dashboard?before=1-2"},
		{"//evil.example", "/dashboard"},
		{"//evil.example/path", "/dashboard"},
		{`/\evil.example`, "/dashboard"},
		{"https://evil.example", "/dashboard"},
		{"https://evil.example/dashboard", "/dashboard"},
		{"evil.example", "/dashboard"},
		{"javascript:alert(1)", "/dashboard"},
		// Browsers drop tabs and newlines from URLs: these become //evil.example.
		{"/\t/evil.example", "/dashboard"},
		{"/\n/evil.example", "/dashboard"},
		{"/\r\n/evil.example", "/dashboard"},
	}
	for _, tt := range tests {
		t.Run(tt.next, func(t *testing.T) {
			// The login page carries next into its form...
			page := app.get(t, app.client(t), "/login?next="+url.QueryEscape(tt.next))
			page.wantStatus(t, http.StatusOK)
			// (HTML parsing turns CR LF into LF, as browsers do.)
			if got, want := fieldValue(t, page.doc(t), "next"), strings.ReplaceAll(tt.next, "\r\n", "\n"); got != want {
				t.Errorf("login form next = %q, want %q", got, want)
			}

			// ...and the post honours it only when it stays on this site.
			// Raw round trips: a client would refuse some Locations itself.
			form := url.Values{"email": {agent.Email}, "password": {testPassword}, "next": {tt.next}}
			req := app.newRequest(t, http.MethodPost, "/login", strings.NewReader(form.Encode()),
				"Content-Type", "application/x-www-form-urlencoded")
			app.roundTrip(t, req).wantRedirect(t, tt.want)

			// So does the login page for an agent who is already signed in.
			req = app.newRequest(t, http.MethodGet, "/login?next="+url.QueryEscape(tt.next), nil, "Cookie", cookie)
			app.roundTrip(t, req).wantRedirect(t, tt.want)
		})
	}
}

func TestLoginThrottlePerAccount(t *testing.T) {
	t.Parallel()
	app := newTestApp(t, withRealRateLimits())
	agent := app.newAgent(t)
	c := app.client(t)

	for i := range 5 {
		resp := app.postForm(t, c, "/login", url.Values{"email": {agent.Email}, "password": {"wrong password " + string(rune('a'+i))}})
		resp.wantStatus(t, http.StatusUnauthorized)
	}
	resp := app.postForm(t, c, "/login", url.Values{"email": {agent.Email}, "password": {testPassword}})
	resp.wantStatus(t, http.StatusTooManyRequests)
	wantRetryAfter(t, resp)
	if resp.cookie("ringdesk_session") != nil {
		t.Errorf("a throttled sign-in set a session cookie")
	}
	if msg := text(find(resp.doc(t), byClass("error-summary"))); !strings.Contains(msg, "Too many") {
		t.Errorf("throttled page says %q", squash(msg))
	}

	// The limit is per account: another agent from the same address is fine.
	other := app.newAgent(t)
	app.postForm(t, c, "/login", url.Values{"email": {other.Email}, "password": {testPassword}}).wantRedirect(t, "/dashboard")
}

func TestLoginThrottlePerIP(t *testing.T) {
	t.Parallel()
	app := newTestApp(t, withRealRateLimits())
	agent := app.newAgent(t)
	c := app.client(t)

	// 20 failures spread over accounts, none of which reaches its own limit;
	// each claims another address, which must not help without trusted proxies.
	for i := range 20 {
		email := "guess" + string(rune('a'+i/4)) + "@example.com"
		resp := app.postForm(t, c, "/login", url.Values{"email": {email}, "password": {"wrong password"}},
			"X-Forwarded-For", "203.0.113."+string(rune('0'+i%10)))
		resp.wantStatus(t, http.StatusUnauthorized)
	}
	resp := app.postForm(t, c, "/login", url.Values{"email": {agent.Email}, "password": {testPassword}},
		"X-Forwarded-For", "198.51.100.1")
	resp.wantStatus(t, http.StatusTooManyRequests)
	wantRetryAfter(t, resp)
}

func TestLogoutRevokesSession(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	c := app.client(t)
	app.signIn(t, c)
	old := app.sessionCookie(t, c)
	app.get(t, c, "/dashboard").wantStatus(t, http.StatusOK)

	resp := app.postForm(t, c, "/logout", nil)
	resp.wantRedirect(t, "/login")
	ck := resp.cookie("ringdesk_session")
	if ck == nil || ck.Value != "" || ck.MaxAge >= 0 {
		t.Errorf("logout Set-Cookie = %q, want the session cookie cleared", resp.Header.Values("Set-Cookie"))
	}
	if got := app.sessionCookie(t, c); got != "" {
		t.Errorf("browser still holds a session cookie after logout")
	}
	app.get(t, c, "/dashboard").wantRedirect(t, "/login?next=%2Fdashboard")

	// A copy of the old cookie no longer opens the dashboard.
	replay := app.client(t)
	app.get(t, replay, "/dashboard", "Cookie", "ringdesk_session="+old).wantRedirect(t, "/login?next=%2Fdashboard")
	resp = app.get(t, replay, "/tickets/0123456789abcdef01234567", "Cookie", "ringdesk_session="+old, "Accept", "application/json")
	resp.wantStatus(t, http.StatusUnauthorized)
}

func TestForgedSessions(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	agent := app.newAgent(t)
	now := time.Now()
	claims := func(exp time.Time) jwt.MapClaims {
		return jwt.MapClaims{
			"name": agent.Name, "iss": "ringdesk", "sub": agent.ID.Hex(), "jti": "0123456789abcdef",
			"iat": now.Add(-time.Minute).Unix(), "exp": exp.Unix(),
		}
	}
	sign := func(t *testing.T, m jwt.SigningMethod, key any, c jwt.MapClaims) string {
		t.Helper()
		s, err := jwt.NewWithClaims(m, c).SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	secret := []byte(testSecret)
	noExp := claims(now)
	delete(noExp, "exp")
	otherIssuer := claims(now.Add(time.Hour))
	otherIssuer["iss"] = "someone-else"

	tests := []struct {
		name   string
		cookie func(t *testing.T) string
		wantOK bool
	}{
		{"genuine (control)", func(t *testing.T) string { return sign(t, jwt.SigningMethodHS256, secret, claims(now.Add(time.Hour))) }, true},
		{"another key", func(t *testing.T) string {
			return sign(t, jwt.SigningMethodHS256, []byte("another-secret-0123456789abcdefgh"), claims(now.Add(time.Hour)))
		}, false},
		{"alg none", func(t *testing.T) string {
			return sign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, claims(now.Add(time.Hour)))
		}, false},
		{"expired", func(t *testing.T) string {
			return sign(t, jwt.SigningMethodHS256, secret, claims(now.Add(-time.Minute)))
		}, false},
		{"no expiry", func(t *testing.T) string { return sign(t, jwt.SigningMethodHS256, secret, noExp) }, false},
		{"HS384", func(t *testing.T) string { return sign(t, jwt.SigningMethodHS384, secret, claims(now.Add(time.Hour))) }, false},
		{"HS512", func(t *testing.T) string { return sign(t, jwt.SigningMethodHS512, secret, claims(now.Add(time.Hour))) }, false},
		{"other issuer", func(t *testing.T) string { return sign(t, jwt.SigningMethodHS256, secret, otherIssuer) }, false},
		{"garbage", func(*testing.T) string { return "not.a.jwt" }, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := app.get(t, app.client(t), "/dashboard", "Cookie", "ringdesk_session="+tt.cookie(t))
			if tt.wantOK {
				resp.wantStatus(t, http.StatusOK)
				return
			}
			resp.wantRedirect(t, "/login?next=%2Fdashboard")
		})
	}
}

func TestSessionSurvivesRestart(t *testing.T) {
	t.Parallel()
	first := newTestApp(t)
	c := first.client(t)
	first.signIn(t, c)
	cookie := "ringdesk_session=" + first.sessionCookie(t, c)

	tests := []struct {
		name   string
		secret string
		wantOK bool
	}{
		{"same secret", testSecret, true},
		{"new secret", "a-completely-different-secret-0123456789", false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			second := newTestApp(t, withStore(first.store), withEnv("SESSION_SECRET", tt.secret))
			resp := second.get(t, second.client(t), "/dashboard", "Cookie", cookie)
			if tt.wantOK {
				resp.wantStatus(t, http.StatusOK)
			} else {
				resp.wantRedirect(t, "/login?next=%2Fdashboard")
			}
		})
	}
}
