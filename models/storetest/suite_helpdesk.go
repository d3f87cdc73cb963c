package storetest

import (
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/ringdesk/ringdesk/models"
)

// The agents who work the helpdesk tests' tickets. They need not be
// stored: tickets and timelines keep copies of who did what.
var (
	refAda = models.AgentRef{ID: mustID("64a000000000000000000a0a"), Name: "Ada Lovelace"}
	refBo  = models.AgentRef{ID: mustID("64a000000000000000000b0b"), Name: "Bo Diddley"}
)

func mustID(s string) models.ID {
	id, err := models.ParseID(s)
	if err != nil {
		panic(err)
	}
	return id
}

var helpdeskTests = []test{
	{"SetStatusRecordsChanges", testSetStatusTimeline},
	{"AssignRecordsChanges", testAssign},
	{"NotesJoinTheTimeline", testNotes},
	{"TimelineKeepsTheLatest", testTimelineLimit},
	{"MissingTicketIsNotFound", testHelpdeskMissing},
	{"CountsFollowEveryChange", testCounts},
	{"ForPhoneIsTheCustomersHistory", testForPhone},
	{"DeleteRemovesTicketAndTimeline", testDelete},
	{"DeleteOpenByPhone", testDeleteOpenByPhone},
	{"RenameAgentRefreshesTickets", testRenameAgent},
	{"CreateKeepsAnAssignee", testCreateAssigned},
}

// timeline reads a ticket's timeline, failing the test if it cannot.
func timeline(t testing.TB, s *models.Store, id models.ID) []models.Activity {
	t.Helper()
	got, err := s.Tickets.Timeline(t.Context(), id)
	if err != nil {
		t.Fatalf("Timeline(%v): %v", id, err)
	}
	return got
}

// entry is what a test knows of a timeline entry before it is stored.
type entry struct {
	Kind     models.ActivityKind
	Actor    models.AgentRef
	Body     string
	Status   models.TicketStatus
	Assignee *models.AgentRef
}

// checkTimeline compares a timeline with the entries expected, oldest
// first, and checks what the store gives each: an id, the ticket, a time
// between from and now, in order.
func checkTimeline(t testing.TB, got []models.Activity, ticket models.ID, from time.Time, want ...entry) {
	t.Helper()
	var kinds []entry
	for i, a := range got {
		kinds = append(kinds, entry{a.Kind, a.Actor, a.Body, a.Status, a.Assignee})
		if a.ID.IsZero() || a.TicketID != ticket {
			t.Errorf("entry %d has id %v and ticket %v, want an id and ticket %v", i, a.ID, a.TicketID, ticket)
		}
		if a.At.Before(from.Truncate(time.Millisecond)) || a.At.After(time.Now()) || a.At.Location() != time.UTC {
			t.Errorf("entry %d at %v, want UTC between %v and now", i, a.At, from)
		}
		if i > 0 && a.At.Before(got[i-1].At) {
			t.Errorf("entry %d at %v is before entry %d at %v: want oldest first", i, a.At, i-1, got[i-1].At)
		}
	}
	if diff := cmp.Diff(want, kinds, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("timeline (-want +got):\n%s", diff)
	}
}

func testSetStatusTimeline(t *testing.T, f Factory) {
	s := f.New(t)
	ctx := t.Context()
	start := time.Now()
	tk := createTickets(t, s, 1, 1)[0]
	steps := []struct {
		status models.TicketStatus
		by     models.AgentRef
	}{
		{models.StatusPending, refAda},
		{models.StatusPending, refBo}, // no change: nothing recorded
		{models.StatusClosed, refBo},
		{models.StatusOpen, refAda},
	}
	for _, st := range steps {
		before := getTicket(t, s, tk.ID)
		if err := s.Tickets.SetStatus(ctx, tk.ID, st.status, st.by); err != nil {
			t.Fatalf("SetStatus(%s): %v", st.status, err)
		}
		got := getTicket(t, s, tk.ID)
		if got.Status != st.status {
			t.Errorf("Status = %q after SetStatus(%s)", got.Status, st.status)
		}
		if before.Status == st.status && !got.UpdatedAt.Equal(before.UpdatedAt) {
			t.Errorf("setting the status a ticket has moved UpdatedAt from %v to %v", before.UpdatedAt, got.UpdatedAt)
		}
	}
	if err := s.Tickets.SetStatus(ctx, tk.ID, "resolved", refAda); err == nil {
		t.Error(`SetStatus("resolved") = nil, want an error`)
	}
	checkTimeline(t, timeline(t, s, tk.ID), tk.ID, start,
		entry{Kind: models.ActivityStatus, Actor: refAda, Status: models.StatusPending},
		entry{Kind: models.ActivityStatus, Actor: refBo, Status: models.StatusClosed},
		entry{Kind: models.ActivityStatus, Actor: refAda, Status: models.StatusOpen},
	)
}

