package handlers

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/coder/websocket"

	"github.com/ringdesk/ringdesk/config"
	"github.com/ringdesk/ringdesk/handlers/twilio"
	"github.com/ringdesk/ringdesk/handlers/vonage"
	"github.com/ringdesk/ringdesk/voice"
)

// Provider is a calling provider's adapter: the only code that knows its
// wire formats. Everything it hands over is in the calling domain's terms
// (package voice); every route it serves is provider-neutral here.
type Provider interface {
	// Name is what the browser uses to pick its SDK.
	Name() string
	// Line is what the account offers calls: caller number, fallback.
	Line() voice.Line
	// Token mints a browser voice token for identity; incoming says it
	// may receive calls (agents only).
	Token(identity string, incoming bool, ttl time.Duration, now time.Time) (token string, expires time.Time, err error)
	// Hooks lists where the provider reaches Ringdesk; only these are
	// mounted.
	Hooks() []voice.Hook

	// Authenticate checks a webhook's signature before any other work
	// and returns its body. Single-use tokens are handed to useOnce,
	// which fails with models.ErrConflict for one seen before. A refusal
	// error carries its status and a message for the provider.
	Authenticate(r *http.Request, now time.Time, useOnce func(id string, until time.Time) error) (body []byte, err error)
	// ParseCall reads a new call; an error is logged, and the call goes
	// on as what was read (a customer's, when nothing was).
	ParseCall(r *http.Request, body []byte) (voice.Request, error)
	// ParseEvent reads a call's progress; voice.Malformed when unusable.
	ParseEvent(r *http.Request, body []byte, now time.Time) (voice.Event, error)
	// ParseRecording reads a voicemail; voice.Malformed when unusable.
	ParseRecording(r *http.Request, body []byte) (voice.Recording, error)
	// ParseQueue reads a call on hold asking what next; voice.Malformed
	// when unusable.
	ParseQueue(r *http.Request, body []byte) (voice.Poll, error)
	// Render writes a plan in the provider's call-control format.
	Render(p voice.Plan) (contentType string, body []byte)

	// SocketReadLimit caps one sound-check socket message.
	SocketReadLimit() int64
	// AcceptSocket checks a sound-check upgrade and returns its one-time
	// token, or inStream when the token arrives on the socket instead.
	AcceptSocket(r *http.Request) (token string, inStream bool, err error)
	// Echo runs the sound check on an open socket until it ends; start
	// consumes the token when it arrives in the stream. An error with a
	// CloseStatus method says how the socket is closed.
	Echo(read func() (websocket.MessageType, []byte, error), write func(websocket.MessageType, []byte) error, start func(token string) error) error
}

// NewProvider returns the adapter for the configured provider, or nil
// when calling is off. It is the one place a provider is chosen.
func NewProvider(cfg *config.Config, log *slog.Logger) Provider {
	switch cfg.VoiceProvider {
	case "twilio":
		return twilio.New(cfg.Twilio, cfg.PublicURL)
	case "vonage":
		p := vonage.New(cfg.Vonage, cfg.PublicURL)
		if !p.Signed() {
			log.Warn("VONAGE_SIGNATURE_SECRET is not set: Vonage webhooks are not authenticated, so anyone who can reach /webhooks/* can forge call events; set it to the account's signature secret")
		}
		return p
	}
	return nil
}

// refusal is an adapter's error that says how to answer: a status and a
// message safe to show; its Error text is for the log.
type refusal interface {
	error
	Status() int
	Message() string
}

// closeStatus is an error that says how to close a socket.
type closeStatus interface {
	error
	CloseStatus() (websocket.StatusCode, string)
}
