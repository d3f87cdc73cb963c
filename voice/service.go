package voice

import (
	"context"
	"errors"
	"log/slog"
	"strconv"
	"strings"
	"time"

	"github.com/ringdesk/ringdesk/models"
)

// Tickets is what calls need from the ticket repository.
type Tickets interface {
	Get(ctx context.Context, id models.ID) (*models.Ticket, error)
	Create(ctx context.Context, t *models.Ticket) (created bool, err error)
	ForPhone(ctx context.Context, phone string, limit int) ([]models.Ticket, error)
}

// Settings is what calls need from the settings: the business hours.
type Settings interface {
	Hours(ctx context.Context) (models.Hours, error)
}

// CallLog is what calls need from the call repository.
type CallLog interface {
	Record(ctx context.Context, ev models.CallEvent) (*models.Call, error)
}

// Service decides what calls do, for whichever provider carries them.
type Service struct {
	Provider string // the adapter's name, written into the call log
	Line     Line
	Tickets  Tickets
	Calls    CallLog
	Settings Settings // nil: always open
	// Queue and Team make the line customers wait in when every agent is
	// busy; either nil: calls ring the agents at once.
	Queue Queue
	Team  Team
	// LineChanged tells the dashboards that the line may have changed.
	LineChanged func()
	// Callbacks, when set, lets a caller in line press 1 to be called
	// back instead of waiting.
	Callbacks Callbacks
	// MaxWait is how long a call may wait in line before it is offered
	// voicemail (QUEUE_MAX_WAIT; MaxWaitDefault when zero).
	MaxWait time.Duration

	Dial   models.DialPolicy
	Region string // PHONE_REGION, for numbers typed without a country code
	Now    func() time.Time
	Log    *slog.Logger

	// TicketFromRef returns the ticket a customer's signed reference
	// names, or nil when it is missing or forged.
	TicketFromRef func(ref string) *models.ID
	// SoundCheckToken mints a one-time token for the sound-check socket.
	SoundCheckToken func() string
	// Recorded and Created tell the dashboards about a logged call event
	// and a new ticket.
	Recorded func(ctx context.Context, call *models.Call)
	Created  func(t *models.Ticket)
}

// Answer plans a new call. The caller's role comes only from the signed
// Caller: the agent may dial a ticket's number or a valid number; anyone
// else rings the agents, never a phone, whatever the browser asked for.
// Anyone may run a sound check: it only echoes the caller.
func (s *Service) Answer(ctx context.Context, r Request) Plan {
	switch {
	case r.SoundCheck:
		return Plan{Action: SoundCheck, Say: SaySoundCheck, Token: s.SoundCheckToken()}
	case r.Caller != Agent:
		// One read of the hours is all a customer's call waits for; the
		// log starts with the first event.
		leg := inbound(s.TicketFromRef(r.TicketRef), s.phoneOf(r.From))
		if say, closed := s.closed(ctx); closed {
			leg.AfterHours = true
			return Plan{Action: Voicemail, Say: say, Thanks: SayVoicemailThanks, MaxSeconds: VoicemailSeconds, Leg: leg}
		}
		return s.line(ctx, r, leg)
	}
	number, ticketID, say := s.agentTarget(ctx, r)
	switch {
	case say != "":
		return Plan{Action: Say, Say: say}
	case s.Line.CallerNumber == "":
		return Plan{Action: Say, Say: SayNoCallerNumber(s.Line)}
	}
	if ticketID != nil && s.Callbacks != nil {
		// Calling the ticket is the callback its customer asked for.
		if err := s.Callbacks.Done(ctx, *ticketID, s.Now()); err != nil {
			s.Log.Warn("mark a ticket's callbacks made", "ticket", ticketID.Hex(), "err", err)
		}
		s.lineChanged()
	}
	return Plan{Action: DialPhone, Number: number, Leg: Leg{Direction: models.CallOutbound, TicketID: ticketID}}
}

// hoursTimeout bounds the read of the hours for a new call.
const hoursTimeout = time.Second

