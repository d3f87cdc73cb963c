package twilio

import (
	"errors"
	"net/http"
	"time"

	"github.com/coder/websocket"

	"github.com/ringdesk/ringdesk/voice"
)

// Twilio's addresses on this server: the TwiML App's voice URL, the
// callbacks the TwiML names, and the Media Streams socket.
const (
	pathConnect    = "/call/connect"
	pathStatus     = "/call/status"
	pathDialResult = "/call/dial-result"
	pathVoicemail  = "/call/voicemail"
	pathQueue      = "/call/queue"
	pathMedia      = "/media"
)

// Hooks lists where Twilio reaches Ringdesk.
func (p *Provider) Hooks() []voice.Hook {
	post := []string{http.MethodPost}
	return []voice.Hook{
		{Kind: voice.HookAnswer, Path: pathConnect, Methods: post},
		{Kind: voice.HookEvent, Path: pathStatus, Methods: post},
		{Kind: voice.HookEvent, Path: pathDialResult, Methods: post},
		{Kind: voice.HookRecording, Path: pathVoicemail, Methods: post},
		{Kind: voice.HookQueue, Path: pathQueue, Methods: post},
		{Kind: voice.HookSoundCheck, Path: pathMedia, Methods: []string{http.MethodGet}},
	}
}

// Line is the account's caller ID; Twilio calls have no fallback phone.
func (p *Provider) Line() voice.Line {
	return voice.Line{CallerNumber: p.cfg.CallerID, CallerNumberName: "caller I D", CallerNumberSetting: "TWILIO_CALLER_ID"}
}

// refusal is a request Twilio's adapter turns away: Status and Message go
// to the client, Error to the log.
type refusal struct {
	status      int
	msg, detail string
}

func (r refusal) Error() string   { return r.detail }
func (r refusal) Status() int     { return r.status }
func (r refusal) Message() string { return r.msg }

var errBadSignature = refusal{http.StatusForbidden, "Invalid Twilio signature.", "bad signature"}

// Authenticate parses the posted form and checks X-Twilio-Signature
// before any other work. Twilio's tokens are not single-use, so useOnce
// is not called. The body is in r.PostForm; none is returned.
func (p *Provider) Authenticate(r *http.Request, _ time.Time, _ func(string, time.Time) error) ([]byte, error) {
	if err := r.ParseForm(); err != nil {
		var tooLong *http.MaxBytesError
		if errors.As(err, &tooLong) {
			return nil, err
		}
		return nil, voice.Malformed("The webhook's form body could not be read.")
	}
	if !p.Verify(r) {
		return nil, errBadSignature
	}
	return nil, nil
}

// ParseCall reads the voice URL's request: the caller from the signed
// From (see Caller), the rest as the browser's device.connect params.
func (p *Provider) ParseCall(r *http.Request, _ []byte) (voice.Request, error) {
	f := r.PostForm
	return voice.Request{
		Caller:      Caller(f),
		TicketID:    f.Get("ticketId"),
		PhoneNumber: f.Get("phoneNumber"),
		TicketRef:   f.Get("ticketRef"),
		SoundCheck:  f.Get("soundCheck") == "1",
		SID:         f.Get("CallSid"),
		From:        f.Get("From"),
	}, nil
}

// ParseQueue reads the <Redirect> of a call on hold asking again.
func (p *Provider) ParseQueue(r *http.Request, _ []byte) (voice.Poll, error) {
	sid := r.PostForm.Get("CallSid")
	if sid == "" {
		return voice.Poll{}, voice.Malformed("Missing CallSid.")
	}
	return voice.Poll{SID: sid, Leg: voice.ParseLeg(r.URL.Query()), Digits: r.PostForm.Get("Digits")}, nil
}

// ParseEvent reads a status callback, or the <Dial> action's question
// after the agents' browsers (or the fallback phone) rang, which is
// waiting for the call's next plan and is not logged.
func (p *Provider) ParseEvent(r *http.Request, _ []byte, now time.Time) (voice.Event, error) {
	leg := voice.ParseLeg(r.URL.Query())
	if r.URL.Path == pathDialResult {
		if leg.Stage == "" {
			leg.Stage = voice.StageAgents
		}
		s := DialStatus(r.PostForm)
		return voice.Event{Waiting: true, Reached: s == "completed" || s == "answered", Leg: leg, SID: r.PostForm.Get("CallSid")}, nil
	}
	ev, ok := StatusEvent(r.PostForm, now)
	if !ok {
		return voice.Event{}, voice.Malformed("Missing or unknown CallSid or CallStatus.")
	}
	ev.Direction, ev.TicketID = leg.Direction, leg.TicketID
	return voice.Event{Call: &ev, Leg: leg}, nil
}

