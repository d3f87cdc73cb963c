package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/ringdesk/ringdesk/models"
)

const (
	qDumpAgents   = agentSelect + ` ORDER BY a.id`
	qDumpTickets  = `SELECT ` + ticketCols + `, idempotency_key FROM tickets ORDER BY number`
	qDumpCalls    = `SELECT ` + callCols + ` FROM calls ORDER BY rowid`
	qDumpCounters = `SELECT name, value FROM counters ORDER BY name`

	qAgentExists   = `SELECT EXISTS (SELECT 1 FROM agents WHERE id = ?)`
	qTicketExists  = `SELECT EXISTS (SELECT 1 FROM tickets WHERE id = ?)`
	qCallExists    = `SELECT EXISTS (SELECT 1 FROM calls WHERE id = ?)`
	qTicketNumber  = `SELECT id FROM tickets WHERE number = ?`
	qRestoreTicket = `INSERT INTO tickets (number, id, name, phone, description, status, source,
		idempotency_key, created_at, updated_at, calls) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	qRaiseCounter = `INSERT INTO counters (name, value) VALUES (?, ?)
		ON CONFLICT (name) DO UPDATE SET value = excluded.value WHERE excluded.value > counters.value`
)

// Timelines and deletion records.
const (
	qDumpActivities = `SELECT ` + activityCols + ` FROM activities ORDER BY rowid`
	qDumpDeletions  = `SELECT ` + deletionCols + ` FROM ticket_deletions ORDER BY rowid`
	// An entry is restored only beside its ticket: one whose ticket is
	// not there belonged to a ticket deleted while a MongoDB export ran.
	qActivityRestorable = `SELECT EXISTS (SELECT 1 FROM activities WHERE id = ?1)
		OR NOT EXISTS (SELECT 1 FROM tickets WHERE id = ?2)`
	qDeletionExists = `SELECT EXISTS (SELECT 1 FROM ticket_deletions WHERE id = ?)`
)

// Dump streams every agent, ticket, timeline entry, call, deletion
// record and counter to fn from one snapshot, a row at a time, so an
// export of any size needs little memory and sees no half-done write.
// An export outlasts any fixed deadline, so the timeout bounds each wait
// for the database instead: a database that stops answering for
// models.OpTimeout ends the dump.
func (e *engine) Dump(ctx context.Context, fn func(models.Item) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stall := time.AfterFunc(models.OpTimeout, cancel)
	defer stall.Stop()
	tx, err := e.r.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		return e.fail("dump", err)
	}
	defer tx.Rollback()
	c := conn{e: e, pool: e.r, tx: tx}
	emit := func(it models.Item) error {
		stall.Stop() // fn's own time (a slow disk, a pipe) is not the database's
		err := fn(it)
		stall.Reset(models.OpTimeout)
		return err
	}
	if err := dumpAgents(ctx, c, emit); err != nil {
		var fe fnError
		if errors.As(err, &fe) {
			return fe.err
		}
		return e.fail("dump agents", err)
	}
	tables := []struct {
		what, query string
		item        func(scanner) (models.Item, error)
	}{
		{"dump tickets", qDumpTickets, func(s scanner) (models.Item, error) {
			t, err := scanTicket(s, true)
			return models.Item{Ticket: t}, err
		}},
		{"dump timelines", qDumpActivities, func(s scanner) (models.Item, error) {
			a, err := scanActivity(s)
			return models.Item{Activity: a}, err
		}},
		{"dump calls", qDumpCalls, func(s scanner) (models.Item, error) {
			call, err := scanCall(s)
			return models.Item{Call: call}, err
		}},
		{"dump deletions", qDumpDeletions, func(s scanner) (models.Item, error) {
			d, err := scanDeletion(s)
			return models.Item{Deletion: d}, err
		}},
		{"dump counters", qDumpCounters, func(s scanner) (models.Item, error) {
			var cn models.Counter
			err := s.Scan(&cn.Name, &cn.Value)
			return models.Item{Counter: &cn}, err
		}},
	}
	for _, tb := range tables {
		if err := dumpTable(ctx, c, tb.query, tb.item, emit); err != nil {
			var fe fnError
			if errors.As(err, &fe) {
				return fe.err
			}
			return e.fail(tb.what, err)
		}
	}
	return nil
}

// dumpAgents emits each agent with its live revocations, which arrive
// as consecutive rows of the join.
func dumpAgents(ctx context.Context, c conn, emit func(models.Item) error) error {
	rows, err := c.query(ctx, qDumpAgents, ms(models.Now()))
	if err != nil {
		return err
	}
	defer rows.Close()
	var cur *models.Agent
	for rows.Next() {
		a, rev, err := scanAgentRow(rows)
		if err != nil {
			return err
		}
		if cur != nil && cur.ID != a.ID {
			if err := emit(models.Item{Agent: cur}); err != nil {
				return fnError{err}
			}
			cur = nil
		}
		if cur == nil {
			cur = &a
		}
		if rev != nil {
			cur.RevokedSessions = append(cur.RevokedSessions, *rev)
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if cur != nil {
		if err := emit(models.Item{Agent: cur}); err != nil {
			return fnError{err}
		}
	}
	return nil
}

// fnError carries an error of the caller's fn, which Dump returns as is.
type fnError struct{ err error }

func (f fnError) Error() string { return f.err.Error() }

func dumpTable(ctx context.Context, c conn, query string, item func(scanner) (models.Item, error), emit func(models.Item) error) error {
	rows, err := c.query(ctx, query)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		it, err := item(rows)
		if err != nil {
			return err
		}
		if err := emit(it); err != nil {
			return fnError{err}
		}
	}
	return rows.Err()
}

// Restore stores one item unless its id is already there. An agent whose
// email, a ticket whose number or key, or a call whose sid belongs to
// another id is ErrConflict: importing it would merge two records.
func (e *engine) Restore(ctx context.Context, it models.Item) (inserted bool, err error) {
	ctx, cancel := opCtx(ctx)
	defer cancel()
	switch {
	case it.Agent != nil:
		a := it.Agent
		return e.restore(ctx, "restore agent "+a.Email, qAgentExists, a.ID, func(c conn) error {
			return restoreAgent(ctx, c, a)
		})
	case it.Ticket != nil:
		t := it.Ticket
		return e.restore(ctx, fmt.Sprintf("restore ticket #%d", t.Number), qTicketExists, t.ID, func(c conn) error {
			return restoreTicket(ctx, c, t)
		})
	case it.Activity != nil:
		return e.restoreActivity(ctx, it.Activity)
	case it.Deletion != nil:
		d := it.Deletion
		return e.restore(ctx, "restore deletion of ticket #"+fmt.Sprint(d.Number), qDeletionExists, d.ID, func(c conn) error {
			return insertDeletion(ctx, c, *d)
		})
	case it.Call != nil:
		call := it.Call
		return e.restore(ctx, "restore call "+call.SID, qCallExists, call.ID, func(c conn) error {
			steps, err := encodeSteps(call.Steps)
			if err != nil {
				return err
			}
			_, err = c.exec(ctx, qInsertCall, call.ID.Hex(), call.SID, call.Provider, idOrNil(call.TicketID),
				string(call.Direction), call.From, call.To, ms(call.StartedAt), steps,
				call.HungUpBy, call.RecordingURL, call.RecordingDuration)
			if isUnique(err) {
				return fmt.Errorf("call sid %s is stored under another id: %w", call.SID, models.ErrConflict)
			}
			return err
		})
	case it.Counter != nil:
		res, err := e.writer().exec(ctx, qRaiseCounter, it.Counter.Name, it.Counter.Value)
		if err != nil {
			return false, e.fail("restore counter "+it.Counter.Name, err)
		}
		n, err := res.RowsAffected()
		return n > 0, e.fail("restore counter "+it.Counter.Name, err)
	}
	return false, errors.New("restore: empty item")
}

// restore runs insert in a write transaction unless a row with id exists.
func (e *engine) restore(ctx context.Context, what, exists string, id models.ID, insert func(conn) error) (bool, error) {
	inserted := false
	err := e.write(ctx, what, func(c conn) error {
		var there bool
		if err := c.row(ctx, exists, id.Hex()).Scan(&there); err != nil || there {
			return err
		}
		inserted = true
		return insert(c)
	})
	return inserted && err == nil, err
}

func restoreTicket(ctx context.Context, c conn, t *models.Ticket) error {
	calls, err := encodeSummaries(t.Calls)
	if err != nil {
		return err
	}
	_, err = c.exec(ctx, qRestoreTicket, t.Number, t.ID.Hex(), t.Name, t.PhoneNumber, t.Description,
		string(t.Status), t.Source, t.IdempotencyKey, ms(t.CreatedAt), ms(t.UpdatedAt), calls)
	if err == nil {
		return setAssignee(ctx, c, t)
	}
	if !isUnique(err) {
		return err
	}
	// The id is new (restore checked), so the number or the key is taken.
	var other string
	err = c.row(ctx, qTicketNumber, t.Number).Scan(&other)
	switch {
	case err == nil:
		return fmt.Errorf("number %d is already used by ticket %s: %w", t.Number, other, models.ErrConflict)
	case errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("its idempotency key is already used by another ticket: %w", models.ErrConflict)
	}
	return err
}

// restoreActivity stores a timeline entry unless it is there already or
// its ticket is not: an entry goes with its ticket, and the ticket comes
// first in an export.
func (e *engine) restoreActivity(ctx context.Context, a *models.Activity) (bool, error) {
	inserted := false
	err := e.write(ctx, "restore timeline entry "+a.ID.Hex(), func(c conn) error {
		var skip bool
		if err := c.row(ctx, qActivityRestorable, a.ID.Hex(), a.TicketID.Hex()).Scan(&skip); err != nil || skip {
			return err
		}
		inserted = true
		return insertActivity(ctx, c, a)
	})
	return inserted && err == nil, err
}

// deletionCols is what Dump reads of a deletion record.
const deletionCols = `id, ticket_id, number, phone, by_id, by_name, at`

func scanDeletion(s scanner) (*models.Deletion, error) {
	var (
		d              models.Deletion
		id, ticket, by string
		at             int64
	)
	if err := s.Scan(&id, &ticket, &d.Number, &d.PhoneNumber, &by, &d.By.Name, &at); err != nil {
		return nil, err
	}
	var err error
	if d.ID, err = models.ParseID(id); err != nil {
		return nil, fmt.Errorf("deletion record has a bad id %q", id)
	}
	if d.TicketID, err = models.ParseID(ticket); err != nil {
		return nil, fmt.Errorf("deletion record %s has a bad ticket id %q", id, ticket)
	}
	if d.By.ID, err = models.ParseID(by); err != nil {
		return nil, fmt.Errorf("deletion record %s has a bad agent id %q", id, by)
	}
	d.At = fromMS(at)
	return &d, nil
}
