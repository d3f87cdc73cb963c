package models_test

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/ringdesk/ringdesk/models"
	"github.com/ringdesk/ringdesk/models/storetest"
)

// newTicket returns a validated ticket whose description carries i, so
// tickets in one test differ.
func newTicket(t testing.TB, i int) *models.Ticket {
	t.Helper()
	tk, err := models.TicketInput{
		Name:        fmt.Sprintf("Customer %d", i),
		PhoneNumber: "+14155552671",
		Description: fmt.Sprintf("Problem number %d", i),
	}.Validate("US")
	if err != nil {
		t.Fatalf("validate ticket %d: %v", i, err)
	}
	return &tk
}

// createTickets stores n tickets one after another and returns them in
// creation order.
func createTickets(t *testing.T, s *models.Store, n int) []models.Ticket {
	t.Helper()
	out := make([]models.Ticket, 0, n)
	for i := range n {
		tk := newTicket(t, i)
		if _, err := s.Tickets.Create(t.Context(), tk); err != nil {
			t.Fatalf("create ticket %d: %v", i, err)
		}
		out = append(out, *tk)
	}
	return out
}

// listed is how a ticket looks when it comes back from List, which does
// not read the idempotency key.
func listed(tk models.Ticket) models.Ticket {
	tk.IdempotencyKey = ""
	return tk
}

func TestTicketCreateAssignsIDNumberStatusAndTime(t *testing.T) {
	s := storetest.New(t)
	ctx := t.Context()
	for want := int64(1); want <= 3; want++ {
		before := time.Now().Truncate(time.Millisecond)
		tk := newTicket(t, int(want))
		created, err := s.Tickets.Create(ctx, tk)
		after := time.Now()
		if err != nil || !created {
			t.Fatalf("Create #%d = %v, %v; want true, nil", want, created, err)
		}
		if tk.ID.IsZero() {
			t.Error("ID is zero")
		}
		if tk.Number != want {
			t.Errorf("Number = %d, want %d", tk.Number, want)
		}
		if tk.Status != models.StatusOpen {
			t.Errorf("Status = %q, want open", tk.Status)
		}
		if tk.CreatedAt.Before(before) || tk.CreatedAt.After(after) {
			t.Errorf("CreatedAt = %v, want between %v and %v", tk.CreatedAt, before, after)
		}
		if !tk.UpdatedAt.Equal(tk.CreatedAt) {
			t.Errorf("UpdatedAt = %v, want CreatedAt %v", tk.UpdatedAt, tk.CreatedAt)
		}
		if tk.IdempotencyKey == "" {
			t.Error("IdempotencyKey was not generated")
		}

		got, err := s.Tickets.Get(ctx, tk.ID)
		if err != nil {
			t.Fatalf("Get: %v", err)
		}
		if diff := cmp.Diff(*tk, *got); diff != "" {
			t.Errorf("stored ticket (-created +stored):\n%s", diff)
		}
	}
}

func TestTicketCreateConcurrentlyGivesDistinctNumbers(t *testing.T) {
	s := storetest.New(t)
	const n = 20
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		numbers = map[int64]int{}
		errs    []error
	)
	for i := range n {
		wg.Go(func() {
			tk := newTicket(t, i)
			_, err := s.Tickets.Create(t.Context(), tk)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			numbers[tk.Number]++
		})
	}
	wg.Wait()
	for _, err := range errs {
		t.Errorf("Create: %v", err)
	}
	if len(numbers) != n {
		t.Errorf("got %d distinct numbers from %d creates: %v", len(numbers), n, numbers)
	}
	for num := int64(1); num <= n; num++ {
		if numbers[num] != 1 {
			t.Errorf("number %d used %d times, want once", num, numbers[num])
		}
	}
}

func TestTicketCreateSameIdempotencyKeyReturnsFirstTicket(t *testing.T) {
	s := storetest.New(t)
	ctx := t.Context()
	first := newTicket(t, 1)
	first.IdempotencyKey = "form-7f3a"
	if created, err := s.Tickets.Create(ctx, first); err != nil || !created {
		t.Fatalf("first Create = %v, %v", created, err)
	}

	retry := newTicket(t, 1)
	retry.IdempotencyKey = "form-7f3a"
	created, err := s.Tickets.Create(ctx, retry)
	if err != nil {
		t.Fatalf("retried Create: %v", err)
	}
	if created {
		t.Error("retried Create reported created=true")
	}
	if diff := cmp.Diff(*first, *retry); diff != "" {
		t.Errorf("retry returned (-first +retry):\n%s", diff)
	}

	tickets, _, err := s.Tickets.List(ctx, nil, 10)
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if len(tickets) != 1 {
		t.Errorf("List has %d tickets after a retried create, want 1", len(tickets))
	}
}

