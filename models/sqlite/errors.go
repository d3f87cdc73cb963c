package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"

	"modernc.org/sqlite"
	sqlite3 "modernc.org/sqlite/lib"

	"github.com/ringdesk/ringdesk/models"
)

// fail maps a driver error to the models sentinels, saying what failed.
// Problems of the database as a whole (busy, disk full, read-only, an I/O
// error, a deadline) wrap ErrUnavailable and name the file, so the log
// line tells an operator where to look; the driver's error stays in the
// chain for errors.As.
func (e *engine) fail(what string, err error) error {
	if err == nil {
		return nil
	}
	// Already mapped, by fn in write, say.
	for _, sentinel := range []error{models.ErrNotFound, models.ErrConflict, models.ErrUnavailable} {
		if errors.Is(err, sentinel) {
			return fmt.Errorf("%s: %w", what, err)
		}
	}
	if errors.Is(err, sql.ErrNoRows) {
		return fmt.Errorf("%s: %w", what, models.ErrNotFound)
	}
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		return fmt.Errorf("%s: %s did not answer in time: %w: %w", what, e.path, models.ErrUnavailable, err)
	}
	// A closed store (a request still running during shutdown) cannot
	// serve either: "try again", not an internal error.
	if errors.Is(err, sql.ErrConnDone) || strings.Contains(err.Error(), "sql: database is closed") {
		return fmt.Errorf("%s: %s is closed: %w: %w", what, e.path, models.ErrUnavailable, err)
	}
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return fmt.Errorf("%s: %w", what, err)
	}
	if problem := unavailable(se.Code()); problem != "" {
		return fmt.Errorf("%s: %s (%s): %w: %w", what, problem, e.path, models.ErrUnavailable, err)
	}
	switch se.Code() {
	case sqlite3.SQLITE_CONSTRAINT_UNIQUE, sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY:
		return fmt.Errorf("%s: %w: %w", what, models.ErrConflict, err)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// unavailable describes result codes that mean the database cannot be
// used right now, or "" for the others.
func unavailable(code int) string {
	switch code & 0xff {
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
		return "database is busy"
	case sqlite3.SQLITE_FULL:
		return "disk full"
	case sqlite3.SQLITE_READONLY:
		return "database is read-only"
	case sqlite3.SQLITE_IOERR:
		return "disk I/O error"
	case sqlite3.SQLITE_CANTOPEN:
		return "cannot open the database file"
	case sqlite3.SQLITE_INTERRUPT:
		return "query interrupted"
	case sqlite3.SQLITE_CORRUPT:
		return "database file is damaged"
	case sqlite3.SQLITE_NOTADB:
		return "not a SQLite database"
	}
	return ""
}

// isForeignKey reports a foreign-key violation: the row pointed at is
// missing.
func isForeignKey(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) && se.Code() == sqlite3.SQLITE_CONSTRAINT_FOREIGNKEY
}

// isUnique reports a unique or primary-key violation.
func isUnique(err error) bool {
	var se *sqlite.Error
	return errors.As(err, &se) &&
		(se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY)
}