func testAssign(t *testing.T, f Factory) {
	s := f.New(t)
	ctx := t.Context()
	start := time.Now()
	tickets := createTickets(t, s, 1, 2)
	tk, other := tickets[0], tickets[1]
	assign := func(to *models.AgentRef, by models.AgentRef) {
		t.Helper()
		if err := s.Tickets.Assign(ctx, tk.ID, to, by); err != nil {
			t.Fatalf("Assign(%v): %v", to, err)
		}
		got := getTicket(t, s, tk.ID)
		if diff := cmp.Diff(to, got.Assignee); diff != "" {
			t.Errorf("Assignee after Assign (-want +got):\n%s", diff)
		}
		want := tk
		want.Assignee, want.UpdatedAt = got.Assignee, got.UpdatedAt
		if diff := cmp.Diff(want, *got); diff != "" {
			t.Errorf("Assign changed more than the assignee (-want +got):\n%s", diff)
		}
	}
	bo, ada := refBo, refAda
	assign(&bo, refAda)
	assign(&bo, refAda) // no change
	assign(&ada, refAda)
	assign(nil, refBo)
	assign(nil, refBo) // no change

	// The API shows an unassigned ticket's assignee as null.
	b, err := json.Marshal(getTicket(t, s, tk.ID))
	if err != nil || !strings.Contains(string(b), `"assignee":null`) {
		t.Errorf("JSON of an unassigned ticket = %s, %v; want \"assignee\":null", b, err)
	}
	if err := s.Tickets.Assign(ctx, tk.ID, &models.AgentRef{Name: "No id"}, refAda); err == nil {
		t.Error("Assign to an agent without id = nil, want an error")
	}
	checkTimeline(t, timeline(t, s, tk.ID), tk.ID, start,
		entry{Kind: models.ActivityAssigned, Actor: refAda, Assignee: &bo},
		entry{Kind: models.ActivityAssigned, Actor: refAda, Assignee: &ada},
		entry{Kind: models.ActivityUnassigned, Actor: refBo},
	)
	if got := timeline(t, s, other.ID); len(got) != 0 {
		t.Errorf("the other ticket's timeline has %d entries, want none", len(got))
	}
}

func testNotes(t *testing.T, f Factory) {
	s := f.New(t)
	ctx := t.Context()
	start := time.Now()
	tk := createTickets(t, s, 1, 1)[0]
	body := "Called back: the headset is fine now.\n\tWill check again on Monday — Ünïcode ✓"
	note, err := s.Tickets.AddNote(ctx, tk.ID, refBo, body)
	if err != nil {
		t.Fatalf("AddNote: %v", err)
	}
	if note.ID.IsZero() || note.TicketID != tk.ID || note.Kind != models.ActivityNote || note.Body != body || note.Actor != refBo {
		t.Errorf("AddNote returned %+v", note)
	}
	if got := getTicket(t, s, tk.ID); got.UpdatedAt.Before(note.At) {
		t.Errorf("UpdatedAt = %v after a note at %v, want it moved to the note", got.UpdatedAt, note.At)
	}
	// A note, a change and a note read back in the order they were made.
	if err := s.Tickets.SetStatus(ctx, tk.ID, models.StatusPending, refAda); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Tickets.AddNote(ctx, tk.ID, refAda, "Waiting for the customer."); err != nil {
		t.Fatal(err)
	}
	got := timeline(t, s, tk.ID)
	checkTimeline(t, got, tk.ID, start,
		entry{Kind: models.ActivityNote, Actor: refBo, Body: body},
		entry{Kind: models.ActivityStatus, Actor: refAda, Status: models.StatusPending},
		entry{Kind: models.ActivityNote, Actor: refAda, Body: "Waiting for the customer."},
	)
	if len(got) > 0 {
		if diff := cmp.Diff(*note, got[0]); diff != "" {
			t.Errorf("stored note (-AddNote +Timeline):\n%s", diff)
		}
		b, err := json.Marshal(got[0].Note())
		want := fmt.Sprintf(`{"id":%q,"author":{"id":%q,"name":"Bo Diddley"},"body":%q,"createdAt":%q}`,
			note.ID.Hex(), refBo.ID.Hex(), body, note.At.Format(time.RFC3339Nano))
		if err != nil || string(b) != want {
			t.Errorf("JSON of a note = %s, %v; want %s", b, err, want)
		}
	}
}

