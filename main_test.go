package main

import (
	"bytes"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// TestRun starts the real program twice on one data directory, the way an
// operator would: serve, stop, add an agent from the shell, serve again.
func TestRun(t *testing.T) {
	t.Chdir(t.TempDir()) // no stray .env from the working tree
	dataDir := t.TempDir()
	env := func(port int) func(string) string {
		vals := map[string]string{"PORT": strconv.Itoa(port), "DATA_DIR": dataDir}
		return func(k string) string { return vals[k] }
	}

	// First start: no agents yet, so a set-up link is logged.
	port := freePort(t)
	srv := startRun(t, env(port))
	base := "http://127.0.0.1:" + strconv.Itoa(port)
	waitForReady(t, base+"/healthz", srv)
	logs := srv.stderr.String()
	for _, want := range []string{"store ready", dataDir, "/setup?token="} {
		if !strings.Contains(logs, want) {
			t.Errorf("start-up log does not mention %q:\n%s", want, logs)
		}
	}
	c := newClient(t)
	resp := postForm(t, c, base+"/tickets", url.Values{
		"name": {"Main Wiring"}, "phone_number": {"+14155552671"}, "description": {"Survives a restart"},
	})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("POST /tickets = %d, want 303", resp.StatusCode)
	}
	srv.stop(t)

	// Add an agent from the shell while the server is down.
	t.Run("agent add", func(t *testing.T) {
		tests := []struct {
			name     string
			email    string
			password string
			wantErr  string // "" for success
		}{
			{"short password", "short@b.co", "short\n", "10 characters"},
			{"no email", "", "long enough password\n", "--email"},
			{"ok", "a@b.co", "long enough password\n", ""},
			{"taken", "a@b.co", "long enough password\n", "already exists"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				var stdout, stderr bytes.Buffer
				args := []string{"agent", "add", "--name", "A"}
				if tt.email != "" {
					args = append(args, "--email", tt.email)
				}
				err := run(t.Context(), args, env(3000), strings.NewReader(tt.password), &stdout, &stderr)
				switch {
				case tt.wantErr == "" && err != nil:
					t.Fatalf("agent add: %v", err)
				case tt.wantErr == "" && !strings.Contains(stdout.String(), "a@b.co"):
					t.Errorf("agent add printed %q, want a confirmation naming the agent", stdout.String())
				case tt.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tt.wantErr)):
					t.Errorf("agent add error = %v, want one mentioning %q", err, tt.wantErr)
				}
			})
		}
	})

	// Second start on the same data: the ticket is there and the agent
	// added from the shell can sign in to see it.
	port = freePort(t)
	srv = startRun(t, env(port))
	base = "http://127.0.0.1:" + strconv.Itoa(port)
	waitForReady(t, base+"/healthz", srv)
	if strings.Contains(srv.stderr.String(), "/setup?token=") {
		t.Errorf("a set-up link was logged although an agent exists")
	}
	c = newClient(t)
	resp = postForm(t, c, base+"/login", url.Values{"email": {"a@b.co"}, "password": {"long enough password"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/dashboard" {
		t.Fatalf("sign-in = %d to %q, want 303 to /dashboard", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, body := get(t, c, base+"/dashboard")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Main Wiring") || !strings.Contains(body, "Survives a restart") {
		t.Errorf("dashboard after restart = %d, want 200 listing the ticket:\n%s", resp.StatusCode, body)
	}
	srv.stop(t)
}

func TestRunBadPort(t *testing.T) {
	t.Chdir(t.TempDir())
	busy, err := net.Listen("tcp", ":0")
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	busyPort := strconv.Itoa(busy.Addr().(*net.TCPAddr).Port)

	for _, port := range []string{"abc", "0", "65536", "-1", busyPort} {
		t.Run(port, func(t *testing.T) {
			vals := map[string]string{"PORT": port, "DATA_DIR": t.TempDir()}
			ctx, cancel := context.WithTimeout(t.Context(), 60*time.Second)
			defer cancel()
			var logs bytes.Buffer
			err := run(ctx, nil, func(k string) string { return vals[k] }, strings.NewReader(""), io.Discard, &logs)
			if err == nil || !strings.HasPrefix(err.Error(), "PORT") {
				t.Errorf("run with PORT=%s: err = %v, want one starting with PORT", port, err)
			}
			if port == busyPort && !strings.Contains(err.Error(), "already in use") {
				t.Errorf("taken port: err = %v, want one saying the port is in use", err)
			}
			// Nothing a person might act on is printed before start-up
			// has failed.
			if strings.Contains(logs.String(), "/setup?token=") {
				t.Errorf("a set-up link was printed although start-up failed:\n%s", logs.String())
			}
		})
	}
}

// running is a run() in a goroutine.
type running struct {
	cancel context.CancelFunc
	done   chan error
	stderr *syncBuffer
}

func startRun(t *testing.T, getenv func(string) string) *running {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	r := &running{cancel: cancel, done: make(chan error, 1), stderr: &syncBuffer{}}
	go func() { r.done <- run(ctx, []string{}, getenv, strings.NewReader(""), io.Discard, r.stderr) }()
	t.Cleanup(func() {
		cancel()
		select {
		case <-r.done:
		case <-time.After(30 * time.Second):
		}
		if t.Failed() {
			t.Logf("server log:\n%s", r.stderr.String())
		}
	})
	return r
}

// stop cancels run's context and expects a clean return within 20 s.
func (r *running) stop(t *testing.T) {
	t.Helper()
	r.cancel()
	select {
	case err := <-r.done:
		if err != nil {
			t.Fatalf("run returned %v after shutdown, want nil", err)
		}
		r.done <- nil // for the cleanup
	case <-time.After(20 * time.Second):
		t.Fatalf("run did not return within 20 s of shutdown")
	}
}

// waitForReady polls url until it answers 200, as in Mat Ryer's "How I
// write HTTP services".
func waitForReady(t *testing.T, url string, r *running) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		select {
		case err := <-r.done:
			t.Fatalf("run returned early: %v\n%s", err, r.stderr.String())
		default:
		}
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, url, nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("%s not ready within 60 s:\n%s", url, r.stderr.String())
}

func newClient(t *testing.T) *http.Client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &http.Client{
		Jar:           jar,
		Transport:     &http.Transport{DisableKeepAlives: true},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

func postForm(t *testing.T, c *http.Client, url string, form url.Values) *http.Response {
	t.Helper()
	resp, err := c.PostForm(url, form)
	if err != nil {
		t.Fatalf("POST %s: %v", url, err)
	}
	io.Copy(io.Discard, resp.Body)
	resp.Body.Close()
	return resp
}

func get(t *testing.T, c *http.Client, url string) (*http.Response, string) {
	t.Helper()
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	return resp, string(b)
}

func freePort(t *testing.T) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}

// syncBuffer collects the server's log while the test reads it.
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

// TestRunFailsBeforeTheSetupLink: every setting that can stop start-up
// does so before the one-time link is printed, in one line naming it.
func TestRunFailsBeforeTheSetupLink(t *testing.T) {
	t.Chdir(t.TempDir())
	tests := []struct {
		name     string
		env      map[string]string
		variable string
	}{
		{"bad trusted proxy", map[string]string{"TRUSTED_PROXIES": "notanip"}, "TRUSTED_PROXIES"},
		{"short admin password", map[string]string{"ADMIN_EMAIL": "ada@example.com", "ADMIN_PASSWORD": "short"}, "ADMIN_EMAIL"},
		{"bad host", map[string]string{"HOST": "nowhere"}, "HOST"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.env["DATA_DIR"] = t.TempDir()
			tt.env["PORT"] = strconv.Itoa(freePort(t))
			var logs bytes.Buffer
			err := run(t.Context(), nil, func(k string) string { return tt.env[k] }, strings.NewReader(""), io.Discard, &logs)
			if err == nil || !strings.HasPrefix(err.Error(), tt.variable) || strings.Contains(err.Error(), "\n") {
				t.Errorf("err = %v, want one line starting with %s", err, tt.variable)
			}
			if strings.Contains(logs.String(), "/setup?token=") {
				t.Errorf("a set-up link was printed although start-up failed:\n%s", logs.String())
			}
		})
	}
}
