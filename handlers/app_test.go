package handlers_test

// The harness every handler test uses: a real store on the embedded
// database, the real router from (*handlers.Handler).Routes() behind an
// httptest.Server, and clients that keep cookies but never follow
// redirects, so each test sees exactly what the server answered.

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/ringdesk/ringdesk/config"
	"github.com/ringdesk/ringdesk/handlers"
	"github.com/ringdesk/ringdesk/models"
	"github.com/ringdesk/ringdesk/models/storetest"
)

// testSecret signs sessions in every test app unless a test picks another.
const testSecret = "test-session-secret-0123456789abcdef"

// testMetricsToken opens /metrics in every test app unless a test unsets
// it; metricsAuth is the header a scraper sends with it.
const testMetricsToken = "test-metrics-token-0123456789"

var metricsAuth = []string{"Authorization", "Bearer " + testMetricsToken}

// defaultStoreTimeout bounds the tests' own reads of the store.
const defaultStoreTimeout = 10 * time.Second

// testPassword is every test agent's password.
const testPassword = "correct horse battery staple"

// testApp is one running Ringdesk: its store, handler and HTTP server.
type testApp struct {
	store  *models.Store
	cfg    *config.Config
	h      *handlers.Handler
	router http.Handler // what srv serves; benchmarks call it directly
	srv    *httptest.Server
	logs   *syncBuffer
	agents atomic.Int64 // numbers test agents' emails
	// vonageClock, when set, is the clock Vonage signs webhooks by.
	vonageClock func() time.Time
}

type appOptions struct {
	env   map[string]string
	store *models.Store
}

type appOption func(*appOptions)

// withEnv sets one environment variable for config.Load; an empty value
// unsets a default.
func withEnv(k, v string) appOption { return func(o *appOptions) { o.env[k] = v } }

// withStore builds the app on an existing store instead of a fresh one.
func withStore(s *models.Store) appOption { return func(o *appOptions) { o.store = s } }

// withRealRateLimits keeps the production limits. Every other app raises
// them, so that tests which are not about limits never trip one.
func withRealRateLimits() appOption { return withEnv("RATE_LIMIT_SCALE", "") }

// newTestApp starts an app on a fresh database.
func newTestApp(t testing.TB, opts ...appOption) *testApp {
	t.Helper()
	o := appOptions{env: map[string]string{
		"SESSION_SECRET":   testSecret,
		"RATE_LIMIT_SCALE": "1000",
		"METRICS_TOKEN":    testMetricsToken,
	}}
	for _, opt := range opts {
		opt(&o)
	}
	cfg, err := config.Load(func(k string) string { return o.env[k] })
	if err != nil {
		t.Fatalf("load config: %v", err)
	}
	if len(cfg.SessionSecret) < 32 {
		t.Fatalf("test config has a %d-byte session secret; want 32 or more", len(cfg.SessionSecret))
	}
	if o.store == nil {
		o.store = storetest.New(t)
	}
	logs := &syncBuffer{}
	log := slog.New(slog.NewTextHandler(logs, &slog.HandlerOptions{Level: slog.LevelDebug}))
	if _, bench := t.(*testing.B); bench {
		log = slog.New(slog.DiscardHandler) // a benchmark's log would grow without bound
	}
	h, err := handlers.New(handlers.StoreDeps(cfg, o.store, log))
	if err != nil {
		t.Fatalf("handlers.New: %v", err)
	}
	router, err := h.Routes()
	if err != nil {
		t.Fatalf("Routes: %v", err)
	}
	srv := httptest.NewServer(router)
	t.Cleanup(func() {
		srv.Close()
		if t.Failed() {
			t.Logf("server log:\n%s", logs.String())
		}
	})
	return &testApp{store: o.store, cfg: cfg, h: h, router: router, srv: srv, logs: logs}
}

// client returns a browser-like client: its own cookie jar, no redirects
// followed, and every response checked by checkingTransport.
func (a *testApp) client(t testing.TB) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{
		Jar:           jar,
		Transport:     checkingTransport{t: t, base: http.DefaultTransport},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// response is an answer with its body already read.
type response struct {
	*http.Response
	body string
}

// doc parses the body as HTML.
func (r *response) doc(t testing.TB) *html.Node {
	t.Helper()
	n, err := html.Parse(strings.NewReader(r.body))
	if err != nil {
		t.Fatalf("parse HTML: %v", err)
	}
	return n
}

// json decodes the body into v, failing the test if it is not JSON.
func (r *response) json(t testing.TB, v any) {
	t.Helper()
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Fatalf("Content-Type = %q, want application/json; body:\n%s", ct, r.body)
	}
	if err := json.Unmarshal([]byte(r.body), v); err != nil {
		t.Fatalf("decode JSON %q: %v", r.body, err)
	}
}

