package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/ringdesk/ringdesk/models"
)

// calls implements models.CallRepository.
type calls struct{ e *engine }

const callCols = `id, sid, provider, ticket_id, direction, from_number, to_number, started_at, steps,
	hung_up_by, recording_url, recording_duration`

const (
	qCallBySID  = `SELECT ` + callCols + ` FROM calls WHERE sid = ?`
	qCallByID   = `SELECT ` + callCols + ` FROM calls WHERE id = ?`
	qInsertCall = `INSERT INTO calls (` + callCols + `) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	qUpdateCall = `UPDATE calls SET ticket_id = ?, started_at = ?, steps = ?, hung_up_by = ?,
		recording_url = ?, recording_duration = ? WHERE id = ?`
	qCallsForTicket     = `SELECT ` + callCols + ` FROM calls WHERE ticket_id = ? ORDER BY started_at DESC LIMIT 200`
	qTicketSummaries    = `SELECT calls FROM tickets WHERE id = ?`
	qSetTicketSummaries = `UPDATE tickets SET calls = ? WHERE id = ?`
)

// Record applies ev to its call's log and the log's summary to its
// ticket, all in one write transaction: concurrent or retried webhooks
// for one call queue behind each other and each sees the others' steps,
// so none is lost and a retry adds nothing.
func (r *calls) Record(ctx context.Context, ev models.CallEvent) (*models.Call, error) {
	ctx, cancel := opCtx(ctx)
	defer cancel()
	if ev.At.IsZero() {
		ev.At = time.Now()
	}
	step := models.CallStep{Status: ev.Status, At: ev.At.UTC().Truncate(time.Millisecond), Seq: ev.Seq, Duration: ev.Duration}
	var out *models.Call
	err := r.e.write(ctx, "record call event", func(c conn) error {
		call, err := scanCall(c.row(ctx, qCallBySID, ev.SID))
		isNew := errors.Is(err, sql.ErrNoRows)
		switch {
		case isNew:
			// Direction and numbers come from whichever event creates
			// the log; later status callbacks know them less well.
			call = &models.Call{ID: models.NewID(), SID: ev.SID, Provider: ev.Provider,
				Direction: ev.Direction, From: ev.From, To: ev.To, StartedAt: step.At}
		case err != nil:
			return err
		}
		merge(call, ev, step)
		stepsJSON, err := encodeSteps(call.Steps)
		if err != nil {
			return err
		}
		if isNew {
			_, err = c.exec(ctx, qInsertCall, call.ID.Hex(), call.SID, call.Provider, idOrNil(call.TicketID),
				string(call.Direction), call.From, call.To, ms(call.StartedAt), stepsJSON,
				call.HungUpBy, call.RecordingURL, call.RecordingDuration)
		} else {
			_, err = c.exec(ctx, qUpdateCall, idOrNil(call.TicketID), ms(call.StartedAt), stepsJSON,
				call.HungUpBy, call.RecordingURL, call.RecordingDuration, call.ID.Hex())
		}
		if err != nil {
			return err
		}
		if call.TicketID != nil {
			if err := summarise(ctx, c, call); err != nil {
				return err
			}
		}
		out = call
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// merge merges one event into a call log, as MongoDB's $min, $addToSet
// and $set do.
func merge(call *models.Call, ev models.CallEvent, step models.CallStep) {
	if step.At.Before(call.StartedAt) {
		call.StartedAt = step.At
	}
	dup := false
	for _, s := range call.Steps {
		if s.Status == step.Status && s.At.Equal(step.At) && s.Seq == step.Seq && s.Duration == step.Duration {
			dup = true
			break
		}
	}
	if !dup {
		call.Steps = append(call.Steps, step)
	}
	if ev.TicketID != nil {
		id := *ev.TicketID
		call.TicketID = &id
	}
	if ev.HungUpBy != "" {
		call.HungUpBy = ev.HungUpBy
	}
	if ev.RecordingURL != "" {
		call.RecordingURL, call.RecordingDuration = ev.RecordingURL, ev.RecordingDuration
	}
}

// summarise writes the call's summary onto its ticket unless the one
// there was built from more events (a tie overwrites). A ticket that is
// gone is no error: the call log outlives it.
func summarise(ctx context.Context, c conn, call *models.Call) error {
	var raw string
	err := c.row(ctx, qTicketSummaries, call.TicketID.Hex()).Scan(&raw)
	if errors.Is(err, sql.ErrNoRows) {
		return nil
	}
	if err != nil {
		return err
	}
	docs, err := decodeSummaryDocs(raw)
	if err != nil {
		return fmt.Errorf("ticket %s: %w", call.TicketID.Hex(), err)
	}
	sum := call.Summary()
	if old, ok := docs[call.SID]; ok && old.Steps > sum.Steps {
		return nil
	}
	if docs == nil {
		docs = map[string]summaryDoc{}
	}
	docs[call.SID] = toSummaryDoc(sum)
	enc, err := json.Marshal(docs)
	if err != nil {
		return err
	}
	_, err = c.exec(ctx, qSetTicketSummaries, string(enc), call.TicketID.Hex())
	return err
}

// Get returns one call log by its provider id, or ErrNotFound.
func (r *calls) Get(ctx context.Context, sid string) (*models.Call, error) {
	ctx, cancel := opCtx(ctx)
	defer cancel()
	c, err := scanCall(r.e.reader().row(ctx, qCallBySID, sid))
	if err != nil {
		return nil, r.e.fail("get call", err)
	}
	return c, nil
}

// GetByID returns one call log by its id, or ErrNotFound.
func (r *calls) GetByID(ctx context.Context, id models.ID) (*models.Call, error) {
	ctx, cancel := opCtx(ctx)
	defer cancel()
	c, err := scanCall(r.e.reader().row(ctx, qCallByID, id.Hex()))
	if err != nil {
		return nil, r.e.fail("get call", err)
	}
	return c, nil
}

// ForTicket returns a ticket's calls, newest first (at most 200).
func (r *calls) ForTicket(ctx context.Context, ticketID models.ID) ([]models.Call, error) {
	ctx, cancel := opCtx(ctx)
	defer cancel()
	rows, err := r.e.reader().query(ctx, qCallsForTicket, ticketID.Hex())
	if err != nil {
		return nil, r.e.fail("list calls", err)
	}
	defer rows.Close()
	out := []models.Call{}
	for rows.Next() {
		c, err := scanCall(rows)
		if err != nil {
			return nil, r.e.fail("read calls", err)
		}
		out = append(out, *c)
	}
	return out, r.e.fail("list calls", rows.Err())
}

// scanCall reads callCols.
func scanCall(s scanner) (*models.Call, error) {
	var (
		c                    models.Call
		id, direction, steps string
		ticket               sql.NullString
		started              int64
	)
	err := s.Scan(&id, &c.SID, &c.Provider, &ticket, &direction, &c.From, &c.To, &started, &steps,
		&c.HungUpBy, &c.RecordingURL, &c.RecordingDuration)
	if err != nil {
		return nil, err
	}
	if c.ID, err = models.ParseID(id); err != nil {
		return nil, fmt.Errorf("call %s has a bad id %q", c.SID, id)
	}
	if ticket.Valid {
		tid, err := models.ParseID(ticket.String)
		if err != nil {
			return nil, fmt.Errorf("call %s has a bad ticket id %q", c.SID, ticket.String)
		}
		c.TicketID = &tid
	}
	c.Direction = models.CallDirection(direction)
	c.StartedAt = fromMS(started)
	if c.Steps, err = decodeSteps(steps); err != nil {
		return nil, fmt.Errorf("call %s: %w", c.SID, err)
	}
	return &c, nil
}

// idOrNil stores a missing id as NULL.
func idOrNil(id *models.ID) any {
	if id == nil {
		return nil
	}
	return id.Hex()
}
