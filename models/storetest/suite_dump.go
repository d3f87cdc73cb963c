package storetest

import (
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/ringdesk/ringdesk/models"
)

var dumpTests = []test{
	{"DumpHoldsEverything", testDumpHoldsEverything},
	{"RestoreCopiesAStore", testRestoreCopies},
	{"RestoreAgainInsertsNothing", testRestoreAgain},
	{"RestoredCounterNeverLowers", testRestoreCounter},
	{"RestoreAgentWithTakenEmailConflicts", testRestoreEmailConflict},
}

// filled is a store with something of everything an export carries.
type filled struct {
	store      *models.Store
	ada, grace *models.Agent // grace is disabled
	tickets    []models.Ticket
	sids       []string
}

// fill writes agents (one disabled, one with a revoked session), tickets
// (with status changes and call summaries) and calls (with steps, a
// recording, and one without a ticket) into an empty store.
func fill(t testing.TB, s *models.Store) filled {
	t.Helper()
	ctx := t.Context()
	fl := filled{store: s}
	fl.ada = createAgent(t, s, adaInput())
	fl.grace = createAgent(t, s, models.AgentInput{Email: "grace@example.com", Name: "Grace", Password: "another good password"})
	if err := s.Agents.SetDisabled(ctx, fl.grace.ID, true); err != nil {
		t.Fatalf("SetDisabled: %v", err)
	}
	revoke(t, s, fl.ada.ID, "session-1", models.Now().Add(time.Hour))

	fl.tickets = createTickets(t, s, 1, 3)
	for _, st := range []struct {
		ticket int
		status models.TicketStatus
	}{{1, models.StatusClosed}, {2, models.StatusClosed}, {2, models.StatusOpen}} {
		if err := s.Tickets.SetStatus(ctx, fl.tickets[st.ticket].ID, st.status, refAda); err != nil {
			t.Fatalf("SetStatus: %v", err)
		}
	}

	answered, voicemail, loose := callSID(1), callSID(2), callSID(3)
	fl.sids = []string{answered, voicemail, loose}
	done := event(answered, &fl.tickets[0].ID, models.CallCompleted, 65)
	done.Duration = 60
	vm := event(voicemail, &fl.tickets[1].ID, models.CallVoicemail, 40)
	vm.RecordingURL, vm.RecordingDuration = "https://api.twilio.com/rec/RE1", 17
	hangUp := event(voicemail, &fl.tickets[1].ID, models.CallCanceled, 20)
	hangUp.HungUpBy = "caller"
	for _, ev := range []models.CallEvent{
		event(answered, &fl.tickets[0].ID, models.CallInitiated, 0),
		event(answered, &fl.tickets[0].ID, models.CallRinging, 1),
		event(answered, &fl.tickets[0].ID, models.CallAnswered, 5),
		done,
		event(voicemail, &fl.tickets[1].ID, models.CallRinging, 10),
		hangUp,
		vm,
		event(loose, nil, models.CallRinging, 30),
		event(loose, nil, models.CallFailed, 31),
	} {
		record(t, s, ev)
	}
	return fl
}

// dump returns every item of a store, checking the promised order.
func dump(t testing.TB, s *models.Store) []models.Item {
	t.Helper()
	var items []models.Item
	if err := s.Dump(t.Context(), func(it models.Item) error {
		items = append(items, it)
		return nil
	}); err != nil {
		t.Fatalf("Dump: %v", err)
	}
	for i := 1; i < len(items); i++ {
		if kind(items[i]) < kind(items[i-1]) {
			t.Fatalf("Dump gave %s after %s, want agents, tickets, timeline entries, calls, deletion records and counters in that order",
				describeItem(items[i]), describeItem(items[i-1]))
		}
	}
	return items
}

