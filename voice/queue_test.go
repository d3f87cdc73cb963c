package voice_test

import (
	"context"
	"testing"
	"time"

	"github.com/ringdesk/ringdesk/models"
	"github.com/ringdesk/ringdesk/voice"
)

// lineService is the domain with a line, an agent present but away.
func lineService(t *testing.T) (*voice.Service, *models.Store, *int) {
	t.Helper()
	s, store, _ := newService(t, voice.Line{})
	available := 0
	s.Queue = store.Queue
	s.Team = func(context.Context) (int, int) { return available, 1 }
	return s, store, &available
}

// wantCallLog checks the call log of a customer's call that left the
// line unanswered: one inbound row from started to ended, with outcome.
func wantCallLog(t *testing.T, store *models.Store, sid string, started, ended time.Time, outcome models.CallOutcome) {
	t.Helper()
	c, err := store.Calls.Get(t.Context(), sid)
	if err != nil {
		t.Fatalf("call log of %s: %v", sid, err)
	}
	row := models.NewCallRow(c)
	if row.Direction != models.CallInbound || !row.Started.Equal(started) || !row.Ended.Equal(ended) ||
		row.Outcome != outcome || row.Wait != ended.Sub(started) {
		t.Errorf("call log of %s reads %+v; want inbound from %v to %v (all of it waiting), %s", sid, row, started, ended, outcome)
	}
}

// TestLineWaitsAtMostMaxWait: a caller still in line after MaxWait is
// offered voicemail and leaves the line.
func TestLineWaitsAtMostMaxWait(t *testing.T) {
	s, store, _ := lineService(t)
	s.MaxWait = 3 * time.Minute
	now := at
	s.Now = func() time.Time { return now }
	if got := s.Answer(t.Context(), voice.Request{Caller: voice.Customer, SID: "CA1"}); got.Action != voice.Hold {
		t.Fatalf("first plan %+v, want hold", got)
	}
	for now.Before(at.Add(s.MaxWait - voice.HoldSeconds*time.Second)) {
		now = now.Add(voice.HoldSeconds * time.Second)
		if got := s.Poll(t.Context(), voice.Poll{SID: "CA1"}); got.Action != voice.Hold {
			t.Fatalf("%v into the wait: %+v, want hold", now.Sub(at), got)
		}
	}
	now = at.Add(s.MaxWait)
	got := s.Poll(t.Context(), voice.Poll{SID: "CA1"})
	if got.Action != voice.Voicemail || got.Say != voice.SayLineFull {
		t.Fatalf("after the longest wait: %+v, want voicemail", got)
	}
	if e, err := store.Queue.Get(t.Context(), "CA1"); err != nil || e.State != models.QueueVoicemail {
		t.Errorf("entry %+v, %v; want gone to voicemail", e, err)
	}
	// Missed after the whole wait, until a message is left.
	wantCallLog(t, store, "CA1", at, now, models.OutcomeMissed)
	if _, err := s.Voicemail(t.Context(), voice.Recording{SID: "CA1", URL: "https://api.twilio.com/rec/RE1", Seconds: 9, Usable: true,
		Leg: voice.Leg{Direction: models.CallInbound}}); err != nil {
		t.Fatal(err)
	}
	wantCallLog(t, store, "CA1", at, now, models.OutcomeVoicemail)
}

// TestLineForgetsCallersWhoStopAsking: a caller who hung up on hold
// (the provider does not always say) stops asking; the line moves on
// without them.
func TestLineForgetsCallersWhoStopAsking(t *testing.T) {
	s, store, available := lineService(t)
	now := at
	s.Now = func() time.Time { return now }
	s.Answer(t.Context(), voice.Request{Caller: voice.Customer, SID: "CA1"})
	now = now.Add(time.Second)
	if got := s.Answer(t.Context(), voice.Request{Caller: voice.Customer, SID: "CA2"}); got.Say != voice.SayJoined(2) {
		t.Fatalf("second caller hears %q", got.Say)
	}
	// CA1 never asks again; CA2 keeps asking and, once CA1 is stale,
	// is first and rings.
	*available = 1
	for i := 0; i < 4; i++ {
		now = now.Add(voice.HoldSeconds * time.Second)
		got := s.Poll(t.Context(), voice.Poll{SID: "CA2"})
		if got.Action == voice.RingAgents {
			e, _ := store.Queue.Get(t.Context(), "CA1")
			if e == nil || e.State != models.QueueAbandoned {
				t.Fatalf("the caller who stopped asking: %+v, want abandoned", e)
			}
			// The call log tells it too: in line from the start, hung up
			// in line when the line found out.
			wantCallLog(t, store, "CA1", at, e.UpdatedAt, models.OutcomeAbandoned)
			return
		}
	}
	t.Fatal("the second caller never moved up past a caller who stopped asking")
}

