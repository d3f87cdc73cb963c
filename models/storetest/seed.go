package storetest

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/ringdesk/ringdesk/models"
)

// SeedTickets stores n open tickets straight into the store (not through
// HTTP), one minute apart and numbered 1..n, and raises the ticket counter
// past them; it returns them oldest first.
func SeedTickets(t testing.TB, s *models.Store, n int) []models.Ticket {
	t.Helper()
	ctx := context.Background()
	start := time.Now().UTC().Add(-time.Duration(n) * time.Minute).Truncate(time.Millisecond)
	out := make([]models.Ticket, 0, n)
	for i := range n {
		at := start.Add(time.Duration(i) * time.Minute)
		tk := models.Ticket{
			ID: models.NewID(), Number: int64(i + 1), Name: fmt.Sprintf("Customer %d", i),
			PhoneNumber: "+14155552671", Description: "Headset crackles on long calls; please call back.",
			Status: models.StatusOpen, CreatedAt: at, UpdatedAt: at, IdempotencyKey: fmt.Sprintf("seed-%d", i),
		}
		if _, err := s.Restore(ctx, models.Item{Ticket: &tk}); err != nil {
			t.Fatalf("seed ticket %d: %v", i, err)
		}
		out = append(out, tk)
	}
	if _, err := s.Restore(ctx, models.Item{Counter: &models.Counter{Name: models.TicketCounter, Value: int64(n)}}); err != nil {
		t.Fatalf("seed ticket counter: %v", err)
	}
	return out
}

// Calls returns every stored call log.
func Calls(t testing.TB, s *models.Store) []models.Call {
	t.Helper()
	var calls []models.Call
	err := s.Dump(context.Background(), func(it models.Item) error {
		if it.Call != nil {
			calls = append(calls, *it.Call)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("dump calls: %v", err)
	}
	return calls
}
