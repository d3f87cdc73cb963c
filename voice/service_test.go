package voice_test

// The calling domain on a real store. What reaches a caller's ears, and
// that a customer never reaches a phone, is checked per provider by the
// handlers' policy table; these tests cover the decisions no webhook
// table reaches directly.

import (
	"context"
	"log/slog"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ringdesk/ringdesk/models"
	"github.com/ringdesk/ringdesk/models/storetest"
	"github.com/ringdesk/ringdesk/voice"
)

var at = time.Date(2026, 3, 4, 9, 0, 0, 0, time.UTC)

// newService is the domain over a fresh embedded store, with the hooks
// counting what the dashboards would be told.
func newService(t testing.TB, line voice.Line) (*voice.Service, *models.Store, *int) {
	t.Helper()
	store := storetest.New(t)
	created := 0
	return &voice.Service{
		Provider: "test", Line: line,
		Tickets: store.Tickets, Calls: store.Calls, Settings: store.Settings,
		Dial:   models.DialPolicy{Countries: []string{"US"}},
		Region: "US",
		Now:    func() time.Time { return at },
		Log:    slog.New(slog.DiscardHandler),

		TicketFromRef:   func(string) *models.ID { return nil },
		SoundCheckToken: func() string { return "token-1" },
		Created:         func(*models.Ticket) { created++ },
	}, store, &created
}

func TestLegRoundTrip(t *testing.T) {
	id := models.NewID()
	for _, leg := range []voice.Leg{
		{Direction: models.CallOutbound},
		{Direction: models.CallInbound, TicketID: &id, Stage: voice.StageAgents},
		{Direction: models.CallInbound, Stage: voice.StageFallback},
		{Direction: models.CallInbound, TicketID: &id, AfterHours: true},
		{Direction: models.CallInbound, Stage: voice.StageQueue, Caller: "+14155552671"},
	} {
		q := leg.Query()
		if !voice.Tagged(q) {
			t.Errorf("%v: query %v is not tagged", leg, q)
		}
		if got := voice.ParseLeg(q); !cmp.Equal(got, leg) {
			t.Errorf("ParseLeg(%v) = %+v, want %+v", q, got, leg)
		}
	}
	// What a caller could tamper with reads as nothing.
	got := voice.ParseLeg(url.Values{"dir": {"sideways"}, "ticketId": {"junk"}, "stage": {"voicemail"}})
	if !cmp.Equal(got, voice.Leg{Direction: models.CallOutbound}) {
		t.Errorf("ParseLeg of junk = %+v", got)
	}
	for _, caller := range []string{"client:customer", "14155552671", "+1 415 555 2671", "+0123456789", "+1415555267100000", `+1415"><Number>`} {
		if got := voice.ParseLeg(url.Values{"dir": {"inbound"}, "caller": {caller}}); got.Caller != "" {
			t.Errorf("ParseLeg kept the caller %q", caller)
		}
	}
	if voice.Tagged(url.Values{}) {
		t.Error("an empty query is tagged")
	}
}

func TestAgentNeedsCallerNumber(t *testing.T) {
	s, _, _ := newService(t, voice.Line{CallerNumberName: "caller I D", CallerNumberSetting: "TWILIO_CALLER_ID"})
	got := s.Answer(t.Context(), voice.Request{Caller: voice.Agent, PhoneNumber: "+14155552671"})
	want := "Calling phones is not set up yet: the server has no caller I D. Please ask your administrator to set TWILIO_CALLER_ID."
	if got.Action != voice.Say || got.Say != want {
		t.Errorf("plan %+v, want a spoken %q", got, want)
	}
}

func TestSoundCheckForAnyone(t *testing.T) {
	s, store, _ := newService(t, voice.Line{CallerNumber: "+15550100"})
	for _, caller := range []string{voice.Agent, voice.Customer, ""} {
		got := s.Answer(t.Context(), voice.Request{Caller: caller, SoundCheck: true, PhoneNumber: "+14155552671"})
		if got.Action != voice.SoundCheck || got.Token != "token-1" || got.Number != "" {
			t.Errorf("%q: plan %+v, want a sound check", caller, got)
		}
	}
	if n, _ := store.Tickets.CountOpen(t.Context()); n != 0 {
		t.Errorf("a sound check opened %d tickets", n)
	}
}

