package handlers_test

// The Twilio sound check end to end: /call/connect with soundCheck=1 gives
// the <Connect><Stream> TwiML, and the stream it names is opened the way
// Twilio opens it (a signed upgrade of the wss URL, then connected, start
// carrying the <Parameter> token, media...).

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/url"
	"strconv"
	"testing"

	"github.com/coder/websocket"
	"github.com/google/go-cmp/cmp"

	"github.com/ringdesk/ringdesk/handlers"
	"github.com/ringdesk/ringdesk/handlers/twiliotest"
)

// twilioStreamURL is the <Stream url> for twilioPublicURL.
const twilioStreamURL = "wss://support.example.com/media"

// signedStream is the upgrade header Twilio sends for twilioStreamURL:
// the URL signed with no parameters.
func signedStream() http.Header {
	return http.Header{"X-Twilio-Signature": {twiliotest.Sign(twiliotest.AuthToken, twilioStreamURL, nil)}}
}

// soundCheck places a sound-check call with params (a /call/connect body),
// checks the TwiML against the golden file and returns the stream's token.
func (a *testApp) soundCheck(t testing.TB, params url.Values) string {
	t.Helper()
	params.Set("soundCheck", "1")
	doc := a.twilioPost(t, "/call/connect", params).twiml(t)
	ps := doc.All("Parameter")
	if len(ps) != 1 || ps[0].Attrs["value"] == "" {
		t.Fatalf("want one <Parameter> with a value, got:\n%s", doc.XML())
	}
	token := ps[0].Attrs["value"]
	golden(t, "connect_sound_check", doc.Replace(token, "{token}"))
	return token
}

// twilioStream plays Twilio's side of one media stream.
type twilioStream struct {
	conn    *websocket.Conn
	sid     string // streamSid
	callSID string
	seq     int
}

func newTwilioStream(conn *websocket.Conn) *twilioStream {
	return &twilioStream{conn: conn, sid: twiliotest.NewSID("MZ"), callSID: twiliotest.NewSID("CA")}
}

// send writes one message; every message but connected carries the
// stream's sequence number and streamSid, as Twilio's do.
func (s *twilioStream) send(t testing.TB, event string, fields map[string]any) {
	t.Helper()
	msg := map[string]any{"event": event}
	if event == "connected" {
		msg["protocol"], msg["version"] = "Call", "1.0.0"
	} else {
		s.seq++
		msg["sequenceNumber"], msg["streamSid"] = strconv.Itoa(s.seq), s.sid
	}
	for k, v := range fields {
		msg[k] = v
	}
	b, err := json.Marshal(msg)
	if err != nil {
		t.Fatal(err)
	}
	write(t, s.conn, websocket.MessageText, b)
}

// start sends connected and start; a nil params leaves customParameters
// out.
func (s *twilioStream) start(t testing.TB, params map[string]string) {
	t.Helper()
	s.send(t, "connected", nil)
	start := map[string]any{
		"accountSid":  twiliotest.AccountSID,
		"streamSid":   s.sid,
		"callSid":     s.callSID,
		"tracks":      []string{"inbound"},
		"mediaFormat": map[string]any{"encoding": "audio/x-mulaw", "sampleRate": 8000, "channels": 1},
	}
	if params != nil {
		start["customParameters"] = params
	}
	s.send(t, "start", map[string]any{"start": start})
}

// media sends 20 ms of μ-law noise as chunk and returns its base64.
func (s *twilioStream) media(t testing.TB, chunk int) string {
	t.Helper()
	audio := make([]byte, 160)
	rand.Read(audio)
	payload := base64.StdEncoding.EncodeToString(audio)
	s.send(t, "media", map[string]any{"media": map[string]any{
		"track": "inbound", "chunk": strconv.Itoa(chunk), "timestamp": strconv.Itoa(chunk * 20), "payload": payload,
	}})
	return payload
}

