package main

import (
	"context"
	"net/http"
	"strconv"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/ringdesk/ringdesk/handlers/twiliotest"
)

// TestRunClosesSoundCheckSockets stops the real program with a sound-check
// socket open: http.Server.Shutdown does not track hijacked connections,
// so the wiring must close it, with 1001 (going away), and still return
// promptly.
func TestRunClosesSoundCheckSockets(t *testing.T) {
	t.Chdir(t.TempDir())
	port := freePort(t)
	base := "http://127.0.0.1:" + strconv.Itoa(port)
	vals := twiliotest.Env(base)
	vals["PORT"], vals["DATA_DIR"] = strconv.Itoa(port), t.TempDir()
	srv := startRun(t, func(k string) string { return vals[k] })
	waitForReady(t, base+"/healthz", srv)

	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	streamURL := "ws://127.0.0.1:" + strconv.Itoa(port) + "/media"
	conn, _, err := websocket.Dial(ctx, streamURL, &websocket.DialOptions{
		HTTPHeader: http.Header{"X-Twilio-Signature": {twiliotest.Sign(twiliotest.AuthToken, streamURL, nil)}},
	})
	if err != nil {
		t.Fatalf("dial %s: %v", streamURL, err)
	}
	defer conn.CloseNow()
	closed := make(chan error, 1)
	go func() {
		_, _, err := conn.Read(context.Background())
		closed <- err
	}()

	srv.stop(t)
	select {
	case err := <-closed:
		if got := websocket.CloseStatus(err); got != websocket.StatusGoingAway {
			t.Errorf("socket ended with %v, want status 1001", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("the socket was still open after the server stopped")
	}
}