// closed reports whether support is closed now and, if so, what the
// caller hears. Hours that cannot be read count as open: a caller rung
// through on a database blip is better than one sent to voicemail.
func (s *Service) closed(ctx context.Context) (say string, closed bool) {
	if s.Settings == nil {
		return "", false
	}
	// The provider waits on this answer with the caller listening.
	ctx, cancel := context.WithTimeout(ctx, hoursTimeout)
	defer cancel()
	h, err := s.Settings.Hours(ctx)
	if err != nil {
		s.Log.Warn("read business hours; taking the call as in hours", "err", err)
		return "", false
	}
	now := s.Now()
	if h.OpenAt(now) {
		return "", false
	}
	next, ok := h.NextOpen(now)
	return SayClosed(next, now, ok), true
}

// ringAgents rings the agents for a customer's call on leg.
func (s *Service) ringAgents(leg Leg) Plan {
	leg.Stage = StageAgents
	return Plan{Action: RingAgents, Say: SayTransferring, Agents: Agent, Ring: RingSeconds, Leg: leg}
}

// phoneOf is the number a customer calls from, in E.164, when it is a
// phone; "" for a website caller.
func (s *Service) phoneOf(from string) string {
	if !strings.HasPrefix(from, "+") {
		return ""
	}
	if number, msg := models.NormalizePhone(from, s.Region); msg == "" {
		return number
	}
	return ""
}

// agentTarget decides which number an agent's call goes to: the ticket's
// stored number when a ticket is named, else the number typed, if valid
// and allowed by the dial policy. say is non-empty when the call cannot
// go ahead and tells the agent why.
func (s *Service) agentTarget(ctx context.Context, r Request) (number string, ticketID *models.ID, say string) {
	if r.TicketID != "" {
		id, err := models.ParseID(r.TicketID)
		if err != nil {
			return "", nil, SayTicketGone
		}
		t, err := s.Tickets.Get(ctx, id)
		switch {
		case errors.Is(err, models.ErrNotFound):
			return "", nil, SayTicketGone
		case err != nil:
			s.Log.Warn("connect call: load ticket", "err", err)
			return "", nil, SayDatabaseDown
		case t.PhoneNumber == "":
			return "", nil, SayTicketNoPhone
		}
		if say := s.refusal(s.Dial.CheckStored(t.PhoneNumber)); say != "" {
			return "", nil, say
		}
		return t.PhoneNumber, &t.ID, ""
	}
	if r.PhoneNumber == "" {
		return "", nil, SayNoTarget
	}
	e164, msg := models.NormalizePhone(r.PhoneNumber, s.Region)
	if msg != "" {
		return "", nil, SayBadNumber
	}
	if say := s.refusal(s.Dial.CheckTyped(e164)); say != "" {
		return "", nil, say
	}
	return e164, nil, ""
}

// refusal words a dial policy's refusal for the agent; "" when the number
// may be dialled.
func (s *Service) refusal(err error) string {
	if err == nil {
		return ""
	}
	s.Log.Info("refused an agent's call", "reason", err)
	switch {
	case errors.Is(err, models.ErrPremiumNumber):
		return SayPremiumNumber
	case errors.Is(err, models.ErrSharedCostNumber):
		return SaySharedCost
	case errors.Is(err, models.ErrCountryNotAllowed):
		return SayCountryBlocked
	}
	return SayBadNumber
}

// Event logs a call event and, when the provider waits for it, returns
// what the call does next (nil when nothing is waiting). A waiting call
// goes on even if the log could not be written; the error is returned
// for the caller to log or answer.
func (s *Service) Event(ctx context.Context, ev Event) (*Plan, error) {
	var err error
	if ev.Call != nil {
		_, err = s.Record(ctx, *ev.Call)
		s.leftLine(ctx, *ev.Call)
	}
	if !ev.Waiting {
		return nil, err
	}
	next := s.next(ev)
	sid := ev.SID
	if ev.Call != nil {
		sid = ev.Call.SID
	}
	if s.Queue != nil && sid != "" {
		// Out of the line either way: answered, or on to the fallback
		// phone or voicemail.
		state := models.QueueVoicemail
		if ev.Reached {
			state = models.QueueAnswered
		}
		s.setStateIfQueued(ctx, sid, state, s.Now())
		s.lineChanged()
	}
	return &next, err
}