func TestNextAfterUnanswered(t *testing.T) {
	id := models.NewID()
	waiting := func(stage voice.Stage, reached bool) voice.Event {
		return voice.Event{Waiting: true, Reached: reached, Leg: voice.Leg{Direction: models.CallInbound, TicketID: &id, Stage: stage}}
	}
	voicemail := voice.Plan{
		Action: voice.Voicemail, Say: voice.SayVoicemailPrompt, Thanks: voice.SayVoicemailThanks, MaxSeconds: voice.VoicemailSeconds,
		Leg: voice.Leg{Direction: models.CallInbound, TicketID: &id},
	}
	fallback := voice.Plan{
		Action: voice.Fallback, Say: voice.SayFallback, Number: "+15550199", Ring: voice.RingSeconds,
		Leg: voice.Leg{Direction: models.CallInbound, TicketID: &id, Stage: voice.StageFallback},
	}
	tests := []struct {
		name     string
		fallback string
		ev       voice.Event
		want     *voice.Plan
	}{
		{"answered", "", waiting(voice.StageAgents, true), &voice.Plan{Action: voice.HangUp}},
		{"agents unanswered", "", waiting(voice.StageAgents, false), &voicemail},
		{"agents unanswered, a fallback phone", "+15550199", waiting(voice.StageAgents, false), &fallback},
		{"fallback unanswered", "+15550199", waiting(voice.StageFallback, false), &voicemail},
		{"nothing waiting", "+15550199", voice.Event{}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, _, _ := newService(t, voice.Line{FallbackNumber: tt.fallback})
			got, err := s.Event(t.Context(), tt.ev)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("next plan (-want +got):\n%s", diff)
			}
		})
	}
}

// TestWaitingCallGoesOnWhenLogFails: a caller waiting on the answer hears
// the next plan even when the database cannot log the event.
func TestWaitingCallGoesOnWhenLogFails(t *testing.T) {
	s, store, _ := newService(t, voice.Line{})
	if err := store.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	ev := models.CallEvent{Provider: "test", SID: "CA1", Direction: models.CallInbound, Status: models.CallNoAnswer, At: at}
	next, err := s.Event(context.Background(), voice.Event{Call: &ev, Waiting: true, Leg: voice.Leg{Direction: models.CallInbound, Stage: voice.StageAgents}})
	if err == nil || next == nil || next.Action != voice.Voicemail {
		t.Errorf("Event with the store closed = %+v, %v; want the voicemail plan and the error", next, err)
	}
}

func TestVoicemailOnce(t *testing.T) {
	s, store, created := newService(t, voice.Line{})
	rec := voice.Recording{SID: "CA2", From: "client:customer", URL: "https://example.com/r.mp3", Seconds: 75, Usable: true,
		Leg: voice.Leg{Direction: models.CallInbound}}
	for range 3 { // providers retry
		plan, err := s.Voicemail(t.Context(), rec)
		if err != nil || plan.Action != voice.Say || plan.Say != voice.SayVoicemailThanks {
			t.Fatalf("Voicemail = %+v, %v", plan, err)
		}
	}
	if *created != 1 {
		t.Errorf("dashboards told of %d new tickets, want 1", *created)
	}
	c, err := store.Calls.Get(t.Context(), "CA2")
	if err != nil || c.TicketID == nil || c.RecordingDuration != 75 {
		t.Fatalf("call %+v, %v; want the voicemail on a ticket", c, err)
	}
	tk, err := store.Tickets.Get(t.Context(), *c.TicketID)
	if err != nil || tk.Name != "Website caller" || tk.Source != "voicemail" {
		t.Errorf("ticket %+v, %v", tk, err)
	}
	for _, r := range []voice.Recording{{SID: "CA3", Seconds: 0, Usable: true}, {SID: "CA4", Seconds: 9}} {
		plan, err := s.Voicemail(t.Context(), r)
		if err != nil || plan.Say != voice.SayGoodbye {
			t.Errorf("%+v: plan %+v, %v; want goodbye", r, plan, err)
		}
	}
	if n, _ := store.Tickets.CountOpen(t.Context()); n != 1 {
		t.Errorf("%d tickets, want only the voicemail's", n)
	}
}

