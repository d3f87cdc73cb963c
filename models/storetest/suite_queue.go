package storetest

import (
	"errors"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ringdesk/ringdesk/models"
)

var queueTests = []test{
	{"JoinOrderAndPositions", testQueueOrder},
	{"JoinDefaultsToNow", testQueueJoinNow},
	{"RejoinKeepsThePlace", testQueueRejoin},
	{"ConcurrentJoinsMakeOneEntry", testQueueConcurrentJoins},
	{"LeavingMovesEveryoneUp", testQueueLeaving},
	{"RingingStaysInLine", testQueueRinging},
	{"LeavingIsFinal", testQueueLeavingIsFinal},
	{"UnknownCall", testQueueUnknown},
	{"TiesInJoinedAtByID", testQueueTies},
	{"InLineCountsAndOldest", testQueueInLine},
	{"LineInOrder", testQueueLine},
	{"ExpireEndsCallsThatStoppedAsking", testQueueExpire},
}

// queueSID returns a well-formed Twilio call id for the n-th caller.
func queueSID(n int) string { return callSID(1000 + n) }

// join puts caller n in line, joined s seconds after t0, failing the test
// if it cannot, and returns the stored entry.
func join(t testing.TB, s *models.Store, n, sec int) models.QueueEntry {
	t.Helper()
	e, err := s.Queue.Join(t.Context(), models.QueueEntry{
		SID: queueSID(n), Caller: fmt.Sprintf("client:caller%d", n), JoinedAt: t0.Add(time.Duration(sec) * time.Second),
	})
	if err != nil {
		t.Fatalf("Join caller %d: %v", n, err)
	}
	return e
}

// joinLine puts callers 1..n in line, one second apart.
func joinLine(t testing.TB, s *models.Store, n int) {
	t.Helper()
	for i := 1; i <= n; i++ {
		join(t, s, i, i)
	}
}

// setQueueState moves caller n's entry, failing the test if it cannot.
func setQueueState(t testing.TB, s *models.Store, n int, state models.QueueState, at time.Time) {
	t.Helper()
	if err := s.Queue.SetState(t.Context(), queueSID(n), state, at); err != nil {
		t.Fatalf("SetState(caller %d, %s): %v", n, state, err)
	}
}

// checkPositions asserts the position of callers 1..len(want).
func checkPositions(t testing.TB, s *models.Store, want ...int) {
	t.Helper()
	got := make([]int, len(want))
	for i := range want {
		p, err := s.Queue.Position(t.Context(), queueSID(i+1))
		if err != nil {
			t.Fatalf("Position(caller %d): %v", i+1, err)
		}
		got[i] = p
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("positions of callers 1..%d (-want +got):\n%s", len(want), diff)
	}
}

// getEntry reads caller n's entry back.
func getEntry(t testing.TB, s *models.Store, n int) *models.QueueEntry {
	t.Helper()
	e, err := s.Queue.Get(t.Context(), queueSID(n))
	if err != nil {
		t.Fatalf("Get caller %d: %v", n, err)
	}
	return e
}

// checkInLine asserts what InLine says.
func checkInLine(t testing.TB, s *models.Store, wantN int, wantOldest time.Time) {
	t.Helper()
	n, oldest, err := s.Queue.InLine(t.Context())
	if err != nil {
		t.Fatalf("InLine: %v", err)
	}
	if n != wantN || !oldest.Equal(wantOldest) {
		t.Errorf("InLine = %d, %v; want %d, %v", n, oldest, wantN, wantOldest)
	}
}

