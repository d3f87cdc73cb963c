// Package storetest is the conformance suite that every store
// implementation passes (Run), and the real stores that other packages'
// tests use: New gives the embedded SQLite store in a temporary directory,
// NewMongo the MongoDB store on MONGODB_TEST_URI or, when that is unset,
// on an embedded FerretDB server standing in for MongoDB. It is imported
// only by tests.
package storetest

import (
	"context"
	"testing"
	"time"

	"github.com/ringdesk/ringdesk/models"
	"github.com/ringdesk/ringdesk/models/sqlite"
)

// New returns an empty embedded SQLite store in a fresh temporary
// directory, closed when the test ends.
func New(t testing.TB) *models.Store {
	t.Helper()
	return NewSQLite(t, sqlite.Options{})
}

// NewSQLite is New with options; Dir defaults to a fresh temporary
// directory.
func NewSQLite(t testing.TB, o sqlite.Options) *models.Store {
	t.Helper()
	if o.Dir == "" {
		o.Dir = t.TempDir()
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	s, err := sqlite.Open(ctx, o)
	if err != nil {
		t.Fatalf("open SQLite store: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = s.Close(ctx)
	})
	return s
}
