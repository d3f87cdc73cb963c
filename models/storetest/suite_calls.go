package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ringdesk/ringdesk/models"
)

var callTests = []test{
	{"RecordIsIdempotent", testCallIdempotent},
	{"RecordOutOfOrder", testCallOutOfOrder},
	{"RecordSummaryOnlyWhenNewer", testCallSummaryOnlyWhenNewer},
	{"RecordKeepsVoicemailAndHangUp", testCallVoicemail},
	{"ForTicketNewestFirst", testCallForTicket},
	{"GetAndGetByID", testCallGet},
	{"MissingIsNotFound", testCallMissing},
}

// t0 is when the calls in these tests start.
var t0 = time.Date(2026, 3, 4, 9, 0, 0, 0, time.UTC)

// callSID returns a well-formed Twilio call id numbered n.
func callSID(n int) string { return fmt.Sprintf("CA%032x", n) }

// event is a status callback for call sid, s seconds after t0.
func event(sid string, ticket *models.ID, status models.CallStatus, s int) models.CallEvent {
	return models.CallEvent{
		Provider: "twilio", SID: sid, TicketID: ticket, Direction: models.CallOutbound,
		From: "+15005550006", To: "+14155552671", Status: status, At: t0.Add(time.Duration(s) * time.Second), Seq: s,
	}
}

// record stores ev, failing the test if it cannot, and returns the call.
func record(t testing.TB, s *models.Store, ev models.CallEvent) *models.Call {
	t.Helper()
	c, err := s.Calls.Record(t.Context(), ev)
	if err != nil {
		t.Fatalf("Record %s %s: %v", ev.SID, ev.Status, err)
	}
	return c
}

// getCall reads a call back by its provider id.
func getCall(t testing.TB, s *models.Store, sid string) *models.Call {
	t.Helper()
	c, err := s.Calls.Get(t.Context(), sid)
	if err != nil {
		t.Fatalf("Get call %s: %v", sid, err)
	}
	return c
}

