package handlers_test

// The sound-check sockets' shared behaviour, driven with a real WebSocket
// client (coder/websocket) against the real router: limits, timeouts,
// shutdown, and what the upgrade needs. media_twilio_test.go and
// media_vonage_test.go cover each provider's protocol.

import (
	"context"
	"crypto/rand"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/ringdesk/ringdesk/handlers"
)

// socketWait bounds every wait for a socket event in these tests.
const socketWait = 10 * time.Second

// wsURL is the ws:// address of path on the test server.
func wsURL(srv *httptest.Server, path string) string {
	return "ws" + strings.TrimPrefix(srv.URL, "http") + path
}

// dial opens a WebSocket to path with header set on the upgrade. It
// returns the refused upgrade's response instead of failing the test.
func dial(t testing.TB, srv *httptest.Server, path string, header http.Header) (*websocket.Conn, *http.Response, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), socketWait)
	defer cancel()
	conn, resp, err := websocket.Dial(ctx, wsURL(srv, path), &websocket.DialOptions{HTTPHeader: header})
	if err == nil {
		t.Cleanup(func() { conn.CloseNow() })
	}
	return conn, resp, err
}

// mustDial is dial for an upgrade that must succeed.
func mustDial(t testing.TB, srv *httptest.Server, path string, header http.Header) *websocket.Conn {
	t.Helper()
	conn, resp, err := dial(t, srv, path, header)
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		t.Fatalf("dial %s: %v (status %d)", path, err, status)
	}
	return conn
}

// wantRefused fails the test unless the upgrade to path was answered with
// status and no socket; the answer must not leak internal errors.
func wantRefused(t testing.TB, srv *httptest.Server, path string, header http.Header, status int) {
	t.Helper()
	conn, resp, err := dial(t, srv, path, header)
	if err == nil {
		conn.CloseNow()
		t.Fatalf("dial %s: upgraded, want %d", path, status)
	}
	if resp == nil {
		t.Fatalf("dial %s: %v, want an HTTP answer %d", path, err, status)
	}
	if resp.StatusCode != status {
		t.Fatalf("dial %s: status %d, want %d", path, resp.StatusCode, status)
	}
	body, _ := io.ReadAll(resp.Body)
	for _, leak := range leaks {
		if strings.Contains(strings.ToLower(string(body)), leak) {
			t.Errorf("dial %s: answer contains internal error text %q: %s", path, leak, body)
		}
	}
}

// wantClosed reads from conn until the server closes it, failing the test
// if a data message arrives first or the close has another status.
func wantClosed(t testing.TB, conn *websocket.Conn, code websocket.StatusCode) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), socketWait)
	defer cancel()
	typ, msg, err := conn.Read(ctx)
	if err == nil {
		t.Fatalf("got a %v message %q, want the socket closed with %d", typ, truncate(string(msg), 200), code)
	}
	if got := websocket.CloseStatus(err); got != code {
		t.Fatalf("socket ended with %v (status %d), want status %d", err, got, code)
	}
}

// readMessage reads one data message, failing the test on an error.
func readMessage(t testing.TB, conn *websocket.Conn) (websocket.MessageType, []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), socketWait)
	defer cancel()
	typ, msg, err := conn.Read(ctx)
	if err != nil {
		t.Fatalf("read: %v", err)
	}
	return typ, msg
}

// write sends one message, failing the test on an error.
func write(t testing.TB, conn *websocket.Conn, typ websocket.MessageType, msg []byte) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), socketWait)
	defer cancel()
	if err := conn.Write(ctx, typ, msg); err != nil {
		t.Fatalf("write: %v", err)
	}
}

// audioFrame is 20 ms of 16-bit 16 kHz mono noise, as Vonage sends it.
func audioFrame() []byte {
	b := make([]byte, 640)
	rand.Read(b)
	return b
}

// vonagePath is the socket address a Vonage NCCO would carry.
func vonagePath(h *handlers.Handler) string {
	return "/socket?token=" + handlers.NewMediaToken(h, "vonage")
}

// openVonage opens a Vonage sound-check socket the way Vonage does: the
// token in the URL, then the websocket:connected text message.
func openVonage(t testing.TB, srv *httptest.Server, h *handlers.Handler) *websocket.Conn {
	t.Helper()
	conn := mustDial(t, srv, vonagePath(h), nil)
	write(t, conn, websocket.MessageText, []byte(`{"event":"websocket:connected","content-type":"audio/l16;rate=16000"}`))
	return conn
}

