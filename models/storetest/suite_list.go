package storetest

import (
	"bytes"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/ringdesk/ringdesk/models"
)

// ticketListTests page through tickets: List, then Find's views and
// searches.
var ticketListTests = append([]test{
	{"PagesNewestFirst", testListPages},
	{"BreaksCreatedAtTiesByID", testListTies},
	{"PagesStableWhileNewTicketsArrive", testListStable},
}, findTests...)

// newestFirst sorts tickets as List does: by creation time, then by id,
// both descending. Tickets created within one millisecond tie on time,
// and ids are random after their first four bytes, so creation order
// alone does not give List's order.
func newestFirst(tickets []models.Ticket) []models.Ticket {
	out := slices.Clone(tickets)
	slices.SortFunc(out, func(a, b models.Ticket) int {
		if c := b.CreatedAt.Compare(a.CreatedAt); c != 0 {
			return c
		}
		return bytes.Compare(b.ID[:], a.ID[:])
	})
	return out
}

func testListPages(t *testing.T, f Factory) {
	tests := []struct {
		tickets, pageSize int
		wantPages         []int
	}{
		{tickets: 7, pageSize: 3, wantPages: []int{3, 3, 1}},
		{tickets: 6, pageSize: 3, wantPages: []int{3, 3}},
		{tickets: 2, pageSize: 3, wantPages: []int{2}},
		{tickets: 0, pageSize: 3, wantPages: []int{0}},
		{tickets: 5, pageSize: 1, wantPages: []int{1, 1, 1, 1, 1}},
	}
	for _, tt := range tests {
		t.Run(fmt.Sprintf("%d tickets by %d", tt.tickets, tt.pageSize), func(t *testing.T) {
			s := f.New(t)
			want := newestFirst(createTickets(t, s, 1, tt.tickets))
			got, sizes := pageThrough(t, s, nil, tt.pageSize)
			if diff := cmp.Diff(tt.wantPages, sizes); diff != "" {
				t.Errorf("page sizes (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(want, got, cmpopts.EquateEmpty(), ignoreKey); diff != "" {
				t.Errorf("tickets across pages (-want +got):\n%s", diff)
			}
		})
	}
}

// pageThrough follows next cursors from after (through their string
// form, as a page link would) until the last page, checking each cursor
// points at the last ticket of its page. It returns every ticket and the
// page sizes.
func pageThrough(t testing.TB, s *models.Store, after *models.Cursor, pageSize int) ([]models.Ticket, []int) {
	t.Helper()
	var (
		all   []models.Ticket
		sizes []int
	)
	for page := 1; ; page++ {
		if page > 1000 {
			t.Fatal("List never returned a nil next cursor")
		}
		tickets, next := listPage(t, s, after, pageSize)
		all = append(all, tickets...)
		sizes = append(sizes, len(tickets))
		if next == nil {
			return all, sizes
		}
		after = next
	}
}

// listPage reads one page and checks its next cursor, which it returns
// as parsed back from its string form.
func listPage(t testing.TB, s *models.Store, after *models.Cursor, pageSize int) ([]models.Ticket, *models.Cursor) {
	t.Helper()
	tickets, next, err := s.Tickets.List(t.Context(), after, pageSize)
	if err != nil {
		t.Fatalf("List after %v: %v", after, err)
	}
	if next == nil {
		return tickets, nil
	}
	if len(tickets) != pageSize {
		t.Fatalf("a page of %d tickets has a next cursor, want a full page of %d", len(tickets), pageSize)
	}
	last := tickets[len(tickets)-1]
	if diff := cmp.Diff(models.Cursor{CreatedAt: last.CreatedAt, ID: last.ID}, *next); diff != "" {
		t.Errorf("next cursor (-last ticket +cursor):\n%s", diff)
	}
	c, err := models.ParseCursor(next.String())
	if err != nil {
		t.Fatalf("ParseCursor(%q): %v", next.String(), err)
	}
	return tickets, &c
}

func testListTies(t *testing.T, f Factory) {
	s := f.New(t)
	tied := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	// Ten tickets share one creation time between an older and a newer
	// one, so every page boundary below falls inside the tie.
	times := []time.Time{tied.Add(-time.Second)}
	for range 10 {
		times = append(times, tied)
	}
	times = append(times, tied.Add(time.Second))
	var tickets []models.Ticket
	for i, at := range times {
		tickets = append(tickets, models.Ticket{
			ID:             models.NewID(),
			Number:         int64(i + 1),
			Name:           fmt.Sprintf("Customer %d", i),
			PhoneNumber:    "+14155552671",
			Description:    "tied",
			Status:         models.StatusOpen,
			CreatedAt:      at,
			UpdatedAt:      at,
			IdempotencyKey: fmt.Sprintf("seed-%d", i),
		})
	}
	// Stored out of order so that storage order cannot pass for sorting.
	for _, i := range []int{5, 0, 11, 3, 8, 1, 10, 2, 9, 4, 7, 6} {
		restore(t, s, models.Item{Ticket: &tickets[i]})
	}
	want := newestFirst(tickets)
	for _, size := range []int{1, 3, 4, 5} {
		t.Run(fmt.Sprintf("page size %d", size), func(t *testing.T) {
			got, _ := pageThrough(t, s, nil, size)
			if diff := cmp.Diff(want, got, ignoreKey); diff != "" {
				t.Errorf("tickets across pages (-want +got):\n%s", diff)
			}
		})
	}
}

// testListStable pages through the list while customers keep opening
// tickets and an agent closes one: a page link shows what came after the
// previous page, with nothing repeated or skipped.
func testListStable(t *testing.T, f Factory) {
	s := f.New(t)
	old := newestFirst(createTickets(t, s, 1, 7))
	page, next := listPage(t, s, nil, 3)
	if diff := cmp.Diff(old[:3], page, ignoreKey); diff != "" {
		t.Fatalf("first page (-want +got):\n%s", diff)
	}
	if next == nil {
		t.Fatal("first page of 7 tickets has no next cursor")
	}
	// New tickets must be newer than the cursor, not merely created later:
	// within one millisecond their random ids could order them either way.
	time.Sleep(2 * time.Millisecond)
	fresh := createTickets(t, s, 100, 3)
	if err := s.Tickets.SetStatus(t.Context(), old[4].ID, models.StatusClosed, refAda); err != nil {
		t.Fatalf("SetStatus: %v", err)
	}
	old[4] = *getTicket(t, s, old[4].ID)

	rest, sizes := pageThrough(t, s, next, 3)
	if diff := cmp.Diff([]int{3, 1}, sizes); diff != "" {
		t.Errorf("page sizes after the first (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(old[3:], rest, ignoreKey); diff != "" {
		t.Errorf("pages after the first, while tickets arrived (-want +got):\n%s", diff)
	}
	// A fresh first page shows the new tickets.
	page, _ = listPage(t, s, nil, 3)
	if diff := cmp.Diff(newestFirst(fresh), page, ignoreKey); diff != "" {
		t.Errorf("first page after new tickets (-want +got):\n%s", diff)
	}
}
