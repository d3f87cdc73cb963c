// Package voice is Ringdesk's calling domain: who may reach whom, what a
// call does next (its plan), the words callers hear, and what goes into
// the call log. It speaks of agents, customers, tickets and calls; the
// provider adapters (handlers/twilio, handlers/vonage) turn their webhooks
// into Requests, Events and Recordings, and a Plan into TwiML or an NCCO.
// It imports only models: no HTTP, no wire format, no provider SDK.
package voice

import (
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/ringdesk/ringdesk/models"
)

// The two browser identities. Only the agent's may reach phone numbers
// and receive calls; every customer shares the customer identity.
const (
	Agent    = "support_agent"
	Customer = "customer"
)

// How long a customer's call rings the agents (or the fallback phone)
// before it moves on, and the longest voicemail, in seconds.
const (
	RingSeconds      = 30
	VoicemailSeconds = 120
)

// What callers hear. Every refusal is spoken, so a caller never hears an
// error tone.
const (
	SayNoTarget        = "There is no ticket or phone number to call. Please choose a ticket and try again."
	SayTicketGone      = "That ticket no longer exists. Please reload the dashboard and try again."
	SayTicketNoPhone   = "This ticket has no phone number to call."
	SayBadNumber       = "That phone number is not valid. Please check it on the ticket and try again."
	SayPremiumNumber   = "That is a premium-rate number. Calls to premium-rate numbers are not allowed."
	SaySharedCost      = "That is a shared-cost number. Calls to shared-cost numbers are not allowed."
	SayCountryBlocked  = "Calls to that country are not allowed from here. Please ask your administrator to add it to DIAL_COUNTRIES."
	SayDatabaseDown    = "Ringdesk can't reach its database right now. Please try again in a minute."
	SayTransferring    = "Thank you for calling support. Transferring you now."
	SayFallback        = "All of our agents are busy. Please hold while we put you through to our support line."
	SayVoicemailPrompt = "Sorry, all of our agents are busy right now. Please leave a message with your name and phone number after the tone, then press the pound key or hang up."
	SayVoicemailThanks = "Thank you. Your message has been recorded, and we will get back to you soon. Goodbye."
	SayGoodbye         = "Thank you for calling. Goodbye."
	SaySoundCheck      = "This is a sound check. Speak and you will hear yourself."
)

// SayClosed tells a caller that support is closed, when it opens again
// (next, if ok) in the hours' time zone, and offers voicemail.
func SayClosed(next, now time.Time, ok bool) string {
	when := "We are closed until further notice."
	if ok {
		when = "We open again " + models.When(next, now) + ", " + zoneName(next.Location()) + " time."
	}
	return "Thank you for calling support. We are closed right now. " + when +
		" Please leave a message with your name and phone number after the tone, then press the pound key or hang up."
}

// zoneName says a time zone as people do: "London" for Europe/London,
// "New York" for America/New_York, "UTC" for UTC.
func zoneName(loc *time.Location) string {
	name := loc.String()
	if i := strings.LastIndexByte(name, '/'); i >= 0 {
		name = name[i+1:]
	}
	return strings.ReplaceAll(name, "_", " ")
}

// SayNoCallerNumber tells an agent that calls to phones need the setting
// that holds the number they come from.
func SayNoCallerNumber(line Line) string {
	return "Calling phones is not set up yet: the server has no " + line.CallerNumberName +
		". Please ask your administrator to set " + line.CallerNumberSetting + "."
}

// Line is what a provider's account offers calls: the number calls to
// phones come from, and a phone that customers' calls go on to when no
// agent answers.
type Line struct {
	CallerNumber        string // "" when calls to phones are not set up
	CallerNumberName    string // how an agent hears it named ("caller I D")
	CallerNumberSetting string // where an administrator sets it (TWILIO_CALLER_ID)
	FallbackNumber      string // "" when there is none
}

// Request is a call as the provider's signed webhook describes it.
type Request struct {
	// Caller is the browser identity that placed the call, read only from
	// what the provider signed; "" for a call from a phone.
	Caller string
	// What the browser asked for: requests, never authority.
	TicketID, PhoneNumber, TicketRef string
	SoundCheck                       bool
	// SID is the provider's id for the call, the one its events carry
	// (for a place in line); "" when the provider sent none.
	SID string
	// From is the caller as the provider names them.
	From string
}

// Action is what a call does next.
type Action int

const (
	// HangUp ends the call.
	HangUp Action = iota
	// Say speaks Plan.Say and ends the call.
	Say
	// DialPhone puts an agent's call through to Plan.Number.
	DialPhone
	// RingAgents rings the agents' browsers (Plan.Agents) for Plan.Ring
	// seconds, after greeting the caller with Plan.Say where the provider
	// plays no ringing of its own.
	RingAgents
	// Fallback says Plan.Say and rings Plan.Number for Plan.Ring seconds.
	Fallback
	// Voicemail says Plan.Say, records up to Plan.MaxSeconds, then says
	// Plan.Thanks.
	Voicemail
	// SoundCheck says Plan.Say and echoes the caller's audio on a socket
	// that takes Plan.Token once.
	SoundCheck
	// Hold says Plan.Say (the caller's place in line), plays Plan.Music
	// (a path on this server) once, then asks again (HookQueue) with
	// Plan.Leg.
	Hold
)

