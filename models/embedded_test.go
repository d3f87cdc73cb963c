package models_test

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ringdesk/ringdesk/models"
)

// startEmbedded starts an embedded server and stops it when the test ends
// unless the test stopped it already.
func startEmbedded(t *testing.T, o models.EmbeddedOptions) *models.Embedded {
	t.Helper()
	e, err := models.StartEmbedded(t.Context(), o)
	if err != nil {
		t.Fatalf("StartEmbedded(%+v): %v", o, err)
	}
	return e
}

// stopWithin stops e and fails the test if that takes longer than limit.
func stopWithin(t *testing.T, e *models.Embedded, limit time.Duration) {
	t.Helper()
	done := make(chan struct{})
	go func() {
		e.Stop()
		close(done)
	}()
	select {
	case <-done:
	case <-time.After(limit):
		t.Fatalf("Stop did not return within %s", limit)
	}
}

// connect opens a store on e that is closed when the test ends.
func connect(t *testing.T, uri string) *models.Store {
	t.Helper()
	s, err := models.Connect(t.Context(), uri, "db")
	if err != nil {
		t.Fatalf("Connect(%s): %v", uri, err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = s.Close(ctx)
	})
	return s
}

// freeAddr returns a loopback address nobody listens on right now.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

func TestEmbeddedRefusesADataDirInUse(t *testing.T) {
	dir := t.TempDir()
	e := startEmbedded(t, models.EmbeddedOptions{Dir: dir})
	t.Cleanup(e.Stop)

	second, err := models.StartEmbedded(t.Context(), models.EmbeddedOptions{Dir: dir})
	if !errors.Is(err, models.ErrDataDirInUse) {
		if second != nil {
			second.Stop()
		}
		t.Fatalf("second StartEmbedded on %s = %v, want ErrDataDirInUse", dir, err)
	}
	// The refused start must not have disturbed the running server.
	s := connect(t, e.URI())
	if err := s.Ping(t.Context()); err != nil {
		t.Errorf("Ping the first server after the refused start: %v", err)
	}
	if uri, ok := models.RunningEmbeddedURI(dir); !ok || uri != e.URI() {
		t.Errorf("RunningEmbeddedURI(%s) = %q, %v; want %q, true", dir, uri, ok, e.URI())
	}
}

func TestEmbeddedKeepsDataAcrossRestart(t *testing.T) {
	dir := t.TempDir()
	e := startEmbedded(t, models.EmbeddedOptions{Dir: dir})
	s, err := models.Connect(t.Context(), e.URI(), "db")
	if err != nil {
		t.Fatalf("Connect: %v", err)
	}
	if err := s.EnsureIndexes(t.Context()); err != nil {
		t.Fatalf("EnsureIndexes: %v", err)
	}
	tk := newTicket(t, 1)
	if _, err := s.Tickets.Create(t.Context(), tk); err != nil {
		t.Fatalf("Create: %v", err)
	}
	if err := s.Close(t.Context()); err != nil {
		t.Fatalf("Close: %v", err)
	}
	stopWithin(t, e, 10*time.Second)
	if _, ok := models.RunningEmbeddedURI(dir); ok {
		t.Error("RunningEmbeddedURI reports a server after Stop")
	}

	e = startEmbedded(t, models.EmbeddedOptions{Dir: dir})
	t.Cleanup(e.Stop)
	s = connect(t, e.URI())
	// Every start creates the indexes again, now on existing collections.
	if err := s.EnsureIndexes(t.Context()); err != nil {
		t.Fatalf("EnsureIndexes after restart: %v", err)
	}
	got, err := s.Tickets.Get(t.Context(), tk.ID)
	if err != nil {
		t.Fatalf("Get after restart: %v", err)
	}
	if diff := cmp.Diff(tk, got); diff != "" {
		t.Errorf("ticket after restart (-before +after):\n%s", diff)
	}
	// The counter survived too: the next ticket is number 2.
	next := newTicket(t, 2)
	if _, err := s.Tickets.Create(t.Context(), next); err != nil || next.Number != 2 {
		t.Errorf("Create after restart = number %d, %v; want number 2", next.Number, err)
	}
}

func TestStoreReportsUnavailableAndRecoversWhenTheServerReturns(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the driver to notice a dead server")
	}
	dir, addr := t.TempDir(), freeAddr(t)
	opts := models.EmbeddedOptions{Dir: dir, Addr: addr}
	e := startEmbedded(t, opts)
	s := connect(t, e.URI())
	if err := s.EnsureIndexes(t.Context()); err != nil {
		t.Fatalf("EnsureIndexes: %v", err)
	}
	tk := newTicket(t, 1)
	if _, err := s.Tickets.Create(t.Context(), tk); err != nil {
		t.Fatalf("Create: %v", err)
	}
	stopStart := time.Now()
	stopWithin(t, e, 10*time.Second)
	t.Logf("Stop with a connected client took %s", time.Since(stopStart).Round(time.Millisecond))

	start := time.Now()
	_, _, err := s.Tickets.List(t.Context(), nil, models.PageSize)
	took := time.Since(start)
	t.Logf("List with the server stopped failed after %s: %v", took.Round(time.Millisecond), err)
	if !models.IsUnavailable(err) {
		t.Errorf("List with the server stopped = %v, want an error that IsUnavailable", err)
	}
	if took > 6*time.Second {
		t.Errorf("List with the server stopped took %s, want at most 6s", took.Round(time.Millisecond))
	}
	if err := s.Ping(t.Context()); !models.IsUnavailable(err) {
		t.Errorf("Ping with the server stopped = %v, want an error that IsUnavailable", err)
	}

	e = startEmbedded(t, opts)
	t.Cleanup(e.Stop)
	back := time.Now()
	deadline := back.Add(15 * time.Second)
	for {
		tickets, _, err := s.Tickets.List(t.Context(), nil, models.PageSize)
		if err == nil {
			if len(tickets) != 1 || tickets[0].ID != tk.ID {
				t.Errorf("List after recovery = %d tickets, want the ticket created before the outage", len(tickets))
			}
			t.Logf("List succeeded %s after the server came back", time.Since(back).Round(time.Millisecond))
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("List still fails 15s after the server came back: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
