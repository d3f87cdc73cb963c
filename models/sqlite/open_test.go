package sqlite_test

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ringdesk/ringdesk/models"
	"github.com/ringdesk/ringdesk/models/sqlite"
)

// open opens the store in o.Dir (a fresh temporary directory when
// empty), closed when the test ends.
func open(t testing.TB, o sqlite.Options) *models.Store {
	t.Helper()
	if o.Dir == "" {
		o.Dir = t.TempDir()
	}
	s, err := sqlite.Open(context.Background(), o)
	if err != nil {
		t.Fatalf("Open(%s): %v", o.Dir, err)
	}
	t.Cleanup(func() { _ = s.Close(context.Background()) })
	return s
}

// ticket returns a valid new ticket whose description mentions what.
func ticket(t testing.TB, what string) *models.Ticket {
	t.Helper()
	tk, err := models.TicketInput{Name: "Ada", PhoneNumber: "+14155552671", Description: "About " + what}.Validate("US")
	if err != nil {
		t.Fatal(err)
	}
	return &tk
}

func create(t testing.TB, s *models.Store, what string) *models.Ticket {
	t.Helper()
	tk := ticket(t, what)
	if _, err := s.Tickets.Create(context.Background(), tk); err != nil {
		t.Fatalf("Create: %v", err)
	}
	return tk
}

func TestSecondOpenIsRefused(t *testing.T) {
	dir := t.TempDir()
	open(t, sqlite.Options{Dir: dir})
	_, err := sqlite.Open(context.Background(), sqlite.Options{Dir: dir})
	if !errors.Is(err, models.ErrDataDirInUse) || !strings.Contains(err.Error(), dir) {
		t.Fatalf("second Open = %v, want ErrDataDirInUse naming %s", err, dir)
	}
}

func TestLockIsReleasedOnClose(t *testing.T) {
	dir := t.TempDir()
	s, err := sqlite.Open(context.Background(), sqlite.Options{Dir: dir})
	if err != nil {
		t.Fatal(err)
	}
	tk := create(t, s, "persistence")
	if err := s.Close(context.Background()); err != nil {
		t.Fatalf("Close: %v", err)
	}
	again := open(t, sqlite.Options{Dir: dir})
	if _, err := again.Tickets.Get(context.Background(), tk.ID); err != nil {
		t.Errorf("Get after reopening: %v", err)
	}
}

// TestSharedOpenBesideServer: the CLI works beside a running server, on
// the same database, without its lock.
func TestSharedOpenBesideServer(t *testing.T) {
	dir := t.TempDir()
	server := open(t, sqlite.Options{Dir: dir})
	cli := open(t, sqlite.Options{Dir: dir, Shared: true})
	if !strings.Contains(cli.Where(), "(shared with the running Ringdesk)") {
		t.Errorf("Where() = %q, want it to say it is shared", cli.Where())
	}
	if strings.Contains(server.Where(), "shared") {
		t.Errorf("server's Where() = %q, want no mention of sharing", server.Where())
	}
	tk := create(t, cli, "from the CLI")
	got, err := server.Tickets.Get(context.Background(), tk.ID)
	if err != nil || got.Number != tk.Number {
		t.Errorf("server reads the CLI's ticket = %v, %v", got, err)
	}
	if tk2 := create(t, server, "from the server"); tk2.Number != tk.Number+1 {
		t.Errorf("server's next ticket is #%d, want #%d", tk2.Number, tk.Number+1)
	}
}

// TestSharedOpenAloneTakesTheLock: with no server running, a shared open
// is an ordinary one.
func TestSharedOpenAloneTakesTheLock(t *testing.T) {
	dir := t.TempDir()
	cli := open(t, sqlite.Options{Dir: dir, Shared: true})
	if strings.Contains(cli.Where(), "shared") {
		t.Errorf("Where() = %q, but nothing else was running", cli.Where())
	}
	if _, err := sqlite.Open(context.Background(), sqlite.Options{Dir: dir}); !errors.Is(err, models.ErrDataDirInUse) {
		t.Errorf("Open beside a lone shared open = %v, want ErrDataDirInUse", err)
	}
}

func TestLegacyDirectoryIsRefused(t *testing.T) {
	dir := t.TempDir()
	legacy := filepath.Join(dir, "ringdesk.sqlite")
	if err := os.WriteFile(legacy, []byte("FerretDB"), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := sqlite.Open(context.Background(), sqlite.Options{Dir: dir})
	if !errors.Is(err, sqlite.ErrLegacyFormat) || !strings.Contains(err.Error(), legacy) {
		t.Fatalf("Open of a FerretDB directory = %v, want ErrLegacyFormat naming %s", err, legacy)
	}
	if _, err := os.Stat(filepath.Join(dir, "ringdesk.db")); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("Open created ringdesk.db beside the old files (stat: %v)", err)
	}

	// Once ringdesk.db exists (the data was carried over), leftovers do
	// not matter.
	other := t.TempDir()
	s, err := sqlite.Open(context.Background(), sqlite.Options{Dir: other})
	if err != nil {
		t.Fatal(err)
	}
	s.Close(context.Background())
	if err := os.WriteFile(filepath.Join(other, "old.sqlite"), nil, 0o600); err != nil {
		t.Fatal(err)
	}
	open(t, sqlite.Options{Dir: other})
}

func TestFileModes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "data")
	s := open(t, sqlite.Options{Dir: dir})
	create(t, s, "modes") // so the WAL exists
	want := map[string]os.FileMode{
		"":                0o700,
		"ringdesk.db":     0o600,
		"ringdesk.db-wal": 0o600,
		"ringdesk.db-shm": 0o600,
		"ringdesk.lock":   0o600,
	}
	for name, mode := range want {
		fi, err := os.Stat(filepath.Join(dir, name))
		if err != nil {
			t.Errorf("stat %s: %v", name, err)
			continue
		}
		if got := fi.Mode().Perm(); got != mode {
			t.Errorf("mode of %q = %v, want %v", filepath.Join(dir, name), got, mode)
		}
	}
}

// TestOpenRestrictsLooseDirectory: a DATA_DIR others can read is made
// private, since it holds password hashes.
func TestOpenRestrictsLooseDirectory(t *testing.T) {
	dir := t.TempDir()
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	open(t, sqlite.Options{Dir: dir})
	fi, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Perm() != 0o700 {
		t.Errorf("mode of %s after Open = %v, want 0700", dir, fi.Mode().Perm())
	}
}

func TestWatchChangesIsNotAvailable(t *testing.T) {
	s := open(t, sqlite.Options{})
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	if err := s.WatchChanges(ctx, func(models.Change) {}); !errors.Is(err, models.ErrNoChangeStreams) {
		t.Errorf("WatchChanges = %v, want ErrNoChangeStreams", err)
	}
	if err := s.Ping(ctx); err != nil {
		t.Errorf("Ping: %v", err)
	}
}

func TestNotADatabase(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "ringdesk.db")
	if err := os.WriteFile(path, []byte(strings.Repeat("not a database ", 100)), 0o600); err != nil {
		t.Fatal(err)
	}
	_, err := sqlite.Open(context.Background(), sqlite.Options{Dir: dir})
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Fatalf("Open of a file that is not a database = %v, want an error naming %s", err, path)
	}
	t.Log(err)
}