// wantEcho reads the next message and checks that it plays payload back
// on this stream, in exactly the shape Twilio expects.
func (s *twilioStream) wantEcho(t testing.TB, payload string) {
	t.Helper()
	typ, b := readMessage(t, s.conn)
	var got map[string]any
	if typ != websocket.MessageText || json.Unmarshal(b, &got) != nil {
		t.Fatalf("got a %v message %q, want a JSON media message", typ, b)
	}
	want := map[string]any{"event": "media", "streamSid": s.sid, "media": map[string]any{"payload": payload}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("echo (-want +got):\n%s", diff)
	}
}

// openTwilioStream places a sound-check call and opens its stream.
func openTwilioStream(t testing.TB, app *testApp) *websocket.Conn {
	t.Helper()
	token := app.soundCheck(t, twiliotest.Connect("customer", twiliotest.NewSID("CA"), nil))
	s := newTwilioStream(mustDial(t, app.srv, "/media", signedStream()))
	s.start(t, map[string]string{"token": token})
	s.wantEcho(t, s.media(t, 1))
	return s.conn
}

func TestSoundCheckTwiML(t *testing.T) {
	t.Parallel()
	app := newTwilioApp(t)
	ticket := app.createTicket(t, "Ada", "+14155552671", "Sound check")
	seen := map[string]bool{}
	for name, params := range map[string]url.Values{
		"customer":          twiliotest.Connect("customer", twiliotest.NewSID("CA"), nil),
		"agent":             twiliotest.Connect("support_agent", twiliotest.NewSID("CA"), url.Values{"ticketId": {ticket.ID.Hex()}}),
		"agent with number": twiliotest.Connect("support_agent", twiliotest.NewSID("CA"), url.Values{"phoneNumber": {"+14155552671"}}),
		"phone":             twiliotest.ConnectFrom("+14155550100", twiliotest.NewSID("CA"), nil),
	} {
		token := app.soundCheck(t, params)
		if seen[token] {
			t.Errorf("%s: token %q was handed out before", name, token)
		}
		seen[token] = true
	}
	// Without soundCheck=1 the same agent call dials the ticket.
	doc := app.twilioPost(t, "/call/connect", twiliotest.Connect("support_agent", twiliotest.NewSID("CA"), url.Values{"soundCheck": {"0"}, "ticketId": {ticket.ID.Hex()}})).twiml(t)
	if len(doc.All("Stream")) != 0 || len(doc.All("Number")) != 1 {
		t.Errorf("soundCheck=0: want a <Dial><Number>, got:\n%s", doc.XML())
	}
}

func TestTwilioMediaEcho(t *testing.T) {
	t.Parallel()
	app := newTwilioApp(t)
	token := app.soundCheck(t, twiliotest.Connect("customer", twiliotest.NewSID("CA"), nil))
	s := newTwilioStream(mustDial(t, app.srv, "/media", signedStream()))
	s.start(t, map[string]string{"token": token})
	for chunk := 1; chunk <= 50; chunk++ {
		s.wantEcho(t, s.media(t, chunk))
	}
	// Marks, DTMF and unknown events get no answer: the next message is
	// the echo of the media that follows them.
	s.send(t, "mark", map[string]any{"mark": map[string]any{"name": "greeting"}})
	s.send(t, "dtmf", map[string]any{"dtmf": map[string]any{"track": "inbound_track", "digit": "5"}})
	s.send(t, "something-new", map[string]any{"x": 1})
	s.wantEcho(t, s.media(t, 51))
	// Audio is played back as it comes, without waiting for answers.
	var sent []string
	for chunk := 52; chunk < 62; chunk++ {
		sent = append(sent, s.media(t, chunk))
	}
	for _, p := range sent {
		s.wantEcho(t, p)
	}
	s.send(t, "stop", map[string]any{"stop": map[string]any{"accountSid": twiliotest.AccountSID, "callSid": s.callSID}})
	wantClosed(t, s.conn, websocket.StatusNormalClosure)
}

