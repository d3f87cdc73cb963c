package handlers_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ringdesk/ringdesk/models"
)

// On the embedded store (no change streams) the watcher says that live
// updates stay on this instance, and returns instead of spinning.
func TestWatchStoreWithoutChangeStreams(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	probe, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if err := app.store.WatchChanges(probe, func(models.Change) {}); !errors.Is(err, models.ErrNoChangeStreams) {
		t.Skipf("this database has change streams (%v); see TestWatchStoreRelaysOtherInstances", err)
	}
	done := make(chan struct{})
	go func() { app.h.WatchStore(t.Context(), app.store); close(done) }()
	select {
	case <-done:
	case <-time.After(5 * time.Second):
		t.Fatal("WatchStore kept running without change streams")
	}
	if !strings.Contains(app.logs.String(), "this instance's dashboards only") {
		t.Errorf("log does not say live updates stay on this instance:\n%s", app.logs.String())
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
