package legacy_test

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
	"github.com/google/go-cmp/cmp"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
	_ "modernc.org/sqlite"

	"github.com/ringdesk/ringdesk/models"
	"github.com/ringdesk/ringdesk/models/legacy"
)

// startFerretDB runs FerretDB 1.24 on dir, as the old Ringdesk did, and
// returns its URI and a function that stops it and closes its files.
func startFerretDB(t *testing.T, dir string) (string, func()) {
	t.Helper()
	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  ferretdb.ListenerConfig{TCP: "127.0.0.1:0"},
		Handler:   "sqlite",
		SQLiteURL: (&url.URL{Scheme: "file", Path: dir + "/"}).String(),
		Logger:    slog.New(slog.DiscardHandler),
	})
	if err != nil {
		t.Fatalf("start FerretDB: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = f.Run(ctx)
	}()
	stopped := false
	stop := func() {
		if !stopped {
			stopped = true
			cancel()
			<-done
		}
	}
	t.Cleanup(stop)
	return f.MongoDBURI(), stop
}

// writeLegacy stores docs (collection => documents) in database
// "ringdesk" through FerretDB, then stops it.
func writeLegacy(t *testing.T, dir string, docs map[string][]any) {
	t.Helper()
	uri, stop := startFerretDB(t, dir)
	insertDocs(t, uri, docs)
	stop()
}

// insertDocs stores docs in database "ringdesk" at uri, as the old
// Ringdesk did, through the official driver.
func insertDocs(t *testing.T, uri string, docs map[string][]any) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	client, err := mongo.Connect(options.Client().ApplyURI(uri))
	if err != nil {
		t.Fatalf("connect: %v", err)
	}
	defer client.Disconnect(ctx)
	db := client.Database("ringdesk")
	for coll, ds := range docs {
		if _, err := db.Collection(coll).InsertMany(ctx, ds); err != nil {
			t.Fatalf("insert into %s: %v", coll, err)
		}
	}
}

// readAll returns every item Read gives for file.
func readAll(t *testing.T, file string) []models.Item {
	t.Helper()
	var items []models.Item
	err := legacy.Read(context.Background(), file, func(it models.Item) error {
		items = append(items, it)
		return nil
	})
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	return items
}

// sameTime also requires UTC: the stores write and compare UTC times.
var sameTime = cmp.Comparer(func(a, b time.Time) bool {
	return a.Equal(b) && a.Location() == time.UTC && b.Location() == time.UTC
})

func TestReadFerretDBFile(t *testing.T) {
	written := filepath.Join(t.TempDir(), "data")
	if err := os.Mkdir(written, 0o700); err != nil {
		t.Fatal(err)
	}
	docs, want := fixture(t)
	writeLegacy(t, written, docs)
	// A name that needs escaping in a SQLite URI.
	dir := filepath.Join(filepath.Dir(written), "old data #1 ?%")
	if err := os.Rename(written, dir); err != nil {
		t.Fatal(err)
	}

	files, err := legacy.Files(dir)
	if err != nil {
		t.Fatalf("Files: %v", err)
	}
	if len(files) != 1 || filepath.Base(files[0]) != "ringdesk.sqlite" {
		t.Fatalf("Files = %q, want ringdesk.sqlite", files)
	}
	got := readAll(t, files[0])
	if diff := cmp.Diff(want, got, sameTime); diff != "" {
		t.Errorf("Read (-want +got):\n%s", diff)
	}
	// The hash is still a working bcrypt hash.
	if len(got) > 0 && got[0].Agent != nil {
		if _, err := models.CheckPassword(got[0].Agent, "correct horse battery"); err != nil {
			t.Errorf("password of the imported agent: %v", err)
		}
	}

	stop := errors.New("enough")
	n := 0
	err = legacy.Read(context.Background(), files[0], func(models.Item) error {
		if n++; n == 3 {
			return stop
		}
		return nil
	})
	if !errors.Is(err, stop) || n != 3 {
		t.Errorf("Read with fn failing at the 3rd item: n = %d, err = %v; want 3, %v", n, err, stop)
	}
}