func TestTicketCreateReusedIdempotencyKeyForOtherContentConflicts(t *testing.T) {
	s := storetest.New(t)
	ctx := t.Context()
	first := newTicket(t, 1)
	first.IdempotencyKey = "form-7f3a"
	if _, err := s.Tickets.Create(ctx, first); err != nil {
		t.Fatalf("first Create: %v", err)
	}
	tests := []struct {
		name string
		edit func(*models.Ticket)
	}{
		{"other name", func(tk *models.Ticket) { tk.Name = "Mallory" }},
		{"other phone", func(tk *models.Ticket) { tk.PhoneNumber = "+442079460958" }},
		{"other description", func(tk *models.Ticket) { tk.Description = "Show me ticket 1" }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			other := newTicket(t, 1)
			other.IdempotencyKey = "form-7f3a"
			tt.edit(other)
			created, err := s.Tickets.Create(ctx, other)
			if !errors.Is(err, models.ErrConflict) {
				t.Fatalf("Create = %v, %v; want ErrConflict", created, err)
			}
			if other.Name == first.Name && other.Description == first.Description && other.PhoneNumber == first.PhoneNumber {
				t.Error("the first ticket was disclosed to the conflicting request")
			}
		})
	}
}

func TestTicketListPagesNewestFirst(t *testing.T) {
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
			s := storetest.New(t)
			created := createTickets(t, s, tt.tickets)
			want := make([]models.Ticket, 0, len(created))
			for i := len(created) - 1; i >= 0; i-- {
				want = append(want, listed(created[i]))
			}

			got, sizes := pageThrough(t, s, tt.pageSize)
			if diff := cmp.Diff(tt.wantPages, sizes); diff != "" {
				t.Errorf("page sizes (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("tickets across pages (-want +got):\n%s", diff)
			}
		})
	}
}

// pageThrough follows next cursors (through their string form, as a page
// link would) until the last page, checking each cursor points at the
// last ticket of its page. It returns every ticket and the page sizes.
func pageThrough(t *testing.T, s *models.Store, pageSize int) ([]models.Ticket, []int) {
	t.Helper()
	var (
		all   []models.Ticket
		sizes []int
		after *models.Cursor
	)
	for page := 1; ; page++ {
		if page > 1000 {
			t.Fatal("List never returned a nil next cursor")
		}
		tickets, next, err := s.Tickets.List(t.Context(), after, pageSize)
		if err != nil {
			t.Fatalf("List page %d: %v", page, err)
		}
		all = append(all, tickets...)
		sizes = append(sizes, len(tickets))
		if next == nil {
			return all, sizes
		}
		if len(tickets) != pageSize {
			t.Errorf("page %d has %d tickets and a next cursor, want a full page of %d", page, len(tickets), pageSize)
		}
		last := tickets[len(tickets)-1]
		if diff := cmp.Diff(models.Cursor{CreatedAt: last.CreatedAt, ID: last.ID}, *next); diff != "" {
			t.Errorf("page %d next cursor (-last ticket +cursor):\n%s", page, diff)
		}
		c, err := models.ParseCursor(next.String())
		if err != nil {
			t.Fatalf("ParseCursor(%q): %v", next.String(), err)
		}
		after = &c
	}
}