// countCalls counts the stored logs with sid, through Dump, which sees
// every record.
func countCalls(t testing.TB, s *models.Store, sid string) int {
	t.Helper()
	n := 0
	err := s.Dump(t.Context(), func(it models.Item) error {
		if it.Call != nil && it.Call.SID == sid {
			n++
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Dump: %v", err)
	}
	return n
}

func testCallIdempotent(t *testing.T, f Factory) {
	s := f.New(t)
	sid := callSID(1)
	ev := event(sid, nil, models.CallRinging, 1)
	for range 3 {
		record(t, s, ev)
	}
	c := getCall(t, s, sid)
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

func testCallOutOfOrder(t *testing.T, f Factory) {
	s := f.New(t)
	tk := createTickets(t, s, 1, 1)[0]
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
		record(t, s, ev)
	}
	c := getCall(t, s, sid)
	if c.TicketID == nil || *c.TicketID != tk.ID || !c.StartedAt.Equal(t0) || c.From != "+15005550006" || c.To != "+14155552671" {
		t.Errorf("call: ticket %v, started %v, %q => %q; want %v, %v, the numbers of the first event", c.TicketID, c.StartedAt, c.From, c.To, tk.ID, t0)
	}
	sum := c.Summary()
	if sum.Status != models.CallCompleted || sum.Duration != 60 || sum.AnsweredAt == nil || !sum.AnsweredAt.Equal(t0.Add(5*time.Second)) {
		t.Errorf("summary %+v, want completed, 60 s, answered at +5 s", sum)
	}
	if diff := cmp.Diff(map[string]models.CallSummary{sid: sum}, getTicket(t, s, tk.ID).Calls); diff != "" {
		t.Errorf("ticket's call summaries (-want +got):\n%s", diff)
	}
}

func testCallSummaryOnlyWhenNewer(t *testing.T, f Factory) {
	s := f.New(t)
	sid := callSID(4)
	tk := createTickets(t, s, 1, 1)[0]
	record(t, s, event(sid, &tk.ID, models.CallRinging, 1))
	record(t, s, event(sid, &tk.ID, models.CallAnswered, 5))
	if got := getTicket(t, s, tk.ID).Calls[sid]; got.Steps != 2 || got.Status != models.CallAnswered {
		t.Fatalf("summary after 2 events: %+v", got)
	}

	// Another instance has already written a view built from more events
	// (put in place here by Restore, which keeps what it is given): a view
	// from fewer must not replace it.
	sid2 := callSID(5)
	newer := models.CallSummary{SID: sid2, Status: models.CallCompleted, Duration: 99, Steps: 9, StartedAt: t0}
	other := newTicket(t, 2)
	models.PrepareTicket(other, models.Now())
	other.Number = 2
	other.Calls = map[string]models.CallSummary{sid2: newer}
	restore(t, s, models.Item{Ticket: other})
	if diff := cmp.Diff(newer, getTicket(t, s, other.ID).Calls[sid2]); diff != "" {
		t.Fatalf("restored ticket's call summary (-restored +stored):\n%s", diff)
	}

	record(t, s, event(sid2, &other.ID, models.CallInitiated, 0))
	if diff := cmp.Diff(newer, getTicket(t, s, other.ID).Calls[sid2]); diff != "" {
		t.Errorf("an older view replaced a newer one (-want +got):\n%s", diff)
	}
	// A retry adds no step, so the summary is not rewritten with less.
	record(t, s, event(sid2, &other.ID, models.CallInitiated, 0))
	if got := getTicket(t, s, other.ID).Calls[sid2]; got.Steps != 9 {
		t.Errorf("summary steps = %d after a retry, want 9", got.Steps)
	}
}

func testCallVoicemail(t *testing.T, f Factory) {
	s := f.New(t)
	sid := callSID(5)
	ev := event(sid, nil, models.CallCanceled, 3)
	ev.HungUpBy = "caller"
	record(t, s, ev)
	vm := event(sid, nil, models.CallVoicemail, 40)
	vm.RecordingURL, vm.RecordingDuration = "https://api.twilio.com/rec/RE1", 17
	c := record(t, s, vm)
	if c.HungUpBy != "caller" || c.RecordingURL != vm.RecordingURL || c.RecordingDuration != 17 {
		t.Errorf("call %+v, want hung up by caller and the recording", c)
	}
	if sum := c.Summary(); sum.Status != models.CallVoicemail || sum.Duration != 17 {
		t.Errorf("summary %+v, want voicemail of 17 s", sum)
	}
	if diff := cmp.Diff(c, getCall(t, s, sid)); diff != "" {
		t.Errorf("stored call (-returned +stored):\n%s", diff)
	}
}

// testCallForTicket also records calls for tickets that are not stored:
// a ticket deleted while its call rings still gets its call logged.
func testCallForTicket(t *testing.T, f Factory) {
	s := f.New(t)
	tk, other := models.NewID(), models.NewID()
	for _, c := range []struct {
		n      int
		ticket models.ID
		start  int
	}{{1, tk, 60}, {2, tk, 0}, {3, other, 90}, {4, tk, 120}, {5, tk, 30}} {
		record(t, s, event(callSID(c.n), &c.ticket, models.CallRinging, c.start))
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
	for _, c := range calls {
		if diff := cmp.Diff(getCall(t, s, c.SID), &c); diff != "" {
			t.Errorf("ForTicket's %s (-Get +ForTicket):\n%s", c.SID, diff)
		}
	}
	none, err := s.Calls.ForTicket(t.Context(), models.NewID())
	if err != nil || none == nil || len(none) != 0 {
		t.Errorf("ForTicket of a ticket without calls = %v, %v; want an empty list", none, err)
	}
}

func testCallGet(t *testing.T, f Factory) {
	s := f.New(t)
	tk := createTickets(t, s, 1, 1)[0]
	sid := callSID(7)
	record(t, s, event(sid, &tk.ID, models.CallRinging, 1))
	c := record(t, s, event(sid, &tk.ID, models.CallAnswered, 4))
	if c.ID.IsZero() || len(c.Steps) != 2 {
		t.Fatalf("Record returned %+v, want an id and 2 steps", c)
	}
	if diff := cmp.Diff(c, getCall(t, s, sid)); diff != "" {
		t.Errorf("Get (-Record +Get):\n%s", diff)
	}
	byID, err := s.Calls.GetByID(t.Context(), c.ID)
	if err != nil {
		t.Fatalf("GetByID: %v", err)
	}
	if diff := cmp.Diff(c, byID); diff != "" {
		t.Errorf("GetByID (-Record +GetByID):\n%s", diff)
	}
}

func testCallMissing(t *testing.T, f Factory) {
	s := f.New(t)
	record(t, s, event(callSID(1), nil, models.CallRinging, 1))
	if got, err := s.Calls.Get(t.Context(), callSID(99)); !errors.Is(err, models.ErrNotFound) || got != nil {
		t.Errorf("Get of an unknown call = %v, %v; want nil, ErrNotFound", got, err)
	}
	if got, err := s.Calls.GetByID(t.Context(), models.NewID()); !errors.Is(err, models.ErrNotFound) || got != nil {
		t.Errorf("GetByID of an unknown call = %v, %v; want nil, ErrNotFound", got, err)
	}
}
