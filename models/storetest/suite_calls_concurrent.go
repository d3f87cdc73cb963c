package storetest

import (
	"sync"
	"testing"

	"github.com/ringdesk/ringdesk/models"
)

var callConcurrencyTests = []test{
	{"RecordConcurrentFirstEvents", testCallConcurrentFirstEvents},
	{"RecordConcurrentStepsOfOneCall", testCallConcurrentSteps},
	{"RecordConcurrentCallsOnOneTicket", testCallConcurrentCalls},
}

// recordAll records events all at once, as providers deliver them, and
// reports every error.
func recordAll(t *testing.T, s *models.Store, events []models.CallEvent) {
	t.Helper()
	errs := make([]error, len(events))
	var wg sync.WaitGroup
	for i, ev := range events {
		wg.Go(func() { _, errs[i] = s.Calls.Record(t.Context(), ev) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("concurrent Record %s: %v", events[i].Status, err)
		}
	}
}

// checkAllSteps checks that the call kept all n steps and that its
// ticket shows the summary of all of them.
func checkAllSteps(t *testing.T, s *models.Store, sid string, ticket models.ID, n int) {
	t.Helper()
	if got := countCalls(t, s, sid); got != 1 {
		t.Fatalf("%d logs for one call, want 1", got)
	}
	c := getCall(t, s, sid)
	if len(c.Steps) != n {
		t.Errorf("%d steps stored, want %d: concurrent events were lost", len(c.Steps), n)
	}
	if sum := getTicket(t, s, ticket).Calls[sid]; sum.Steps != len(c.Steps) || sum.Status != models.CallCompleted {
		t.Errorf("ticket summary %+v, want the view of all %d steps, completed", sum, len(c.Steps))
	}
}

// twentySteps returns 20 distinct events of one call, the last of which
// completes it.
func twentySteps(sid string, ticket *models.ID) []models.CallEvent {
	events := make([]models.CallEvent, 20)
	for i := range events {
		events[i] = event(sid, ticket, models.CallRinging, i+1)
	}
	events[len(events)-1].Status, events[len(events)-1].Duration = models.CallCompleted, 30
	return events
}

// testCallConcurrentFirstEvents delivers a call's events all at once, as
// Twilio may: none may fail with a duplicate key, none may be lost, and
// the ticket ends with the summary of all of them.
func testCallConcurrentFirstEvents(t *testing.T, f Factory) {
	skipOnStandIn(t, f, "it applies concurrent updates of one call log as read-then-write, so simultaneous events overwrite each other's steps")
	s := f.New(t)
	tk := createTickets(t, s, 1, 1)[0]
	sid := callSID(3)
	events := twentySteps(sid, &tk.ID)
	recordAll(t, s, events)
	checkAllSteps(t, s, sid, tk.ID, len(events))
}

// testCallConcurrentSteps delivers 20 events at once for a call whose log
// already exists.
func testCallConcurrentSteps(t *testing.T, f Factory) {
	skipOnStandIn(t, f, "it applies concurrent updates of one call log as read-then-write, so simultaneous events overwrite each other's steps")
	s := f.New(t)
	tk := createTickets(t, s, 1, 1)[0]
	sid := callSID(6)
	record(t, s, event(sid, &tk.ID, models.CallInitiated, 0))
	events := twentySteps(sid, &tk.ID)
	recordAll(t, s, events)
	checkAllSteps(t, s, sid, tk.ID, len(events)+1)
}

// testCallConcurrentCalls records several calls of one ticket at once
// while an agent closes the ticket: every call's summary and the status
// change must all survive.
func testCallConcurrentCalls(t *testing.T, f Factory) {
	skipOnStandIn(t, f, "it applies concurrent updates of one ticket as read-then-write, so simultaneous summaries overwrite each other")
	s := f.New(t)
	tk := createTickets(t, s, 1, 1)[0]
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
				if err := s.Tickets.SetStatus(t.Context(), tk.ID, models.StatusClosed, refAda); err != nil {
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
	got := getTicket(t, s, tk.ID)
	if len(got.Calls) != n || got.Status != models.StatusClosed {
		t.Errorf("ticket has %d call summaries and status %q; want %d and closed: concurrent updates were lost", len(got.Calls), got.Status, n)
	}
}
