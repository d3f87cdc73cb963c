package sqlite_test

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ringdesk/ringdesk/models"
	"github.com/ringdesk/ringdesk/models/sqlite"
)

// statements records what Trace reports.
type statements struct {
	mu   sync.Mutex
	list []string
}

func (s *statements) trace(q string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.list = append(s.list, q)
}

// during returns the statements fn ran.
func (s *statements) during(fn func()) []string {
	s.mu.Lock()
	s.list = nil
	s.mu.Unlock()
	fn()
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.list...)
}

// TestPagesAreOneStatement counts the statements behind the dashboard's
// reads: each page, the open count and a ticket are one query each,
// however many tickets there are.
func TestPagesAreOneStatement(t *testing.T) {
	var st statements
	s := open(t, sqlite.Options{Trace: st.trace})
	ctx := context.Background()
	for range 7 {
		create(t, s, "paging")
	}
	var next *models.Cursor
	for page := 1; page <= 3; page++ {
		var got []models.Ticket
		ran := st.during(func() {
			var err error
			got, next, err = s.Tickets.List(ctx, next, 3)
			if err != nil {
				t.Fatalf("List page %d: %v", page, err)
			}
		})
		if len(ran) != 1 {
			t.Errorf("List page %d ran %d statements, want 1: %q", page, len(ran), ran)
		}
		if want := []int{3, 3, 1}[page-1]; len(got) != want {
			t.Errorf("page %d has %d tickets, want %d", page, len(got), want)
		}
		for _, tk := range got {
			if tk.IdempotencyKey != "" {
				t.Errorf("List read the idempotency key of #%d", tk.Number)
			}
		}
	}
	if next != nil {
		t.Errorf("last page has a next cursor %v", next)
	}
	if ran := st.during(func() { _, _ = s.Tickets.CountOpen(ctx) }); len(ran) != 1 {
		t.Errorf("CountOpen ran %d statements, want 1: %q", len(ran), ran)
	}
	tk := create(t, s, "lookup")
	if ran := st.during(func() { _, _ = s.Tickets.Get(ctx, tk.ID) }); len(ran) != 1 {
		t.Errorf("Get ran %d statements, want 1: %q", len(ran), ran)
	}
	if ran := st.during(func() { create(t, s, "counting") }); len(ran) != 2 {
		t.Errorf("Create ran %d statements, want 2 (number, insert): %q", len(ran), ran)
	}
}

// TestBusyDatabaseIsUnavailable: while another process holds the write
// lock past the deadline, a write fails with ErrUnavailable naming the
// file, in time.
func TestBusyDatabaseIsUnavailable(t *testing.T) {
	dir := t.TempDir()
	s := open(t, sqlite.Options{Dir: dir})
	path := filepath.Join(dir, "ringdesk.db")
	other, err := sql.Open("sqlite", "file:"+path+"?_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	tx, err := other.Begin()
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()

	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	start := time.Now()
	_, err = s.Tickets.Create(ctx, ticket(t, "a busy database"))
	if !errors.Is(err, models.ErrUnavailable) || !strings.Contains(err.Error(), path) {
		t.Fatalf("Create while another process writes = %v, want ErrUnavailable naming %s", err, path)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Errorf("Create took %v to give up, past its 300ms deadline", took)
	}
	// Reads carry on meanwhile: WAL readers do not wait for writers.
	if _, err := s.Tickets.CountOpen(context.Background()); err != nil {
		t.Errorf("CountOpen while another process writes: %v", err)
	}
	tx.Rollback()
	if _, err := s.Tickets.Create(context.Background(), ticket(t, "after")); err != nil {
		t.Errorf("Create once the lock is gone: %v", err)
	}
}

// TestCreateAfterRestoredTicketsSkipsTheirNumbers: tickets restored ahead
// of their counter (an import is agents, tickets, calls, then counters)
// are never numbered twice.
func TestCreateAfterRestoredTicketsSkipsTheirNumbers(t *testing.T) {
	s := open(t, sqlite.Options{})
	ctx := context.Background()
	at := models.Now()
	restored := models.Ticket{ID: models.NewID(), Number: 41, Name: "Old", PhoneNumber: "+14155552671",
		Description: "imported", Status: models.StatusOpen, CreatedAt: at, UpdatedAt: at, IdempotencyKey: "import-41"}
	if ok, err := s.Restore(ctx, models.Item{Ticket: &restored}); err != nil || !ok {
		t.Fatalf("Restore = %v, %v", ok, err)
	}
	if tk := create(t, s, "after an import"); tk.Number != 42 {
		t.Errorf("Create after #41 was restored got #%d, want #42", tk.Number)
	}
	if ok, err := s.Restore(ctx, models.Item{Counter: &models.Counter{Name: models.TicketCounter, Value: 41}}); err != nil || ok {
		t.Errorf("Restore of a lower counter = %v, %v; want false, nil", ok, err)
	}
	other := restored
	other.ID = models.NewID()
	other.IdempotencyKey = "another"
	if _, err := s.Restore(ctx, models.Item{Ticket: &other}); !errors.Is(err, models.ErrConflict) || !strings.Contains(err.Error(), "41") {
		t.Errorf("Restore of another ticket #41 = %v, want ErrConflict naming the number", err)
	}
}
