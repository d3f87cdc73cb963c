package models_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/ringdesk/ringdesk/models"
	"github.com/ringdesk/ringdesk/models/storetest"
)

func TestMediaTokenUseOnce(t *testing.T) {
	t.Parallel()
	s := storetest.New(t)
	expires := time.Now().Add(2 * time.Minute)
	if err := s.Media.Use(t.Context(), "token-a", expires); err != nil {
		t.Fatalf("first Use: %v", err)
	}
	if err := s.Media.Use(t.Context(), "token-a", expires); !errors.Is(err, models.ErrConflict) {
		t.Fatalf("second Use = %v, want ErrConflict", err)
	}
	if err := s.Media.Use(t.Context(), "token-b", expires); err != nil {
		t.Fatalf("Use of another token: %v", err)
	}
}

// TestMediaTokenUseRace presents one token from many goroutines at once,
// as several instances behind a load balancer could: exactly one wins.
func TestMediaTokenUseRace(t *testing.T) {
	t.Parallel()
	s := storetest.New(t)
	expires := time.Now().Add(2 * time.Minute)
	const n = 16
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { errs[i] = s.Media.Use(t.Context(), "contested", expires) })
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, models.ErrConflict):
			t.Errorf("Use: %v, want nil or ErrConflict", err)
		}
	}
	if won != 1 {
		t.Errorf("%d of %d concurrent uses succeeded, want exactly 1", won, n)
	}
}

func TestMediaTokenDeleteExpired(t *testing.T) {
	t.Parallel()
	s := storetest.New(t)
	now := time.Now()
	for id, expires := range map[string]time.Time{
		"expired-long-ago": now.Add(-time.Hour),
		"expired-just-now": now.Add(-time.Second),
		"live":             now.Add(time.Minute),
	} {
		if err := s.Media.Use(t.Context(), id, expires); err != nil {
			t.Fatalf("Use(%s): %v", id, err)
		}
	}
	n, err := s.Media.DeleteExpired(t.Context(), now)
	if err != nil || n != 2 {
		t.Fatalf("DeleteExpired = %d, %v; want 2, nil", n, err)
	}
	// The live record is kept, so its token stays used.
	if err := s.Media.Use(t.Context(), "live", now.Add(time.Minute)); !errors.Is(err, models.ErrConflict) {
		t.Errorf("Use of the live token after the sweep = %v, want ErrConflict", err)
	}
	if n, err := s.Media.DeleteExpired(t.Context(), now); err != nil || n != 0 {
		t.Errorf("second DeleteExpired = %d, %v; want 0, nil", n, err)
	}
}
