package voice

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"time"

	"github.com/ringdesk/ringdesk/models"
)

// The line customers' calls wait in when every agent is busy or away:
// one line, in the database, so every instance sees the same order. Only
// the caller who has waited longest rings the agents; the others hear
// hold music and their place, and ask again after each stretch of music
// (a Poll). The line decides when a call rings the agents, never how:
// it is still the agents' browsers that ring.

// How long a stretch of hold music lasts, how long a caller may wait in
// line before being offered voicemail, and how long a call may go
// without asking again before it counts as gone (the caller hung up and
// the provider never said so).
const (
	HoldSeconds    = 25
	MaxWaitDefault = 10 * time.Minute // QUEUE_MAX_WAIT's default
	staleAfter     = (RingSeconds + HoldSeconds + 10) * time.Second
)

// HoldMusicPath is where the providers fetch the hold music.
const HoldMusicPath = "/audio/hold.wav"

// What callers in line hear.
const (
	SayJoinedLine = "Thank you for calling support. All of our agents are busy right now. Please hold."
	SayLineFull   = "Sorry, all of our agents are still busy. Please leave a message with your name and phone number after the tone, then press the pound key or hang up."
)

// SayPosition tells a caller their place in line.
func SayPosition(n int) string {
	if n <= 1 {
		return "You are next in line."
	}
	return "You are number " + strconv.Itoa(n) + " in line."
}

// SayHolding is what a caller on hold hears after each stretch of music.
func SayHolding(n int) string { return "Thank you for holding. " + SayPosition(n) }

// SayJoined is what a caller hears on joining the line.
func SayJoined(n int) string { return SayJoinedLine + " " + SayPosition(n) }

// Queue is what calls need from the store's line.
type Queue interface {
	Join(ctx context.Context, e models.QueueEntry) (models.QueueEntry, error)
	Get(ctx context.Context, sid string) (*models.QueueEntry, error)
	Position(ctx context.Context, sid string) (int, error)
	SetState(ctx context.Context, sid string, state models.QueueState, at time.Time) error
	Expire(ctx context.Context, before, at time.Time) ([]models.QueueEntry, error)
}

// Team says how many agents can take a call now, and how many have
// Ringdesk open at all (available, on a call or away).
type Team func(ctx context.Context) (available, present int)

// Poll is a call in line asking what to do next, after a stretch of hold
// music, with the key the caller pressed, if any.
type Poll struct {
	SID    string
	Leg    Leg
	Digits string
}

// Callbacks is what calls need from the store's callbacks.
type Callbacks interface {
	Request(ctx context.Context, c models.Callback) (models.Callback, error)
	Done(ctx context.Context, ticketID models.ID, at time.Time) error
}

// CallbackKey is the key a caller in line presses to be called back.
const CallbackKey = "1"

// What a caller who can be called back hears.
const (
	SayCallbackOffer = "To be called back instead, press 1."
)

// SayCallbackBooked confirms a callback to number, read digit by digit.
func SayCallbackBooked(number string) string {
	return "Thank you. An agent will call you back at " + spelled(number) + " as soon as one is free. Goodbye."
}

