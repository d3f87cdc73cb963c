package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"github.com/ringdesk/ringdesk/models"
)

// callbacks implements models.CallbackRepository.
type callbacks struct{ e *engine }

// pending is the WHERE of the partial indexes (migration 0008), repeated
// word for word so that SQLite uses them.
const pending = `done_at IS NULL`

const (
	callbackCols      = `id, sid, ticket_id, ticket_no, name, number, requested_at, done_at`
	qRequestCallback  = `INSERT INTO callbacks (` + callbackCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, NULL) ON CONFLICT (sid) DO NOTHING`
	qCallbackBySID    = `SELECT ` + callbackCols + ` FROM callbacks WHERE sid = ?`
	qPendingCallbacks = `SELECT ` + callbackCols + ` FROM callbacks WHERE ` + pending + ` ORDER BY requested_at, id LIMIT ?`
	qCountCallbacks   = `SELECT count(*) FROM callbacks WHERE ` + pending
	qCallbacksDone    = `UPDATE callbacks SET done_at = ? WHERE ticket_id = ? AND ` + pending
)

func (r *callbacks) Request(ctx context.Context, c models.Callback) (models.Callback, error) {
	if err := models.PrepareCallback(&c, models.Now()); err != nil {
		return models.Callback{}, fmt.Errorf("request a callback: %w", err)
	}
	ctx, cancel := opCtx(ctx)
	defer cancel()
	var out *models.Callback
	err := r.e.write(ctx, "request a callback", func(cn conn) error {
		if _, err := cn.exec(ctx, qRequestCallback, c.ID.Hex(), c.SID, c.TicketID.Hex(), c.TicketNumber, c.Name, c.Number, ms(c.RequestedAt)); err != nil {
			return err
		}
		var err error
		out, err = scanCallback(cn.row(ctx, qCallbackBySID, c.SID))
		return err
	})
	if err != nil {
		return models.Callback{}, err
	}
	return *out, nil
}

func (r *callbacks) Pending(ctx context.Context, limit int) ([]models.Callback, int, error) {
	ctx, cancel := opCtx(ctx)
	defer cancel()
	rows, err := r.e.reader().query(ctx, qPendingCallbacks, limit)
	if err != nil {
		return nil, 0, r.e.fail("list callbacks", err)
	}
	defer rows.Close()
	out := []models.Callback{}
	for rows.Next() {
		c, err := scanCallback(rows)
		if err != nil {
			return nil, 0, r.e.fail("list callbacks", err)
		}
		out = append(out, *c)
	}
	if err := rows.Err(); err != nil {
		return nil, 0, r.e.fail("list callbacks", err)
	}
	var n int
	if err := r.e.reader().row(ctx, qCountCallbacks).Scan(&n); err != nil {
		return nil, 0, r.e.fail("count callbacks", err)
	}
	return out, n, nil
}

func (r *callbacks) Done(ctx context.Context, ticketID models.ID, at time.Time) error {
	ctx, cancel := opCtx(ctx)
	defer cancel()
	_, err := r.e.writer().exec(ctx, qCallbacksDone, ms(at), ticketID.Hex())
	return r.e.fail("mark callbacks made", err)
}

func scanCallback(s scanner) (*models.Callback, error) {
	var (
		c          models.Callback
		id, ticket string
		requested  int64
		done       sql.NullInt64
	)
	if err := s.Scan(&id, &c.SID, &ticket, &c.TicketNumber, &c.Name, &c.Number, &requested, &done); err != nil {
		return nil, err
	}
	var err error
	if c.ID, err = models.ParseID(id); err != nil {
		return nil, fmt.Errorf("callback %s has a bad id %q", c.SID, id)
	}
	if c.TicketID, err = models.ParseID(ticket); err != nil {
		return nil, fmt.Errorf("callback %s has a bad ticket id %q", c.SID, ticket)
	}
	c.RequestedAt = fromMS(requested)
	if done.Valid {
		t := fromMS(done.Int64)
		c.DoneAt = &t
	}
	return &c, nil
}