// echoOnce sends one audio frame and checks that the same bytes come back.
func echoOnce(t testing.TB, conn *websocket.Conn) {
	t.Helper()
	frame := audioFrame()
	write(t, conn, websocket.MessageBinary, frame)
	typ, got := readMessage(t, conn)
	if typ != websocket.MessageBinary || string(got) != string(frame) {
		t.Fatalf("echo: got a %v message of %d bytes, want the %d-byte frame back", typ, len(got), len(frame))
	}
}

func TestMediaSocketIdleTimeout(t *testing.T) {
	t.Parallel()
	app := newVonageApp(t)
	app.h.SetSocketLimits(10, 300*time.Millisecond, time.Minute)

	vonage := openVonage(t, app.srv, app.h)
	echoOnce(t, vonage) // activity keeps it open past one idle period
	time.Sleep(200 * time.Millisecond)
	echoOnce(t, vonage)
	start := time.Now()
	wantClosed(t, vonage, websocket.StatusPolicyViolation)
	if waited := time.Since(start); waited < 200*time.Millisecond {
		t.Errorf("closed %v after the last frame, want about the 300ms idle timeout", waited)
	}

	// A Twilio socket that never starts its stream is idle too.
	tw := newTwilioApp(t)
	tw.h.SetSocketLimits(10, 300*time.Millisecond, time.Minute)
	twilio := mustDial(t, tw.srv, "/media", signedStream())
	wantClosed(t, twilio, websocket.StatusPolicyViolation)
}