// testTimelineLimit gives a ticket more entries than Timeline returns:
// the latest come back, oldest first.
func testTimelineLimit(t *testing.T, f Factory) {
	s := f.New(t)
	tk := createTickets(t, s, 1, 1)[0]
	const n = models.MaxTimeline + 5
	at := ms(time.Now().Add(-time.Hour))
	var ids []models.ID
	for i := range n {
		a := models.NewActivity(tk.ID, models.ActivityNote, refAda, at.Add(time.Duration(i)*time.Second))
		a.Body = fmt.Sprint("note ", i)
		restore(t, s, models.Item{Activity: &a})
		ids = append(ids, a.ID)
	}
	got := timeline(t, s, tk.ID)
	if len(got) != models.MaxTimeline {
		t.Fatalf("Timeline has %d entries, want %d", len(got), models.MaxTimeline)
	}
	if got[0].ID != ids[5] || got[len(got)-1].ID != ids[n-1] {
		t.Errorf("Timeline runs from %q to %q, want from note 5 to note %d", got[0].Body, got[len(got)-1].Body, n-1)
	}
}

func testHelpdeskMissing(t *testing.T, f Factory) {
	s := f.New(t)
	ctx := t.Context()
	createTickets(t, s, 1, 1)
	missing := models.NewID()
	bo := refBo
	if err := s.Tickets.Assign(ctx, missing, &bo, refAda); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("Assign(missing) = %v, want ErrNotFound", err)
	}
	if err := s.Tickets.Assign(ctx, missing, nil, refAda); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("Assign(missing, nobody) = %v, want ErrNotFound", err)
	}
	if err := s.Tickets.SetStatus(ctx, missing, models.StatusPending, refAda); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("SetStatus(missing) = %v, want ErrNotFound", err)
	}
	if a, err := s.Tickets.AddNote(ctx, missing, refAda, "hello"); !errors.Is(err, models.ErrNotFound) || a != nil {
		t.Errorf("AddNote(missing) = %v, %v; want nil, ErrNotFound", a, err)
	}
	if err := s.Tickets.Delete(ctx, missing, refAda); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("Delete(missing) = %v, want ErrNotFound", err)
	}
	if got := timeline(t, s, missing); len(got) != 0 {
		t.Errorf("Timeline(missing) = %v, want none", got)
	}
	if got := dumpOf(t, s, func(it models.Item) bool { return it.Activity != nil || it.Deletion != nil }); len(got) != 0 {
		t.Errorf("operations on a missing ticket stored %v", got)
	}
}

// dumpOf returns the items of a dump that keep says to keep.
func dumpOf(t testing.TB, s *models.Store, keep func(models.Item) bool) []models.Item {
	t.Helper()
	var out []models.Item
	for _, it := range dump(t, s) {
		if keep(it) {
			out = append(out, it)
		}
	}
	return out
}

// wantCounts counts a store's tickets view by view, the long way, for
// agent.
func wantCounts(t testing.TB, s *models.Store, agent models.ID) models.ViewCounts {
	t.Helper()
	all := dumpOf(t, s, func(it models.Item) bool { return it.Ticket != nil })
	var c models.ViewCounts
	for _, it := range all {
		for _, v := range models.Views {
			if v.Includes(it.Ticket, agent) {
				switch v {
				case models.ViewOpen:
					c.Open++
				case models.ViewMine:
					c.Mine++
				case models.ViewUnassigned:
					c.Unassigned++
				case models.ViewPending:
					c.Pending++
				case models.ViewClosed:
					c.Closed++
				case models.ViewAll:
					c.All++
				}
			}
		}
	}
	return c
}

// checkCounts compares Counts and CountOpen with the long way, for each
// agent and for nobody.
func checkCounts(t testing.TB, s *models.Store, step string) {
	t.Helper()
	for _, agent := range []models.ID{refAda.ID, refBo.ID, {}} {
		got, err := s.Tickets.Counts(t.Context(), agent)
		if err != nil {
			t.Fatalf("%s: Counts: %v", step, err)
		}
		if diff := cmp.Diff(wantCounts(t, s, agent), got); diff != "" {
			t.Errorf("%s: Counts(%v) (-want +got):\n%s", step, agent, diff)
		}
		if open, err := s.Tickets.CountOpen(t.Context()); err != nil || open != got.Open {
			t.Errorf("%s: CountOpen = %d, %v; want %d", step, open, err, got.Open)
		}
	}
}