// kind orders items as Dump promises, and flags items with no or
// several fields set.
func kind(it models.Item) int {
	set, k := 0, 0
	for i, p := range []bool{it.Agent != nil, it.Ticket != nil, it.Activity != nil, it.Call != nil, it.Deletion != nil, it.Counter != nil} {
		if p {
			set, k = set+1, i
		}
	}
	if set != 1 {
		return -1
	}
	return k
}

// describeItem is describe, which predates timelines and deletions,
// naming those too.
func describeItem(it models.Item) string {
	switch {
	case it.Activity != nil:
		return fmt.Sprintf("timeline entry %s (%s)", it.Activity.ID.Hex(), it.Activity.Kind)
	case it.Deletion != nil:
		return fmt.Sprintf("deletion record of #%d", it.Deletion.Number)
	}
	return describe(it)
}

// key identifies an item within its kind.
func key(it models.Item) string {
	switch {
	case it.Agent != nil:
		return it.Agent.ID.Hex()
	case it.Ticket != nil:
		return it.Ticket.ID.Hex()
	case it.Activity != nil:
		return it.Activity.ID.Hex()
	case it.Call != nil:
		return it.Call.ID.Hex()
	case it.Deletion != nil:
		return it.Deletion.ID.Hex()
	case it.Counter != nil:
		return it.Counter.Name
	}
	return ""
}

// sameItems compares two dumps, ignoring the order within a kind, which
// Dump does not promise, and nil against empty lists and maps.
var sameItems = cmp.Options{
	cmpopts.EquateEmpty(),
	cmpopts.SortSlices(func(a, b models.Item) bool {
		if ka, kb := kind(a), kind(b); ka != kb {
			return ka < kb
		}
		return key(a) < key(b)
	}),
}

func testDumpHoldsEverything(t *testing.T, f Factory) {
	fl := fill(t, f.New(t))
	s := fl.store
	want := []models.Item{
		{Agent: getAgent(t, s, fl.ada.ID)},
		{Agent: getAgent(t, s, fl.grace.ID)},
	}
	for _, tk := range fl.tickets {
		want = append(want, models.Item{Ticket: getTicket(t, s, tk.ID)})
		timeline, err := s.Tickets.Timeline(t.Context(), tk.ID)
		if err != nil {
			t.Fatalf("Timeline(#%d): %v", tk.Number, err)
		}
		for _, a := range timeline {
			want = append(want, models.Item{Activity: &a})
		}
	}
	for _, sid := range fl.sids {
		want = append(want, models.Item{Call: getCall(t, s, sid)})
	}
	want = append(want, models.Item{Counter: &models.Counter{Name: models.TicketCounter, Value: 3}})
	got := dump(t, s)
	for _, it := range got {
		if kind(it) < 0 {
			t.Errorf("Dump gave an item with %s and other fields set, want exactly one", describeItem(it))
		}
	}
	// A store may keep other counters; the ticket numbers must be there.
	got = slices.DeleteFunc(got, func(it models.Item) bool {
		return it.Counter != nil && it.Counter.Name != models.TicketCounter
	})
	if diff := cmp.Diff(want, got, sameItems); diff != "" {
		t.Errorf("Dump (-stored +dumped):\n%s", diff)
	}
}

// restoreAll restores items into s and checks each one's inserted flag.
func restoreAll(t testing.TB, s *models.Store, items []models.Item, wantInserted bool) {
	t.Helper()
	for _, it := range items {
		inserted, err := s.Restore(t.Context(), it)
		if err != nil || inserted != wantInserted {
			t.Errorf("Restore(%s) = %v, %v; want %v, nil", describeItem(it), inserted, err, wantInserted)
		}
	}
}

