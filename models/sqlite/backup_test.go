package sqlite_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/ringdesk/ringdesk/models"
	"github.com/ringdesk/ringdesk/models/sqlite"
)

// TestBackupWhileWriting snapshots a store that keeps taking tickets:
// the copy opens as a store of its own with every ticket written before
// the backup began.
func TestBackupWhileWriting(t *testing.T) {
	dir := t.TempDir()
	s := open(t, sqlite.Options{Dir: dir})
	ctx := context.Background()
	var before []*models.Ticket
	for range 200 {
		before = append(before, create(t, s, "before the backup"))
	}

	stop := make(chan struct{})
	var wg sync.WaitGroup
	var during atomic.Int64
	wg.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			if _, err := s.Tickets.Create(ctx, ticket(t, "during the backup")); err != nil {
				t.Errorf("Create during the backup: %v", err)
				return
			}
			during.Add(1)
		}
	})
	restoreDir := t.TempDir()
	dest := filepath.Join(restoreDir, "ringdesk.db")
	err := sqlite.Backup(ctx, dir, dest)
	close(stop)
	wg.Wait()
	if err != nil {
		t.Fatalf("Backup: %v", err)
	}
	t.Logf("%d tickets were created while the backup ran", during.Load())

	fi, err := os.Stat(dest)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o600 {
		t.Errorf("backup mode = %v, want 0600", fi.Mode().Perm())
	}
	copied := open(t, sqlite.Options{Dir: restoreDir})
	for _, tk := range before {
		if _, err := copied.Tickets.Get(ctx, tk.ID); err != nil {
			t.Fatalf("ticket #%d is missing from the backup: %v", tk.Number, err)
		}
	}
	n, err := copied.Tickets.CountOpen(ctx)
	if err != nil || n < int64(len(before)) {
		t.Errorf("backup counts %d open tickets, %v; want at least %d", n, err, len(before))
	}
	if _, err := copied.Tickets.Create(ctx, ticket(t, "after restoring")); err != nil {
		t.Errorf("Create on the restored copy: %v", err)
	}
}

func TestBackupRefusesExistingFile(t *testing.T) {
	dir := t.TempDir()
	open(t, sqlite.Options{Dir: dir})
	dest := filepath.Join(t.TempDir(), "backup.db")
	if err := os.WriteFile(dest, []byte("precious"), 0o600); err != nil {
		t.Fatal(err)
	}
	err := sqlite.Backup(context.Background(), dir, dest)
	if err == nil || !strings.Contains(err.Error(), dest) {
		t.Fatalf("Backup onto an existing file = %v, want an error naming it", err)
	}
	if b, _ := os.ReadFile(dest); string(b) != "precious" {
		t.Errorf("Backup changed the existing file to %q", b)
	}
	if err := sqlite.Backup(context.Background(), t.TempDir(), filepath.Join(t.TempDir(), "x.db")); err == nil {
		t.Error("Backup of a directory without a database succeeded")
	}
}
