package handlers_test

import (
	"context"
	"errors"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ringdesk/ringdesk/handlers"
	"github.com/ringdesk/ringdesk/models"
	"github.com/ringdesk/ringdesk/models/storetest"
)

// On the embedded store, which one process owns, the watcher says that
// live updates stay in this process, and returns instead of spinning.
func TestWatchStoreOnTheEmbeddedStore(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	done := make(chan struct{})
	go func() { app.h.WatchStore(t.Context(), app.store); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("WatchStore kept running on the embedded store")
	}
	if !strings.Contains(app.logs.String(), "this process's dashboards") {
		t.Errorf("log does not say live updates stay in this process:\n%s", app.logs.String())
	}
}

// countingWatcher counts the attempts to watch a real store.
type countingWatcher struct {
	handlers.ChangeWatcher
	calls atomic.Int32
}

func (w *countingWatcher) WatchChanges(ctx context.Context, fn func(models.Change)) error {
	w.calls.Add(1)
	return w.ChangeWatcher.WatchChanges(ctx, fn)
}

// A MongoDB that refuses change streams (the stand-in always does; a
// replica set in an election does for a while) is asked again with
// backoff, and the log says so once, not at every attempt.
func TestWatchStoreRetriesARefusingMongoDB(t *testing.T) {
	t.Parallel()
	store := storetest.NewMongo(t)
	probe, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if err := store.WatchChanges(probe, func(models.Change) {}); !errors.Is(err, models.ErrNoChangeStreams) {
		t.Skipf("this database has change streams (%v); see TestWatchStoreRelaysOtherInstances", err)
	}
	app := newTestApp(t, withStore(store))
	app.h.SetWatchRetry(10 * time.Millisecond)
	w := &countingWatcher{ChangeWatcher: store}
	ctx, stop := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { app.h.WatchStore(ctx, w); close(done) }()
	deadline := time.Now().Add(10 * time.Second)
	for w.calls.Load() < 4 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	stop()
	<-done
	if n := w.calls.Load(); n < 4 {
		t.Errorf("WatchStore asked %d times in 10 s, want it to keep retrying", n)
	}
	if n := strings.Count(app.logs.String(), "refuses change streams"); n != 1 {
		t.Errorf("the refusal was logged %d times, want once:\n%s", n, app.logs.String())
	}
}

// With change streams (MONGODB_TEST_URI pointing at a replica set), a
// ticket created through one instance appears on another's dashboards.
func TestWatchStoreRelaysOtherInstances(t *testing.T) {
	t.Parallel()
	one := newTestApp(t)
	probe, cancel := context.WithTimeout(t.Context(), 2*time.Second)
	defer cancel()
	if err := one.store.WatchChanges(probe, func(models.Change) {}); errors.Is(err, models.ErrNoChangeStreams) {
		t.Skip("the test database has no change streams; set MONGODB_TEST_URI to a replica set to run this")
	}
	two := newTestApp(t, withStore(one.store))
	go two.h.WatchStore(t.Context(), two.store)

	agent := two.client(t)
	two.signIn(t, agent)
	s := two.openEvents(t, agent, "")
	s.next(t, "hello", 2*time.Second)
	time.Sleep(500 * time.Millisecond) // let the change stream open

	one.postForm(t, one.client(t), "/tickets", ticketForm("Across Instances", "+1 415 555 2671", "hello")).wantRedirect(t, "/")
	ev := decodeEvent[ticketEvent](t, s.next(t, "ticket", 2*time.Second))
	if !strings.Contains(ev.HTML, "Across Instances") {
		t.Errorf("relayed card = %s", ev.HTML)
	}
}
