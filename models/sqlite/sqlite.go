// Package sqlite is Ringdesk's embedded store: one SQLite file in
// DATA_DIR, owned by one process, with real columns and an index behind
// every query.
//
// Durability: the database runs in WAL mode with synchronous=NORMAL. A
// write that has been acknowledged survives the process being killed
// (kill -9 included), because the commit is in the WAL file before the
// call returns. A power loss or an operating-system crash may lose the
// last few commits, but never corrupts the database.
package sqlite

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
	"syscall"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"github.com/ringdesk/ringdesk/models"
)

// Options configures Open.
type Options struct {
	Dir    string       // DATA_DIR; the database is Dir/ringdesk.db
	Logger *slog.Logger // may be nil
	// Shared is for the command-line tools, which may run while a server
	// owns Dir. When Dir's lock is free Open behaves as usual (takes the
	// lock, migrates). When another process holds it, Open goes ahead
	// without the lock and without migrating, and refuses unless the
	// schema is exactly the one this binary knows.
	Shared bool
	// Trace, when set, is called with each SQL statement a repository
	// runs, so tests can count the queries behind a page.
	Trace func(query string)
}

// ErrLegacyFormat means Dir holds the previous embedded store's files
// (FerretDB's *.sqlite) and no ringdesk.db.
var ErrLegacyFormat = errors.New("data directory holds the previous embedded store's files")

// File names inside Dir.
const (
	dbName   = "ringdesk.db"
	lockName = "ringdesk.lock"
)

// Pool sizes. SQLite allows one writer at a time, so a single writer
// connection makes writers queue in Go (bounded by their contexts)
// instead of spinning on SQLITE_BUSY; readers never block the writer in
// WAL mode.
const readers = 4

// Open opens (creating if need be) the store in o.Dir and brings its
// schema up to date.
func Open(ctx context.Context, o Options) (*models.Store, error) {
	e, err := open(ctx, o, -1)
	if err != nil {
		return nil, err
	}
	return e.store(), nil
}

// open is Open on an engine; upTo < 0 applies every migration.
func open(ctx context.Context, o Options, upTo int) (*engine, error) {
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	dir, err := prepareDir(o.Dir, log)
	if err != nil {
		return nil, err
	}
	path := filepath.Join(dir, dbName)
	if err := checkLegacy(dir, path); err != nil {
		return nil, err
	}
	lock, err := lockDir(dir)
	shared := false
	if errors.Is(err, models.ErrDataDirInUse) && o.Shared {
		shared, err = true, nil
	}
	if err != nil {
		return nil, err
	}
	e := &engine{path: path, shared: shared, lock: lock, log: log, trace: o.Trace}
	if err := e.connect(ctx, upTo); err != nil {
		_ = e.shutdown()
		return nil, err
	}
	return e, nil
}

// connect opens both pools and migrates (or, shared, checks) the schema.
func (e *engine) connect(ctx context.Context, upTo int) error {
	if err := createDB(e.path, e.shared); err != nil {
		return err
	}
	var err error
	if e.w, err = sql.Open("sqlite", dsn(e.path, "_txlock=immediate")); err != nil {
		return fmt.Errorf("open %s: %w", e.path, err)
	}
	e.w.SetMaxOpenConns(1)
	e.w.SetMaxIdleConns(1)
	e.w.SetConnMaxLifetime(0)
	pctx, cancel := context.WithTimeout(ctx, models.OpTimeout)
	err = e.w.PingContext(pctx)
	cancel()
	if err != nil {
		return e.fail("open database", err)
	}
	if e.shared {
		err = checkSchema(ctx, e.w, e.path)
	} else {
		err = migrate(ctx, e.w, e.path, upTo, e.log)
	}
	if err != nil {
		return err
	}
	// A store held at an older schema (only tests ask for one) lacks
	// columns the statements name; they are prepared on first use there.
	if upTo < 0 || upTo >= latest() {
		pctx, cancel = context.WithTimeout(ctx, models.OpTimeout)
		err = e.prepareTx(pctx)
		cancel()
		if err != nil {
			return err
		}
	}
	if e.r, err = sql.Open("sqlite", dsn(e.path, "_pragma=query_only(1)")); err != nil {
		return fmt.Errorf("open %s: %w", e.path, err)
	}
	e.r.SetMaxOpenConns(readers)
	e.r.SetMaxIdleConns(readers)
	return nil
}

