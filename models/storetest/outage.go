package storetest

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/ringdesk/ringdesk/models"
)

// Outage is a store on its own embedded server that a test can stop and
// start again, on the same files and address, under a running app.
type Outage struct {
	Store *models.Store

	t       testing.TB
	dir     string
	addr    string
	emb     *models.Embedded
	running bool
}

// NewOutage starts a dedicated embedded server and connects a store with
// its indexes. Clean-up disconnects the store, then stops the server.
func NewOutage(t testing.TB) *Outage {
	t.Helper()
	o := &Outage{t: t, dir: t.TempDir(), addr: freeAddr(t)}
	o.Start()
	t.Cleanup(func() {
		if o.running {
			o.emb.Stop()
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	store, err := models.Connect(ctx, o.emb.URI(), "ringdesk")
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	// Registered after the server's clean-up, so it runs first: clients
	// disconnect before the server stops.
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = store.Close(ctx)
	})
	if err := store.EnsureIndexes(ctx); err != nil {
		t.Fatalf("create indexes: %v", err)
	}
	o.Store = store
	return o
}

// Stop takes the database away.
func (o *Outage) Stop() {
	o.emb.Stop()
	o.running = false
}

// Start brings it back on the same files and address.
func (o *Outage) Start() {
	o.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	e, err := models.StartEmbedded(ctx, models.EmbeddedOptions{Dir: o.dir, Addr: o.addr})
	if err != nil {
		o.t.Fatalf("start embedded store: %v", err)
	}
	o.emb, o.running = e, true
}

// freeAddr returns a loopback address with a port nobody listens on.
func freeAddr(t testing.TB) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}
