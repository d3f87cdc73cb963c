package main

import (
	"bytes"
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ringdesk/ringdesk/config"
)

// portOf starts handler on loopback and returns the port it listens on.
func portOf(t *testing.T, handler http.HandlerFunc) int {
	t.Helper()
	srv := httptest.NewServer(handler)
	t.Cleanup(srv.Close)
	_, port, _ := net.SplitHostPort(srv.Listener.Addr().String())
	n, _ := strconv.Atoi(port)
	return n
}

func TestHealthcheck(t *testing.T) {
	ready := func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/readyz" {
			http.NotFound(w, r)
			return
		}
		w.Write([]byte(`{"status":"ok","database":"ok"}`))
	}
	down := func(w http.ResponseWriter, r *http.Request) {
		w.WriteHeader(http.StatusServiceUnavailable)
		w.Write([]byte(`{"status":"unavailable","database":"unreachable"}` + "\n"))
	}
	elsewhere := func(w http.ResponseWriter, r *http.Request) {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
	}
	tests := []struct {
		name    string
		port    int
		wantOut string // on stdout when ready
		wantErr string // in the error otherwise
	}{
		{"ready", portOf(t, ready), "answered 200 OK", ""},
		{"database down", portOf(t, down), "", `answered 503 Service Unavailable: {"status":"unavailable","database":"unreachable"}`},
		{"something else on the port", portOf(t, elsewhere), "", "answered 303 See Other"},
		{"nothing listening", freePort(t), "", "no answer from http://127.0.0.1:"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var out bytes.Buffer
			err := healthcheck(t.Context(), &config.Config{Port: tt.port}, &out)
			if tt.wantErr == "" {
				if err != nil {
					t.Fatalf("healthcheck: %v", err)
				}
				if !strings.Contains(out.String(), tt.wantOut) {
					t.Errorf("stdout %q, want it to contain %q", out.String(), tt.wantOut)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("error %v, want one containing %q", err, tt.wantErr)
			}
			if out.Len() > 0 {
				t.Errorf("stdout %q on failure, want nothing", out.String())
			}
		})
	}
}

// TestHealthcheckGivesUp checks that a server that accepts the connection
// but never answers fails the check within its 3 s, even when the caller
// set no deadline: a container health check must not hang.
func TestHealthcheckGivesUp(t *testing.T) {
	release := make(chan struct{})
	port := portOf(t, func(w http.ResponseWriter, r *http.Request) { <-release })
	defer close(release) // before the server's Close, which waits for the handler

	start := time.Now()
	err := healthcheck(context.Background(), &config.Config{Port: port}, &bytes.Buffer{})
	if err == nil {
		t.Fatal("healthcheck passed against a server that never answered")
	}
	if took := time.Since(start); took < healthcheckTimeout-100*time.Millisecond || took > healthcheckTimeout+2*time.Second {
		t.Errorf("gave up after %v, want about %v", took, healthcheckTimeout)
	}
}

func TestLocalAddr(t *testing.T) {
	for host, want := range map[string]string{
		"":          "127.0.0.1",
		"0.0.0.0":   "127.0.0.1",
		"::":        "::1",
		"127.0.0.1": "127.0.0.1",
		"::1":       "::1",
		"10.1.2.3":  "10.1.2.3",
		"localhost": "localhost",
	} {
		if got := localAddr(host); got != want {
			t.Errorf("localAddr(%q) = %q, want %q", host, got, want)
		}
	}
}

// TestHealthcheckCommand runs "ringdesk healthcheck" as the Docker image's
// HEALTHCHECK does: settings from the environment, exit status from the
// answer of /readyz on PORT.
func TestHealthcheckCommand(t *testing.T) {
	t.Chdir(t.TempDir()) // no .env
	var status atomic.Int32
	status.Store(http.StatusOK)
	port := portOf(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(int(status.Load())) })
	env := map[string]string{"PORT": strconv.Itoa(port), "DATA_DIR": t.TempDir()}
	if out, _, err := cliRun(t, env, "", "healthcheck"); err != nil || !strings.Contains(out, "ready") {
		t.Errorf("ringdesk healthcheck on a ready server: %v, stdout %q", err, out)
	}
	status.Store(http.StatusServiceUnavailable)
	if _, _, err := cliRun(t, env, "", "healthcheck"); err == nil || !strings.Contains(err.Error(), "503") {
		t.Errorf("ringdesk healthcheck on an unready server: %v, want a 503 error", err)
	}
}
