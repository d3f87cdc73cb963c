package storetest

import (
	"errors"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"
	"unicode"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/ringdesk/ringdesk/models"
)

var findTests = []test{
	{"FindEveryViewAndSearch", testFindMatrix},
	{"FindCountsAgreeWithViews", testFindCounts},
	{"FindWordCursorNeedsANumber", testFindWordCursor},
	{"FindOddQueries", testFindOdd},
}

// The phone numbers of the Find tests' customers.
const (
	phoneUK = "+442079460958"
	phoneUS = "+14155552671"
	phoneDE = "+493012345678"
)

// helpdesk fills a store with tickets of every view, customer and kind
// of text, restored with chosen numbers and times: some share a time, and
// some numbers run against their times (as an import of tickets created
// at once on several instances may), so that an order by time and one by
// number differ. It returns them as stored.
func helpdesk(t testing.TB, s *models.Store) []models.Ticket {
	t.Helper()
	base := ms(time.Now().Add(-24 * time.Hour))
	ada, bo := refAda, refBo
	rows := []struct {
		name, phone, desc string
		status            models.TicketStatus
		assignee          *models.AgentRef
		minute            int
	}{
		{"Ada Customer", phoneUK, "Headset crackles on long calls", models.StatusOpen, &ada, 1},
		{"Grace Hopper", phoneUS, "Invoice shows the wrong address", models.StatusPending, &bo, 2},
		{"Linus Tor", phoneUK, "Headset will not pair", models.StatusClosed, &ada, 3},
		{"Margaret Ham", phoneDE, "Router drops the line", models.StatusOpen, nil, 4},
		{"Headset Harry", phoneUS, "Cannot sign in to the portal", models.StatusOpen, &bo, 5},
		{"Dennis Rit", phoneUK, "Invoice for the headset bundle", models.StatusPending, nil, 6},
		{"Ken Thompson", phoneDE, "Wrong address on the invoice", models.StatusClosed, nil, 7},
		{"Barbara Liskov", phoneUK, "Headset crackles again", models.StatusOpen, nil, 9},
		{"Edsger Dijkstra", phoneUS, "Router resets at night", models.StatusOpen, &ada, 9},
		{"Frances Allen", phoneUK, "Headset and invoice both wrong", models.StatusOpen, &ada, 9},
		{"John Backus", phoneDE, "Invoice address changed", models.StatusPending, &ada, 9},
		{"Radia Perlman", phoneUK, "Headset is silent", models.StatusClosed, &bo, 8},
		{"Alan Kay", phoneUS, "Portal shows an old invoice", models.StatusOpen, nil, 12},
		{"Tony Hoare", phoneUK, "Headset cable frayed", models.StatusPending, &ada, 11},
		{"Niklaus Wirth", phoneDE, "Nothing works", models.StatusOpen, &bo, 13},
		{"Donald Knuth", phoneUK, "Headset invoice address", models.StatusOpen, nil, 14},
	}
	var out []models.Ticket
	for i, r := range rows {
		at := base.Add(time.Duration(r.minute) * time.Minute)
		tk := models.Ticket{ID: models.NewID(), Number: int64(i + 1), Name: r.name, PhoneNumber: r.phone,
			Description: r.desc, Status: r.status, Assignee: r.assignee, CreatedAt: at, UpdatedAt: at,
			IdempotencyKey: fmt.Sprint("helpdesk-", i)}
		out = append(out, tk)
	}
	// Stored out of order, so that storage order cannot pass for either.
	for _, i := range []int{7, 0, 15, 3, 11, 1, 9, 5, 13, 2, 10, 4, 14, 6, 12, 8} {
		restore(t, s, models.Item{Ticket: &out[i]})
	}
	restore(t, s, models.Item{Counter: &models.Counter{Name: models.TicketCounter, Value: int64(len(out))}})
	return out
}

// words are the lower-case words of a ticket's name and description, as
// both stores' full-text indexes see them for the words the tests use.
func words(tk *models.Ticket) []string {
	return strings.FieldsFunc(strings.ToLower(tk.Name+" "+tk.Description), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsNumber(r)
	})
}