// Stage is where a customer's call is while it waits to be answered.
type Stage string

const (
	StageAgents   Stage = "agents"   // ringing the agents' browsers
	StageFallback Stage = "fallback" // ringing the fallback phone
	StageQueue    Stage = "queue"    // on hold in line
)

// Leg is what Ringdesk knows about a call; the provider carries it in the
// callback addresses of a plan and hands it back, signed, with each event.
type Leg struct {
	Direction models.CallDirection
	TicketID  *models.ID
	Stage     Stage // "" once the call no longer waits for an answer
	// AfterHours marks a call that came in while support was closed.
	AfterHours bool
	// Caller is a customer's number when they call from a phone (E.164),
	// so that a voicemail they leave opens a ticket that can be called
	// back; "" for a website caller.
	Caller string
}

// inbound is the leg of a customer's call: their ticket, if any, and
// their number if they call from a phone.
func inbound(ticketID *models.ID, caller string) Leg {
	return Leg{Direction: models.CallInbound, TicketID: ticketID, Caller: caller}
}

// Query writes the leg for a callback address.
func (l Leg) Query() url.Values {
	q := url.Values{"dir": {string(l.Direction)}}
	if l.TicketID != nil {
		q.Set("ticketId", l.TicketID.Hex())
	}
	if l.Stage != "" {
		q.Set("stage", string(l.Stage))
	}
	if l.AfterHours {
		q.Set("hours", "closed")
	}
	if l.Caller != "" {
		q.Set("caller", l.Caller)
	}
	return q
}

// Tagged reports whether q carries a leg: events from addresses Ringdesk
// did not name carry none.
func Tagged(q url.Values) bool { return q.Get("dir") != "" }

// ParseLeg reads Query back. A missing or unknown direction is outbound,
// a malformed ticket id none, an unknown stage "".
func ParseLeg(q url.Values) Leg {
	l := Leg{Direction: models.CallOutbound}
	if q.Get("dir") == string(models.CallInbound) {
		l.Direction = models.CallInbound
	}
	if id, err := models.ParseID(q.Get("ticketId")); err == nil {
		l.TicketID = &id
	}
	switch s := Stage(q.Get("stage")); s {
	case StageAgents, StageFallback, StageQueue:
		l.Stage = s
	}
	l.AfterHours = q.Get("hours") == "closed"
	if c := q.Get("caller"); e164.MatchString(c) {
		l.Caller = c
	}
	return l
}

// e164 is the shape of a number as Leg carries it; anything else read
// back from an address is dropped.
var e164 = regexp.MustCompile(`^\+[1-9][0-9]{6,14}$`)

// Plan is what a call does next, in the provider's terms once rendered.
type Plan struct {
	Action     Action
	Say        string
	Thanks     string // Voicemail: after the message
	Number     string // DialPhone, Fallback: E.164
	Agents     string // RingAgents: the identity rung
	Ring       int    // RingAgents, Fallback: seconds
	MaxSeconds int    // Voicemail
	Token      string // SoundCheck: the socket's one-time token
	Music      string // Hold: the hold music's path on this server
	Key        string // Hold: the key the caller may press ("" for none)
	// Leg goes into the plan's callback addresses.
	Leg Leg
}

// Event is one webhook about a call in progress.
type Event struct {
	// Call is the event for the call log; nil when it is not logged.
	Call *models.CallEvent
	// Waiting means the provider waits for the call's next plan in the
	// answer: the endpoint Leg.Stage rang was reached (Reached) or not.
	Waiting bool
	Reached bool
	Leg     Leg
	// SID is the call's id when Call is nil (a waiting question).
	SID string
}

// Recording is a voicemail the provider recorded.
type Recording struct {
	SID     string // the call
	From    string // the caller, as the provider names them
	URL     string
	Seconds int
	Usable  bool // a known call and an address Ringdesk may link to
	Leg     Leg
	// Waiting means the call waits for its next plan in the answer.
	Waiting bool
}

// Malformed is a webhook Ringdesk cannot use; its text is safe to send
// back to the provider.
type Malformed string

func (m Malformed) Error() string { return string(m) }

// HookKind is what a provider asks at one of its addresses.
type HookKind int

const (
	// HookAnswer asks how to connect a new call (answered with a Plan).
	HookAnswer HookKind = iota
	// HookEvent reports a call's progress (see Event).
	HookEvent
	// HookRecording delivers a voicemail (see Recording).
	HookRecording
	// HookSoundCheck opens the sound-check socket.
	HookSoundCheck
	// HookQueue asks what a call on hold does next (a Poll, answered
	// with a Plan).
	HookQueue
)

// Hook is an address where a provider reaches Ringdesk, and the request
// methods it uses there.
type Hook struct {
	Kind    HookKind
	Path    string
	Methods []string
}
