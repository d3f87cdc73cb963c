package models_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/ringdesk/ringdesk/models"
	"github.com/ringdesk/ringdesk/models/storetest"
)

var t0 = time.Date(2026, 3, 4, 9, 0, 0, 0, time.UTC)

// step is a call step s seconds after t0.
func step(status models.CallStatus, s int, duration ...int) models.CallStep {
	st := models.CallStep{Status: status, At: t0.Add(time.Duration(s) * time.Second)}
	if len(duration) > 0 {
		st.Duration = duration[0]
	}
	return st
}

func at(s int) *time.Time {
	v := t0.Add(time.Duration(s) * time.Second)
	return &v
}

func TestCallSummary(t *testing.T) {
	t.Parallel()
	const (
		initiated = models.CallInitiated
		ringing   = models.CallRinging
		answered  = models.CallAnswered
		completed = models.CallCompleted
	)
	tests := []struct {
		name      string
		steps     []models.CallStep
		recording int // RecordingDuration
		want      models.CallSummary
	}{
		{"no events yet", nil, 0, models.CallSummary{Status: initiated}},
		{"in order", []models.CallStep{step(initiated, 0), step(ringing, 1), step(answered, 5), step(completed, 65, 60)}, 0,
			models.CallSummary{Status: completed, AnsweredAt: at(5), Duration: 60, Steps: 4}},
		{"reversed", []models.CallStep{step(completed, 65, 60), step(answered, 5), step(ringing, 1), step(initiated, 0)}, 0,
			models.CallSummary{Status: completed, AnsweredAt: at(5), Duration: 60, Steps: 4}},
		{"completed before ringing", []models.CallStep{step(initiated, 0), step(completed, 65, 60), step(ringing, 1)}, 0,
			models.CallSummary{Status: completed, Duration: 60, Steps: 3}},
		{"a late ringing never undoes completed (same time stamps)", []models.CallStep{step(completed, 5, 3), step(ringing, 5)}, 0,
			models.CallSummary{Status: completed, Duration: 3, Steps: 2}},
		{"duplicates", []models.CallStep{step(ringing, 1), step(ringing, 1), step(answered, 5), step(answered, 5), step(completed, 65, 60), step(completed, 65, 60)}, 0,
			models.CallSummary{Status: completed, AnsweredAt: at(5), Duration: 60, Steps: 6}},
		{"no answered event but talk time", []models.CallStep{step(ringing, 1), step(completed, 50, 42)}, 0,
			models.CallSummary{Status: completed, Duration: 42, Steps: 2}},
		{"answered, duration from the times", []models.CallStep{step(answered, 5), step(completed, 95)}, 0,
			models.CallSummary{Status: completed, AnsweredAt: at(5), Duration: 90, Steps: 2}},
		{"two answered events: the first counts", []models.CallStep{step(answered, 9), step(answered, 5), step(completed, 65)}, 0,
			models.CallSummary{Status: completed, AnsweredAt: at(5), Duration: 60, Steps: 3}},
		{"completed without answer or talk time is no answer", []models.CallStep{step(initiated, 0), step(ringing, 1), step(completed, 31)}, 0,
			models.CallSummary{Status: models.CallNoAnswer, Steps: 3}},
		{"no-answer", []models.CallStep{step(ringing, 1), step(models.CallNoAnswer, 31)}, 0,
			models.CallSummary{Status: models.CallNoAnswer, Steps: 2}},
		{"busy", []models.CallStep{step(initiated, 0), step(models.CallBusy, 2)}, 0,
			models.CallSummary{Status: models.CallBusy, Steps: 2}},
		{"busy, then completed (as Vonage reports it)", []models.CallStep{step(ringing, 1), step(models.CallBusy, 2), step(completed, 3)}, 0,
			models.CallSummary{Status: models.CallBusy, Steps: 3}},
		{"canceled while ringing", []models.CallStep{step(ringing, 1), step(models.CallCanceled, 8)}, 0,
			models.CallSummary{Status: models.CallCanceled, Steps: 2}},
		{"failed", []models.CallStep{step(models.CallFailed, 0)}, 0,
			models.CallSummary{Status: models.CallFailed, Steps: 1}},
		{"still ringing", []models.CallStep{step(initiated, 0), step(ringing, 1)}, 0,
			models.CallSummary{Status: ringing, Steps: 2}},
		{"in call", []models.CallStep{step(ringing, 1), step(answered, 5)}, 0,
			models.CallSummary{Status: answered, AnsweredAt: at(5), Steps: 2}},
		{"voicemail after nobody answered", []models.CallStep{step(ringing, 1), step(completed, 31), step(models.CallVoicemail, 60)}, 17,
			models.CallSummary{Status: models.CallVoicemail, Duration: 17, Voicemail: true, Steps: 3}},
		{"voicemail arriving first", []models.CallStep{step(models.CallVoicemail, 60), step(completed, 31, 20), step(ringing, 1)}, 17,
			models.CallSummary{Status: models.CallVoicemail, Duration: 17, Voicemail: true, Steps: 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := models.Call{SID: "CA1", Direction: models.CallInbound, StartedAt: t0, Steps: tt.steps, RecordingDuration: tt.recording}
			want := tt.want
			want.SID, want.Direction, want.StartedAt = "CA1", models.CallInbound, t0
			if diff := cmp.Diff(want, c.Summary()); diff != "" {
				t.Errorf("Summary (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCallStatusTerminal(t *testing.T) {
	t.Parallel()
	for s, want := range map[models.CallStatus]bool{
		models.CallInitiated: false, models.CallRinging: false, models.CallAnswered: false,
		models.CallCompleted: true, models.CallBusy: true, models.CallNoAnswer: true,
		models.CallFailed: true, models.CallCanceled: true, models.CallVoicemail: true, "exploded": false,
	} {
		if got := s.Terminal(); got != want {
			t.Errorf("%q.Terminal() = %v, want %v", s, got, want)
		}
	}
}

// callSID returns a well-formed Twilio call id numbered n.
func callSID(n int) string { return fmt.Sprintf("CA%032x", n) }

func event(sid string, ticket *bson.ObjectID, status models.CallStatus, s int) models.CallEvent {
	return models.CallEvent{
		Provider: "twilio", SID: sid, TicketID: ticket, Direction: models.CallOutbound,
		From: "+15005550006", To: "+14155552671", Status: status, At: t0.Add(time.Duration(s) * time.Second), Seq: s,
	}
}

// countCalls counts the stored logs with sid.
func countCalls(t *testing.T, s *models.Store, sid string) int64 {
	t.Helper()
	n, err := s.Collection("calls").CountDocuments(t.Context(), bson.M{"sid": sid})
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestCallRecordIsIdempotent(t *testing.T) {
	t.Parallel()
	s := storetest.New(t)
	sid := callSID(1)
	ev := event(sid, nil, models.CallRinging, 1)
	for range 3 {
		if _, err := s.Calls.Record(t.Context(), ev); err != nil {
			t.Fatalf("Record: %v", err)
		}
	}
	c, err := s.Calls.Get(t.Context(), sid)
	if err != nil {
		t.Fatal(err)
	}
	if n := countCalls(t, s, sid); n != 1 || len(c.Steps) != 1 {
		t.Errorf("after 3 identical events: %d logs, %d steps; want 1 and 1", n, len(c.Steps))
	}
	want := models.Call{
		ID: c.ID, SID: sid, Provider: "twilio", Direction: models.CallOutbound,
		From: "+15005550006", To: "+14155552671", StartedAt: t0.Add(time.Second),
		Steps: []models.CallStep{{Status: models.CallRinging, At: t0.Add(time.Second), Seq: 1}},
	}
	if diff := cmp.Diff(&want, c); diff != "" {
		t.Errorf("stored call (-want +got):\n%s", diff)
	}
}

func TestCallRecordOutOfOrder(t *testing.T) {
	t.Parallel()
	s := storetest.New(t)
	tk := newTicket(t, 1)
	if _, err := s.Tickets.Create(t.Context(), tk); err != nil {
		t.Fatal(err)
	}
	sid := callSID(2)
	done := event(sid, &tk.ID, models.CallCompleted, 65)
	done.Duration = 60
	// The first event to arrive does not name the ticket; a later one
	// does. The numbers of the first event stay.
	first := done
	first.TicketID = nil
	late := event(sid, &tk.ID, models.CallRinging, 1)
	late.From, late.To = "+19999999999", "+18888888888"
	for _, ev := range []models.CallEvent{first, late, event(sid, &tk.ID, models.CallAnswered, 5), event(sid, &tk.ID, models.CallInitiated, 0)} {
		if _, err := s.Calls.Record(t.Context(), ev); err != nil {
			t.Fatalf("Record %s: %v", ev.Status, err)
		}
	}
	c, err := s.Calls.Get(t.Context(), sid)
	if err != nil {
		t.Fatal(err)
	}
	if c.TicketID == nil || *c.TicketID != tk.ID || !c.StartedAt.Equal(t0) || c.From != "+15005550006" || c.To != "+14155552671" {
		t.Errorf("call: ticket %v, started %v, %q => %q; want %v, %v, the numbers of the first event", c.TicketID, c.StartedAt, c.From, c.To, tk.ID, t0)
	}
	sum := c.Summary()
	if sum.Status != models.CallCompleted || sum.Duration != 60 || sum.AnsweredAt == nil || !sum.AnsweredAt.Equal(t0.Add(5*time.Second)) {
		t.Errorf("summary %+v, want completed, 60 s, answered at +5 s", sum)
	}
	got, err := s.Tickets.Get(t.Context(), tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string]models.CallSummary{sid: sum}, got.Calls); diff != "" {
		t.Errorf("ticket's call summaries (-want +got):\n%s", diff)
	}
}

// TestCallRecordConcurrentFirstEvents delivers a call's events all at
// once, as Twilio may: none may fail with a duplicate key, none may be
// lost, and the ticket ends with the summary of all of them.
func TestCallRecordConcurrentFirstEvents(t *testing.T) {
	t.Parallel()
	s := storetest.New(t)
	tk := newTicket(t, 1)
	if _, err := s.Tickets.Create(t.Context(), tk); err != nil {
		t.Fatal(err)
	}
	sid := callSID(3)
	const n = 20
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for i := range n {
		wg.Go(func() {
			ev := event(sid, &tk.ID, models.CallRinging, i)
			if i == n-1 {
				ev.Status, ev.Duration = models.CallCompleted, 30
			}
			if _, err := s.Calls.Record(t.Context(), ev); err != nil {
				errs <- err
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent Record: %v", err)
	}
	if n := countCalls(t, s, sid); n != 1 {
		t.Fatalf("%d logs for one call, want 1", n)
	}
	c, err := s.Calls.Get(t.Context(), sid)
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Steps) != n {
		t.Errorf("%d steps stored, want %d: concurrent events were lost", len(c.Steps), n)
	}
	got, err := s.Tickets.Get(t.Context(), tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	if sum := got.Calls[sid]; sum.Steps != len(c.Steps) || sum.Status != models.CallCompleted {
		t.Errorf("ticket summary %+v, want the view of all %d steps, completed", sum, len(c.Steps))
	}
}

// TestCallRecordConcurrentCallsOnOneTicket records several calls of one
// ticket at once while an agent closes the ticket: every call's summary
// and the status change must all survive.
func TestCallRecordConcurrentCallsOnOneTicket(t *testing.T) {
	t.Parallel()
	s := storetest.New(t)
	tk := newTicket(t, 1)
	if _, err := s.Tickets.Create(t.Context(), tk); err != nil {
		t.Fatal(err)
	}
	const n = 20
	var wg sync.WaitGroup
	errs := make(chan error, n+1)
	for i := range n {
		wg.Go(func() {
			if _, err := s.Calls.Record(t.Context(), event(callSID(100+i), &tk.ID, models.CallRinging, i)); err != nil {
				errs <- err
			}
		})
		if i == n/2 {
			wg.Go(func() {
				if err := s.Tickets.SetStatus(t.Context(), tk.ID, models.StatusClosed); err != nil {
					errs <- err
				}
			})
		}
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Errorf("concurrent write: %v", err)
	}
	got, err := s.Tickets.Get(t.Context(), tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(got.Calls) != n || got.Status != models.StatusClosed {
		t.Errorf("ticket has %d call summaries and status %q; want %d and closed: concurrent updates were lost", len(got.Calls), got.Status, n)
	}
}

func TestCallRecordSummaryOnlyWhenNewer(t *testing.T) {
	t.Parallel()
	s := storetest.New(t)
	tk := newTicket(t, 1)
	if _, err := s.Tickets.Create(t.Context(), tk); err != nil {
		t.Fatal(err)
	}
	sid := callSID(4)
	summary := func() models.CallSummary {
		t.Helper()
		got, err := s.Tickets.Get(t.Context(), tk.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got.Calls[sid]
	}
	record := func(ev models.CallEvent) {
		t.Helper()
		if _, err := s.Calls.Record(t.Context(), ev); err != nil {
			t.Fatal(err)
		}
	}
	record(event(sid, &tk.ID, models.CallRinging, 1))
	record(event(sid, &tk.ID, models.CallAnswered, 5))
	if got := summary(); got.Steps != 2 || got.Status != models.CallAnswered {
		t.Fatalf("summary after 2 events: %+v", got)
	}

	// Another instance has already written a view built from more events:
	// a view from fewer must not replace it.
	newer := models.CallSummary{SID: sid, Status: models.CallCompleted, Duration: 99, Steps: 9, StartedAt: t0}
	if _, err := s.Collection("tickets").UpdateOne(t.Context(), bson.M{"_id": tk.ID}, bson.M{"$set": bson.M{"calls." + sid: newer}}); err != nil {
		t.Fatal(err)
	}
	record(event(sid, &tk.ID, models.CallInitiated, 0))
	if diff := cmp.Diff(newer, summary()); diff != "" {
		t.Errorf("an older view replaced a newer one (-want +got):\n%s", diff)
	}
	// A retry adds no step, so the summary is not rewritten with less.
	record(event(sid, &tk.ID, models.CallInitiated, 0))
	if got := summary(); got.Steps != 9 {
		t.Errorf("summary steps = %d after a retry, want 9", got.Steps)
	}
}

func TestCallRecordKeepsVoicemailAndHangUp(t *testing.T) {
	t.Parallel()
	s := storetest.New(t)
	sid := callSID(5)
	ev := event(sid, nil, models.CallCanceled, 3)
	ev.HungUpBy = "caller"
	if _, err := s.Calls.Record(t.Context(), ev); err != nil {
		t.Fatal(err)
	}
	vm := event(sid, nil, models.CallVoicemail, 40)
	vm.RecordingURL, vm.RecordingDuration = "https://api.twilio.com/rec/RE1", 17
	c, err := s.Calls.Record(t.Context(), vm)
	if err != nil {
		t.Fatal(err)
	}
	if c.HungUpBy != "caller" || c.RecordingURL != vm.RecordingURL || c.RecordingDuration != 17 {
		t.Errorf("call %+v, want hung up by caller and the recording", c)
	}
	if sum := c.Summary(); sum.Status != models.CallVoicemail || sum.Duration != 17 {
		t.Errorf("summary %+v, want voicemail of 17 s", sum)
	}
}

func TestCallForTicketNewestFirst(t *testing.T) {
	t.Parallel()
	s := storetest.New(t)
	tk, other := bson.NewObjectID(), bson.NewObjectID()
	for _, c := range []struct {
		n      int
		ticket bson.ObjectID
		start  int
	}{{1, tk, 60}, {2, tk, 0}, {3, other, 90}, {4, tk, 120}, {5, tk, 30}} {
		if _, err := s.Calls.Record(t.Context(), event(callSID(c.n), &c.ticket, models.CallRinging, c.start)); err != nil {
			t.Fatal(err)
		}
	}
	calls, err := s.Calls.ForTicket(t.Context(), tk)
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, c := range calls {
		got = append(got, c.SID)
	}
	if diff := cmp.Diff([]string{callSID(4), callSID(1), callSID(5), callSID(2)}, got); diff != "" {
		t.Errorf("ForTicket order (-want +got):\n%s", diff)
	}
	none, err := s.Calls.ForTicket(t.Context(), bson.NewObjectID())
	if err != nil || none == nil || len(none) != 0 {
		t.Errorf("ForTicket of a ticket without calls = %v, %v; want an empty list", none, err)
	}
	if _, err := s.Calls.Get(t.Context(), callSID(99)); err != models.ErrNotFound {
		t.Errorf("Get of an unknown call: %v, want ErrNotFound", err)
	}
}
