package legacy

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/ringdesk/ringdesk/models"
)

// batchSize is how many documents one query fetches. Reading in batches
// keeps every query within models.OpTimeout however large the file, and
// holds no read transaction while the caller works on the documents.
const batchSize = 256

// errNotSQLite means a file is not a SQLite database at all.
var errNotSQLite = errors.New("not a SQLite database")

// dbFile is one legacy database file, open read-only.
type dbFile struct {
	db   *sql.DB
	path string
}

// openFile opens path read-only and makes sure SQLite can read it.
func openFile(ctx context.Context, path string) (*dbFile, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("legacy store %s: %w", path, err)
	}
	// SQLite would report a missing file as merely "unable to open".
	if _, err := os.Stat(abs); err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("legacy store %s: %w", abs, err)
		}
		return nil, fmt.Errorf("legacy store %s: %w: %w", abs, models.ErrUnavailable, err)
	}
	// mode=ro rather than immutable=1: a server that was killed leaves
	// committed documents in the write-ahead log, which only a normal
	// (if read-only) open takes into account.
	f, err := openDSN(ctx, abs, "mode=ro")
	if err == nil || !cannotShareWAL(err) {
		return f, err
	}
	// FerretDB's files are in WAL mode, and even a read-only reader must
	// create the shared-memory file beside them. In a directory we may
	// not write to (a backup, another user's volume), the file alone is
	// complete only when no write-ahead log is left over.
	if st, werr := os.Stat(abs + "-wal"); !errors.Is(werr, os.ErrNotExist) && (werr != nil || st.Size() > 0) {
		return nil, fmt.Errorf("legacy store %s: %w: the directory is read-only and the file has an unfinished "+
			"write-ahead log (%s-wal); copy the directory somewhere writable and read the copy", abs, models.ErrUnavailable, abs)
	}
	return openDSN(ctx, abs, "immutable=1")
}

// openDSN opens the file with the given SQLite URI parameters.
func openDSN(ctx context.Context, abs, params string) (*dbFile, error) {
	dsn := (&url.URL{
		Scheme:   "file",
		Path:     abs,
		RawQuery: params + "&_pragma=busy_timeout(2000)&_pragma=query_only(1)",
	}).String()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("legacy store %s: %w", abs, err)
	}
	db.SetMaxOpenConns(1)
	f := &dbFile{db: db, path: abs}
	// The header is read only by the first query, not by the open.
	var n int
	if err := db.QueryRowContext(ctx, "SELECT count(*) FROM sqlite_master").Scan(&n); err != nil {
		db.Close()
		return nil, f.err("open", err)
	}
	return f, nil
}

// cannotShareWAL reports the failure of a read-only open of a WAL-mode
// file whose shared-memory file cannot be created.
func cannotShareWAL(err error) bool {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	switch se.Code() & 0xff {
	case sqlite3.SQLITE_READONLY, sqlite3.SQLITE_CANTOPEN:
		return true
	}
	return false
}

func (f *dbFile) close() { _ = f.db.Close() }

// hasMetadata reports whether FerretDB's collection table is there.
func (f *dbFile) hasMetadata(ctx context.Context) (bool, error) {
	var n int
	err := f.db.QueryRowContext(ctx,
		"SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name = ?", metadataTable).Scan(&n)
	if err != nil {
		return false, f.err("look for "+metadataTable, err)
	}
	return n > 0, nil
}

// tables maps collection names to the tables that hold them.
func (f *dbFile) tables(ctx context.Context) (map[string]string, error) {
	ctx, cancel := context.WithTimeout(ctx, models.OpTimeout)
	defer cancel()
	rows, err := f.db.QueryContext(ctx, "SELECT name, table_name FROM "+quote(metadataTable))
	if err != nil {
		return nil, f.err("list collections", err)
	}
	defer rows.Close()
	tables := map[string]string{}
	for rows.Next() {
		var name, table string
		if err := rows.Scan(&name, &table); err != nil {
			return nil, f.err("list collections", err)
		}
		tables[name] = table
	}
	if err := rows.Err(); err != nil {
		return nil, f.err("list collections", err)
	}
	return tables, nil
}

// row is one stored document.
type row struct {
	id   int64
	data []byte
}

// scan calls fn with every document of table, in insertion order.
func (f *dbFile) scan(ctx context.Context, table string, fn func(rowid int64, data []byte) error) error {
	q := fmt.Sprintf("SELECT rowid, %s FROM %s WHERE rowid > ? ORDER BY rowid LIMIT %d",
		quote(dataColumn), quote(table), batchSize)
	after := int64(math.MinInt64)
	for {
		batch, err := f.batch(ctx, table, q, after)
		if err != nil {
			return err
		}
		for _, r := range batch {
			if err := fn(r.id, r.data); err != nil {
				return err
			}
		}
		if len(batch) < batchSize {
			return nil
		}
		after = batch[len(batch)-1].id
	}
}

// batch runs one query of scan within its own deadline.
func (f *dbFile) batch(ctx context.Context, table, q string, after int64) ([]row, error) {
	ctx, cancel := context.WithTimeout(ctx, models.OpTimeout)
	defer cancel()
	rows, err := f.db.QueryContext(ctx, q, after)
	if err != nil {
		return nil, f.err("read table "+table, err)
	}
	defer rows.Close()
	batch := make([]row, 0, batchSize)
	for rows.Next() {
		var r row
		if err := rows.Scan(&r.id, &r.data); err != nil {
			return nil, f.err("read table "+table, err)
		}
		batch = append(batch, r)
	}
	if err := rows.Err(); err != nil {
		return nil, f.err("read table "+table, err)
	}
	return batch, nil
}

// err names the file and what failed, and marks the failures that are the
// file's state rather than its content (locked, unreadable, a deadline
// passed) as models.ErrUnavailable: trying again later may work.
func (f *dbFile) err(what string, err error) error {
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() & 0xff {
		case sqlite3.SQLITE_NOTADB:
			return fmt.Errorf("legacy store %s: %w", f.path, errNotSQLite)
		case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED, sqlite3.SQLITE_CANTOPEN, sqlite3.SQLITE_IOERR,
			sqlite3.SQLITE_PERM, sqlite3.SQLITE_READONLY, sqlite3.SQLITE_FULL, sqlite3.SQLITE_NOMEM:
			return fmt.Errorf("legacy store %s: %s: %w: %w", f.path, what, models.ErrUnavailable, err)
		}
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return fmt.Errorf("legacy store %s: %s: %w: %w", f.path, what, models.ErrUnavailable, err)
	}
	return fmt.Errorf("legacy store %s: %s: %w", f.path, what, err)
}

// quote makes a name safe to use as an SQL identifier.
func quote(name string) string {
	return `"` + strings.ReplaceAll(name, `"`, `""`) + `"`
}
