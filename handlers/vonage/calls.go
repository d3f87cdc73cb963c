package vonage

import (
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"time"

	"github.com/coder/websocket"

	"github.com/ringdesk/ringdesk/models"
	"github.com/ringdesk/ringdesk/voice"
)

// Vonage's addresses on this server: the application's answer and event
// URLs (the event URL also under the plural name some consoles suggest),
// the voicemail record action's event URL, and the sound-check socket.
const (
	pathAnswer    = "/webhooks/answer"
	pathEvent     = "/webhooks/event"
	pathEvents    = "/webhooks/events"
	pathRecording = "/webhooks/recording"
	pathQueue     = "/webhooks/queue"
	pathSocket    = "/socket"
)

// Hooks lists where Vonage reaches Ringdesk.
func (p *Provider) Hooks() []voice.Hook {
	post := []string{http.MethodPost}
	return []voice.Hook{
		{Kind: voice.HookAnswer, Path: pathAnswer, Methods: []string{http.MethodGet, http.MethodPost}},
		{Kind: voice.HookEvent, Path: pathEvent, Methods: post},
		{Kind: voice.HookEvent, Path: pathEvents, Methods: post},
		{Kind: voice.HookRecording, Path: pathRecording, Methods: post},
		{Kind: voice.HookQueue, Path: pathQueue, Methods: post},
		{Kind: voice.HookSoundCheck, Path: pathSocket, Methods: []string{http.MethodGet}},
	}
}

// Line is VONAGE_NUMBER and VONAGE_FALLBACK_NUMBER.
func (p *Provider) Line() voice.Line {
	return voice.Line{
		CallerNumber: p.cfg.Number, CallerNumberName: "Vonage number", CallerNumberSetting: "VONAGE_NUMBER",
		FallbackNumber: p.cfg.FallbackNumber,
	}
}

// refusal is a request Vonage's adapter turns away: Status and Message go
// to the client, Error to the log.
type refusal struct {
	status int
	msg    string
	err    error
}

func (r refusal) Error() string   { return r.err.Error() }
func (r refusal) Unwrap() error   { return r.err }
func (r refusal) Status() int     { return r.status }
func (r refusal) Message() string { return r.msg }

func badSignature(err error) error {
	return refusal{http.StatusUnauthorized, "Invalid Vonage signature.", err}
}

// Authenticate reads the webhook's body and, when VONAGE_SIGNATURE_SECRET
// is set, accepts it only with Vonage's valid signature on a token never
// presented before: useOnce records the token's id (and fails with
// models.ErrConflict for one already recorded), so a token copied from
// one request cannot be replayed, on this instance or another.
func (p *Provider) Authenticate(r *http.Request, now time.Time, useOnce func(id string, until time.Time) error) ([]byte, error) {
	body, err := io.ReadAll(r.Body) // the router caps the body
	if err != nil || !p.Signed() {
		return body, err
	}
	w, err := p.Verify(r, body, now)
	if err != nil {
		return nil, badSignature(err)
	}
	err = useOnce(w.ID, w.Until)
	switch {
	case errors.Is(err, models.ErrConflict):
		return nil, badSignature(fmt.Errorf("%w: token %s presented again", ErrSignature, w.ID))
	case err != nil:
		return nil, err // the database could not say whether it is a replay
	}
	return body, nil
}

// ParseCall reads the answer webhook (see ParseAnswer). A body that does
// not parse is a call with no caller, that is a customer's, and an error
// to log.
func (p *Provider) ParseCall(r *http.Request, body []byte) (voice.Request, error) {
	a, err := ParseAnswer(r, body)
	return voice.Request{
		Caller: a.Caller, TicketID: a.TicketID, PhoneNumber: a.To, TicketRef: a.TicketRef, SoundCheck: a.SoundCheck,
		SID: a.ConversationUUID, From: cmp.Or(a.Phone, a.Caller),
	}, err
}

