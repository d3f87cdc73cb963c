package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"github.com/ringdesk/ringdesk/models"
)

// engine is the database: the two connection pools, the directory lock
// and the statements prepared on them. It implements models.Engine; the
// repositories are thin views of it.
type engine struct {
	path   string
	shared bool // opened beside a running server, without the lock
	lock   *os.File
	log    *slog.Logger
	trace  func(string)

	w *sql.DB // the one writer connection
	r *sql.DB // readers, query_only

	mu    sync.Mutex
	stmts map[stmtKey]*sql.Stmt

	closeOnce sync.Once
	closeErr  error
}

type stmtKey struct {
	pool  *sql.DB
	query string
}

// store builds the repositories on e.
func (e *engine) store() *models.Store {
	return &models.Store{
		Tickets:   &tickets{e},
		Agents:    &agents{e},
		Setup:     &setup{e},
		Calls:     &calls{e},
		Media:     &media{e},
		Callbacks: &callbacks{e},
		Settings:  &settings{e},
		Queue:     &queue{e},
		Presence:  &presence{e},
		Engine:    e,
	}
}

// Ping reports whether the database answers.
func (e *engine) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	var one int
	return e.fail("ping", e.r.QueryRowContext(ctx, "SELECT 1").Scan(&one))
}

// Where names the database file for the start-up log and the CLI.
func (e *engine) Where() string {
	if e.shared {
		return "SQLite at " + e.path + " (shared with the running Ringdesk)"
	}
	return "SQLite at " + e.path
}

// WatchChanges: one process owns the database, so its own dashboards
// already see every change.
func (e *engine) WatchChanges(context.Context, func(models.Change)) error {
	return fmt.Errorf("%w: %w", models.ErrNoChangeStreams, models.ErrOneProcess)
}

// Close waits for in-flight statements, closes the database (SQLite
// checkpoints the WAL as the last connection goes) and then releases the
// directory lock. If ctx ends first, closing goes on in the background
// and the lock is released when it is done.
func (e *engine) Close(ctx context.Context) error {
	done := make(chan error, 1)
	go func() { done <- e.shutdown() }()
	select {
	case err := <-done:
		return err
	case <-ctx.Done():
		return e.fail("close database", ctx.Err())
	}
}

// shutdown closes the pools and then drops the lock: another process
// may take the directory only once this one has let go of the file. A
// second call returns the first one's result.
func (e *engine) shutdown() error {
	e.closeOnce.Do(func() {
		var errs []error
		if e.r != nil {
			errs = append(errs, e.r.Close())
		}
		if e.w != nil {
			errs = append(errs, e.w.Close())
		}
		if e.lock != nil {
			errs = append(errs, e.lock.Close())
		}
		e.closeErr = errors.Join(errs...)
	})
	return e.closeErr
}

// stmt returns query prepared on pool, preparing it on first use. The
// queries are constants, so the cache stays small; database/sql
// re-prepares a statement by itself on a connection that lacks it.
func (e *engine) stmt(ctx context.Context, pool *sql.DB, query string) (*sql.Stmt, error) {
	if st, ok := e.cached(pool, query); ok {
		return st, nil
	}
	k := stmtKey{pool, query}
	st, err := pool.PrepareContext(ctx, query)
	if err != nil {
		return nil, err
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if old, ok := e.stmts[k]; ok {
		st.Close()
		return old, nil
	}
	if e.stmts == nil {
		e.stmts = map[stmtKey]*sql.Stmt{}
	}
	e.stmts[k] = st
	return st, nil
}

func (e *engine) cached(pool *sql.DB, query string) (*sql.Stmt, bool) {
	e.mu.Lock()
	defer e.mu.Unlock()
	st, ok := e.stmts[stmtKey{pool, query}]
	return st, ok
}

// txQueries run inside write transactions; they are prepared on the
// writer at Open, while its one connection is free.
var txQueries = []string{
	qNextTicketNumber, qInsertTicket, qTicketByKey,
	qCallBySID, qInsertCall, qUpdateCall, qTicketSummaries, qSetTicketSummaries,
	qAgentExists, qTicketExists, qCallExists, qTicketNumber, qRestoreTicket, qRevokeSession,
}

// prepareTx prepares txQueries.
func (e *engine) prepareTx(ctx context.Context) error {
	for _, q := range txQueries {
		if _, err := e.stmt(ctx, e.w, q); err != nil {
			return e.fail("prepare statements", err)
		}
	}
	return nil
}

// conn runs statements either on a pool or inside a transaction on the
// writer, reusing prepared statements in both cases and reporting each
// statement to the trace hook.
type conn struct {
	e    *engine
	pool *sql.DB
	tx   *sql.Tx
}

func (e *engine) reader() conn { return conn{e: e, pool: e.r} }
func (e *engine) writer() conn { return conn{e: e, pool: e.w} }

// prepared returns the statement for query, bound to the transaction if
// there is one.
func (c conn) prepared(ctx context.Context, query string) (*sql.Stmt, error) {
	if c.e.trace != nil {
		c.e.trace(query)
	}
	if c.tx != nil {
		// Preparing on the pool would wait for the connection this
		// transaction holds; a statement not prepared at Open (see
		// txQueries) is prepared on the transaction, for its lifetime.
		if st, ok := c.e.cached(c.pool, query); ok {
			return c.tx.StmtContext(ctx, st), nil
		}
		return c.tx.PrepareContext(ctx, query)
	}
	return c.e.stmt(ctx, c.pool, query)
}

func (c conn) exec(ctx context.Context, query string, args ...any) (sql.Result, error) {
	st, err := c.prepared(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.ExecContext(ctx, args...)
}

func (c conn) query(ctx context.Context, query string, args ...any) (*sql.Rows, error) {
	st, err := c.prepared(ctx, query)
	if err != nil {
		return nil, err
	}
	return st.QueryContext(ctx, args...)
}

// row is QueryRow; a statement that cannot be prepared is run unprepared,
// so that its error reaches the caller through Scan like any other.
func (c conn) row(ctx context.Context, query string, args ...any) *sql.Row {
	st, err := c.prepared(ctx, query)
	if err != nil {
		if c.tx != nil {
			return c.tx.QueryRowContext(ctx, query, args...)
		}
		return c.pool.QueryRowContext(ctx, query, args...)
	}
	return st.QueryRowContext(ctx, args...)
}

// write runs fn in one IMMEDIATE transaction on the writer: the write
// lock is taken at BEGIN, so fn's reads see what its writes will change
// and no other writer can slip in between. fn's error rolls back.
func (e *engine) write(ctx context.Context, what string, fn func(c conn) error) error {
	tx, err := e.w.BeginTx(ctx, nil)
	if err != nil {
		return e.fail(what, err)
	}
	defer tx.Rollback()
	if err := fn(conn{e: e, pool: e.w, tx: tx}); err != nil {
		return e.fail(what, err)
	}
	return e.fail(what, tx.Commit())
}

// affected turns "no row changed" into ErrNotFound.
func affected(res sql.Result, err error) error {
	if err != nil {
		return err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return models.ErrNotFound
	}
	return nil
}

// opCtx bounds one repository call, even when the caller's context has
// no deadline.
func opCtx(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, models.OpTimeout)
}

// ms and fromMS convert the times the store keeps: UTC, to the
// millisecond, as integers.
func ms(t time.Time) int64     { return t.UnixMilli() }
func fromMS(v int64) time.Time { return time.UnixMilli(v).UTC() }
