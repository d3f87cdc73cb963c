package sqlite_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/ringdesk/ringdesk/models"
	"github.com/ringdesk/ringdesk/models/sqlite"
)

// TestRecordConcurrentStepsKeepsAll delivers twenty status callbacks of
// one call at once, as a provider under load does: every step is kept,
// and the ticket's summary counts them all.
func TestRecordConcurrentStepsKeepsAll(t *testing.T) {
	s := open(t, sqlite.Options{})
	ctx := context.Background()
	tk := create(t, s, "a busy call")
	start := models.Now()
	const n = 20
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			_, errs[i] = s.Calls.Record(ctx, models.CallEvent{
				Provider: "twilio", SID: "CA-busy", TicketID: &tk.ID, Direction: models.CallOutbound,
				Status: models.CallRinging, At: start.Add(time.Duration(i) * time.Millisecond), Seq: i,
			})
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("Record step %d: %v", i, err)
		}
	}
	call, err := s.Calls.Get(ctx, "CA-busy")
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if len(call.Steps) != n {
		t.Errorf("call has %d steps after %d concurrent events, want %d", len(call.Steps), n, n)
	}
	if !call.StartedAt.Equal(start) {
		t.Errorf("StartedAt = %v, want the earliest step %v", call.StartedAt, start)
	}
	got, err := s.Tickets.Get(ctx, tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	if sum := got.Calls["CA-busy"]; sum.Steps != n {
		t.Errorf("ticket's summary counts %d steps, want %d", sum.Steps, n)
	}
}

// TestRecordRetryAddsNothing: a retried webhook is the same step.
func TestRecordRetryAddsNothing(t *testing.T) {
	s := open(t, sqlite.Options{})
	ctx := context.Background()
	tk := create(t, s, "a retried webhook")
	at := models.Now()
	ev := models.CallEvent{Provider: "vonage", SID: "conv-1", TicketID: &tk.ID, Direction: models.CallInbound,
		From: "+14155552671", To: "agent", Status: models.CallAnswered, At: at, Seq: 3}
	first, err := s.Calls.Record(ctx, ev)
	if err != nil {
		t.Fatal(err)
	}
	// The retry, and a later event that knows less about the call.
	if _, err := s.Calls.Record(ctx, ev); err != nil {
		t.Fatal(err)
	}
	done := models.CallEvent{Provider: "vonage", SID: "conv-1", Status: models.CallCompleted,
		At: at.Add(30 * time.Second), Seq: 4, Duration: 30, HungUpBy: "customer"}
	last, err := s.Calls.Record(ctx, done)
	if err != nil {
		t.Fatal(err)
	}
	if last.ID != first.ID || len(last.Steps) != 2 {
		t.Fatalf("after a retry and a new step: id %v (first %v), %d steps; want the same call, 2 steps", last.ID, first.ID, len(last.Steps))
	}
	if last.Direction != models.CallInbound || last.From != "+14155552671" || last.HungUpBy != "customer" || last.TicketID == nil {
		t.Errorf("call = %+v, want the first event's direction and numbers, the ticket, and who hung up", last)
	}
	byID, err := s.Calls.GetByID(ctx, last.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(byID.Steps) != 2 || !byID.Steps[0].At.Equal(at) {
		t.Errorf("GetByID = %+v", byID)
	}
	list, err := s.Calls.ForTicket(ctx, tk.ID)
	if err != nil || len(list) != 1 || list[0].SID != "conv-1" {
		t.Errorf("ForTicket = %v, %v; want the one call", list, err)
	}
	got, err := s.Tickets.Get(ctx, tk.ID)
	if err != nil {
		t.Fatal(err)
	}
	sum := got.Calls["conv-1"]
	if sum.Status != models.CallCompleted || sum.Duration != 30 || sum.Steps != 2 || sum.AnsweredAt == nil || !sum.AnsweredAt.Equal(at) {
		t.Errorf("ticket's summary = %+v", sum)
	}
}