func testRestoreCopies(t *testing.T, f Factory) {
	a := fill(t, f.New(t))
	items := dump(t, a.store)
	b := f.New(t)
	restoreAll(t, b, items, true)
	if diff := cmp.Diff(items, dump(t, b), sameItems); diff != "" {
		t.Errorf("Dump of the copy (-original +copy):\n%s", diff)
	}
	// The copy works as a store, not only as a dump.
	authenticate(t, b, a.ada.Email, adaPassword, true)
	authenticate(t, b, a.grace.Email, "another good password", false)
	if !getAgent(t, b, a.ada.ID).SessionRevoked("session-1") {
		t.Error("the copy lost a revoked session")
	}
	if calls, err := b.Calls.ForTicket(t.Context(), a.tickets[0].ID); err != nil || len(calls) != 1 {
		t.Errorf("ForTicket in the copy = %d calls, %v; want 1", len(calls), err)
	}
	if n, err := b.Tickets.CountOpen(t.Context()); err != nil || n != 2 {
		t.Errorf("CountOpen in the copy = %d, %v; want 2", n, err)
	}
	next := newTicket(t, 4)
	if _, err := b.Tickets.Create(t.Context(), next); err != nil || next.Number != 4 {
		t.Errorf("Create in the copy = #%d, %v; want #4, the number after the highest restored", next.Number, err)
	}
}

func testRestoreAgain(t *testing.T, f Factory) {
	a := fill(t, f.New(t))
	items := dump(t, a.store)
	b := f.New(t)
	restoreAll(t, b, items, true)
	before := dump(t, b)
	restoreAll(t, b, items, false)
	if diff := cmp.Diff(before, dump(t, b), sameItems); diff != "" {
		t.Errorf("Dump after restoring everything again (-before +after):\n%s", diff)
	}
	// Restoring into the original changes nothing either.
	restoreAll(t, a.store, items, false)
	if diff := cmp.Diff(items, dump(t, a.store), sameItems); diff != "" {
		t.Errorf("Dump of the original after restoring its own dump (-before +after):\n%s", diff)
	}
}

// ticketCounter returns the ticket counter from a dump, or 0.
func ticketCounter(t testing.TB, s *models.Store) int64 {
	t.Helper()
	for _, it := range dump(t, s) {
		if it.Counter != nil && it.Counter.Name == models.TicketCounter {
			return it.Counter.Value
		}
	}
	return 0
}

func testRestoreCounter(t *testing.T, f Factory) {
	s := f.New(t)
	createTickets(t, s, 1, 3)
	for _, c := range []struct {
		value        int64
		wantInserted bool
		want         int64
	}{
		{1, false, 3},
		{3, false, 3},
		{10, true, 10},
		{5, false, 10},
		{0, false, 10},
	} {
		inserted, err := s.Restore(t.Context(), models.Item{Counter: &models.Counter{Name: models.TicketCounter, Value: c.value}})
		if err != nil || inserted != c.wantInserted {
			t.Errorf("Restore(counter %d) = %v, %v; want %v, nil", c.value, inserted, err, c.wantInserted)
		}
		if got := ticketCounter(t, s); got != c.want {
			t.Errorf("after Restore(counter %d) the counter is %d, want %d", c.value, got, c.want)
		}
	}
	next := newTicket(t, 4)
	if _, err := s.Tickets.Create(t.Context(), next); err != nil || next.Number != 11 {
		t.Errorf("Create after raising the counter to 10 = #%d, %v; want #11", next.Number, err)
	}
}

func testRestoreEmailConflict(t *testing.T, f Factory) {
	s := f.New(t)
	ada := createAgent(t, s, adaInput())
	impostor := *ada
	impostor.ID, impostor.Name = models.NewID(), "Impostor"
	inserted, err := s.Restore(t.Context(), models.Item{Agent: &impostor})
	if !errors.Is(err, models.ErrConflict) || inserted {
		t.Errorf("Restore(agent with a taken email, another id) = %v, %v; want false, ErrConflict", inserted, err)
	}
	got, err := s.Agents.GetByEmail(t.Context(), ada.Email)
	if err != nil {
		t.Fatalf("GetByEmail: %v", err)
	}
	if diff := cmp.Diff(ada, got, equateAgents); diff != "" {
		t.Errorf("agent after the conflicting Restore (-before +after):\n%s", diff)
	}
}
