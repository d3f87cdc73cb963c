package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"

	"github.com/ringdesk/ringdesk/models"
)

// tickets implements models.TicketRepository.
type tickets struct{ e *engine }

// ticketCols is what List reads: every column but the idempotency key.
const ticketCols = `number, id, name, phone, description, status, source, created_at, updated_at, calls`

const (
	// The next number is one past both the counter and the highest
	// number stored (a rowid lookup), so tickets restored ahead of their
	// counter can never be handed out again.
	qNextTicketNumber = `INSERT INTO counters (name, value)
		VALUES ('` + models.TicketCounter + `', (SELECT coalesce(max(number), 0) + 1 FROM tickets))
		ON CONFLICT (name) DO UPDATE SET value = max(value + 1, excluded.value) RETURNING value`
	qInsertTicket = `INSERT INTO tickets (number, id, name, phone, description, status, source,
		idempotency_key, created_at, updated_at, calls) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (idempotency_key) DO NOTHING`
	qTicketByKey = `SELECT ` + ticketCols + `, idempotency_key FROM tickets WHERE idempotency_key = ?`
	qGetTicket   = `SELECT ` + ticketCols + `, idempotency_key FROM tickets WHERE id = ?`
	qSetStatus   = `UPDATE tickets SET status = ?, updated_at = ? WHERE id = ?`
	// One query for every page: the first page starts after a cursor
	// beyond every ticket, which keeps the plan a SEARCH of the index.
	qListTickets = `SELECT ` + ticketCols + ` FROM tickets
		WHERE (created_at, id) < (?, ?) ORDER BY created_at DESC, id DESC LIMIT ?`
	qCountOpen = `SELECT n FROM ticket_counts WHERE status = 'open'`
)

// errReplay rolls back a Create whose idempotency key is already used.
var errReplay = errors.New("idempotency key already used")

// Create draws the next number and inserts the ticket in one write
// transaction. A key already used rolls the transaction back, so a
// replayed submission uses up no number, and no number is ever drawn
// twice.
func (r *tickets) Create(ctx context.Context, t *models.Ticket) (created bool, err error) {
	ctx, cancel := opCtx(ctx)
	defer cancel()
	models.PrepareTicket(t, models.Now())
	var first *models.Ticket
	err = r.e.write(ctx, "create ticket", func(c conn) error {
		var num int64
		if err := c.row(ctx, qNextTicketNumber).Scan(&num); err != nil {
			return err
		}
		calls, err := encodeSummaries(t.Calls)
		if err != nil {
			return err
		}
		res, err := c.exec(ctx, qInsertTicket, num, t.ID.Hex(), t.Name, t.PhoneNumber, t.Description,
			string(t.Status), t.Source, t.IdempotencyKey, ms(t.CreatedAt), ms(t.UpdatedAt), calls)
		if err := affected(res, err); errors.Is(err, models.ErrNotFound) {
			first, err = scanTicket(c.row(ctx, qTicketByKey, t.IdempotencyKey), true)
			if err != nil {
				return err
			}
			return errReplay
		} else if err != nil {
			return err
		}
		t.Number = num
		return nil
	})
	if !errors.Is(err, errReplay) {
		return err == nil, err
	}
	if !models.SameSubmission(first, t) {
		return false, fmt.Errorf("create ticket: idempotency key reused for a different ticket: %w", models.ErrConflict)
	}
	*t = *first
	return false, nil
}

// Get returns one ticket, or ErrNotFound.
func (r *tickets) Get(ctx context.Context, id models.ID) (*models.Ticket, error) {
	ctx, cancel := opCtx(ctx)
	defer cancel()
	t, err := scanTicket(r.e.reader().row(ctx, qGetTicket, id.Hex()), true)
	if err != nil {
		return nil, r.e.fail("get ticket", err)
	}
	return t, nil
}

// SetStatus opens or closes a ticket; ErrNotFound if it is missing.
func (r *tickets) SetStatus(ctx context.Context, id models.ID, status models.TicketStatus) error {
	if _, ok := models.ParseStatus(string(status)); !ok {
		return fmt.Errorf("set ticket status: unknown status %q", status)
	}
	ctx, cancel := opCtx(ctx)
	defer cancel()
	res, err := r.e.writer().exec(ctx, qSetStatus, string(status), ms(models.Now()), id.Hex())
	return r.e.fail("set ticket status", affected(res, err))
}

// List returns up to limit tickets, newest first, after the cursor, in
// one query: one extra row tells whether there is a next page.
func (r *tickets) List(ctx context.Context, after *models.Cursor, limit int) ([]models.Ticket, *models.Cursor, error) {
	if limit <= 0 {
		limit = models.PageSize
	}
	ctx, cancel := opCtx(ctx)
	defer cancel()
	at, id := int64(math.MaxInt64), ""
	if after != nil {
		at, id = ms(after.CreatedAt), after.ID.Hex()
	}
	rows, err := r.e.reader().query(ctx, qListTickets, at, id, limit+1)
	if err != nil {
		return nil, nil, r.e.fail("list tickets", err)
	}
	defer rows.Close()
	out := make([]models.Ticket, 0, limit+1)
	for rows.Next() {
		t, err := scanTicket(rows, false)
		if err != nil {
			return nil, nil, r.e.fail("read tickets", err)
		}
		out = append(out, *t)
	}
	if err := rows.Err(); err != nil {
		return nil, nil, r.e.fail("list tickets", err)
	}
	out, next := models.Page(out, limit)
	return out, next, nil
}

// CountOpen reads the count the triggers keep: one row, however many
// tickets there are.
func (r *tickets) CountOpen(ctx context.Context) (int64, error) {
	ctx, cancel := opCtx(ctx)
	defer cancel()
	var n int64
	err := r.e.reader().row(ctx, qCountOpen).Scan(&n)
	if errors.Is(err, sql.ErrNoRows) {
		return 0, nil
	}
	return n, r.e.fail("count open tickets", err)
}

// scanner is *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// scanTicket reads ticketCols, and the idempotency key after them when
// withKey is set.
func scanTicket(s scanner, withKey bool) (*models.Ticket, error) {
	var (
		t                 models.Ticket
		id, status, calls string
		created, updated  int64
	)
	dest := []any{&t.Number, &id, &t.Name, &t.PhoneNumber, &t.Description, &status, &t.Source, &created, &updated, &calls}
	if withKey {
		dest = append(dest, &t.IdempotencyKey)
	}
	if err := s.Scan(dest...); err != nil {
		return nil, err
	}
	var err error
	if t.ID, err = models.ParseID(id); err != nil {
		return nil, fmt.Errorf("ticket #%d has a bad id %q", t.Number, id)
	}
	t.Status = models.TicketStatus(status)
	t.CreatedAt, t.UpdatedAt = fromMS(created), fromMS(updated)
	if t.Calls, err = decodeSummaries(calls); err != nil {
		return nil, fmt.Errorf("ticket #%d: %w", t.Number, err)
	}
	return &t, nil
}
