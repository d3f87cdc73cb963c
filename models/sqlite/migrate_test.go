package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"log/slog"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ringdesk/ringdesk/models"
)

// openEngine opens the store in dir (a fresh temporary one when empty),
// closed when the test ends.
func openEngine(t testing.TB, o Options) *engine {
	t.Helper()
	if o.Dir == "" {
		o.Dir = t.TempDir()
	}
	e, err := open(context.Background(), o, -1)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(func() { _ = e.Close(context.Background()) })
	return e
}

// rawDB opens the database in dir without the store, as an older
// Ringdesk or another tool would; the file is created if need be.
func rawDB(t testing.TB, dir string) *sql.DB {
	t.Helper()
	path := filepath.Join(dir, dbName)
	if err := createDB(path, false); err != nil {
		t.Fatal(err)
	}
	db, err := sql.Open("sqlite", dsn(path, "_txlock=immediate"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func mustExec(t testing.TB, db *sql.DB, query string, args ...any) {
	t.Helper()
	if _, err := db.Exec(query, args...); err != nil {
		t.Fatalf("%s: %v", query, err)
	}
}

// TestUpgradeFromVersion1 opens a database made by a Ringdesk that knew
// only migration 1: the upgrade keeps every row and indexes the old
// tickets for search and counting.
func TestUpgradeFromVersion1(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := rawDB(t, dir)
	if err := migrate(ctx, db, filepath.Join(dir, dbName), 1, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatalf("migrate to version 1: %v", err)
	}
	if v, err := schemaVersion(ctx, db); err != nil || v != 1 {
		t.Fatalf("schema version = %d, %v; want 1", v, err)
	}
	base := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	var old []models.Ticket
	for i, desc := range []string{"Headset crackles on long calls", "Invoice shows the wrong address", "Headset will not pair"} {
		at := base.Add(time.Duration(i) * time.Minute)
		tk := models.Ticket{ID: models.NewID(), Number: int64(i + 1), Name: fmt.Sprintf("Customer %d", i),
			PhoneNumber: "+14155552671", Description: desc, Status: models.StatusOpen,
			CreatedAt: at, UpdatedAt: at, IdempotencyKey: fmt.Sprintf("v1-%d", i)}
		if i == 1 {
			tk.Status = models.StatusClosed
		}
		mustExec(t, db, qRestoreTicket, tk.Number, tk.ID.Hex(), tk.Name, tk.PhoneNumber, tk.Description,
			string(tk.Status), tk.Source, tk.IdempotencyKey, ms(tk.CreatedAt), ms(tk.UpdatedAt), "{}")
		old = append(old, tk)
	}
	mustExec(t, db, `INSERT INTO counters (name, value) VALUES ('tickets', 3)`)
	db.Close()

	e := openEngine(t, Options{Dir: dir})
	s := e.store()
	if v, err := schemaVersion(ctx, e.w); err != nil || v != latest() {
		t.Fatalf("schema version after Open = %d, %v; want %d", v, err, latest())
	}
	for _, want := range old {
		got, err := s.Tickets.Get(ctx, want.ID)
		if err != nil {
			t.Fatalf("Get #%d: %v", want.Number, err)
		}
		if diff := cmp.Diff(want, *got); diff != "" {
			t.Errorf("ticket #%d after the upgrade (-before +after):\n%s", want.Number, diff)
		}
	}
	if n, err := s.Tickets.CountOpen(ctx); err != nil || n != 2 {
		t.Errorf("CountOpen after the upgrade = %d, %v; want 2", n, err)
	}
	if got := search(t, e, "headset"); !slices.Equal(got, []int64{1, 3}) {
		t.Errorf("search for headset after the upgrade = %v, want [1 3]", got)
	}

	// New tickets join the old ones in both.
	tk, err := models.TicketInput{Name: "Dana", PhoneNumber: "+14155552671", Description: "Headset is silent"}.Validate("US")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Tickets.Create(ctx, &tk); err != nil || tk.Number != 4 {
		t.Fatalf("Create after the upgrade = #%d, %v; want #4", tk.Number, err)
	}
	if got := search(t, e, "headset"); !slices.Equal(got, []int64{1, 3, 4}) {
		t.Errorf("search for headset after a create = %v, want [1 3 4]", got)
	}
	if n, err := s.Tickets.CountOpen(ctx); err != nil || n != 3 {
		t.Errorf("CountOpen after a create = %d, %v; want 3", n, err)
	}
}

// search returns the numbers of the tickets matching query, in order.
func search(t testing.TB, e *engine, query string) []int64 {
	t.Helper()
	rows, err := e.r.Query(`SELECT rowid FROM tickets_fts WHERE tickets_fts MATCH ? ORDER BY rowid`, query)
	if err != nil {
		t.Fatalf("search %q: %v", query, err)
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var n int64
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		out = append(out, n)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestNewerSchemaIsRefused(t *testing.T) {
	dir := t.TempDir()
	e := openEngine(t, Options{Dir: dir})
	if err := e.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	db := rawDB(t, dir)
	mustExec(t, db, `INSERT INTO schema_migrations (version, applied_at) VALUES (?, 0)`, latest()+1)
	db.Close()
	_, err := Open(context.Background(), Options{Dir: dir})
	if err == nil || !strings.Contains(err.Error(), "newer Ringdesk") || !strings.Contains(err.Error(), dir) {
		t.Fatalf("Open of a database from a newer Ringdesk = %v, want an error saying so and naming the file", err)
	}
}

// TestSharedOpenNeedsSameSchema: the CLI may not migrate a database a
// server is using, so a schema other than its own is refused.
func TestSharedOpenNeedsSameSchema(t *testing.T) {
	dir := t.TempDir()
	old, err := open(context.Background(), Options{Dir: dir}, 1) // the "server", one version behind
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close(context.Background())
	_, err = Open(context.Background(), Options{Dir: dir, Shared: true})
	if err == nil || !strings.Contains(err.Error(), "schema version 1") {
		t.Fatalf("shared Open beside an older server = %v, want a schema version error", err)
	}
}
