package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ringdesk/ringdesk/models"
)

// ticketTests are the ticket repository's tests; the helpdesk's
// (assignment, timeline, counts, deletion) follow the basics.
var ticketTests = append([]test{
	{"CreateAssignsIDNumberStatusAndTime", testTicketCreate},
	{"CreateConcurrentlyGivesNumbersOneToN", testTicketCreateConcurrently},
	{"CreateSameIdempotencyKeyReturnsFirstTicket", testTicketIdempotentReplay},
	{"CreateConcurrentSameKeyCreatesOnce", testTicketConcurrentReplay},
	{"CreateReusedIdempotencyKeyForOtherContentConflicts", testTicketKeyConflict},
	{"RejectedReplayUsesNoNumber", testTicketReplayKeepsNumbersGapFree},
	{"SetStatusAndGet", testTicketSetStatus},
	{"CountOpenFollowsSetStatus", testTicketCountOpen},
	{"MissingIDIsNotFound", testTicketMissing},
}, helpdeskTests...)

func testTicketCreate(t *testing.T, f Factory) {
	s := f.New(t)
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
		if !tk.CreatedAt.Equal(ms(tk.CreatedAt)) || tk.CreatedAt.Location() != time.UTC {
			t.Errorf("CreatedAt = %v, want UTC to the millisecond", tk.CreatedAt)
		}
		if !tk.UpdatedAt.Equal(tk.CreatedAt) {
			t.Errorf("UpdatedAt = %v, want CreatedAt %v", tk.UpdatedAt, tk.CreatedAt)
		}
		if tk.IdempotencyKey == "" {
			t.Error("IdempotencyKey was not generated")
		}
		got := getTicket(t, s, tk.ID)
		if diff := cmp.Diff(*tk, *got); diff != "" {
			t.Errorf("stored ticket (-created +stored):\n%s", diff)
		}
		if got.CreatedAt.Location() != time.UTC || got.UpdatedAt.Location() != time.UTC {
			t.Errorf("times read back as %v and %v, want UTC", got.CreatedAt, got.UpdatedAt)
		}
	}
}

func testTicketIdempotentReplay(t *testing.T, f Factory) {
	s := f.New(t)
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

func testTicketKeyConflict(t *testing.T, f Factory) {
	s := f.New(t)
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
			if models.SameSubmission(first, other) {
				t.Error("the first ticket was disclosed to the conflicting request")
			}
		})
	}
}

// testTicketReplayKeepsNumbersGapFree replays and misuses a key before
// the next ticket is created.
func testTicketReplayKeepsNumbersGapFree(t *testing.T, f Factory) {
	s := f.New(t)
	ctx := t.Context()
	first := newTicket(t, 1)
	first.IdempotencyKey = "form-1"
	if created, err := s.Tickets.Create(ctx, first); err != nil || !created || first.Number != 1 {
		t.Fatalf("first Create = #%d, %v, %v; want #1, true, nil", first.Number, created, err)
	}
	for range 3 {
		replay := newTicket(t, 1)
		replay.IdempotencyKey = "form-1"
		if created, err := s.Tickets.Create(ctx, replay); err != nil || created || replay.Number != 1 {
			t.Fatalf("replay = #%d, %v, %v; want #1, false, nil", replay.Number, created, err)
		}
		misuse := newTicket(t, 99)
		misuse.IdempotencyKey = "form-1"
		if _, err := s.Tickets.Create(ctx, misuse); !errors.Is(err, models.ErrConflict) {
			t.Fatalf("Create with a reused key = %v, want ErrConflict", err)
		}
	}
	next := newTicket(t, 2)
	if _, err := s.Tickets.Create(ctx, next); err != nil {
		t.Fatalf("Create: %v", err)
	}
	// SQLite checks the key and draws the number in one transaction, and
	// MongoDB looks the key up before it draws, so both can promise that
	// a rejected replay uses up no number. The stand-in draws numbers as
	// read-then-write and may retry a draw, so there only order is
	// checked.
	if f.StandIn {
		if next.Number <= 1 {
			t.Errorf("next ticket got #%d, want a number after #1", next.Number)
		}
		return
	}
	if next.Number != 2 {
		t.Errorf("next ticket got #%d after replays of #1, want #2: a rejected replay used up a number", next.Number)
	}
}

func testTicketSetStatus(t *testing.T, f Factory) {
	s := f.New(t)
	ctx := t.Context()
	tk := createTickets(t, s, 1, 1)[0]
	for _, status := range []models.TicketStatus{models.StatusClosed, models.StatusOpen, models.StatusPending, models.StatusClosed} {
		if err := s.Tickets.SetStatus(ctx, tk.ID, status, refAda); err != nil {
			t.Fatalf("SetStatus(%s): %v", status, err)
		}
		got := getTicket(t, s, tk.ID)
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

func testTicketCountOpen(t *testing.T, f Factory) {
	s := f.New(t)
	ctx := t.Context()
	count := func(want int64) {
		t.Helper()
		if n, err := s.Tickets.CountOpen(ctx); err != nil || n != want {
			t.Errorf("CountOpen = %d, %v; want %d", n, err, want)
		}
	}
	count(0)
	tickets := createTickets(t, s, 1, 4)
	count(4)
	steps := []struct {
		ticket int
		status models.TicketStatus
		want   int64
	}{
		{0, models.StatusClosed, 3},
		{2, models.StatusClosed, 2},
		{2, models.StatusClosed, 2}, // closing a closed ticket changes nothing
		{0, models.StatusOpen, 3},
		{1, models.StatusClosed, 2},
		{3, models.StatusPending, 2}, // pending is not closed
		{3, models.StatusClosed, 1},
	}
	for _, st := range steps {
		if err := s.Tickets.SetStatus(ctx, tickets[st.ticket].ID, st.status, refAda); err != nil {
			t.Fatalf("SetStatus: %v", err)
		}
		count(st.want)
	}
}

func testTicketMissing(t *testing.T, f Factory) {
	s := f.New(t)
	ctx := t.Context()
	createTickets(t, s, 1, 1)
	missing := models.NewID()
	if got, err := s.Tickets.Get(ctx, missing); !errors.Is(err, models.ErrNotFound) || got != nil {
		t.Errorf("Get(missing) = %v, %v; want nil, ErrNotFound", got, err)
	}
	if err := s.Tickets.SetStatus(ctx, missing, models.StatusClosed, refAda); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("SetStatus(missing) = %v, want ErrNotFound", err)
	}
}