func TestTwilioMediaUpgradeNeedsSignature(t *testing.T) {
	t.Parallel()
	app := newTwilioApp(t)
	sign := func(authToken, u string) http.Header {
		return http.Header{"X-Twilio-Signature": {twiliotest.Sign(authToken, u, nil)}}
	}
	tests := []struct {
		name   string
		path   string
		header http.Header
	}{
		{"unsigned", "/media", nil},
		{"empty signature", "/media", http.Header{"X-Twilio-Signature": {""}}},
		{"garbage", "/media", http.Header{"X-Twilio-Signature": {"bm90IGEgc2lnbmF0dXJl"}}},
		{"wrong auth token", "/media", sign("ffffffffffffffffffffffffffffffff", twilioStreamURL)},
		{"signed for https", "/media", sign(twiliotest.AuthToken, "https://support.example.com/media")},
		{"signed for another host", "/media", sign(twiliotest.AuthToken, "wss://evil.example.com/media")},
		{"signed for another path", "/media?x=1", signedStream()},
		{"signed with parameters", "/media", http.Header{"X-Twilio-Signature": {twiliotest.Sign(twiliotest.AuthToken, twilioStreamURL, url.Values{"token": {"x"}})}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			wantRefused(t, app.srv, tt.path, tt.header, http.StatusForbidden)
		})
	}
}

func TestTwilioMediaStreamNeedsToken(t *testing.T) {
	t.Parallel()
	app := newTwilioApp(t)
	used := app.soundCheck(t, twiliotest.Connect("customer", twiliotest.NewSID("CA"), nil))
	s := newTwilioStream(mustDial(t, app.srv, "/media", signedStream()))
	s.start(t, map[string]string{"token": used})
	s.wantEcho(t, s.media(t, 1))

	fresh := app.soundCheck(t, twiliotest.Connect("customer", twiliotest.NewSID("CA"), nil))
	tests := []struct {
		name   string
		params map[string]string
	}{
		{"no customParameters", nil},
		{"no token", map[string]string{"other": "x"}},
		{"empty token", map[string]string{"token": ""}},
		{"garbage token", map[string]string{"token": "not-a-token"}},
		{"forged token", map[string]string{"token": fresh[:len(fresh)-2] + "xx"}},
		{"used token", map[string]string{"token": used}},
		{"Vonage token", map[string]string{"token": handlers.NewMediaToken(app.h, "vonage")}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newTwilioStream(mustDial(t, app.srv, "/media", signedStream()))
			s.start(t, tt.params)
			s.media(t, 1)
			wantClosed(t, s.conn, websocket.StatusPolicyViolation)
		})
	}
	t.Run("media before start", func(t *testing.T) {
		s := newTwilioStream(mustDial(t, app.srv, "/media", signedStream()))
		s.send(t, "connected", nil)
		s.media(t, 1)
		wantClosed(t, s.conn, websocket.StatusPolicyViolation)
	})
	t.Run("not JSON", func(t *testing.T) {
		conn := mustDial(t, app.srv, "/media", signedStream())
		write(t, conn, websocket.MessageText, []byte("hello"))
		wantClosed(t, conn, websocket.StatusUnsupportedData)
	})
	// The forged and refused attempts did not use up the fresh token.
	s = newTwilioStream(mustDial(t, app.srv, "/media", signedStream()))
	s.start(t, map[string]string{"token": fresh})
	s.wantEcho(t, s.media(t, 1))
}

func TestTwilioMediaOversizedMessage(t *testing.T) {
	t.Parallel()
	app := newTwilioApp(t)
	conn := mustDial(t, app.srv, "/media", signedStream())
	big := make([]byte, 64<<10+1)
	for i := range big {
		big[i] = ' '
	}
	write(t, conn, websocket.MessageText, big)
	wantClosed(t, conn, websocket.StatusMessageTooBig)
}