func testQueueOrder(t *testing.T, f Factory) {
	s := f.New(t)
	ticket := models.NewID()
	// Joined out of order: the line follows JoinedAt, not arrival.
	first, err := s.Queue.Join(t.Context(), models.QueueEntry{
		SID: queueSID(1), TicketID: &ticket, Caller: "client:ada", JoinedAt: t0.Add(1500 * time.Microsecond),
	})
	if err != nil {
		t.Fatalf("Join: %v", err)
	}
	join(t, s, 3, 3)
	join(t, s, 2, 2)
	join(t, s, 4, 4)
	checkPositions(t, s, 1, 2, 3, 4)

	// Stored to the millisecond, in UTC, waiting.
	want := models.QueueEntry{
		ID: first.ID, SID: queueSID(1), TicketID: &ticket, Caller: "client:ada",
		JoinedAt: t0.Add(time.Millisecond), State: models.QueueWaiting, UpdatedAt: t0.Add(time.Millisecond),
	}
	if first.ID.IsZero() {
		t.Error("Join gave the entry no id")
	}
	if diff := cmp.Diff(want, first); diff != "" {
		t.Errorf("Join returned (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(&want, getEntry(t, s, 1)); diff != "" {
		t.Errorf("Get (-want +got):\n%s", diff)
	}
	if e := getEntry(t, s, 2); e.TicketID != nil || e.Caller != "client:caller2" {
		t.Errorf("caller 2's entry %+v, want no ticket and its own caller", e)
	}
}

func testQueueJoinNow(t *testing.T, f Factory) {
	s := f.New(t)
	before := ms(time.Now())
	e, err := s.Queue.Join(t.Context(), models.QueueEntry{SID: queueSID(1), Caller: "+14155552671"})
	if err != nil {
		t.Fatalf("Join: %v", err)
	}
	after := ms(time.Now())
	if e.JoinedAt.Before(before) || e.JoinedAt.After(after) || !e.JoinedAt.Equal(ms(e.JoinedAt)) || e.JoinedAt.Location() != time.UTC {
		t.Errorf("JoinedAt = %v, want now (between %v and %v), UTC, to the millisecond", e.JoinedAt, before, after)
	}
	if _, err := s.Queue.Join(t.Context(), models.QueueEntry{Caller: "+14155552671"}); err == nil {
		t.Error("Join without a SID succeeded")
	}
}

// testQueueRejoin replays a Join, as a retried webhook does: the call keeps
// its entry, place and time, whatever the replay says.
func testQueueRejoin(t *testing.T, f Factory) {
	s := f.New(t)
	first := join(t, s, 1, 1)
	join(t, s, 2, 2)
	again, err := s.Queue.Join(t.Context(), models.QueueEntry{
		SID: queueSID(1), Caller: "someone else", JoinedAt: t0.Add(time.Hour),
	})
	if err != nil {
		t.Fatalf("second Join: %v", err)
	}
	if diff := cmp.Diff(first, again); diff != "" {
		t.Errorf("second Join returned another entry (-first +second):\n%s", diff)
	}
	checkPositions(t, s, 1, 2)
	checkInLine(t, s, 2, t0.Add(time.Second))

	// A call that has left is not put back in line by a replay either.
	setQueueState(t, s, 1, models.QueueAnswered, t0.Add(time.Minute))
	if again, err = s.Queue.Join(t.Context(), models.QueueEntry{SID: queueSID(1), Caller: "client:caller1"}); err != nil {
		t.Fatalf("Join after answer: %v", err)
	}
	if again.State != models.QueueAnswered || !again.JoinedAt.Equal(first.JoinedAt) {
		t.Errorf("Join after answer returned %+v, want the answered entry", again)
	}
	checkPositions(t, s, 0, 1)
}

// testQueueConcurrentJoins delivers one call's first webhook eight times
// at once, as a provider retrying a slow answer may: one entry, and every
// Join returns it.
func testQueueConcurrentJoins(t *testing.T, f Factory) {
	s := f.New(t)
	const n = 8
	got := make([]models.QueueEntry, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			got[i], errs[i] = s.Queue.Join(t.Context(), models.QueueEntry{
				SID: queueSID(1), Caller: "client:ada", JoinedAt: t0.Add(time.Duration(i) * time.Millisecond),
			})
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("concurrent Join %d: %v", i, err)
		}
	}
	stored := getEntry(t, s, 1)
	for i, e := range got {
		if diff := cmp.Diff(*stored, e); diff != "" {
			t.Errorf("concurrent Join %d returned another entry than the stored one (-stored +returned):\n%s", i, diff)
		}
	}
	checkInLine(t, s, 1, stored.JoinedAt)
	checkPositions(t, s, 1)
}

func testQueueLeaving(t *testing.T, f Factory) {
	s := f.New(t)
	joinLine(t, s, 5)
	setQueueState(t, s, 2, models.QueueAnswered, t0.Add(time.Minute))
	checkPositions(t, s, 1, 0, 2, 3, 4)
	setQueueState(t, s, 1, models.QueueAbandoned, t0.Add(time.Minute))
	checkPositions(t, s, 0, 0, 1, 2, 3)
	setQueueState(t, s, 4, models.QueueVoicemail, t0.Add(time.Minute))
	checkPositions(t, s, 0, 0, 1, 0, 2)
	checkInLine(t, s, 2, t0.Add(3*time.Second))
	for n, want := range map[int]models.QueueState{1: models.QueueAbandoned, 2: models.QueueAnswered, 3: models.QueueWaiting, 4: models.QueueVoicemail} {
		if e := getEntry(t, s, n); e.State != want {
			t.Errorf("caller %d is %s, want %s", n, e.State, want)
		}
	}
}

