package storetest

import (
	"context"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ringdesk/ringdesk/models"
)

var reportTests = []test{
	{"EachRangeAndOrder", testEachRange},
	{"EachTiesByID", testEachTies},
	{"EachManyCalls", testEachMany},
	{"EachStopsOnFnError", testEachStops},
	{"EachContextCancelled", testEachCancel},
}

// each collects what Each hands out, as the calls themselves: fn may
// keep what it is given.
func each(t *testing.T, s *models.Store, from, to time.Time) []*models.Call {
	t.Helper()
	var got []*models.Call
	err := s.Calls.Each(t.Context(), from, to, func(c *models.Call) error {
		got = append(got, c)
		return nil
	})
	if err != nil {
		t.Fatalf("Each(%v, %v): %v", from, to, err)
	}
	return got
}

func sids(calls []*models.Call) []string {
	out := make([]string, len(calls))
	for i, c := range calls {
		out[i] = c.SID
	}
	return out
}

// restoreCall stores a finished call starting at start with a chosen id.
func restoreCall(t *testing.T, s *models.Store, id models.ID, n int, start time.Time) {
	t.Helper()
	start = ms(start)
	restore(t, s, models.Item{Call: &models.Call{
		ID: id, SID: callSID(n), Provider: "twilio", Direction: models.CallInbound,
		From: "client:customer", To: "support_agent", StartedAt: start,
		Steps: []models.CallStep{
			{Status: models.CallRinging, At: start},
			{Status: models.CallAnswered, At: start.Add(5 * time.Second)},
			{Status: models.CallCompleted, At: start.Add(65 * time.Second), Duration: 60},
		},
	}})
}

// testEachRange: from is included and to is not, whatever zone the
// bounds are written in, and calls come by start time, each as Get
// reads it.
func testEachRange(t *testing.T, f Factory) {
	s := f.New(t)
	tk := createTickets(t, s, 1, 1)[0]
	// Started (seconds after t0) in an order that is not the order of
	// recording; the log's start is its earliest event, whichever came
	// first.
	starts := map[int]int{1: 3600, 2: -1, 3: 0, 4: 1800, 5: 7200, 6: 7201, 7: 60}
	for _, n := range []int{5, 1, 7, 2, 6, 3, 4} {
		ticket := &tk.ID
		if n%2 == 0 {
			ticket = nil
		}
		record(t, s, event(callSID(n), ticket, models.CallCompleted, starts[n]+90))
		record(t, s, event(callSID(n), ticket, models.CallRinging, starts[n]))
	}
	from, to := t0, t0.Add(2*time.Hour)
	got := each(t, s, from.In(time.FixedZone("UTC-5", -5*3600)), to.In(time.FixedZone("UTC+9", 9*3600)))
	want := []string{callSID(3), callSID(7), callSID(4), callSID(1)}
	if diff := cmp.Diff(want, sids(got)); diff != "" {
		t.Errorf("Each over [t0, t0+2h) (-want +got):\n%s", diff)
	}
	for _, c := range got {
		if diff := cmp.Diff(getCall(t, s, c.SID), c); diff != "" {
			t.Errorf("Each's %s (-Get +Each):\n%s", c.SID, diff)
		}
	}
	if got := each(t, s, t0.Add(-time.Hour), t0.Add(3*time.Hour)); len(got) != len(starts) {
		t.Errorf("Each over the whole log handed out %d calls, want %d", len(got), len(starts))
	}
	if got := each(t, s, t0.Add(time.Second), t0.Add(time.Minute)); len(got) != 0 {
		t.Errorf("Each over a span with no call start = %v, want none", sids(got))
	}
	if got := each(t, s, to, from); len(got) != 0 {
		t.Errorf("Each with to before from = %v, want none", sids(got))
	}
}