// cookie returns the Set-Cookie named name, or nil.
func (r *response) cookie(name string) *http.Cookie {
	for _, c := range r.Cookies() {
		if c.Name == name {
			return c
		}
	}
	return nil
}

// wantStatus fails the test unless the status is want.
func (r *response) wantStatus(t testing.TB, want int) {
	t.Helper()
	if r.StatusCode != want {
		t.Fatalf("%s %s: status = %d, want %d; body:\n%s", r.Request.Method, r.Request.URL.Path, r.StatusCode, want, truncate(r.body, 2000))
	}
}

// wantRedirect fails the test unless the answer is 303 to location.
func (r *response) wantRedirect(t testing.TB, location string) {
	t.Helper()
	r.wantStatus(t, http.StatusSeeOther)
	if got := r.Header.Get("Location"); got != location {
		t.Fatalf("%s %s: Location = %q, want %q", r.Request.Method, r.Request.URL.Path, got, location)
	}
}

// do sends req with c and reads the whole answer.
func (a *testApp) do(t testing.TB, c *http.Client, req *http.Request) *response {
	t.Helper()
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", req.Method, req.URL, err)
	}
	return &response{Response: resp, body: string(b)}
}

// roundTrip sends req without a client: no cookie jar and no parsing of
// Location, so a test sees even a redirect target a client would reject.
func (a *testApp) roundTrip(t testing.TB, req *http.Request) *response {
	t.Helper()
	resp, err := checkingTransport{t: t, base: http.DefaultTransport}.RoundTrip(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read body: %v", req.Method, req.URL, err)
	}
	return &response{Response: resp, body: string(b)}
}

// newRequest builds a request to the app; header is a list of name, value
// pairs.
func (a *testApp) newRequest(t testing.TB, method, path string, body io.Reader, header ...string) *http.Request {
	t.Helper()
	if len(header)%2 != 0 {
		t.Fatalf("newRequest: odd header list %q", header)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, a.srv.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	for i := 0; i < len(header); i += 2 {
		if header[i+1] != "" { // an empty value leaves the header out
			req.Header.Set(header[i], header[i+1])
		}
	}
	return req
}

// get sends a GET request.
func (a *testApp) get(t testing.TB, c *http.Client, path string, header ...string) *response {
	t.Helper()
	return a.do(t, c, a.newRequest(t, http.MethodGet, path, nil, header...))
}

// postForm posts form as application/x-www-form-urlencoded.
func (a *testApp) postForm(t testing.TB, c *http.Client, path string, form url.Values, header ...string) *response {
	t.Helper()
	req := a.newRequest(t, http.MethodPost, path, strings.NewReader(form.Encode()), header...)
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	return a.do(t, c, req)
}

// postJSON posts body (a string is sent as is, anything else is encoded).
func (a *testApp) postJSON(t testing.TB, c *http.Client, path string, body any, header ...string) *response {
	t.Helper()
	var b []byte
	switch v := body.(type) {
	case string:
		b = []byte(v)
	default:
		var err error
		if b, err = json.Marshal(v); err != nil {
			t.Fatal(err)
		}
	}
	req := a.newRequest(t, http.MethodPost, path, bytes.NewReader(b), header...)
	req.Header.Set("Content-Type", "application/json")
	return a.do(t, c, req)
}

// newAgent stores an agent with testPassword and a unique email.
func (a *testApp) newAgent(t testing.TB) *models.Agent {
	t.Helper()
	n := a.agents.Add(1)
	agent, err := a.store.Agents.Create(t.Context(), models.AgentInput{
		Email:    fmt.Sprintf("agent%d@example.com", n),
		Name:     fmt.Sprintf("Agent %d", n),
		Password: testPassword,
	})
	if err != nil {
		t.Fatalf("create agent: %v", err)
	}
	return agent
}

// signIn creates an agent and signs c in as that agent.
func (a *testApp) signIn(t testing.TB, c *http.Client) *models.Agent {
	t.Helper()
	agent := a.newAgent(t)
	a.postForm(t, c, "/login", url.Values{"email": {agent.Email}, "password": {testPassword}}).
		wantRedirect(t, "/dashboard")
	return agent
}

// sessionCookie returns the session cookie c holds for the app, or "".
func (a *testApp) sessionCookie(t testing.TB, c *http.Client) string {
	t.Helper()
	u, _ := url.Parse(a.srv.URL)
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == "ringdesk_session" {
			return ck.Value
		}
	}
	return ""
}