// ParseQueue reads the input event of a call on hold asking again; the
// conversation is the call, as in the call log.
func (p *Provider) ParseQueue(r *http.Request, body []byte) (voice.Poll, error) {
	var in struct {
		ConversationUUID string `json:"conversation_uuid"`
		DTMF             struct {
			Digits string `json:"digits"`
		} `json:"dtmf"`
	}
	if err := json.Unmarshal(body, &in); err != nil || in.ConversationUUID == "" {
		return voice.Poll{}, voice.Malformed("Unreadable input event: missing conversation_uuid.")
	}
	return voice.Poll{SID: in.ConversationUUID, Leg: voice.ParseLeg(r.URL.Query()), Digits: in.DTMF.Digits}, nil
}

// ParseEvent reads an event webhook. Only events from the event URLs
// Ringdesk's NCCOs name are logged: they carry the leg. The application's
// own event URL also reports the browser's leg, untagged; logging it could
// create the call's record without its direction, so it is left out. A
// customer's call whose synchronous connect did not reach its endpoint
// waits for the next NCCO in the answer.
func (p *Provider) ParseEvent(r *http.Request, body []byte, now time.Time) (voice.Event, error) {
	ev, err := ParseEvent(r, body, now)
	if err != nil {
		return voice.Event{}, voice.Malformed("Unreadable call event: missing or malformed conversation_uuid or body.")
	}
	q := r.URL.Query()
	if !ev.Known || !voice.Tagged(q) {
		return voice.Event{}, nil
	}
	leg := voice.ParseLeg(q)
	ev.Call.Direction, ev.Call.TicketID = leg.Direction, leg.TicketID
	return voice.Event{Call: &ev.Call, Leg: leg, Waiting: ev.Unreached && leg.Stage != ""}, nil
}

// ParseRecording reads the record action's event. The call does not wait
// for its answer: the NCCO goes on by itself.
func (p *Provider) ParseRecording(r *http.Request, body []byte) (voice.Recording, error) {
	sid, u, seconds, ok := Recording(r, body)
	if !ok {
		return voice.Recording{}, voice.Malformed("Unusable recording: missing conversation_uuid or a Vonage https recording_url.")
	}
	return voice.Recording{SID: sid, From: voice.Customer, URL: u, Seconds: seconds, Usable: true, Leg: voice.ParseLeg(r.URL.Query())}, nil
}

// Render writes a plan as an NCCO, its event URLs carrying the plan's leg.
func (p *Provider) Render(plan voice.Plan) (contentType string, body []byte) {
	q := plan.Leg.Query()
	switch plan.Action {
	case voice.Say:
		body = p.Say(plan.Say)
	case voice.DialPhone:
		body = p.ConnectPhone(plan.Number, p.URL(pathEvent, q))
	case voice.RingAgents:
		body = p.ConnectAgent(plan.Say, plan.Agents, plan.Ring, p.URL(pathEvent, q))
	case voice.Fallback:
		body = p.FallbackTo(plan.Say, plan.Number, plan.Ring, p.URL(pathEvent, q))
	case voice.Voicemail:
		body = p.Voicemail(plan.Say, plan.Thanks, p.URL(pathRecording, q), plan.MaxSeconds)
	case voice.SoundCheck:
		body = p.SoundCheck(plan.Say, p.SocketURL(plan.Token))
	case voice.Hold:
		body = p.Hold(plan.Say, p.URL(plan.Music, nil), p.URL(pathQueue, q))
	default:
		body = []byte("[]") // an NCCO with nothing left to do ends the call
	}
	return "application/json", body
}

// readLimit caps one message from Vonage: audio comes in 640-byte frames
// (20 ms of 16-bit 16 kHz mono), events as small JSON texts.
const readLimit = 8 << 10

// SocketReadLimit is the largest socket message accepted.
func (p *Provider) SocketReadLimit() int64 { return readLimit }

// AcceptSocket returns the one-time token the NCCO put in the socket's
// address; the upgrade needs it.
func (p *Provider) AcceptSocket(r *http.Request) (token string, inStream bool, err error) {
	return r.URL.Query().Get("token"), false, nil
}

// Echo plays every binary frame back, byte for byte. Text messages
// (websocket:connected, DTMF and other events) are read, never echoed.
func (p *Provider) Echo(read func() (websocket.MessageType, []byte, error), write func(websocket.MessageType, []byte) error, _ func(string) error) error {
	for {
		typ, b, err := read()
		if err != nil {
			return err
		}
		if typ == websocket.MessageBinary {
			if err := write(websocket.MessageBinary, b); err != nil {
				return err
			}
		}
	}
}