// testEachTies: calls that started at the same millisecond come in id
// order, so a report or a download lists them the same way every time;
// the start decides first, whatever the ids.
func testEachTies(t *testing.T, f Factory) {
	s := f.New(t)
	calls := []struct {
		id    string
		start time.Duration
	}{
		{"ff0000000000000000000001", 0},
		{"000000000000000000000001", time.Millisecond},
		{"010000000000000000000002", 0},
		{"ffffffffffffffffffffffff", -time.Millisecond},
		{"80000000000000000000000a", 0},
		{"800000000000000000000009", 0},
	}
	for i, c := range calls {
		id, err := models.ParseID(c.id)
		if err != nil {
			t.Fatal(err)
		}
		restoreCall(t, s, id, i+1, t0.Add(c.start))
	}
	var got []string
	for _, c := range each(t, s, t0.Add(-time.Second), t0.Add(time.Second)) {
		got = append(got, fmt.Sprintf("%v %s", c.StartedAt.Sub(t0), c.ID.Hex()))
	}
	want := []string{
		"-1ms ffffffffffffffffffffffff",
		"0s 010000000000000000000002",
		"0s 800000000000000000000009",
		"0s 80000000000000000000000a",
		"0s ff0000000000000000000001",
		"1ms 000000000000000000000001",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Each's order, start then id (-want +got):\n%s", diff)
	}
}

// testEachMany walks more calls than one round trip brings, so the
// stores' cursors fetch more as they go, and hands every one out once.
func testEachMany(t *testing.T, f Factory) {
	s := f.New(t)
	const n = 1234
	for i := range n {
		restoreCall(t, s, models.NewID(), i+1, t0.Add(time.Duration(n-i)*time.Second))
	}
	got := each(t, s, t0, t0.Add(time.Hour))
	if len(got) != n {
		t.Fatalf("Each handed out %d calls, want %d", len(got), n)
	}
	for i, c := range got {
		if want := callSID(n - i); c.SID != want {
			t.Fatalf("call %d is %s, want %s: not in order of start", i, c.SID, want)
		}
	}
}

// testEachStops: fn's error ends the walk at once and comes back as it
// is, for the caller to tell from the database's.
func testEachStops(t *testing.T, f Factory) {
	s := f.New(t)
	for i := range 5 {
		restoreCall(t, s, models.NewID(), i+1, t0.Add(time.Duration(i)*time.Minute))
	}
	stop := errors.New("enough")
	calls := 0
	err := s.Calls.Each(t.Context(), t0, t0.Add(time.Hour), func(*models.Call) error {
		calls++
		if calls == 2 {
			return stop
		}
		return nil
	})
	if err != stop || calls != 2 {
		t.Errorf("Each whose fn fails at the 2nd call = %v after %d calls; want fn's own error after 2", err, calls)
	}
	// The store is still usable: the walk let go of what it held.
	if got := each(t, s, t0, t0.Add(time.Hour)); len(got) != 5 {
		t.Errorf("Each after a stopped walk handed out %d calls, want 5", len(got))
	}
}

// testEachCancel: a caller that gives up (a client gone) ends the walk:
// no call reaches fn after the cancellation, and the error says why.
func testEachCancel(t *testing.T, f Factory) {
	s := f.New(t)
	for i := range 20 {
		restoreCall(t, s, models.NewID(), i+1, t0.Add(time.Duration(i)*time.Minute))
	}
	ctx, cancel := context.WithCancel(t.Context())
	calls := 0
	err := s.Calls.Each(ctx, t0, t0.Add(time.Hour), func(*models.Call) error {
		calls++
		if calls == 3 {
			cancel()
		}
		return nil
	})
	if !errors.Is(err, context.Canceled) || calls != 3 {
		t.Errorf("Each cancelled at the 3rd call = %v after %d calls; want context.Canceled after 3", err, calls)
	}

	calls = 0
	err = s.Calls.Each(ctx, t0, t0.Add(time.Hour), func(*models.Call) error {
		calls++
		return nil
	})
	if !errors.Is(err, context.Canceled) || calls != 0 {
		t.Errorf("Each on a cancelled context = %v after %d calls; want context.Canceled and no call", err, calls)
	}
}
