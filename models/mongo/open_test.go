package mongo_test

import (
	"bytes"
	"context"
	"log/slog"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/ringdesk/ringdesk/models"
	"github.com/ringdesk/ringdesk/models/mongo"
	"github.com/ringdesk/ringdesk/models/storetest"
)

// freeAddr returns a loopback address nobody listens on right now.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	defer l.Close()
	return l.Addr().String()
}

func TestOpenGivesUpAtTheDeadlineWithoutTheCredentials(t *testing.T) {
	uri := "mongodb://ringdesk:s3cret-pw@" + freeAddr(t) + "/"
	ctx, cancel := context.WithTimeout(t.Context(), 1500*time.Millisecond)
	defer cancel()
	start := time.Now()
	s, err := mongo.Open(ctx, mongo.Options{URI: uri})
	took := time.Since(start)
	if err == nil {
		_ = s.Close(context.Background())
		t.Fatal("Open with nothing listening succeeded")
	}
	if !models.IsUnavailable(err) || strings.Contains(err.Error(), "s3cret-pw") {
		t.Errorf("Open = %v, want ErrUnavailable naming the store without its password", err)
	}
	if took > 3*time.Second {
		t.Errorf("Open took %s with a 1.5s deadline", took.Round(time.Millisecond))
	}
}

func TestOpenWaitsForTheDatabaseToComeUp(t *testing.T) {
	dir, addr := t.TempDir(), freeAddr(t)
	started := make(chan *storetest.FerretDB, 1)
	go func() {
		time.Sleep(2500 * time.Millisecond)
		srv, err := storetest.StartFerretDB(context.Background(), storetest.FerretDBOptions{Dir: dir, Addr: addr})
		if err != nil {
			t.Errorf("start FerretDB: %v", err)
		}
		started <- srv
	}()
	t.Cleanup(func() {
		if srv := <-started; srv != nil {
			srv.Stop()
		}
	})

	var logs bytes.Buffer
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	s, err := mongo.Open(ctx, mongo.Options{URI: "mongodb://" + addr + "/", Logger: slog.New(slog.NewTextHandler(&logs, nil))})
	if err != nil {
		t.Fatalf("Open while the database comes up: %v\nlog:\n%s", err, logs.String())
	}
	// Registered after the server's clean-up, so it runs first.
	t.Cleanup(func() { _ = s.Close(context.Background()) })
	if n := strings.Count(logs.String(), "database not reachable yet, retrying"); n < 2 || n > 4 {
		t.Errorf("logged %d retries in 2.5s, want about one a second; log:\n%s", n, logs.String())
	}
	if want := "MongoDB at mongodb://" + addr + "/"; s.Where() != want {
		t.Errorf("Where() = %q, want %q", s.Where(), want)
	}
	if err := s.Ping(t.Context()); err != nil {
		t.Errorf("Ping after Open: %v", err)
	}
}

func TestStoreReportsUnavailableAndRecoversWhenTheServerReturns(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for the driver to notice a dead server")
	}
	o := storetest.NewOutage(t)
	s := o.Store
	tk := &models.Ticket{Name: "Ada", PhoneNumber: "+14155552671", Description: "Before the outage."}
	if _, err := s.Tickets.Create(t.Context(), tk); err != nil {
		t.Fatalf("Create: %v", err)
	}
	stopping := time.Now()
	o.Stop()
	t.Logf("Stop with a connected client took %s", time.Since(stopping).Round(time.Millisecond))

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
	during := &models.Ticket{Name: "Bo", PhoneNumber: "+14155552671", Description: "During the outage."}
	if _, err := s.Tickets.Create(t.Context(), during); !models.IsUnavailable(err) {
		t.Errorf("Create with the server stopped = %v, want an error that IsUnavailable", err)
	}
	if err := s.Ping(t.Context()); !models.IsUnavailable(err) {
		t.Errorf("Ping with the server stopped = %v, want an error that IsUnavailable", err)
	}

	o.Start()
	back := time.Now()
	for {
		tickets, _, err := s.Tickets.List(t.Context(), nil, models.PageSize)
		if err == nil {
			if len(tickets) != 1 || tickets[0].ID != tk.ID {
				t.Errorf("List after recovery = %d tickets, want the ticket created before the outage", len(tickets))
			}
			t.Logf("List succeeded %s after the server came back", time.Since(back).Round(time.Millisecond))
			break
		}
		if time.Since(back) > 15*time.Second {
			t.Fatalf("List still fails 15s after the server came back: %v", err)
		}
		time.Sleep(200 * time.Millisecond)
	}
	// The counter survived too: the next ticket is number 2.
	next := &models.Ticket{Name: "Cy", PhoneNumber: "+14155552671", Description: "After the outage."}
	if _, err := s.Tickets.Create(t.Context(), next); err != nil || next.Number != 2 {
		t.Errorf("Create after recovery = number %d, %v; want number 2", next.Number, err)
	}
}
