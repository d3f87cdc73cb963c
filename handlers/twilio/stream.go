package twilio

import (
	"encoding/json"
	"errors"
	"net/http"
	"strings"

	"github.com/twilio/twilio-go/twiml"
)

// StreamTokenParam names the <Parameter> that carries a stream's one-time
// token; Twilio hands it back in the start message's customParameters.
const StreamTokenParam = "token"

// StreamURL is the address of path on this server for a <Stream>: the
// public URL with https made wss (http made ws). Twilio allows no query
// string there; values travel as <Parameter>s instead.
func (p *Provider) StreamURL(path string) string {
	base := p.publicURL
	if rest, ok := strings.CutPrefix(base, "https://"); ok {
		base = "wss://" + rest
	} else if rest, ok := strings.CutPrefix(base, "http://"); ok {
		base = "ws://" + rest
	}
	return base + path
}

// VerifyStream reports whether r, the WebSocket upgrade Twilio opens for a
// <Stream>, carries a valid X-Twilio-Signature. Twilio signs the stream
// URL exactly as the TwiML gave it (wss scheme) and, the request being a
// GET, no parameters.
func (p *Provider) VerifyStream(r *http.Request) bool {
	sig := r.Header.Get("X-Twilio-Signature")
	if sig == "" {
		return false
	}
	return p.validator.Validate(p.StreamURL(r.URL.RequestURI()), nil, sig)
}

// ConnectStream says prompt, then connects the call to a bidirectional
// media stream at streamURL (see StreamURL), passing token as the
// stream's StreamTokenParam.
func (p *Provider) ConnectStream(prompt, streamURL, token string) []byte {
	return render(
		twiml.VoiceSay{Message: prompt},
		twiml.VoiceConnect{InnerElements: []twiml.Element{twiml.VoiceStream{
			Url:           streamURL,
			InnerElements: []twiml.Element{twiml.VoiceParameter{Name: StreamTokenParam, Value: token}},
		}}},
	)
}

// Media Streams event names, the "event" of each message.
const (
	EventConnected = "connected"
	EventStart     = "start"
	EventMedia     = "media"
	EventMark      = "mark"
	EventStop      = "stop"
)

// StreamMessage is one message Twilio sends on a media stream. Only what
// an echo needs is decoded; other fields and unknown events are ignored.
type StreamMessage struct {
	Event     string `json:"event"`
	StreamSID string `json:"streamSid"`
	Start     struct {
		StreamSID        string            `json:"streamSid"`
		CallSID          string            `json:"callSid"`
		CustomParameters map[string]string `json:"customParameters"`
	} `json:"start"`
	Media struct {
		Track string `json:"track"`
		// Payload is the base64 μ-law audio as its JSON string, quotes
		// included, so it can be sent back without decoding.
		Payload json.RawMessage `json:"payload"`
	} `json:"media"`
}

var errBadPayload = errors.New("twilio: media payload is not a JSON string")

// Decode reads one message into m, reusing m's payload buffer.
func (m *StreamMessage) Decode(b []byte) error {
	*m = StreamMessage{Media: m.Media}
	m.Media.Track, m.Media.Payload = "", m.Media.Payload[:0]
	if err := json.Unmarshal(b, m); err != nil {
		return err
	}
	if m.Event == EventMedia && (len(m.Media.Payload) < 2 || m.Media.Payload[0] != '"') {
		return errBadPayload
	}
	return nil
}

// SID is the stream's id, from the message or its start block.
func (m *StreamMessage) SID() string {
	if m.StreamSID != "" {
		return m.StreamSID
	}
	return m.Start.StreamSID
}

// Token is the one-time token passed with the <Stream>, from a start
// message.
func (m *StreamMessage) Token() string { return m.Start.CustomParameters[StreamTokenParam] }

// Inbound reports whether a media message carries the caller's audio
// (the only track a <Connect><Stream> sends).
func (m *StreamMessage) Inbound() bool { return m.Media.Track == "" || m.Media.Track == "inbound" }

// MediaWriter builds the media messages that play audio into one
// bidirectional stream.
type MediaWriter struct {
	head []byte // {"event":"media","streamSid":"MZ…","media":{"payload":
}

// NewMediaWriter returns the writer for stream streamSID.
func NewMediaWriter(streamSID string) MediaWriter {
	sid, _ := json.Marshal(streamSID) // a string always encodes
	head := append([]byte(`{"event":"media","streamSid":`), sid...)
	return MediaWriter{head: append(head, `,"media":{"payload":`...)}
}

// Append appends to dst the message that plays payload, a JSON string of
// base64 μ-law as StreamMessage.Media.Payload holds it.
func (w MediaWriter) Append(dst []byte, payload json.RawMessage) []byte {
	dst = append(dst, w.head...)
	dst = append(dst, payload...)
	return append(dst, "}}"...)
}