func testCounts(t *testing.T, f Factory) {
	s := f.New(t)
	ctx := t.Context()
	checkCounts(t, s, "empty store")
	tk := createTickets(t, s, 1, 6)
	checkCounts(t, s, "six new tickets")
	ada, bo := refAda, refBo
	steps := []struct {
		name string
		do   func() error
	}{
		{"assign #1 to Ada", func() error { return s.Tickets.Assign(ctx, tk[0].ID, &ada, refAda) }},
		{"assign #2 to Ada", func() error { return s.Tickets.Assign(ctx, tk[1].ID, &ada, refBo) }},
		{"assign #3 to Bo", func() error { return s.Tickets.Assign(ctx, tk[2].ID, &bo, refBo) }},
		{"#1 pending", func() error { return s.Tickets.SetStatus(ctx, tk[0].ID, models.StatusPending, refAda) }},
		{"#2 closed", func() error { return s.Tickets.SetStatus(ctx, tk[1].ID, models.StatusClosed, refAda) }},
		{"#2 from Ada to Bo while closed", func() error { return s.Tickets.Assign(ctx, tk[1].ID, &bo, refAda) }},
		{"#2 reopened", func() error { return s.Tickets.SetStatus(ctx, tk[1].ID, models.StatusOpen, refBo) }},
		{"#4 closed while unassigned", func() error { return s.Tickets.SetStatus(ctx, tk[3].ID, models.StatusClosed, refBo) }},
		{"#4 assigned while closed", func() error { return s.Tickets.Assign(ctx, tk[3].ID, &ada, refBo) }},
		{"#1 closed from pending", func() error { return s.Tickets.SetStatus(ctx, tk[0].ID, models.StatusClosed, refAda) }},
		{"#3 unassigned", func() error { return s.Tickets.Assign(ctx, tk[2].ID, nil, refAda) }},
		{"#3 pending", func() error { return s.Tickets.SetStatus(ctx, tk[2].ID, models.StatusPending, refAda) }},
		{"#5 deleted", func() error { return s.Tickets.Delete(ctx, tk[4].ID, refAda) }},
		{"#1 deleted while closed", func() error { return s.Tickets.Delete(ctx, tk[0].ID, refAda) }},
		{"#2 deleted while Bo's", func() error { return s.Tickets.Delete(ctx, tk[1].ID, refAda) }},
	}
	for _, st := range steps {
		if err := st.do(); err != nil {
			t.Fatalf("%s: %v", st.name, err)
		}
		checkCounts(t, s, st.name)
	}
}

func testForPhone(t *testing.T, f Factory) {
	s := f.New(t)
	base := ms(time.Now().Add(-time.Hour))
	var mine []models.Ticket
	for i, phone := range []string{"+442079460958", "+14155552671", "+442079460958", "+442079460958", ""} {
		tk := models.Ticket{ID: models.NewID(), Number: int64(i + 1), Name: "Caller", PhoneNumber: phone,
			Description: "history", Status: models.StatusOpen, CreatedAt: base.Add(time.Duration(i) * time.Minute),
			IdempotencyKey: fmt.Sprint("phone-", i)}
		tk.UpdatedAt = tk.CreatedAt
		if i == 2 {
			tk.Status = models.StatusClosed // history includes closed tickets
		}
		restore(t, s, models.Item{Ticket: &tk})
		if phone == "+442079460958" {
			mine = append(mine, tk)
		}
	}
	want := newestFirst(mine)
	got, err := s.Tickets.ForPhone(t.Context(), "+442079460958", 10)
	if err != nil {
		t.Fatalf("ForPhone: %v", err)
	}
	if diff := cmp.Diff(want, got, ignoreKey); diff != "" {
		t.Errorf("ForPhone (-want +got):\n%s", diff)
	}
	if got, err := s.Tickets.ForPhone(t.Context(), "+442079460958", 2); err != nil || len(got) != 2 || got[0].Number != 4 {
		t.Errorf("ForPhone with limit 2 = %d tickets (first #%d), %v; want #4 and #3", len(got), firstNumber(got), err)
	}
	if got, err := s.Tickets.ForPhone(t.Context(), "+15550000000", 10); err != nil || len(got) != 0 {
		t.Errorf("ForPhone(unknown number) = %v, %v; want none", got, err)
	}
	if got, err := s.Tickets.ForPhone(t.Context(), "", 10); err != nil || len(got) != 0 {
		t.Errorf(`ForPhone("") = %d tickets, %v; want none: tickets without a number are nobody's history`, len(got), err)
	}
}