func TestFormatDuration(t *testing.T) {
	for seconds, want := range map[int]string{0: "0:00", 9: "0:09", 75: "1:15", 600: "10:00"} {
		if got := voice.FormatDuration(seconds); got != want {
			t.Errorf("FormatDuration(%d) = %q, want %q", seconds, got, want)
		}
	}
}

// TestBusinessHours: outside the hours a customer's call goes to
// voicemail, told when support opens again; the agents' own calls go out
// whatever the hours; hours that cannot be read let calls through.
func TestBusinessHours(t *testing.T) {
	s, store, created := newService(t, voice.Line{CallerNumber: "+15550100"})
	nine := models.DayHours{Open: "09:00", Close: "17:00"}
	// at is Wednesday 09:00 UTC, 04:00 in New York: closed until 09:00 there.
	hours := models.Hours{Zone: "America/New_York", Week: []models.DayHours{{}, nine, nine, nine, nine, nine, {}}}
	if err := store.Settings.SetHours(t.Context(), hours); err != nil {
		t.Fatal(err)
	}
	id := models.NewID()
	s.TicketFromRef = func(string) *models.ID { return &id }
	got := s.Answer(t.Context(), voice.Request{Caller: voice.Customer, TicketRef: "ref"})
	say := "Thank you for calling support. We are closed right now. We open again today at 9:00 AM, New York time." +
		" Please leave a message with your name and phone number after the tone, then press the pound key or hang up."
	want := voice.Plan{
		Action: voice.Voicemail, Say: say, Thanks: voice.SayVoicemailThanks, MaxSeconds: voice.VoicemailSeconds,
		Leg: voice.Leg{Direction: models.CallInbound, TicketID: &id, AfterHours: true},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("a customer's call out of hours (-want +got):\n%s", diff)
	}
	if got := s.Answer(t.Context(), voice.Request{Caller: voice.Agent, PhoneNumber: "+14155552671"}); got.Action != voice.DialPhone {
		t.Errorf("an agent's call out of hours = %+v, want it dialled", got)
	}

	// A message from a caller with no ticket says when it was left.
	s.TicketFromRef = func(string) *models.ID { return nil }
	plan := s.Answer(t.Context(), voice.Request{Caller: voice.Customer})
	if _, err := s.Voicemail(t.Context(), voice.Recording{SID: "CA9", URL: "https://example.com/r", Seconds: 31, Usable: true, Leg: plan.Leg}); err != nil {
		t.Fatal(err)
	}
	tickets, _, err := store.Tickets.List(t.Context(), nil, 10)
	if err != nil || len(tickets) != 1 || *created != 1 {
		t.Fatalf("tickets after an out-of-hours voicemail: %+v, %v (%d created)", tickets, err, *created)
	}
	if d := tickets[0].Description; !strings.Contains(d, "outside business hours (0:31)") {
		t.Errorf("voicemail ticket says %q", d)
	}

	// In hours, the agents ring.
	s.Now = func() time.Time { return time.Date(2026, 3, 4, 15, 0, 0, 0, time.UTC) } // 10:00 in New York
	if got := s.Answer(t.Context(), voice.Request{Caller: voice.Customer}); got.Action != voice.RingAgents {
		t.Errorf("a customer's call in hours = %+v, want the agents rung", got)
	}

	// Every day closed: no next opening to promise.
	if err := store.Settings.SetHours(t.Context(), models.Hours{Zone: "UTC", Week: make([]models.DayHours, 7)}); err != nil {
		t.Fatal(err)
	}
	if got := s.Answer(t.Context(), voice.Request{Caller: voice.Customer}); got.Action != voice.Voicemail || !strings.Contains(got.Say, "closed until further notice") {
		t.Errorf("every day closed: %+v", got)
	}

	// The store gone: the call rings the agents rather than turning away.
	if err := store.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	if got := s.Answer(context.Background(), voice.Request{Caller: voice.Customer}); got.Action != voice.RingAgents {
		t.Errorf("hours unreadable: %+v, want the agents rung", got)
	}
}
