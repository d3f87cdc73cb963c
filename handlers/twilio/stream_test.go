package twilio_test

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ringdesk/ringdesk/handlers/twilio"
	"github.com/ringdesk/ringdesk/handlers/twiliotest"
)

func TestStreamURL(t *testing.T) {
	t.Parallel()
	tests := []struct{ public, want string }{
		{"https://support.example.com", "wss://support.example.com/media"},
		{"https://support.example.com/", "wss://support.example.com/media"},
		{"https://support.example.com:8443/help", "wss://support.example.com:8443/help/media"},
		{"http://localhost:3000", "ws://localhost:3000/media"},
	}
	for _, tt := range tests {
		if got := newProvider(t, tt.public).StreamURL("/media"); got != tt.want {
			t.Errorf("StreamURL with PUBLIC_URL %s = %q, want %q", tt.public, got, tt.want)
		}
	}
}

func TestVerifyStream(t *testing.T) {
	t.Parallel()
	const streamURL = "wss://support.example.com/media"
	sig := func(token, u string) string { return twiliotest.Sign(token, u, nil) }
	tests := []struct {
		name   string
		public string
		path   string
		sig    string
		want   bool
	}{
		{"signed for the wss stream URL", publicURL, "/media", sig(twiliotest.AuthToken, streamURL), true},
		{"under a proxy prefix", publicURL + "/help", "/media", sig(twiliotest.AuthToken, "wss://support.example.com/help/media"), true},
		{"plain http deployment", "http://localhost:3000", "/media", sig(twiliotest.AuthToken, "ws://localhost:3000/media"), true},

		{"no signature", publicURL, "/media", "", false},
		{"signed for https", publicURL, "/media", sig(twiliotest.AuthToken, publicURL+"/media"), false},
		{"wrong auth token", publicURL, "/media", sig("fedcba9876543210fedcba9876543210", streamURL), false},
		{"another path", publicURL, "/socket", sig(twiliotest.AuthToken, streamURL), false},
		{"a query added", publicURL, "/media?token=x", sig(twiliotest.AuthToken, streamURL), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest(http.MethodGet, "http://127.0.0.1:8080"+tt.path, nil)
			if tt.sig != "" {
				r.Header.Set("X-Twilio-Signature", tt.sig)
			}
			if got := newProvider(t, tt.public).VerifyStream(r); got != tt.want {
				t.Errorf("VerifyStream = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestConnectStream(t *testing.T) {
	t.Parallel()
	p := newProvider(t, publicURL)
	doc := p.ConnectStream("This is a sound check.", p.StreamURL("/media"), `tok"en<&>`)
	got := twiliotest.MustParseTwiML(t, doc)
	if v := got.All("Parameter")[0].Attrs["value"]; v != `tok"en<&>` {
		t.Errorf("token parameter = %q, want it as given", v)
	}
	twiliotest.Golden(t, filepath.Join("testdata", "connect_stream.golden"), got, *update)
}

func TestStreamMessageDecode(t *testing.T) {
	t.Parallel()
	var m twilio.StreamMessage
	decode := func(s string) {
		t.Helper()
		if err := m.Decode([]byte(s)); err != nil {
			t.Fatalf("Decode(%s): %v", s, err)
		}
	}
	decode(`{"event":"connected","protocol":"Call","version":"1.0.0"}`)
	if m.Event != twilio.EventConnected {
		t.Errorf("Event = %q", m.Event)
	}
	decode(`{"event":"start","sequenceNumber":"1","start":{"accountSid":"AC1","streamSid":"MZ1","callSid":"CA1","tracks":["inbound"],` +
		`"mediaFormat":{"encoding":"audio/x-mulaw","sampleRate":8000,"channels":1},"customParameters":{"token":"t0k"}},"streamSid":"MZ1"}`)
	if m.Event != twilio.EventStart || m.SID() != "MZ1" || m.Token() != "t0k" || m.Start.CallSID != "CA1" {
		t.Errorf("start decoded as %+v", m)
	}
	decode(`{"event":"media","sequenceNumber":"3","media":{"track":"inbound","chunk":"1","timestamp":"5","payload":"AAEC"},"streamSid":"MZ1"}`)
	if m.Event != twilio.EventMedia || !m.Inbound() || string(m.Media.Payload) != `"AAEC"` || m.Token() != "" {
		t.Errorf("media decoded as %+v (payload %s)", m, m.Media.Payload)
	}
	// Nothing of an earlier message survives into a later one.
	decode(`{"event":"mark","sequenceNumber":"4","streamSid":"MZ1","mark":{"name":"x"}}`)
	if m.Event != twilio.EventMark || len(m.Media.Payload) != 0 || m.Media.Track != "" {
		t.Errorf("mark decoded as %+v (payload %s)", m, m.Media.Payload)
	}
	decode(`{"event":"media","media":{"track":"outbound","payload":"AAEC"},"streamSid":"MZ1"}`)
	if m.Inbound() {
		t.Errorf("an outbound track counts as inbound")
	}

	for _, bad := range []string{
		`not json`,
		`{"event":"media","media":{"payload":12}}`,
		`{"event":"media","media":{"payload":{"a":1}}}`,
		`{"event":"media","media":{}}`,
	} {
		if err := m.Decode([]byte(bad)); err == nil {
			t.Errorf("Decode(%s) = nil, want an error", bad)
		}
	}
}

func TestMediaWriter(t *testing.T) {
	t.Parallel()
	for _, sid := range []string{"MZ0123456789abcdef0123456789abcdef", `MZ"},"x":{"`} {
		w := twilio.NewMediaWriter(sid)
		out := w.Append([]byte("left over"), json.RawMessage(`"AAEC"`))
		out = out[len("left over"):]
		var got map[string]any
		if err := json.Unmarshal(out, &got); err != nil {
			t.Fatalf("Append(%q) wrote invalid JSON %s: %v", sid, out, err)
		}
		want := map[string]any{"event": "media", "streamSid": sid, "media": map[string]any{"payload": "AAEC"}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("Append for %q (-want +got):\n%s", sid, diff)
		}
		if strings.Count(string(out), `"event"`) != 1 {
			t.Errorf("Append for %q: %s", sid, out)
		}
	}
}