func testQueueRinging(t *testing.T, f Factory) {
	s := f.New(t)
	joinLine(t, s, 3)
	at := t0.Add(time.Minute + 1500*time.Microsecond)
	setQueueState(t, s, 1, models.QueueRinging, at)
	checkPositions(t, s, 1, 2, 3)
	checkInLine(t, s, 3, t0.Add(time.Second))
	if e := getEntry(t, s, 1); e.State != models.QueueRinging || !e.UpdatedAt.Equal(ms(at)) {
		t.Errorf("caller 1 is %s since %v, want ringing since %v", e.State, e.UpdatedAt, ms(at))
	}
	// Nobody picked up: back on hold, still first.
	setQueueState(t, s, 1, models.QueueWaiting, at.Add(time.Second))
	setQueueState(t, s, 2, models.QueueRinging, at.Add(time.Second))
	checkPositions(t, s, 1, 2, 3)
	if e := getEntry(t, s, 1); e.State != models.QueueWaiting {
		t.Errorf("caller 1 is %s, want waiting again", e.State)
	}
}

// testQueueLeavingIsFinal delivers webhooks late and out of order: once a
// call has left the line, nothing brings it back or changes how it left.
func testQueueLeavingIsFinal(t *testing.T, f Factory) {
	s := f.New(t)
	joinLine(t, s, 2)
	answered := t0.Add(time.Minute)
	setQueueState(t, s, 1, models.QueueAnswered, answered)
	want := getEntry(t, s, 1)
	for _, late := range []models.QueueState{models.QueueWaiting, models.QueueRinging, models.QueueAbandoned, models.QueueVoicemail, models.QueueAnswered} {
		if err := s.Queue.SetState(t.Context(), queueSID(1), late, answered.Add(time.Second)); err != nil {
			t.Errorf("late SetState(%s) = %v, want nil", late, err)
		}
	}
	if diff := cmp.Diff(want, getEntry(t, s, 1)); diff != "" {
		t.Errorf("entry changed after it left the line (-want +got):\n%s", diff)
	}
	checkPositions(t, s, 0, 1)
	if want.State != models.QueueAnswered || !want.UpdatedAt.Equal(answered) {
		t.Errorf("answered entry is %s since %v, want answered since %v", want.State, want.UpdatedAt, answered)
	}
	if err := s.Queue.SetState(t.Context(), queueSID(2), "lost", answered); err == nil {
		t.Error("SetState to an unknown state succeeded")
	}
}

func testQueueUnknown(t *testing.T, f Factory) {
	s := f.New(t)
	joinLine(t, s, 1)
	sid := queueSID(99)
	if p, err := s.Queue.Position(t.Context(), sid); p != 0 || err != nil {
		t.Errorf("Position of an unknown call = %d, %v; want 0, nil", p, err)
	}
	if err := s.Queue.SetState(t.Context(), sid, models.QueueAnswered, t0); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("SetState of an unknown call = %v, want ErrNotFound", err)
	}
	if _, err := s.Queue.Get(t.Context(), sid); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("Get of an unknown call = %v, want ErrNotFound", err)
	}
	checkPositions(t, s, 1)
}

// testQueueTies joins calls in the same millisecond: the id orders them,
// the same way in every query, so no two calls share a place.
func testQueueTies(t *testing.T, f Factory) {
	s := f.New(t)
	low, high := models.NewID(), models.NewID()
	at := t0.Add(time.Second)
	join(t, s, 1, 0)
	// Caller 2 joins first, but with the higher id.
	for _, c := range []struct {
		n  int
		id models.ID
	}{{2, high}, {3, low}} {
		if _, err := s.Queue.Join(t.Context(), models.QueueEntry{ID: c.id, SID: queueSID(c.n), Caller: "client:x", JoinedAt: at}); err != nil {
			t.Fatalf("Join caller %d: %v", c.n, err)
		}
	}
	join(t, s, 4, 2)
	checkPositions(t, s, 1, 3, 2, 4)
	setQueueState(t, s, 3, models.QueueAnswered, at.Add(time.Second))
	checkPositions(t, s, 1, 2, 0, 3)
}