// TestLineAnsweredMovesTheNextUp: the answer to the first caller's call,
// reported as a call event, lets the next caller ring.
func TestLineAnsweredMovesTheNextUp(t *testing.T) {
	s, _, available := lineService(t)
	*available = 1
	if got := s.Answer(t.Context(), voice.Request{Caller: voice.Customer, SID: "CA1"}); got.Action != voice.RingAgents {
		t.Fatalf("first caller with an agent free: %+v, want rung", got)
	}
	if got := s.Answer(t.Context(), voice.Request{Caller: voice.Customer, SID: "CA2"}); got.Action != voice.Hold || got.Say != voice.SayJoined(2) {
		t.Fatalf("second caller while the first rings: %+v", got)
	}
	ev := models.CallEvent{Provider: "test", SID: "CA1", Direction: models.CallInbound, Status: models.CallAnswered, At: at}
	if _, err := s.Event(t.Context(), voice.Event{Call: &ev}); err != nil {
		t.Fatal(err)
	}
	if got := s.Poll(t.Context(), voice.Poll{SID: "CA2"}); got.Action != voice.RingAgents {
		t.Errorf("second caller after the first was answered: %+v, want rung", got)
	}
}

// TestCallbackFromTheLine: pressing 1 books a callback on the caller's
// ticket and ends the call; the key does nothing for a caller with no
// number; calling the ticket makes the callback.
func TestCallbackFromTheLine(t *testing.T) {
	s, store, _ := lineService(t)
	s.Callbacks = store.Callbacks
	tk := &models.Ticket{Name: "Ada", PhoneNumber: "+14155552671", Description: "Headset"}
	if _, err := store.Tickets.Create(t.Context(), tk); err != nil {
		t.Fatal(err)
	}
	s.TicketFromRef = func(string) *models.ID { return &tk.ID }
	if got := s.Answer(t.Context(), voice.Request{Caller: voice.Customer, SID: "CA1"}); got.Key != voice.CallbackKey {
		t.Fatalf("hold %+v, want the callback key offered", got)
	}
	got := s.Poll(t.Context(), voice.Poll{SID: "CA1", Digits: voice.CallbackKey})
	if got.Action != voice.Say || got.Say != voice.SayCallbackBooked(tk.PhoneNumber) {
		t.Fatalf("pressed 1: %+v", got)
	}
	if list, n, err := store.Callbacks.Pending(t.Context(), 5); err != nil || n != 1 || list[0].TicketID != tk.ID {
		t.Fatalf("pending %+v (%d), %v", list, n, err)
	}
	wantCallLog(t, store, "CA1", at, at, models.OutcomeCallback)
	if c, _ := store.Calls.Get(t.Context(), "CA1"); c.TicketID == nil || *c.TicketID != tk.ID {
		t.Errorf("the callback's call log is on ticket %v, want %s", c.TicketID, tk.ID.Hex())
	}
	// Another key, or none, holds on; so does a caller with no number.
	s.TicketFromRef = func(string) *models.ID { return nil }
	s.Answer(t.Context(), voice.Request{Caller: voice.Customer, SID: "CA2"})
	if got := s.Poll(t.Context(), voice.Poll{SID: "CA2", Digits: voice.CallbackKey}); got.Action != voice.Hold || got.Key != "" {
		t.Errorf("a caller with no number pressed 1: %+v, want hold without an offer", got)
	}
	// The agent calls the ticket: the callback is made.
	s.Line.CallerNumber = "+15550100"
	if got := s.Answer(t.Context(), voice.Request{Caller: voice.Agent, TicketID: tk.ID.Hex()}); got.Action != voice.DialPhone {
		t.Fatalf("agent's call: %+v", got)
	}
	if _, n, _ := store.Callbacks.Pending(t.Context(), 5); n != 0 {
		t.Errorf("%d callbacks pending after the agent called the ticket", n)
	}
}
