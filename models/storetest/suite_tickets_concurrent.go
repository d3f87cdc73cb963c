package storetest

import (
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ringdesk/ringdesk/models"
)

// testTicketCreateConcurrently creates tickets all at once, as a busy
// form would: agents quote the numbers, so each is used exactly once and
// none is skipped.
func testTicketCreateConcurrently(t *testing.T, f Factory) {
	s := f.New(t)
	const n = 32
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

// testTicketConcurrentReplay submits one form several times at once (a
// double-click on a slow connection): one ticket, which every request
// gets back.
func testTicketConcurrentReplay(t *testing.T, f Factory) {
	s := f.New(t)
	const n = 8
	got := make([]models.Ticket, n)
	created := make([]bool, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			tk := newTicket(t, 1)
			tk.IdempotencyKey = "double-click"
			created[i], errs[i] = s.Tickets.Create(t.Context(), tk)
			got[i] = *tk
		})
	}
	wg.Wait()
	wins := 0
	for i := range n {
		if errs[i] != nil {
			t.Errorf("Create %d: %v", i, errs[i])
			continue
		}
		if created[i] {
			wins++
		}
		if diff := cmp.Diff(got[0], got[i]); diff != "" {
			t.Errorf("Create %d returned another ticket (-first +this):\n%s", i, diff)
		}
	}
	if wins != 1 {
		t.Errorf("%d of %d concurrent Creates with one key reported created, want 1", wins, n)
	}
	if open, err := s.Tickets.CountOpen(t.Context()); err != nil || open != 1 {
		t.Errorf("CountOpen = %d, %v; want 1", open, err)
	}
}
