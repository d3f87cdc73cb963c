package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/ringdesk/ringdesk/models"
)

// queue implements models.QueueRepository.
type queue struct{ e *engine }

// inLine is the WHERE of the partial index call_queue_line (migration
// 0007). SQLite uses a partial index only for a query whose WHERE holds
// the index's own condition, compared term for term, so every query of
// the line repeats it exactly; the plan test checks they do.
const inLine = `state IN ('waiting', 'ringing')`

const (
	queueCols    = `id, sid, ticket_id, caller, joined_at, state, updated_at`
	qJoinQueue   = `INSERT INTO call_queue (` + queueCols + `) VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (sid) DO NOTHING`
	qQueueBySID  = `SELECT ` + queueCols + ` FROM call_queue WHERE sid = ?`
	qQueueExists = `SELECT 1 FROM call_queue WHERE sid = ?`
	// The count runs only for a call in line, and counts the range of
	// the line index up to and including the call itself.
	qQueuePosition = `SELECT CASE WHEN me.` + inLine + ` THEN
		(SELECT count(*) FROM call_queue q WHERE q.` + inLine + ` AND (q.joined_at, q.id) <= (me.joined_at, me.id))
		ELSE 0 END FROM call_queue me WHERE me.sid = ?`
	qSetQueueState = `UPDATE call_queue SET state = ?, updated_at = ? WHERE sid = ? AND ` + inLine
	qQueueInLine   = `SELECT count(*), min(joined_at) FROM call_queue WHERE ` + inLine
	// Without INDEXED BY the planner may read the line through
	// call_queue_left and sort it; the line's own index is already in
	// order and stops at the limit.
	qQueueLine   = `SELECT ` + queueCols + ` FROM call_queue INDEXED BY call_queue_line WHERE ` + inLine + ` ORDER BY joined_at, id LIMIT ?`
	qQueueExpire = `UPDATE call_queue SET state = 'abandoned', updated_at = ? WHERE ` + inLine + ` AND updated_at < ? RETURNING ` + queueCols
)

// Join inserts the entry unless its SID is there and reads back whichever
// is stored, in one write transaction, so concurrent Joins of one call
// queue behind each other and all return the first one's entry.
func (r *queue) Join(ctx context.Context, e models.QueueEntry) (models.QueueEntry, error) {
	if err := models.PrepareQueueEntry(&e, models.Now()); err != nil {
		return models.QueueEntry{}, fmt.Errorf("join queue: %w", err)
	}
	ctx, cancel := opCtx(ctx)
	defer cancel()
	var out *models.QueueEntry
	err := r.e.write(ctx, "join queue", func(c conn) error {
		_, err := c.exec(ctx, qJoinQueue, e.ID.Hex(), e.SID, idOrNil(e.TicketID), e.Caller,
			ms(e.JoinedAt), string(e.State), ms(e.UpdatedAt))
		if err != nil {
			return err
		}
		out, err = scanQueueEntry(c.row(ctx, qQueueBySID, e.SID))
		return err
	})
	if err != nil {
		return models.QueueEntry{}, err
	}
	return *out, nil
}

// Get returns a call's entry, or ErrNotFound.
func (r *queue) Get(ctx context.Context, sid string) (*models.QueueEntry, error) {
	ctx, cancel := opCtx(ctx)
	defer cancel()
	e, err := scanQueueEntry(r.e.reader().row(ctx, qQueueBySID, sid))
	if err != nil {
		return nil, r.e.fail("get queue entry", err)
	}
	return e, nil
}

// Position is one statement, so the entry it counts from and the line it
// counts are read in one snapshot.
func (r *queue) Position(ctx context.Context, sid string) (int, error) {
	ctx, cancel := opCtx(ctx)
	defer cancel()
	var n int
	err := r.e.reader().row(ctx, qQueuePosition, sid).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return n, r.e.fail("queue position", err)
}

// SetState updates the entry only while it is in line; when nothing
// changed, the existence check in the same transaction tells an unknown
// call (ErrNotFound) from one that has left the line (ignored), with no
// Join slipping in between.
func (r *queue) SetState(ctx context.Context, sid string, state models.QueueState, at time.Time) error {
	if !state.Valid() {
		return fmt.Errorf("set queue state: unknown state %q", state)
	}
	if at.IsZero() {
		at = models.Now()
	}
	ctx, cancel := opCtx(ctx)
	defer cancel()
	return r.e.write(ctx, "set queue state", func(c conn) error {
		res, err := c.exec(ctx, qSetQueueState, string(state), ms(at), sid)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n > 0 {
			return err
		}
		var one int
		return c.row(ctx, qQueueExists, sid).Scan(&one)
	})
}

// InLine reads the count and the oldest time from the line index alone.
func (r *queue) InLine(ctx context.Context) (int, time.Time, error) {
	ctx, cancel := opCtx(ctx)
	defer cancel()
	var (
		n      int
		oldest sql.NullInt64
	)
	if err := r.e.reader().row(ctx, qQueueInLine).Scan(&n, &oldest); err != nil {
		return 0, time.Time{}, r.e.fail("count the queue", err)
	}
	if !oldest.Valid {
		return n, time.Time{}, nil
	}
	return n, fromMS(oldest.Int64), nil
}

// Line walks the line's partial index in its order.
func (r *queue) Line(ctx context.Context, limit int) ([]models.QueueEntry, error) {
	ctx, cancel := opCtx(ctx)
	defer cancel()
	out, err := scanQueueEntries(r.e.reader().query(ctx, qQueueLine, limit))
	return out, r.e.fail("read the line", err)
}

// scanQueueEntries reads every row of a query of queueCols.
func scanQueueEntries(rows *sql.Rows, err error) ([]models.QueueEntry, error) {
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []models.QueueEntry
	for rows.Next() {
		e, err := scanQueueEntry(rows)
		if err != nil {
			return nil, err
		}
		out = append(out, *e)
	}
	return out, rows.Err()
}

// scanQueueEntry reads queueCols.
func scanQueueEntry(s scanner) (*models.QueueEntry, error) {
	var (
		e               models.QueueEntry
		id, state       string
		ticket          sql.NullString
		joined, updated int64
	)
	if err := s.Scan(&id, &e.SID, &ticket, &e.Caller, &joined, &state, &updated); err != nil {
		return nil, err
	}
	var err error
	if e.ID, err = models.ParseID(id); err != nil {
		return nil, fmt.Errorf("queue entry %s has a bad id %q", e.SID, id)
	}
	if ticket.Valid {
		tid, err := models.ParseID(ticket.String)
		if err != nil {
			return nil, fmt.Errorf("queue entry %s has a bad ticket id %q", e.SID, ticket.String)
		}
		e.TicketID = &tid
	}
	e.State = models.QueueState(state)
	e.JoinedAt, e.UpdatedAt = fromMS(joined), fromMS(updated)
	return &e, nil
}

// Expire reads only the calls in line (the line's partial index) and
// ends those that stopped asking, returning them from the same statement.
func (r *queue) Expire(ctx context.Context, before, at time.Time) ([]models.QueueEntry, error) {
	ctx, cancel := opCtx(ctx)
	defer cancel()
	var out []models.QueueEntry
	err := r.e.write(ctx, "expire the queue", func(c conn) error {
		var err error
		out, err = scanQueueEntries(c.query(ctx, qQueueExpire, ms(at), ms(before)))
		return err
	})
	return out, err
}