func TestMediaSocketMaxLength(t *testing.T) {
	t.Parallel()
	app := newVonageApp(t)
	app.h.SetSocketLimits(10, time.Minute, 500*time.Millisecond)
	conn := openVonage(t, app.srv, app.h)
	deadline := time.Now().Add(socketWait)
	for time.Now().Before(deadline) {
		ctx, cancel := context.WithTimeout(context.Background(), socketWait)
		err := conn.Write(ctx, websocket.MessageBinary, audioFrame())
		if err == nil {
			_, _, err = conn.Read(ctx)
		}
		cancel()
		if err != nil {
			if got := websocket.CloseStatus(err); got != websocket.StatusNormalClosure {
				t.Fatalf("socket ended with %v, want status 1000 when the time is up", err)
			}
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Fatalf("socket still open after %v with a 500ms limit", socketWait)
}

func TestMediaSocketCap(t *testing.T) {
	t.Parallel()
	app := newVonageApp(t)
	app.h.SetSocketLimits(2, time.Minute, time.Minute)
	first := openVonage(t, app.srv, app.h)
	openVonage(t, app.srv, app.h)

	// Full: the upgrade is refused, and the refused token stays unused.
	token := handlers.NewMediaToken(app.h, "vonage")
	wantRefused(t, app.srv, "/socket?token="+token, nil, http.StatusServiceUnavailable)

	// The same cap holds for a stream whose token comes later.
	tw := newTwilioApp(t)
	tw.h.SetSocketLimits(1, time.Minute, time.Minute)
	openTwilioStream(t, tw)
	wantRefused(t, tw.srv, "/media", signedStream(), http.StatusServiceUnavailable)

	// A closed socket frees its slot.
	if err := first.Close(websocket.StatusNormalClosure, ""); err != nil {
		t.Fatalf("close: %v", err)
	}
	deadline := time.Now().Add(socketWait)
	for {
		conn, resp, err := dial(t, app.srv, "/socket?token="+token, nil)
		if err == nil {
			echoOnce(t, conn)
			return
		}
		if resp == nil || resp.StatusCode != http.StatusServiceUnavailable || time.Now().After(deadline) {
			t.Fatalf("dial after a socket closed: %v", err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func TestMediaSocketsCloseOnShutdown(t *testing.T) {
	t.Parallel()
	app := newVonageApp(t)
	vonage := openVonage(t, app.srv, app.h)
	echoOnce(t, vonage)
	tw := newTwilioApp(t)
	twilio := openTwilioStream(t, tw)

	app.h.CloseSockets()
	tw.h.CloseSockets()
	wantClosed(t, vonage, websocket.StatusGoingAway)
	wantClosed(t, twilio, websocket.StatusGoingAway)
	ctx, cancel := context.WithTimeout(context.Background(), socketWait)
	defer cancel()
	if err := app.h.WaitSockets(ctx); err != nil {
		t.Fatalf("WaitSockets: %v", err)
	}
	wantRefused(t, app.srv, vonagePath(app.h), nil, http.StatusServiceUnavailable)
}

func TestWaitSocketsHonoursContext(t *testing.T) {
	t.Parallel()
	app := newVonageApp(t)
	openVonage(t, app.srv, app.h)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	// Not closed yet: WaitSockets gives up with ctx.
	if err := app.h.WaitSockets(ctx); !errors.Is(err, context.Canceled) {
		t.Fatalf("WaitSockets before CloseSockets = %v, want context.Canceled", err)
	}
}

// TestMediaSocketOutlivesServerTimeouts runs the router in an http.Server
// with main.go's kind of read and write timeouts, here short: a socket
// must outlive them. net/http clears a connection's deadlines when it is
// hijacked; this keeps anything in between (a middleware wrapping the
// writer, a new server option) from bringing them back.
func TestMediaSocketOutlivesServerTimeouts(t *testing.T) {
	t.Parallel()
	app := newVonageApp(t)
	router, err := app.h.Routes()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(router)
	srv.Config.ReadTimeout = 300 * time.Millisecond
	srv.Config.WriteTimeout = 300 * time.Millisecond
	srv.Start()
	t.Cleanup(srv.Close)

	conn := openVonage(t, srv, app.h)
	for end := time.Now().Add(time.Second); time.Now().Before(end); time.Sleep(50 * time.Millisecond) {
		echoOnce(t, conn)
	}
}

func TestMediaSocketsGauge(t *testing.T) {
	t.Parallel()
	app := newVonageApp(t)
	c := app.client(t)
	wantGauge := func(want string) {
		t.Helper()
		deadline := time.Now().Add(socketWait)
		for {
			body := app.get(t, c, "/metrics", metricsAuth...).body
			if strings.Contains(body, "\nringdesk_media_streams "+want+"\n") {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("/metrics does not show ringdesk_media_streams %s:\n%s", want, grepLines(body, "ringdesk_media_streams"))
			}
			time.Sleep(20 * time.Millisecond)
		}
	}
	wantGauge("0")
	conn := openVonage(t, app.srv, app.h)
	openVonage(t, app.srv, app.h)
	wantGauge("2")
	conn.Close(websocket.StatusNormalClosure, "")
	wantGauge("1")

	// An upgrade counts as a request, but a socket's life is not a
	// request's latency.
	body := app.get(t, c, "/metrics", metricsAuth...).body
	if !strings.Contains(body, `ringdesk_http_requests_total{method="GET",route="/socket",status="101"} 1`) {
		t.Errorf("/metrics does not count the upgrade:\n%s", grepLines(body, `route="/socket"`))
	}
	if strings.Contains(body, `ringdesk_http_request_duration_seconds_count{method="GET",route="/socket"}`) {
		t.Errorf("/metrics times the socket as a request:\n%s", grepLines(body, `route="/socket"`))
	}
}

func TestMediaSocketsNeedUpgrade(t *testing.T) {
	t.Parallel()
	app := newVonageApp(t)
	c := app.client(t)
	token := handlers.NewMediaToken(app.h, "vonage")
	// A plain GET is refused before the token is looked at, so the token
	// still opens a socket afterwards.
	app.get(t, c, "/socket?token="+token).wantStatus(t, http.StatusUpgradeRequired)
	tw := newTwilioApp(t)
	req := tw.newRequest(t, http.MethodGet, "/media", nil)
	req.Header = signedStream()
	tw.do(t, tw.client(t), req).wantStatus(t, http.StatusUpgradeRequired)
	echoOnce(t, openVonageToken(t, app.srv, token))
}

// openVonageToken is openVonage with a given token.
func openVonageToken(t testing.TB, srv *httptest.Server, token string) *websocket.Conn {
	t.Helper()
	conn := mustDial(t, srv, "/socket?token="+token, nil)
	write(t, conn, websocket.MessageText, []byte(`{"event":"websocket:connected","content-type":"audio/l16;rate=16000"}`))
	return conn
}

// grepLines returns the lines of s that contain sub.
func grepLines(s, sub string) string {
	var out []string
	for _, line := range strings.Split(s, "\n") {
		if strings.Contains(line, sub) {
			out = append(out, line)
		}
	}
	return strings.Join(out, "\n")
}