// ParseRecording reads the <Record> action, which waits for the rest of
// the call in its answer.
func (p *Provider) ParseRecording(r *http.Request, _ []byte) (voice.Recording, error) {
	sid, u, seconds, ok := Recording(r.PostForm)
	return voice.Recording{
		SID: sid, From: "client:" + voice.Customer, URL: u, Seconds: seconds, Usable: ok,
		Leg: voice.ParseLeg(r.URL.Query()), Waiting: true,
	}, nil
}

// Render writes a plan as TwiML, its callbacks carrying the plan's leg.
func (p *Provider) Render(plan voice.Plan) (contentType string, body []byte) {
	q := plan.Leg.Query()
	switch plan.Action {
	case voice.Say:
		body = p.SayAndHangUp(plan.Say)
	case voice.DialPhone:
		body = p.DialNumber(plan.Number, p.URL(pathStatus, q))
	case voice.RingAgents:
		// The caller hears ringing (answerOnBridge) rather than a greeting.
		body = p.DialAgent(plan.Agents, p.URL(pathDialResult, q), p.URL(pathStatus, q), plan.Ring)
	case voice.Fallback:
		body = p.DialFallback(plan.Say, plan.Number, p.URL(pathDialResult, q), p.URL(pathStatus, q), plan.Ring)
	case voice.Voicemail:
		body = p.Voicemail(plan.Say, p.URL(pathVoicemail, q), plan.MaxSeconds)
	case voice.SoundCheck:
		body = p.ConnectStream(plan.Say, p.StreamURL(pathMedia), plan.Token)
	case voice.Hold:
		body = p.Hold(plan.Say, p.URL(plan.Music, nil), p.URL(pathQueue, q), plan.Key != "")
	default:
		body = p.HangUp()
	}
	return "text/xml; charset=utf-8", body
}

// readLimit caps one Media Streams message: a 20 ms media message is
// under 500 bytes, a start message a few kilobytes.
const readLimit = 64 << 10

// SocketReadLimit is the largest Media Streams message accepted.
func (p *Provider) SocketReadLimit() int64 { return readLimit }

// AcceptSocket lets the stream's upgrade through only with a valid
// X-Twilio-Signature for the stream URL; the one-time token comes later,
// in the start message.
func (p *Provider) AcceptSocket(r *http.Request) (token string, inStream bool, err error) {
	if !p.VerifyStream(r) {
		return "", false, errBadSignature
	}
	return "", true, nil
}

// streamEnd is why a stream ends, as its close frame says it.
type streamEnd struct {
	code   websocket.StatusCode
	reason string
}

func (e streamEnd) Error() string                               { return e.reason }
func (e streamEnd) CloseStatus() (websocket.StatusCode, string) { return e.code, e.reason }

// Why a stream is refused or ends.
var (
	endNoStart   = streamEnd{websocket.StatusPolicyViolation, "stream refused"}
	endBadFormat = streamEnd{websocket.StatusUnsupportedData, "not a media streams message"}
	endStopped   = streamEnd{websocket.StatusNormalClosure, ""}
)

// Echo speaks Media Streams: connected, then start (whose token start
// must accept), then media to play back, until stop. Nothing is played
// back before the stream has shown its token.
func (p *Provider) Echo(read func() (websocket.MessageType, []byte, error), write func(websocket.MessageType, []byte) error, start func(token string) error) error {
	var (
		msg    StreamMessage
		out    []byte
		writer *MediaWriter // set by a valid start
	)
	for {
		typ, b, err := read()
		if err != nil {
			return err
		}
		if typ != websocket.MessageText || msg.Decode(b) != nil {
			return endBadFormat
		}
		switch {
		case msg.Event == EventConnected && writer == nil:
		case msg.Event == EventStart && writer == nil:
			if msg.SID() == "" {
				return endNoStart
			}
			if err := start(msg.Token()); err != nil {
				return err
			}
			w := NewMediaWriter(msg.SID())
			writer = &w
		case writer == nil:
			return endNoStart
		case msg.Event == EventMedia && msg.Inbound():
			out = writer.Append(out[:0], msg.Media.Payload)
			if err := write(websocket.MessageText, out); err != nil {
				return err
			}
		case msg.Event == EventStop:
			return endStopped
		}
		// Marks (Twilio confirming playback of marks we never send), DTMF
		// and events added later need no answer.
	}
}
