package handlers_test

// The Vonage sound-check socket, opened the way Vonage opens the
// websocket endpoint of an NCCO: the one-time token in the URL, a
// websocket:connected text message, then 640-byte binary audio frames.

import (
	"bytes"
	"net/http"
	"net/url"
	"testing"

	"github.com/coder/websocket"

	"github.com/ringdesk/ringdesk/handlers"
)

func TestVonageSocketEcho(t *testing.T) {
	t.Parallel()
	app := newVonageApp(t)
	conn := openVonage(t, app.srv, app.h)
	for range 50 {
		echoOnce(t, conn)
	}
	// Text messages are never echoed: the next message is the echo of the
	// frame sent after them.
	write(t, conn, websocket.MessageText, []byte(`{"event":"websocket:dtmf","digit":"5","duration":250}`))
	write(t, conn, websocket.MessageText, []byte(`not even JSON`))
	echoOnce(t, conn)

	// Frames go back as they come, in order, whatever their size.
	var sent [][]byte
	for _, n := range []int{640, 320, 1, 8 << 10, 640} {
		frame := bytes.Repeat([]byte{byte(n)}, n)
		copy(frame, audioFrame())
		sent = append(sent, frame)
		write(t, conn, websocket.MessageBinary, frame)
	}
	for i, want := range sent {
		typ, got := readMessage(t, conn)
		if typ != websocket.MessageBinary || !bytes.Equal(got, want) {
			t.Fatalf("frame %d: got a %v message of %d bytes, want the %d-byte frame back", i, typ, len(got), len(want))
		}
	}
	if err := conn.Close(websocket.StatusNormalClosure, ""); err != nil {
		t.Errorf("close: %v", err)
	}
}

// TestVonageSocketAnyOrigin: the token authenticates the socket, so a
// client that sends an Origin header (as some WebSocket clients do, with
// the public host a proxy has rewritten) is not refused for it.
func TestVonageSocketAnyOrigin(t *testing.T) {
	t.Parallel()
	app := newVonageApp(t)
	conn := mustDial(t, app.srv, vonagePath(app.h), http.Header{"Origin": {"https://support.example.com"}})
	echoOnce(t, conn)
}

func TestVonageSocketOversizedFrame(t *testing.T) {
	t.Parallel()
	app := newVonageApp(t)
	conn := openVonage(t, app.srv, app.h)
	echoOnce(t, conn)
	write(t, conn, websocket.MessageBinary, make([]byte, 8<<10+1))
	wantClosed(t, conn, websocket.StatusMessageTooBig)
}

func TestVonageSocketNeedsToken(t *testing.T) {
	t.Parallel()
	app := newVonageApp(t)
	used := handlers.NewMediaToken(app.h, "vonage")
	conn := openVonageToken(t, app.srv, used)
	echoOnce(t, conn)

	tests := []struct {
		name  string
		query string
	}{
		{"no token", ""},
		{"empty token", "?token="},
		{"garbage", "?token=not-a-token"},
		{"forged", "?token=" + url.QueryEscape(forge(handlers.NewMediaToken(app.h, "vonage")))},
		{"used, while its socket is open", "?token=" + used},
		{"Twilio token", "?token=" + handlers.NewMediaToken(app.h, "twilio")},
		{"another server's token", "?token=" + otherServerToken(t)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantRefused(t, app.srv, "/socket"+tt.query, nil, http.StatusForbidden)
		})
	}
	conn.Close(websocket.StatusNormalClosure, "")
	wantRefused(t, app.srv, "/socket?token="+used, nil, http.StatusForbidden)
}

// forge changes the last character of token's signature.
func forge(token string) string {
	last := token[len(token)-1]
	if last == 'A' {
		return token[:len(token)-1] + "B"
	}
	return token[:len(token)-1] + "A"
}

// otherServerToken is a well-formed token signed with another secret.
func otherServerToken(t testing.TB) string {
	t.Helper()
	other := newTestApp(t, withEnv("SESSION_SECRET", "another-session-secret-0123456789abcdef"))
	return handlers.NewMediaToken(other.h, "vonage")
}