// dsn is the URI for path with the per-connection settings every
// connection needs; SQLite runs the _pragma values on each new one.
func dsn(path string, extra string) string {
	u := url.URL{Scheme: "file", Path: path}
	// mode=rw: the file was created (0600) before SQLite saw it, and a
	// database that vanished must be an error, not a new empty store.
	q := "mode=rw&_pragma=busy_timeout(5000)&_pragma=journal_mode(WAL)&_pragma=foreign_keys(1)&_pragma=synchronous(NORMAL)"
	if extra != "" {
		q += "&" + extra
	}
	return u.String() + "?" + q
}

// prepareDir makes dir absolute, creates it 0700 if missing and takes
// group and other permissions away if it has them: it holds the agents'
// password hashes and the session secret.
func prepareDir(dir string, log *slog.Logger) (string, error) {
	if dir == "" {
		return "", errors.New("sqlite: no data directory given")
	}
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", fmt.Errorf("data directory %s: %w", dir, err)
	}
	if err := os.MkdirAll(abs, 0o700); err != nil {
		return "", fmt.Errorf("create data directory %s: %v: %w", abs, err, models.ErrUnavailable)
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return "", fmt.Errorf("data directory %s: %v: %w", abs, err, models.ErrUnavailable)
	}
	if !fi.IsDir() {
		return "", fmt.Errorf("data directory %s is not a directory", abs)
	}
	if fi.Mode().Perm()&0o077 != 0 {
		if err := os.Chmod(abs, 0o700); err != nil {
			log.Warn("data directory is readable by other users and could not be restricted",
				"dir", abs, "mode", fi.Mode().Perm().String(), "err", err)
		}
	}
	return abs, nil
}

// checkLegacy refuses a directory that holds only FerretDB's files: an
// empty ringdesk.db beside them would hide the team's data.
func checkLegacy(dir, path string) error {
	if _, err := os.Stat(path); err == nil {
		return nil
	}
	old, _ := filepath.Glob(filepath.Join(dir, "*.sqlite"))
	if len(old) == 0 {
		return nil
	}
	return fmt.Errorf("%w: %s (and no %s)", ErrLegacyFormat, old[0], dbName)
}

// lockDir takes an exclusive advisory lock on dir/ringdesk.lock, held for
// as long as the store is open. The kernel drops it when the process
// dies, so a crash never leaves a stale lock behind.
func lockDir(dir string) (*os.File, error) {
	name := filepath.Join(dir, lockName)
	f, err := os.OpenFile(name, os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open lock file %s: %v: %w", name, unwrapPath(err), models.ErrUnavailable)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("%w (%s)", models.ErrDataDirInUse, dir)
		}
		return nil, fmt.Errorf("lock %s: %v: %w", name, err, models.ErrUnavailable)
	}
	return f, nil
}

// InUse reports whether a live process holds dir's lock file (the
// previous embedded store used the same one). It takes the lock only to
// test it and releases it at once. A missing lock file is an error.
func InUse(dir string) (bool, error) {
	f, err := os.OpenFile(filepath.Join(dir, lockName), os.O_RDWR, 0)
	if err != nil {
		return false, err
	}
	defer f.Close()
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		return true, nil
	}
	_ = syscall.Flock(int(f.Fd()), syscall.LOCK_UN)
	return false, nil
}

// createDB creates the database file 0600 before SQLite opens it, since
// SQLite gives the -wal and -shm files the database's mode. A shared
// open never creates: the server owns the file.
func createDB(path string, shared bool) error {
	flags := os.O_RDWR
	if !shared {
		flags |= os.O_CREATE
	}
	f, err := os.OpenFile(path, flags, 0o600)
	if err != nil {
		return fmt.Errorf("open database %s: %v: %w", path, unwrapPath(err), models.ErrUnavailable)
	}
	defer f.Close()
	if fi, err := f.Stat(); err == nil && fi.Mode().Perm()&0o077 != 0 && !shared {
		_ = f.Chmod(0o600) // best effort: the directory is 0700 anyway
	}
	return nil
}

// unwrapPath drops the *PathError wrapper, whose path the caller's
// message already names.
func unwrapPath(err error) error {
	var pe *fs.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