func firstNumber(tickets []models.Ticket) int64 {
	if len(tickets) == 0 {
		return 0
	}
	return tickets[0].Number
}

// deletions returns a store's deletion records.
func deletions(t testing.TB, s *models.Store) []models.Deletion {
	t.Helper()
	var out []models.Deletion
	for _, it := range dumpOf(t, s, func(it models.Item) bool { return it.Deletion != nil }) {
		out = append(out, *it.Deletion)
	}
	return out
}

// checkDeletions compares deletion records with the tickets deleted, in
// any order, and checks each record's id and time.
func checkDeletions(t testing.TB, got []models.Deletion, by models.AgentRef, from time.Time, want ...models.Ticket) {
	t.Helper()
	type rec struct {
		Ticket models.ID
		Number int64
		Phone  string
		By     models.AgentRef
	}
	var g, w []rec
	for _, d := range got {
		g = append(g, rec{d.TicketID, d.Number, d.PhoneNumber, d.By})
		if d.ID.IsZero() || d.At.Before(from.Truncate(time.Millisecond)) || d.At.After(time.Now()) {
			t.Errorf("deletion record of #%d has id %v and time %v, want an id and a time after %v", d.Number, d.ID, d.At, from)
		}
	}
	for _, tk := range want {
		w = append(w, rec{tk.ID, tk.Number, tk.PhoneNumber, by})
	}
	sortRecs := cmpopts.SortSlices(func(a, b rec) bool { return a.Number < b.Number })
	if diff := cmp.Diff(w, g, sortRecs, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("deletion records (-want +got):\n%s", diff)
	}
}

func testDelete(t *testing.T, f Factory) {
	s := f.New(t)
	ctx := t.Context()
	start := time.Now()
	tk := createTickets(t, s, 1, 2)
	victim, keep := tk[0], tk[1]
	bo := refBo
	for _, id := range []models.ID{victim.ID, keep.ID} {
		if err := s.Tickets.Assign(ctx, id, &bo, refAda); err != nil {
			t.Fatal(err)
		}
		if _, err := s.Tickets.AddNote(ctx, id, refAda, "a note"); err != nil {
			t.Fatal(err)
		}
	}
	record(t, s, event(callSID(1), &victim.ID, models.CallCompleted, 0))

	if err := s.Tickets.Delete(ctx, victim.ID, refBo); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	if _, err := s.Tickets.Get(ctx, victim.ID); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("Get after Delete = %v, want ErrNotFound", err)
	}
	if got := timeline(t, s, victim.ID); len(got) != 0 {
		t.Errorf("Timeline after Delete has %d entries, want none", len(got))
	}
	if got := timeline(t, s, keep.ID); len(got) != 2 {
		t.Errorf("the other ticket's timeline has %d entries after a Delete, want 2", len(got))
	}
	if err := s.Tickets.Delete(ctx, victim.ID, refBo); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("second Delete = %v, want ErrNotFound", err)
	}
	// The call's log outlives its ticket, as it always has.
	if calls, err := s.Calls.ForTicket(ctx, victim.ID); err != nil || len(calls) != 1 {
		t.Errorf("ForTicket after Delete = %d calls, %v; want the call kept", len(calls), err)
	}
	checkDeletions(t, deletions(t, s), refBo, start, victim)
	checkCounts(t, s, "after a Delete")
	page, _, err := s.Tickets.Find(ctx, models.Query{View: models.ViewAll}, nil, 10)
	if err != nil || len(page) != 1 || page[0].ID != keep.ID {
		t.Errorf("Find(all) after Delete = %d tickets, %v; want only the other", len(page), err)
	}
}

