package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ringdesk/ringdesk/models"
)

var engineTests = []test{
	{"Ping", testPing},
	{"WatchChanges", testWatchChanges},
}

func testPing(t *testing.T, f Factory) {
	s := f.New(t)
	if err := s.Ping(t.Context()); err != nil {
		t.Errorf("Ping: %v", err)
	}
	if s.Where() == "" {
		t.Error("Where() is empty, want a description for the start-up log")
	}
}

// testWatchChanges accepts either answer a store may give: it cannot
// watch (and says so at once, so the app falls back to local events), or
// it reports a created ticket promptly. Tickets keep being created
// because a watch may take a moment to start listening.
func testWatchChanges(t *testing.T, f Factory) {
	s := f.New(t)
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	changes := make(chan models.Change, 256)
	done := make(chan error, 1)
	start := time.Now()
	go func() {
		done <- s.WatchChanges(ctx, func(c models.Change) {
			select {
			case changes <- c:
			default: // the test has what it needs; never block the watch
			}
		})
	}()

	created := map[models.ID]bool{}
	create := func() {
		tk := newTicket(t, len(created))
		if _, err := s.Tickets.Create(t.Context(), tk); err != nil {
			t.Fatalf("Create: %v", err)
		}
		created[tk.ID] = true
	}
	tick := time.NewTicker(250 * time.Millisecond)
	defer tick.Stop()
	deadline := time.After(5 * time.Second)
	create()
	for {
		select {
		case err := <-done:
			if !errors.Is(err, models.ErrNoChangeStreams) {
				t.Fatalf("WatchChanges returned %v before its context ended, want it to watch or ErrNoChangeStreams", err)
			}
			if waited := time.Since(start); waited > models.OpTimeout {
				t.Errorf("WatchChanges took %v to report ErrNoChangeStreams, want it at once", waited)
			}
			t.Logf("%s cannot watch: %v", f.Name, err)
			return
		case c := <-changes:
			if c.Collection != "tickets" || !created[c.ID] {
				continue
			}
			cancel()
			select {
			case err := <-done:
				if err != nil && !errors.Is(err, context.Canceled) {
					t.Errorf("WatchChanges after its context ended = %v, want nil or context.Canceled", err)
				}
			case <-time.After(models.OpTimeout):
				t.Error("WatchChanges did not return after its context ended")
			}
			return
		case <-tick.C:
			create()
		case <-deadline:
			t.Fatalf("no Change for any of %d created tickets within 5 s", len(created))
		}
	}
}
