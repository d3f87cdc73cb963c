// Package storetest gives tests a real database: the embedded server in a
// temporary directory, or the MongoDB at MONGODB_TEST_URI when it is set.
// Each call gets a fresh database, so tests never see each other's data.
package storetest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/ringdesk/ringdesk/models"
)

var (
	once      sync.Once
	sharedURI string
	startErr  error
)

// URI returns the connection string of the shared test server, starting
// the embedded one on first use. It lives until the test binary exits.
func URI(t testing.TB) string {
	t.Helper()
	once.Do(func() {
		if uri := os.Getenv("MONGODB_TEST_URI"); uri != "" {
			sharedURI = uri
			return
		}
		dir, err := os.MkdirTemp("", "ringdesk-test-")
		if err != nil {
			startErr = err
			return
		}
		e, err := models.StartEmbedded(context.Background(), models.EmbeddedOptions{Dir: dir})
		if err != nil {
			startErr = err
			return
		}
		sharedURI = e.URI()
	})
	if startErr != nil {
		t.Fatalf("start test database: %v", startErr)
	}
	return sharedURI
}

// New returns a store on a fresh database with its indexes created. The
// database is dropped when the test ends.
func New(t testing.TB) *models.Store {
	t.Helper()
	return Connect(t, URI(t))
}

// Connect opens a store on a fresh database at uri.
func Connect(t testing.TB, uri string) *models.Store {
	t.Helper()
	ctx := context.Background()
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	name := "test_" + hex.EncodeToString(b)
	s, err := models.Connect(ctx, uri, name)
	if err != nil {
		t.Fatalf("connect test database: %v", err)
	}
	if err := s.EnsureIndexes(ctx); err != nil {
		t.Fatalf("create indexes: %v", err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = s.Drop(ctx)
		_ = s.Close(ctx)
	})
	return s
}
