package storetest

import (
	"context"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/ringdesk/ringdesk/models"
	"github.com/ringdesk/ringdesk/models/mongo"
)

// shared is the stand-in that the MongoDB tests of one test binary share,
// each on its own database. It runs while some test uses it and is
// removed, files and all, when the last one ends: a test binary has no
// hook at exit, and FerretDB in memory is no way out, as it gives each
// database a single SQLite connection and operations hung waiting for it
// (a call event's ticket summary, every time).
var shared struct {
	sync.Mutex
	users int
	srv   *FerretDB
	dir   string
}

// tempPrefix names the shared stand-in's directories in os.TempDir.
const tempPrefix = "ringdesk-test-"

// StandIn reports whether the MongoDB tests run on FerretDB rather than a
// real MongoDB (MONGODB_TEST_URI unset).
func StandIn() bool { return os.Getenv("MONGODB_TEST_URI") == "" }

// MongoURI returns MONGODB_TEST_URI, or the URI of the shared FerretDB
// server, which stays up at least until t ends.
func MongoURI(t testing.TB) string {
	t.Helper()
	if !StandIn() {
		return os.Getenv("MONGODB_TEST_URI")
	}
	shared.Lock()
	defer shared.Unlock()
	if shared.srv == nil {
		removeAbandoned()
		dir, err := os.MkdirTemp("", tempPrefix)
		if err != nil {
			t.Fatalf("create FerretDB directory: %v", err)
		}
		ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
		defer cancel()
		srv, err := StartFerretDB(ctx, FerretDBOptions{Dir: dir})
		if err != nil {
			_ = os.RemoveAll(dir)
			t.Fatalf("start FerretDB: %v", err)
		}
		shared.srv, shared.dir = srv, dir
	}
	shared.users++
	t.Cleanup(func() {
		shared.Lock()
		defer shared.Unlock()
		if shared.users--; shared.users == 0 {
			shared.srv.Stop()
			_ = os.RemoveAll(shared.dir)
			shared.srv = nil
		}
	})
	return shared.srv.URI()
}

// removeAbandoned deletes the directories of stand-ins whose test binary
// was killed before it could (a timeout, ^C): nobody holds their lock. A
// minute's grace spares one that another binary has just created and
// not locked yet.
func removeAbandoned() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), tempPrefix+"*"))
	for _, dir := range dirs {
		if fi, err := os.Stat(dir); err != nil || time.Since(fi.ModTime()) < time.Minute {
			continue
		}
		if lock, err := lockDir(dir); err == nil {
			_ = os.RemoveAll(dir)
			lock.Close()
		}
	}
}

// NewMongo returns a MongoDB store on a fresh database, with its indexes,
// dropped when the test ends.
func NewMongo(t testing.TB) *models.Store {
	t.Helper()
	return NewMongoWith(t, mongo.Options{})
}

// NewMongoWith is NewMongo with options, e.g. a Monitor. URI defaults to
// MongoURI and Database to a fresh name.
func NewMongoWith(t testing.TB, o mongo.Options) *models.Store {
	t.Helper()
	if o.URI == "" {
		o.URI = MongoURI(t)
	}
	if o.Database == "" {
		o.Database = "test_" + models.RandomHex(6)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := mongo.Open(ctx, o)
	if err != nil {
		t.Fatalf("open MongoDB store: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := s.Engine.(*mongo.DB).Drop(ctx); err != nil {
			t.Logf("drop test database %s: %v", o.Database, err)
		}
		_ = s.Close(ctx)
	})
	return s
}