// matches reports whether tk is among a search's results, the long way.
func matches(tk *models.Ticket, s models.Search) bool {
	switch {
	case s.Number != 0:
		return tk.Number == s.Number
	case s.Phone != "":
		return tk.PhoneNumber == s.Phone
	case s.Words != "":
		terms := s.Terms()
		for _, term := range terms {
			if !slices.Contains(words(tk), strings.ToLower(term)) {
				return false
			}
		}
		return len(terms) > 0
	}
	return true
}

// expect is what Find should return for q, all pages together.
func expect(all []models.Ticket, q models.Query) []models.Ticket {
	var out []models.Ticket
	for _, tk := range all {
		if q.View.Includes(&tk, q.Agent) && matches(&tk, q.Search) {
			out = append(out, tk)
		}
	}
	if q.Search.Words == "" {
		return newestFirst(out)
	}
	slices.SortFunc(out, func(a, b models.Ticket) int { return int(b.Number - a.Number) })
	return out
}

// findAll follows Find's next cursors, through their string form as a
// page link would, checking each, and returns every ticket and the page
// sizes.
func findAll(t testing.TB, s *models.Store, q models.Query, size int) ([]models.Ticket, []int) {
	t.Helper()
	var (
		all   []models.Ticket
		sizes []int
		after *models.Cursor
	)
	for page := 1; ; page++ {
		if page > 100 {
			t.Fatal("Find never returned a nil next cursor")
		}
		tickets, next, err := s.Tickets.Find(t.Context(), q, after, size)
		if err != nil {
			t.Fatalf("Find(%+v) page %d: %v", q, page, err)
		}
		all = append(all, tickets...)
		sizes = append(sizes, len(tickets))
		if next == nil {
			return all, sizes
		}
		if len(tickets) != size {
			t.Fatalf("a page of %d tickets has a next cursor, want a full page of %d", len(tickets), size)
		}
		last := tickets[len(tickets)-1]
		want := models.Cursor{CreatedAt: last.CreatedAt, ID: last.ID}
		if q.Search.Words != "" {
			want.Number = last.Number
		}
		if diff := cmp.Diff(want, *next); diff != "" {
			t.Errorf("next cursor (-last ticket +cursor):\n%s", diff)
		}
		c, err := models.ParseCursor(next.String())
		if err != nil {
			t.Fatalf("ParseCursor(%q): %v", next.String(), err)
		}
		after = &c
	}
}

// skipWordsOnStandIn skips a word search where there is no text index.
func skipWordsOnStandIn(t *testing.T, f Factory, q models.Query) {
	t.Helper()
	if q.Search.Words != "" {
		skipOnStandIn(t, f, "no text indexes, so no $text word search")
	}
}

// searches are the searches the matrix runs in every view.
var searches = []models.Search{
	{},
	{Number: 6},
	{Number: 3},
	{Number: 999},
	{Phone: phoneUK},
	{Phone: phoneUS},
	{Phone: "+33142685300"},
	{Words: "headset"},
	{Words: "Invoice  ADDRESS"},
	{Words: "harry"},
	{Words: "router night"},
	{Words: "crackles"},
	{Words: "unheard-of"},
	{Words: `"--"`},
}

func testFindMatrix(t *testing.T, f Factory) {
	s := f.New(t)
	all := helpdesk(t, s)
	type run struct {
		view  models.View
		agent models.ID
	}
	var runs []run
	for _, v := range models.Views {
		runs = append(runs, run{v, refAda.ID})
	}
	runs = append(runs, run{models.ViewMine, refBo.ID})
	for _, r := range runs {
		for _, search := range searches {
			q := models.Query{View: r.view, Agent: r.agent, Search: search}
			t.Run(fmt.Sprintf("%s of %s/%+v", r.view, r.agent.Hex()[20:], search), func(t *testing.T) {
				skipWordsOnStandIn(t, f, q)
				want := expect(all, q)
				for _, size := range []int{2, 5, 50} {
					got, _ := findAll(t, s, q, size)
					if diff := cmp.Diff(want, got, ignoreKey, cmpopts.EquateEmpty()); diff != "" {
						t.Errorf("Find by %d (-want +got):\n%s", size, diff)
					}
				}
			})
		}
	}
}

