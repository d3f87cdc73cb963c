package main

import (
	"bufio"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"
)

// TestRunEndsEventStreamsOnShutdown stops the real program with a
// dashboard's event stream open: Shutdown waits for connections to go
// idle, which a stream never does, so the wiring must end it and run must
// return well before the 20-second shutdown deadline.
func TestRunEndsEventStreamsOnShutdown(t *testing.T) {
	t.Chdir(t.TempDir())
	port := freePort(t)
	base := "http://127.0.0.1:" + strconv.Itoa(port)
	vals := map[string]string{
		"PORT": strconv.Itoa(port), "DATA_DIR": t.TempDir(),
		"ADMIN_EMAIL": "ada@example.com", "ADMIN_PASSWORD": "correct horse battery",
	}
	srv := startRun(t, func(k string) string { return vals[k] })
	waitForReady(t, base+"/healthz", srv)

	jar, _ := cookiejar.New(nil)
	c := &http.Client{Jar: jar, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.PostForm(base+"/login", url.Values{"email": {"ada@example.com"}, "password": {"correct horse battery"}})
	if err != nil || resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("sign in: %v %v", resp, err)
	}
	resp.Body.Close()
	stream, err := c.Get(base + "/events")
	if err != nil || stream.StatusCode != http.StatusOK {
		t.Fatalf("GET /events: %v %v", stream, err)
	}
	defer stream.Body.Close()
	ended := make(chan struct{})
	go func() {
		defer close(ended)
		sc := bufio.NewScanner(stream.Body)
		for sc.Scan() {
			_ = strings.TrimSpace(sc.Text())
		}
	}()

	start := time.Now()
	srv.stop(t)
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("shutdown took %v with an open event stream, want it ended promptly", took)
	}
	select {
	case <-ended:
	case <-time.After(5 * time.Second):
		t.Fatal("the event stream was still open after the server stopped")
	}
}