// TestReadAfterKill reads files as a killed server leaves them: with the
// latest documents still in the write-ahead log, not yet in the file.
func TestReadAfterKill(t *testing.T) {
	dir, crashed := t.TempDir(), t.TempDir()
	docs, want := fixture(t)
	uri, stop := startFerretDB(t, dir)
	insertDocs(t, uri, docs)
	for _, name := range []string{"ringdesk.sqlite", "ringdesk.sqlite-wal"} {
		b, err := os.ReadFile(filepath.Join(dir, name))
		if err != nil {
			t.Fatalf("copy the running server's files: %v", err)
		}
		if name == "ringdesk.sqlite-wal" && len(b) == 0 {
			t.Fatal("the write-ahead log is empty: nothing to test")
		}
		if err := os.WriteFile(filepath.Join(crashed, name), b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	stop()

	got := readAll(t, filepath.Join(crashed, "ringdesk.sqlite"))
	if diff := cmp.Diff(want, got, sameTime); diff != "" {
		t.Errorf("Read (-want +got):\n%s", diff)
	}
}

// writePlainSQLite makes a SQLite file that FerretDB did not write.
func writePlainSQLite(t *testing.T, path string) {
	t.Helper()
	db, err := sql.Open("sqlite", path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Exec("CREATE TABLE t (x TEXT)"); err != nil {
		t.Fatal(err)
	}
}

func TestFiles(t *testing.T) {
	dir := t.TempDir()
	writeLegacy(t, dir, map[string][]any{"tickets": {doc("_id", bson.NewObjectID())}})

	// A SQLite file that FerretDB did not write.
	plain := filepath.Join(dir, "other.sqlite")
	writePlainSQLite(t, plain)
	for name, content := range map[string]string{
		"notes.sqlite": "not a database at all, but long enough to have a header of sorts.......................................",
		"empty.sqlite": "",
		"ringdesk.db":  "",
	} {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}

	files, err := legacy.Files(dir)
	if err != nil {
		t.Fatalf("Files: %v", err)
	}
	if diff := cmp.Diff([]string{filepath.Join(dir, "ringdesk.sqlite")}, files); diff != "" {
		t.Errorf("Files (-want +got):\n%s", diff)
	}

	files, err = legacy.Files(filepath.Join(dir, "missing"))
	if err != nil || len(files) != 0 {
		t.Errorf("Files(missing dir) = %q, %v; want none", files, err)
	}
}

func TestReadRefusesOtherFiles(t *testing.T) {
	dir := t.TempDir()
	plain := filepath.Join(dir, "other.sqlite")
	writePlainSQLite(t, plain)
	junk := filepath.Join(dir, "junk.sqlite")
	if err := os.WriteFile(junk, []byte("not a database at all, but long enough to have a header of sorts......"), 0o600); err != nil {
		t.Fatal(err)
	}

	noItems := func(it models.Item) error { return fmt.Errorf("unexpected item %+v", it) }
	for _, tc := range []struct {
		file string
		is   error
	}{
		{plain, nil},
		{junk, nil},
		{filepath.Join(dir, "missing.sqlite"), fs.ErrNotExist},
	} {
		err := legacy.Read(context.Background(), tc.file, noItems)
		if err == nil {
			t.Errorf("Read(%s) succeeded", filepath.Base(tc.file))
			continue
		}
		if tc.is != nil && !errors.Is(err, tc.is) {
			t.Errorf("Read(%s) = %v, want %v", filepath.Base(tc.file), err, tc.is)
		}
		if models.IsUnavailable(err) {
			t.Errorf("Read(%s) = %v: a file's content is not an outage", filepath.Base(tc.file), err)
		}
	}
}