// testFindCounts checks that each view's count is what paging through
// the view finds, while tickets move between views.
func testFindCounts(t *testing.T, f Factory) {
	s := f.New(t)
	all := helpdesk(t, s)
	check := func(step string) {
		t.Helper()
		for _, agent := range []models.ID{refAda.ID, refBo.ID} {
			counts, err := s.Tickets.Counts(t.Context(), agent)
			if err != nil {
				t.Fatalf("%s: Counts: %v", step, err)
			}
			for _, v := range models.Views {
				got, _ := findAll(t, s, models.Query{View: v, Agent: agent}, 4)
				if int64(len(got)) != counts.Of(v) {
					t.Errorf("%s: view %s of %v has %d tickets, Counts says %d", step, v, agent, len(got), counts.Of(v))
				}
			}
		}
	}
	check("restored")
	ada := refAda
	if err := s.Tickets.Assign(t.Context(), all[3].ID, &ada, refBo); err != nil {
		t.Fatal(err)
	}
	if err := s.Tickets.SetStatus(t.Context(), all[0].ID, models.StatusClosed, refBo); err != nil {
		t.Fatal(err)
	}
	if err := s.Tickets.SetStatus(t.Context(), all[2].ID, models.StatusPending, refBo); err != nil {
		t.Fatal(err)
	}
	check("after changes")
}

func testFindWordCursor(t *testing.T, f Factory) {
	s := f.New(t)
	all := helpdesk(t, s)
	q := models.Query{View: models.ViewAll, Search: models.Search{Words: "headset"}}
	// A page link of another list, or one cut short, lacks the number a
	// word search pages by.
	after := &models.Cursor{CreatedAt: all[5].CreatedAt, ID: all[5].ID}
	if _, _, err := s.Tickets.Find(t.Context(), q, after, 2); !errors.Is(err, models.ErrBadCursor) {
		t.Errorf("Find(words) after a cursor without a number = %v, want ErrBadCursor", err)
	}
	skipWordsOnStandIn(t, f, q)
	// A word search goes on from the cursor's number, whatever else the
	// cursor says.
	after.Number = 8
	got, _, err := s.Tickets.Find(t.Context(), q, after, 50)
	var numbers []int64
	for _, tk := range got {
		numbers = append(numbers, tk.Number)
	}
	if want := []int64{6, 5, 3, 1}; err != nil || !slices.Equal(numbers, want) {
		t.Errorf("Find(headset) after #8 = %v, %v; want %v", numbers, err, want)
	}
}

func testFindOdd(t *testing.T, f Factory) {
	s := f.New(t)
	all := helpdesk(t, s)
	ctx := t.Context()
	if got, next, err := s.Tickets.Find(ctx, models.Query{View: models.ViewMine}, nil, 10); err != nil || len(got) != 0 || next != nil {
		t.Errorf("Find(mine) of nobody = %d tickets, %v, %v; want none", len(got), next, err)
	}
	if _, _, err := s.Tickets.Find(ctx, models.Query{View: "everything"}, nil, 10); err == nil {
		t.Error("Find of an unknown view = nil error, want one")
	}
	got, _, err := s.Tickets.Find(ctx, models.Query{}, nil, 0)
	if want := expect(all, models.Query{View: models.ViewOpen}); err != nil || len(got) != len(want) {
		t.Errorf("Find of the zero query with limit 0 = %d tickets, %v; want the Open view's %d", len(got), err, len(want))
	}
	list, _, err := s.Tickets.List(ctx, nil, 5)
	if diff := cmp.Diff(expect(all, models.Query{View: models.ViewAll})[:5], list, ignoreKey); err != nil || diff != "" {
		t.Errorf("List = %v (-want +got):\n%s", err, diff)
	}
}