func testDeleteOpenByPhone(t *testing.T, f Factory) {
	s := f.New(t)
	ctx := t.Context()
	start := time.Now()
	const spam, other = "+442079460958", "+14155552671"
	var tickets []models.Ticket
	for i, phone := range []string{spam, other, spam, spam, spam} {
		tk := newTicket(t, i)
		tk.PhoneNumber = phone
		if _, err := s.Tickets.Create(ctx, tk); err != nil {
			t.Fatal(err)
		}
		tickets = append(tickets, *tk)
	}
	if err := s.Tickets.SetStatus(ctx, tickets[2].ID, models.StatusClosed, refAda); err != nil {
		t.Fatal(err)
	}
	if err := s.Tickets.SetStatus(ctx, tickets[3].ID, models.StatusPending, refAda); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Tickets.AddNote(ctx, tickets[4].ID, refAda, "spam again"); err != nil {
		t.Fatal(err)
	}
	n, err := s.Tickets.DeleteOpenByPhone(ctx, spam, refAda)
	if err != nil || n != 3 {
		t.Fatalf("DeleteOpenByPhone = %d, %v; want 3 (open and pending), nil", n, err)
	}
	for i, tk := range tickets {
		_, err := s.Tickets.Get(ctx, tk.ID)
		gone := i == 0 || i == 3 || i == 4
		if gone != errors.Is(err, models.ErrNotFound) {
			t.Errorf("ticket %d (%s) after DeleteOpenByPhone: Get = %v, want gone %v", i, tk.PhoneNumber, err, gone)
		}
	}
	if got := timeline(t, s, tickets[4].ID); len(got) != 0 {
		t.Errorf("a deleted ticket's timeline has %d entries", len(got))
	}
	checkDeletions(t, deletions(t, s), refAda, start, tickets[0], tickets[3], tickets[4])
	checkCounts(t, s, "after DeleteOpenByPhone")
	if n, err := s.Tickets.DeleteOpenByPhone(ctx, spam, refAda); err != nil || n != 0 {
		t.Errorf("DeleteOpenByPhone again = %d, %v; want 0, nil", n, err)
	}
	var verr *models.ValidationError
	if n, err := s.Tickets.DeleteOpenByPhone(ctx, "", refAda); !errors.As(err, &verr) || n != 0 {
		t.Errorf(`DeleteOpenByPhone("") = %d, %v; want 0 and a ValidationError`, n, err)
	}
}

func testRenameAgent(t *testing.T, f Factory) {
	s := f.New(t)
	ctx := t.Context()
	tk := createTickets(t, s, 1, 4)
	bo, ada := refBo, refAda
	for i, to := range []*models.AgentRef{&bo, &bo, &ada, nil} {
		if to != nil {
			if err := s.Tickets.Assign(ctx, tk[i].ID, to, refAda); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := s.Tickets.SetStatus(ctx, tk[1].ID, models.StatusClosed, refAda); err != nil {
		t.Fatal(err)
	}
	renamed := models.AgentRef{ID: refBo.ID, Name: "Bo Renamed"}
	if err := s.Tickets.RenameAgent(ctx, renamed); err != nil {
		t.Fatalf("RenameAgent: %v", err)
	}
	for i, want := range []*models.AgentRef{&renamed, &renamed, &ada, nil} {
		got := getTicket(t, s, tk[i].ID)
		if diff := cmp.Diff(want, got.Assignee); diff != "" {
			t.Errorf("ticket %d's assignee after RenameAgent (-want +got):\n%s", i, diff)
		}
	}
	// The timeline says who was assigned as they were called then.
	if got := timeline(t, s, tk[0].ID); len(got) != 1 || got[0].Assignee == nil || got[0].Assignee.Name != refBo.Name {
		t.Errorf("timeline after RenameAgent = %+v, want the old name kept", got)
	}
	page, _, err := s.Tickets.Find(ctx, models.Query{View: models.ViewMine, Agent: refBo.ID}, nil, 10)
	if err != nil || len(page) != 1 || page[0].Assignee == nil || page[0].Assignee.Name != "Bo Renamed" {
		t.Errorf("Find(mine) after RenameAgent = %+v, %v; want Bo's open ticket with the new name", page, err)
	}
}

// testCreateAssigned: a ticket may be created already assigned, say by
// an agent opening one for a caller, and counts as such.
func testCreateAssigned(t *testing.T, f Factory) {
	s := f.New(t)
	tk := newTicket(t, 1)
	bo := refBo
	tk.Assignee = &bo
	if _, err := s.Tickets.Create(t.Context(), tk); err != nil {
		t.Fatalf("Create: %v", err)
	}
	if diff := cmp.Diff(*tk, *getTicket(t, s, tk.ID)); diff != "" {
		t.Errorf("stored ticket (-created +stored):\n%s", diff)
	}
	checkCounts(t, s, "a ticket created assigned")
}
