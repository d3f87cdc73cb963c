package storetest

import (
	"context"
	"net"
	"testing"
	"time"

	"github.com/ringdesk/ringdesk/models"
	"github.com/ringdesk/ringdesk/models/mongo"
)

// Outage is a MongoDB store on its own FerretDB server that a test can
// stop and start again, on the same files and address, under a running
// app.
type Outage struct {
	Store *models.Store

	t       testing.TB
	dir     string
	addr    string
	srv     *FerretDB
	running bool
}

// NewOutage starts a dedicated server and opens a store on it.
// Clean-up closes the store, then stops the server.
func NewOutage(t testing.TB) *Outage {
	t.Helper()
	o := &Outage{t: t, dir: t.TempDir(), addr: freeAddr(t)}
	o.Start()
	t.Cleanup(func() {
		if o.running {
			o.srv.Stop()
		}
	})
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	store, err := mongo.Open(ctx, mongo.Options{URI: o.srv.URI(), Database: "ringdesk"})
	if err != nil {
		t.Fatalf("open store on FerretDB: %v", err)
	}
	// Registered after the server's clean-up, so it runs first: clients
	// disconnect before the server stops.
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = store.Close(ctx)
	})
	o.Store = store
	return o
}

// Stop takes the database away.
func (o *Outage) Stop() {
	o.srv.Stop()
	o.running = false
}

// Start brings it back on the same files and address.
func (o *Outage) Start() {
	o.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	srv, err := StartFerretDB(ctx, FerretDBOptions{Dir: o.dir, Addr: o.addr})
	if err != nil {
		o.t.Fatalf("start FerretDB: %v", err)
	}
	o.srv, o.running = srv, true
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