// createTicket stores a ticket directly, bypassing HTTP.
func (a *testApp) createTicket(t testing.TB, name, phone, description string) *models.Ticket {
	t.Helper()
	return storeTicket(t, a.store, name, phone, description)
}

func storeTicket(t testing.TB, s *models.Store, name, phone, description string) *models.Ticket {
	t.Helper()
	tk, err := models.TicketInput{Name: name, PhoneNumber: phone, Description: description}.Validate("US")
	if err != nil {
		t.Fatalf("validate ticket: %v", err)
	}
	if _, err := s.Tickets.Create(t.Context(), &tk); err != nil {
		t.Fatalf("create ticket: %v", err)
	}
	return &tk
}

// allTickets lists every stored ticket, newest first.
func allTickets(t testing.TB, s *models.Store) []models.Ticket {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), defaultStoreTimeout)
	defer cancel()
	tickets, _, err := s.Tickets.List(ctx, nil, 10000)
	if err != nil {
		t.Fatalf("list tickets: %v", err)
	}
	return tickets
}

// leaks are fragments of internal errors that must never reach a user.
var leaks = []string{
	"mongo", "context deadline", "context canceled", "server selection",
	"connection refused", "sqlite", "ferretdb", "goroutine ", "panic:",
	"invalid input:", "runtime error",
}

// checkingTransport checks every response a test client receives: no
// internal error text in any body, and security headers on every page.
type checkingTransport struct {
	t    testing.TB
	base http.RoundTripper
}

func (ct checkingTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	resp, err := ct.base.RoundTrip(req)
	if err != nil {
		return resp, err
	}
	b, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(b))
	where := req.Method + " " + req.URL.Path
	if req.URL.Path != "/metrics" { // Prometheus text names Go runtime internals
		lower := strings.ToLower(string(b))
		for _, leak := range leaks {
			if strings.Contains(lower, leak) {
				ct.t.Errorf("%s: body contains internal error text %q:\n%s", where, leak, truncate(string(b), 2000))
			}
		}
	}
	if strings.HasPrefix(resp.Header.Get("Content-Type"), "text/html") {
		if problems := securityHeaderProblems(resp.Header); len(problems) > 0 {
			ct.t.Errorf("%s (status %d): security headers: %s", where, resp.StatusCode, strings.Join(problems, "; "))
		}
	}
	return resp, nil
}

// securityHeaderProblems lists what is missing from a page's headers.
func securityHeaderProblems(h http.Header) []string {
	var problems []string
	csp := h.Get("Content-Security-Policy")
	directives := map[string][]string{}
	for _, d := range strings.Split(csp, ";") {
		if f := strings.Fields(d); len(f) > 0 {
			directives[strings.ToLower(f[0])] = f[1:]
		}
	}
	scriptSrc, ok := directives["script-src"]
	if !ok {
		scriptSrc = directives["default-src"]
	}
	if !contains(scriptSrc, "'self'") {
		problems = append(problems, fmt.Sprintf("CSP %q lacks script-src 'self'", csp))
	}
	if strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
		problems = append(problems, fmt.Sprintf("CSP %q allows unsafe sources", csp))
	}
	if got := h.Get("X-Content-Type-Options"); got != "nosniff" {
		problems = append(problems, fmt.Sprintf("X-Content-Type-Options = %q", got))
	}
	xfo := strings.ToUpper(h.Get("X-Frame-Options"))
	if xfo != "DENY" && xfo != "SAMEORIGIN" && !contains(directives["frame-ancestors"], "'none'") {
		problems = append(problems, "neither X-Frame-Options nor frame-ancestors forbids framing")
	}
	if h.Get("Referrer-Policy") == "" {
		problems = append(problems, "no Referrer-Policy")
	}
	return problems
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…"
}

// syncBuffer is a bytes.Buffer that the server's goroutines may write to
// while a test reads it.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