func testQueueInLine(t *testing.T, f Factory) {
	s := f.New(t)
	checkInLine(t, s, 0, time.Time{})
	joinLine(t, s, 3)
	checkInLine(t, s, 3, t0.Add(time.Second))
	setQueueState(t, s, 1, models.QueueRinging, t0.Add(time.Minute))
	checkInLine(t, s, 3, t0.Add(time.Second))
	setQueueState(t, s, 1, models.QueueAnswered, t0.Add(time.Minute))
	checkInLine(t, s, 2, t0.Add(2*time.Second))
	setQueueState(t, s, 2, models.QueueAbandoned, t0.Add(time.Minute))
	setQueueState(t, s, 3, models.QueueVoicemail, t0.Add(time.Minute))
	checkInLine(t, s, 0, time.Time{})
}

// testQueueExpire: callers in line not moved since the cut-off are
// abandoned; the others, and those already gone, are left as they are.
func testQueueExpire(t *testing.T, f Factory) {
	s := f.New(t)
	joinLine(t, s, 4)                                                // joined (and last moved) at t0+1s .. t0+4s
	setQueueState(t, s, 2, models.QueueWaiting, t0.Add(time.Minute)) // still asking
	setQueueState(t, s, 3, models.QueueAnswered, t0.Add(2*time.Second))
	end := t0.Add(2 * time.Minute)
	gone, err := s.Queue.Expire(t.Context(), t0.Add(30*time.Second), end)
	if err != nil {
		t.Fatal(err)
	}
	var sids []string
	for _, e := range gone {
		if e.State != models.QueueAbandoned || !e.UpdatedAt.Equal(end) || !e.JoinedAt.After(t0) {
			t.Errorf("expired entry %+v: want abandoned at %v, with its joining time", e, end)
		}
		sids = append(sids, e.SID)
	}
	slices.Sort(sids)
	if want := []string{queueSID(1), queueSID(4)}; !slices.Equal(sids, want) {
		t.Errorf("Expire returned %v, want callers 1 and 4 %v", sids, want)
	}
	if again, err := s.Queue.Expire(t.Context(), t0.Add(30*time.Second), end.Add(time.Second)); err != nil || len(again) != 0 {
		t.Errorf("expiring again = %+v, %v; want nothing left to expire", again, err)
	}
	for n, want := range map[int]models.QueueState{1: models.QueueAbandoned, 2: models.QueueWaiting, 3: models.QueueAnswered, 4: models.QueueAbandoned} {
		e := getEntry(t, s, n)
		if e.State != want {
			t.Errorf("caller %d: %s, want %s", n, e.State, want)
		}
		if want == models.QueueAbandoned && !e.UpdatedAt.Equal(end) {
			t.Errorf("caller %d abandoned at %v, want %v", n, e.UpdatedAt, end)
		}
	}
	checkPositions(t, s, 0, 1, 0, 0)
}

// testQueueLine: the line as the wallboard lists it, first caller first,
// ringing calls still in it, those gone left out, cut at the limit.
func testQueueLine(t *testing.T, f Factory) {
	s := f.New(t)
	joinLine(t, s, 4)
	setQueueState(t, s, 1, models.QueueAnswered, t0.Add(time.Minute))
	setQueueState(t, s, 3, models.QueueRinging, t0.Add(time.Minute))
	for _, tt := range []struct {
		limit int
		want  []int
	}{{10, []int{2, 3, 4}}, {2, []int{2, 3}}} {
		line, err := s.Queue.Line(t.Context(), tt.limit)
		if err != nil {
			t.Fatal(err)
		}
		var got []int
		for _, e := range line {
			if !e.JoinedAt.Equal(t0.Add(time.Duration(len(got)+2) * time.Second)) {
				t.Errorf("caller %s joined at %v", e.SID, e.JoinedAt)
			}
			for n := 1; n <= 4; n++ {
				if e.SID == queueSID(n) {
					got = append(got, n)
				}
			}
		}
		if !slices.Equal(got, tt.want) {
			t.Errorf("Line(%d) = callers %v, want %v", tt.limit, got, tt.want)
		}
	}
	if line, err := s.Queue.Line(t.Context(), 10); err != nil || line[1].State != models.QueueRinging {
		t.Errorf("Line's second caller %+v, %v; want ringing", line, err)
	}
}