// next is what a waiting call does: it is over once answered; a
// customer's call the agents did not answer goes to the fallback phone
// if there is one, else to voicemail, as it does when the fallback phone
// does not answer either.
func (s *Service) next(ev Event) Plan {
	if ev.Reached {
		return Plan{Action: HangUp}
	}
	leg := inbound(ev.Leg.TicketID, ev.Leg.Caller)
	if ev.Leg.Stage == StageAgents && s.Line.FallbackNumber != "" {
		leg.Stage = StageFallback
		return Plan{Action: Fallback, Say: SayFallback, Number: s.Line.FallbackNumber, Ring: RingSeconds, Leg: leg}
	}
	return Plan{Action: Voicemail, Say: SayVoicemailPrompt, Thanks: SayVoicemailThanks, MaxSeconds: VoicemailSeconds, Leg: leg}
}

// Record adds a call event to the log and tells the dashboards.
// Retries and out-of-order events are harmless (see models.CallRepository).
func (s *Service) Record(ctx context.Context, ev models.CallEvent) (*models.Call, error) {
	call, err := s.Calls.Record(ctx, ev)
	if err == nil && s.Recorded != nil {
		s.Recorded(ctx, call)
	}
	return call, err
}

// Voicemail attaches a recorded message to the caller's ticket, or to a
// new "Website caller" ticket when the caller had not opened one, and
// returns what the caller hears next. An empty or unusable recording is
// not kept. A retried webhook finds the same ticket again. On an error
// the recording stays with the provider and its address is logged, so
// nothing is lost while the database is away.
func (s *Service) Voicemail(ctx context.Context, r Recording) (Plan, error) {
	if !r.Usable || r.Seconds == 0 {
		return Plan{Action: Say, Say: SayGoodbye}, nil
	}
	err := s.attachVoicemail(ctx, r)
	if err != nil {
		s.Log.Error("save voicemail", "call", r.SID, "recording", r.URL, "err", err)
	}
	return Plan{Action: Say, Say: SayVoicemailThanks}, err
}

func (s *Service) attachVoicemail(ctx context.Context, r Recording) error {
	ticketID, from := r.Leg.TicketID, r.From
	if r.Leg.Caller != "" {
		from = r.Leg.Caller
	}
	if ticketID == nil {
		when := "after no agent answered"
		if r.Leg.AfterHours {
			when = "outside business hours"
		}
		t := models.Ticket{
			Name:           "Website caller",
			Description:    "Voicemail left from the website " + when + " (" + FormatDuration(r.Seconds) + "). The caller did not open a ticket first, so there is no number to call back: listen for one in the message.",
			Source:         "voicemail",
			IdempotencyKey: "voicemail:" + r.SID, // a retried webhook finds this ticket again
		}
		if r.Leg.Caller != "" {
			t.Name, t.PhoneNumber = "Phone caller", r.Leg.Caller
			t.Description = "Voicemail left from a phone " + when + " (" + FormatDuration(r.Seconds) + "). Call back on the number it came from."
		}
		created, err := s.Tickets.Create(ctx, &t)
		if err != nil {
			return err
		}
		if created && s.Created != nil {
			s.Created(&t)
		}
		ticketID = &t.ID
	}
	_, err := s.Record(ctx, models.CallEvent{
		Provider: s.Provider, SID: r.SID, TicketID: ticketID, Direction: models.CallInbound, From: from,
		Status: models.CallVoicemail, At: s.Now(), RecordingURL: r.URL, RecordingDuration: r.Seconds,
	})
	return err
}

// FormatDuration writes seconds as m:ss.
func FormatDuration(seconds int) string {
	d := time.Duration(seconds) * time.Second
	m, sec := int(d/time.Minute), int(d%time.Minute/time.Second)
	if sec < 10 {
		return strconv.Itoa(m) + ":0" + strconv.Itoa(sec)
	}
	return strconv.Itoa(m) + ":" + strconv.Itoa(sec)
}