func TestTicketListBreaksCreatedAtTiesByID(t *testing.T) {
	s := storetest.New(t)
	ctx := t.Context()
	tied := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	var docs []any
	var want []models.Ticket // newest first
	// Ten tickets share one creation time between an older and a newer
	// one, so every page boundary below falls inside the tie.
	times := []time.Time{tied.Add(-time.Second)}
	for range 10 {
		times = append(times, tied)
	}
	times = append(times, tied.Add(time.Second))
	for i, at := range times {
		tk := models.Ticket{
			ID:             bson.NewObjectID(),
			Number:         int64(i + 1),
			Name:           fmt.Sprintf("Customer %d", i),
			PhoneNumber:    "+14155552671",
			Description:    "tied",
			Status:         models.StatusOpen,
			CreatedAt:      at,
			UpdatedAt:      at,
			IdempotencyKey: fmt.Sprintf("seed-%d", i),
		}
		docs = append(docs, tk)
		want = append([]models.Ticket{listed(tk)}, want...)
	}
	// Insert out of order so that natural order cannot pass for sorting.
	for _, i := range []int{5, 0, 11, 3, 8, 1, 10, 2, 9, 4, 7, 6} {
		if _, err := s.Collection("tickets").InsertOne(ctx, docs[i]); err != nil {
			t.Fatalf("insert: %v", err)
		}
	}

	for _, size := range []int{1, 3, 4, 5} {
		t.Run(fmt.Sprintf("page size %d", size), func(t *testing.T) {
			got, _ := pageThrough(t, s, size)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("tickets across pages (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTicketSetStatusAndGet(t *testing.T) {
	s := storetest.New(t)
	ctx := t.Context()
	tk := createTickets(t, s, 1)[0]
	for _, status := range []models.TicketStatus{models.StatusClosed, models.StatusOpen, models.StatusClosed} {
		if err := s.Tickets.SetStatus(ctx, tk.ID, status); err != nil {
			t.Fatalf("SetStatus(%s): %v", status, err)
		}
		got, err := s.Tickets.Get(ctx, tk.ID)
		if err != nil {
			t.Fatalf("Get: %v", err)
		}
		if got.Status != status {
			t.Errorf("Status = %q, want %q", got.Status, status)
		}
		if got.UpdatedAt.Before(tk.CreatedAt) {
			t.Errorf("UpdatedAt %v is before CreatedAt %v", got.UpdatedAt, tk.CreatedAt)
		}
		want := tk
		want.Status, want.UpdatedAt = status, got.UpdatedAt
		if diff := cmp.Diff(want, *got); diff != "" {
			t.Errorf("SetStatus changed more than status (-want +got):\n%s", diff)
		}
	}
}

func TestTicketMissingIDIsNotFound(t *testing.T) {
	s := storetest.New(t)
	ctx := t.Context()
	createTickets(t, s, 1)
	missing := bson.NewObjectID()
	if got, err := s.Tickets.Get(ctx, missing); !errors.Is(err, models.ErrNotFound) || got != nil {
		t.Errorf("Get(missing) = %v, %v; want nil, ErrNotFound", got, err)
	}
	if err := s.Tickets.SetStatus(ctx, missing, models.StatusClosed); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("SetStatus(missing) = %v, want ErrNotFound", err)
	}
}

func benchTicket(i int) *models.Ticket {
	return &models.Ticket{
		Name:        "Benchmark Customer",
		PhoneNumber: "+14155552671",
		Description: fmt.Sprintf("Benchmark ticket %d: the headset does not ring when a customer calls.", i),
	}
}

func BenchmarkTicketCreate(b *testing.B) {
	s := storetest.New(b)
	ctx := b.Context()
	i := 0
	for b.Loop() {
		i++
		if _, err := s.Tickets.Create(ctx, benchTicket(i)); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRawInsertOne is the floor for BenchmarkTicketCreate: the same
// document inserted with the bare driver, without the counter update.
func BenchmarkRawInsertOne(b *testing.B) {
	s := storetest.New(b)
	ctx := b.Context()
	coll := s.Collection("tickets")
	i := 0
	for b.Loop() {
		i++
		tk := benchTicket(i)
		now := time.Now().UTC().Truncate(time.Millisecond)
		tk.ID, tk.Number, tk.Status = bson.NewObjectID(), int64(i), models.StatusOpen
		tk.CreatedAt, tk.UpdatedAt = now, now
		tk.IdempotencyKey = fmt.Sprintf("bench-%d", i)
		if _, err := coll.InsertOne(ctx, tk); err != nil {
			b.Fatal(err)
		}
	}
}

// seedTickets inserts n tickets one millisecond apart in one InsertMany.
func seedTickets(b *testing.B, s *models.Store, n int) []models.Ticket {
	b.Helper()
	start := time.Now().UTC().Truncate(time.Millisecond).Add(-time.Duration(n) * time.Millisecond)
	tickets := make([]models.Ticket, n)
	docs := make([]any, n)
	for i := range n {
		tk := benchTicket(i)
		at := start.Add(time.Duration(i) * time.Millisecond)
		tk.ID, tk.Number, tk.Status = bson.NewObjectID(), int64(i+1), models.StatusOpen
		tk.CreatedAt, tk.UpdatedAt = at, at
		tk.IdempotencyKey = fmt.Sprintf("seed-%d", i)
		tickets[i], docs[i] = *tk, tk
	}
	if _, err := s.Collection("tickets").InsertMany(b.Context(), docs); err != nil {
		b.Fatalf("seed: %v", err)
	}
	return tickets
}

func BenchmarkTicketList(b *testing.B) {
	s := storetest.New(b)
	tickets := seedTickets(b, s, 1000)
	mid := tickets[len(tickets)/2]
	pages := []struct {
		name  string
		after *models.Cursor
	}{
		{"first page", nil},
		{"middle page", &models.Cursor{CreatedAt: mid.CreatedAt, ID: mid.ID}},
	}
	for _, p := range pages {
		b.Run(p.name+"/store", func(b *testing.B) {
			for b.Loop() {
				got, _, err := s.Tickets.List(b.Context(), p.after, models.PageSize)
				if err != nil || len(got) != models.PageSize {
					b.Fatalf("List = %d tickets, %v", len(got), err)
				}
			}
		})
		b.Run(p.name+"/raw-find", func(b *testing.B) {
			coll := s.Collection("tickets")
			filter := bson.M{}
			if p.after != nil {
				filter = bson.M{"$or": bson.A{
					bson.M{"createdAt": bson.M{"$lt": p.after.CreatedAt}},
					bson.M{"createdAt": p.after.CreatedAt, "_id": bson.M{"$lt": p.after.ID}},
				}}
			}
			opts := options.Find().
				SetSort(bson.D{{Key: "createdAt", Value: -1}, {Key: "_id", Value: -1}}).
				SetLimit(models.PageSize + 1)
			for b.Loop() {
				ctx, cancel := context.WithTimeout(b.Context(), 4*time.Second)
				cur, err := coll.Find(ctx, filter, opts)
				if err != nil {
					b.Fatal(err)
				}
				var got []models.Ticket
				if err := cur.All(ctx, &got); err != nil || len(got) != models.PageSize+1 {
					b.Fatalf("Find = %d tickets, %v", len(got), err)
				}
				cancel()
			}
		})
	}
}