// spelled writes a number for speech one digit at a time.
func spelled(number string) string {
	var b strings.Builder
	for i, r := range strings.TrimPrefix(number, "+") {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// line decides what a customer's new call does once it is in hours: it
// joins the line, unless nobody has Ringdesk open (then there is nobody
// to wait for, and the call rings and goes to voicemail as it would).
func (s *Service) line(ctx context.Context, r Request, leg Leg) Plan {
	if s.Queue == nil || s.Team == nil || r.SID == "" {
		return s.ringAgents(leg)
	}
	if _, present := s.Team(ctx); present == 0 {
		return s.ringAgents(leg)
	}
	e, err := s.Queue.Join(ctx, models.QueueEntry{SID: r.SID, TicketID: leg.TicketID, Caller: r.From, JoinedAt: s.Now()})
	if err != nil {
		s.Log.Warn("join the line; ringing the agents at once", "call", r.SID, "err", err)
		return s.ringAgents(leg)
	}
	// The call's log starts when it joins the line, so that its wait
	// counts the time on hold; a retried webhook records the same step,
	// which the log keeps once.
	s.lineStep(ctx, e, models.CallQueued, e.JoinedAt)
	s.expire(ctx)
	defer s.lineChanged()
	return s.inLine(ctx, e, SayJoined)
}

// Poll answers a call in line asking again: it rings the agents when it
// has waited longest and someone can take it, else it holds on (or, after
// Service.MaxWait, goes to voicemail).
func (s *Service) Poll(ctx context.Context, p Poll) Plan {
	if s.Queue == nil {
		return s.ringAgents(p.Leg)
	}
	if p.Digits == CallbackKey && s.Callbacks != nil {
		if plan, ok := s.bookCallback(ctx, p); ok {
			return plan
		}
	}
	// Asking again is a sign of life: the caller is on hold, whatever
	// the line said (leaving it is final and stays so).
	s.setStateIfQueued(ctx, p.SID, models.QueueWaiting, s.Now())
	s.expire(ctx)
	e, err := s.Queue.Get(ctx, p.SID)
	if err != nil {
		s.Log.Warn("a call in line asked again; ringing the agents", "call", p.SID, "err", err)
		return s.ringAgents(p.Leg)
	}
	defer s.lineChanged()
	return s.inLine(ctx, *e, SayHolding)
}

func (s *Service) lineChanged() {
	if s.LineChanged != nil {
		s.LineChanged()
	}
}

// expire ends the calls that stopped asking: they must not hold the
// line.
func (s *Service) expire(ctx context.Context) {
	now := s.Now()
	gone, err := s.Queue.Expire(ctx, now.Add(-staleAfter), now)
	if err != nil {
		s.Log.Warn("expire calls gone from the line", "err", err)
	}
	for _, e := range gone {
		s.lineStep(ctx, e, models.CallAbandoned, now)
	}
}

// lineStep logs a step of a customer's call that only the line knows of:
// joining it, and leaving it other than by ringing through.
func (s *Service) lineStep(ctx context.Context, e models.QueueEntry, status models.CallStatus, at time.Time) {
	_, err := s.Record(ctx, models.CallEvent{
		Provider: s.Provider, SID: e.SID, TicketID: e.TicketID, Direction: models.CallInbound,
		From: e.Caller, To: Agent, Status: status, At: at,
	})
	if err != nil {
		s.Log.Warn("log a call in line", "call", e.SID, "status", status, "err", err)
	}
}

// inLine is what a call in line does now; say words its place if it
// holds on.
func (s *Service) inLine(ctx context.Context, e models.QueueEntry, say func(place int) string) Plan {
	now, leg := s.Now(), s.legOf(e)
	if !e.State.InLine() {
		// Answered or gone to voicemail already (a retried webhook).
		return s.ringAgents(leg)
	}
	maxWait := s.MaxWait
	if maxWait <= 0 {
		maxWait = MaxWaitDefault
	}
	if now.Sub(e.JoinedAt) >= maxWait {
		s.setState(ctx, e.SID, models.QueueVoicemail, now)
		// Nobody answered in time, as when the agents' ring goes
		// unanswered: the call is missed, unless the caller leaves a
		// message, which the log then reads as a voicemail.
		s.lineStep(ctx, e, models.CallNoAnswer, now)
		return Plan{
			Action: Voicemail, Say: SayLineFull, Thanks: SayVoicemailThanks, MaxSeconds: VoicemailSeconds,
			Leg: leg,
		}
	}
	pos, err := s.Queue.Position(ctx, e.SID)
	if err != nil {
		s.Log.Warn("place in line; ringing the agents", "call", e.SID, "err", err)
		return s.ringAgents(leg)
	}
	if available, _ := s.Team(ctx); pos == 1 && available > 0 {
		s.setState(ctx, e.SID, models.QueueRinging, now)
		return s.ringAgents(leg)
	}
	s.setState(ctx, e.SID, models.QueueWaiting, now) // also: still here
	leg.Stage = StageQueue
	plan := Plan{Action: Hold, Say: say(pos), Music: HoldMusicPath, Leg: leg}
	if s.Callbacks != nil {
		if number, _, _ := s.callbackNumber(ctx, e); number != "" {
			plan.Say += " " + SayCallbackOffer
			plan.Key = CallbackKey
		}
	}
	return plan
}

// legOf is the leg of a call in line.
func (s *Service) legOf(e models.QueueEntry) Leg { return inbound(e.TicketID, s.phoneOf(e.Caller)) }

// callbackNumber is the number a caller in line can be called back on:
// their ticket's, or the phone they call from; "" when there is none (a
// website caller who opened no ticket). It returns the ticket too.
func (s *Service) callbackNumber(ctx context.Context, e models.QueueEntry) (string, *models.Ticket, error) {
	if e.TicketID != nil {
		t, err := s.Tickets.Get(ctx, *e.TicketID)
		if err != nil {
			return "", nil, err
		}
		return t.PhoneNumber, t, nil
	}
	return s.phoneOf(e.Caller), nil, nil
}

// bookCallback takes a caller who pressed the key out of the line and
// records the callback on their ticket (a new one for a phone caller who
// has none); ok is false when they cannot be called back, and they hold
// on.
func (s *Service) bookCallback(ctx context.Context, p Poll) (Plan, bool) {
	e, err := s.Queue.Get(ctx, p.SID)
	if err != nil || !e.State.InLine() {
		return Plan{}, false
	}
	number, t, err := s.callbackNumber(ctx, *e)
	if err != nil || number == "" {
		return Plan{}, false
	}
	now := s.Now()
	if t == nil {
		t = &models.Ticket{
			Name: "Phone caller", PhoneNumber: number, Source: "callback",
			Description:    "Asked to be called back from the line, at " + now.UTC().Format("15:04 UTC") + ".",
			IdempotencyKey: "callback:" + p.SID, // a retried webhook finds this ticket again
		}
		created, err := s.Tickets.Create(ctx, t)
		if err != nil {
			s.Log.Warn("open a ticket for a callback; the caller holds on", "call", p.SID, "err", err)
			return Plan{}, false
		}
		if created && s.Created != nil {
			s.Created(t)
		}
	}
	_, err = s.Callbacks.Request(ctx, models.Callback{SID: p.SID, TicketID: t.ID, TicketNumber: t.Number, Name: t.Name, Number: number, RequestedAt: now})
	if err != nil {
		s.Log.Warn("record a callback; the caller holds on", "call", p.SID, "err", err)
		return Plan{}, false
	}
	s.setState(ctx, p.SID, models.QueueCallback, now)
	e.TicketID = &t.ID
	s.lineStep(ctx, *e, models.CallCallback, now)
	s.lineChanged()
	return Plan{Action: Say, Say: SayCallbackBooked(number)}, true
}

func (s *Service) setState(ctx context.Context, sid string, state models.QueueState, at time.Time) {
	if err := s.Queue.SetState(ctx, sid, state, at); err != nil {
		s.Log.Warn("move a call in line", "call", sid, "state", state, "err", err)
	}
}

// leftLine records what became of a call in line from its events. An
// answer lets the next caller move up at once. Ends are not read: the
// agents' unanswered leg ends while its caller goes on to voicemail
// (recorded as the plan is made); a caller who hangs up on hold stops
// asking and expires.
func (s *Service) leftLine(ctx context.Context, ev models.CallEvent) {
	if s.Queue == nil || ev.Direction != models.CallInbound || ev.SID == "" || ev.Status != models.CallAnswered {
		return
	}
	s.setStateIfQueued(ctx, ev.SID, models.QueueAnswered, ev.At)
	s.lineChanged()
}

// setStateIfQueued moves a call's entry if it has one: most calls (an
// agent's, or a customer's rung at once) never joined the line.
func (s *Service) setStateIfQueued(ctx context.Context, sid string, state models.QueueState, at time.Time) {
	err := s.Queue.SetState(ctx, sid, state, at)
	if err != nil && !errors.Is(err, models.ErrNotFound) {
		s.Log.Warn("move a call in line", "call", sid, "state", state, "err", err)
	}
}
