package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"math"
	"slices"
	"strings"
	"time"

	"github.com/ringdesk/ringdesk/models"
)

// tickets implements models.TicketRepository.
type tickets struct{ e *engine }

// ticketCols is what a page reads: every column but the idempotency key.
const ticketCols = `number, id, name, phone, description, status, source, created_at, updated_at, calls,
	assignee_id, assignee_name`

// ticketColumns is ticketCols qualified with a table name, for a word
// search, which joins the full-text table and its columns of the same
// names.
func ticketColumns(table string) string {
	cols := strings.Split(ticketCols, ",")
	for i, c := range cols {
		cols[i] = table + "." + strings.TrimSpace(c)
	}
	return strings.Join(cols, ", ")
}

var (
	// The next number is one past both the counter and the highest
	// number stored (a rowid lookup), so tickets restored ahead of their
	// counter can never be handed out again.
	qNextTicketNumber = `INSERT INTO counters (name, value)
		VALUES ('` + models.TicketCounter + `', (SELECT coalesce(max(number), 0) + 1 FROM tickets))
		ON CONFLICT (name) DO UPDATE SET value = max(value + 1, excluded.value) RETURNING value`
	qInsertTicket = `INSERT INTO tickets (number, id, name, phone, description, status, source,
		idempotency_key, created_at, updated_at, calls) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (idempotency_key) DO NOTHING`
	// A ticket is seldom created assigned (an agent opening one for a
	// caller, an import), so the assignee is a second statement then,
	// and the customers' inserts stay as they were.
	qSetAssignee = `UPDATE tickets SET assignee_id = ?, assignee_name = ? WHERE id = ?`
	qTicketByKey = `SELECT ` + ticketCols + `, idempotency_key FROM tickets WHERE idempotency_key = ?`
	qGetTicket   = `SELECT ` + ticketCols + `, idempotency_key FROM tickets WHERE id = ?`
	// One query for every page: the first page starts after a cursor
	// beyond every ticket, which keeps the plan a SEARCH of the index.
	qListTickets = findSQL(models.ViewAll, searchNone)
	// Not closed is open or pending; the IN keeps the plan a search of
	// the counts' primary key.
	qCountOpen = `SELECT ` + countOf(`ticket_counts`, `status = 'open'`) + ` + ` + countOf(`ticket_counts`, `status = 'pending'`)

	// SetStatus and Assign change a ticket only when the value differs,
	// so that setting what is there records nothing on the timeline.
	qSetStatus = `UPDATE tickets SET status = ?1, updated_at = ?2 WHERE id = ?3 AND status <> ?1`
	qAssign    = `UPDATE tickets SET assignee_id = ?1, assignee_name = ?2, updated_at = ?3
		WHERE id = ?4 AND assignee_id IS NOT ?1`
	qTouchTicket    = `UPDATE tickets SET updated_at = ? WHERE id = ?`
	qInsertActivity = `INSERT INTO activities (id, ticket_id, kind, actor_id, actor_name, at,
		body, status, assignee_id, assignee_name) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	// The latest entries, which Timeline turns oldest first.
	qTimeline = `SELECT ` + activityCols + ` FROM activities WHERE ticket_id = ?
		ORDER BY at DESC, id DESC LIMIT ` + fmt.Sprint(models.MaxTimeline)
	qCounts = `SELECT ` + strings.Join([]string{
		countOf(`ticket_counts`, `status = 'open'`),
		countOf(`ticket_counts`, `status = 'pending'`),
		countOf(`ticket_counts`, `status = 'closed'`),
		countOf(`assignee_counts`, `assignee_id = ?`),
		countOf(`assignee_counts`, `assignee_id = ''`),
	}, ", ")
	qForPhone = `SELECT ` + ticketCols + ` FROM tickets WHERE phone = ?
		ORDER BY created_at DESC, id DESC LIMIT ?`
	qTicketForDelete      = `SELECT number, phone FROM tickets WHERE id = ?`
	qOpenTicketsFromPhone = `SELECT id, number FROM tickets WHERE phone = ? AND status <> 'closed'`
	qDeleteActivities     = `DELETE FROM activities WHERE ticket_id = ?`
	qDeleteTicket         = `DELETE FROM tickets WHERE id = ?`
	qInsertDeletion       = `INSERT INTO ticket_deletions (id, ticket_id, number, phone, by_id, by_name, at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`
	qRenameAssignee = `UPDATE tickets SET assignee_name = ?1 WHERE assignee_id = ?2 AND assignee_name IS NOT ?1`
)

// countOf reads one row of a counts table: each a lookup of its primary
// key, where an IN list or a sum over the table would let the planner
// scan it.
func countOf(table, where string) string {
	return `coalesce((SELECT n FROM ` + table + ` WHERE ` + where + `), 0)`
}

// setAssignee stores the assignee of a ticket being created or restored.
func setAssignee(ctx context.Context, c conn, t *models.Ticket) error {
	if t.Assignee == nil {
		return nil
	}
	_, err := c.exec(ctx, qSetAssignee, t.Assignee.ID.Hex(), t.Assignee.Name, t.ID.Hex())
	return err
}

// activityCols is what Timeline and Dump read of an entry.
const activityCols = `id, ticket_id, kind, actor_id, actor_name, at, body, status, assignee_id, assignee_name`

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
		return setAssignee(ctx, c, t)
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

// SetStatus changes the status and records the change on the timeline,
// in one transaction.
func (r *tickets) SetStatus(ctx context.Context, id models.ID, status models.TicketStatus, by models.AgentRef) error {
	if !models.ValidStatus(status) {
		return fmt.Errorf("set ticket status: unknown status %q", status)
	}
	ctx, cancel := opCtx(ctx)
	defer cancel()
	now := models.Now()
	return r.e.write(ctx, "set ticket status", func(c conn) error {
		changed, err := changeTicket(ctx, c, id, qSetStatus, string(status), ms(now), id.Hex())
		if err != nil || !changed {
			return err
		}
		a := models.NewActivity(id, models.ActivityStatus, by, now)
		a.Status = status
		return insertActivity(ctx, c, &a)
	})
}

// Assign changes the assignee and records the change on the timeline, in
// one transaction.
func (r *tickets) Assign(ctx context.Context, id models.ID, to *models.AgentRef, by models.AgentRef) error {
	if to != nil && to.ID.IsZero() {
		return errors.New("assign ticket: an assignee without id")
	}
	ctx, cancel := opCtx(ctx)
	defer cancel()
	now := models.Now()
	assigneeID, assigneeName := refOrNil(to)
	return r.e.write(ctx, "assign ticket", func(c conn) error {
		changed, err := changeTicket(ctx, c, id, qAssign, assigneeID, assigneeName, ms(now), id.Hex())
		if err != nil || !changed {
			return err
		}
		a := models.NewActivity(id, models.ActivityUnassigned, by, now)
		if to != nil {
			ref := *to
			a.Kind, a.Assignee = models.ActivityAssigned, &ref
		}
		return insertActivity(ctx, c, &a)
	})
}

// changeTicket runs an update that changes nothing when the ticket
// already holds the new value, and tells that case from a missing ticket.
func changeTicket(ctx context.Context, c conn, id models.ID, update string, args ...any) (changed bool, err error) {
	res, err := c.exec(ctx, update, args...)
	if err := affected(res, err); !errors.Is(err, models.ErrNotFound) {
		return err == nil, err
	}
	var there bool
	if err := c.row(ctx, qTicketExists, id.Hex()).Scan(&there); err != nil {
		return false, err
	}
	if !there {
		return false, models.ErrNotFound
	}
	return false, nil
}

// AddNote adds the note and marks the ticket updated, in one transaction.
func (r *tickets) AddNote(ctx context.Context, id models.ID, by models.AgentRef, body string) (*models.Activity, error) {
	ctx, cancel := opCtx(ctx)
	defer cancel()
	now := models.Now()
	a := models.NewActivity(id, models.ActivityNote, by, now)
	a.Body = body
	err := r.e.write(ctx, "add note", func(c conn) error {
		res, err := c.exec(ctx, qTouchTicket, ms(now), id.Hex())
		if err := affected(res, err); err != nil {
			return err
		}
		return insertActivity(ctx, c, &a)
	})
	if err != nil {
		return nil, err
	}
	return &a, nil
}

func insertActivity(ctx context.Context, c conn, a *models.Activity) error {
	assigneeID, assigneeName := refOrNil(a.Assignee)
	_, err := c.exec(ctx, qInsertActivity, a.ID.Hex(), a.TicketID.Hex(), string(a.Kind), a.Actor.ID.Hex(), a.Actor.Name,
		ms(a.At), a.Body, string(a.Status), assigneeID, assigneeName)
	return err
}

// Timeline reads the latest entries, newest first from the index, and
// returns them oldest first.
func (r *tickets) Timeline(ctx context.Context, id models.ID) ([]models.Activity, error) {
	ctx, cancel := opCtx(ctx)
	defer cancel()
	rows, err := r.e.reader().query(ctx, qTimeline, id.Hex())
	if err != nil {
		return nil, r.e.fail("read timeline", err)
	}
	defer rows.Close()
	out := []models.Activity{}
	for rows.Next() {
		a, err := scanActivity(rows)
		if err != nil {
			return nil, r.e.fail("read timeline", err)
		}
		out = append(out, *a)
	}
	if err := rows.Err(); err != nil {
		return nil, r.e.fail("read timeline", err)
	}
	slices.Reverse(out)
	return out, nil
}

// List is Find of every ticket.
func (r *tickets) List(ctx context.Context, after *models.Cursor, limit int) ([]models.Ticket, *models.Cursor, error) {
	return r.Find(ctx, models.Query{View: models.ViewAll}, after, limit)
}

// Find runs the one query of a page: see findSQL. One extra row tells
// whether there is a next page.
func (r *tickets) Find(ctx context.Context, q models.Query, after *models.Cursor, limit int) ([]models.Ticket, *models.Cursor, error) {
	if limit <= 0 {
		limit = models.PageSize
	}
	query, args, err := find(q, after, limit+1)
	if err != nil || query == "" {
		return []models.Ticket{}, nil, err
	}
	ctx, cancel := opCtx(ctx)
	defer cancel()
	out, err := r.query(ctx, "find tickets", limit+1, query, args...)
	if err != nil {
		return nil, nil, err
	}
	if q.Search.Words != "" {
		out, next := models.PageByNumber(out, limit)
		return out, next, nil
	}
	out, next := models.Page(out, limit)
	return out, next, nil
}

// query reads the tickets a query returns.
func (r *tickets) query(ctx context.Context, what string, size int, query string, args ...any) ([]models.Ticket, error) {
	rows, err := r.e.reader().query(ctx, query, args...)
	if err != nil {
		return nil, r.e.fail(what, err)
	}
	defer rows.Close()
	out := make([]models.Ticket, 0, size)
	for rows.Next() {
		t, err := scanTicket(rows, false)
		if err != nil {
			return nil, r.e.fail(what, err)
		}
		out = append(out, *t)
	}
	if err := rows.Err(); err != nil {
		return nil, r.e.fail(what, err)
	}
	return out, nil
}

// Counts reads the counts the triggers keep: a few rows of two small
// tables, however many tickets there are.
func (r *tickets) Counts(ctx context.Context, agent models.ID) (models.ViewCounts, error) {
	ctx, cancel := opCtx(ctx)
	defer cancel()
	var (
		c    models.ViewCounts
		open int64
	)
	mine := agent.Hex()
	if agent.IsZero() {
		mine = "-" // nobody's: no row has this key
	}
	err := r.e.reader().row(ctx, qCounts, mine).Scan(&open, &c.Pending, &c.Closed, &c.Mine, &c.Unassigned)
	if err != nil {
		return models.ViewCounts{}, r.e.fail("count tickets", err)
	}
	c.Open = open + c.Pending
	c.All = c.Open + c.Closed
	return c, nil
}

// CountOpen reads the count the triggers keep: two rows, however many
// tickets there are.
func (r *tickets) CountOpen(ctx context.Context) (int64, error) {
	ctx, cancel := opCtx(ctx)
	defer cancel()
	var n int64
	err := r.e.reader().row(ctx, qCountOpen).Scan(&n)
	return n, r.e.fail("count open tickets", err)
}

// ForPhone returns a customer's tickets, newest first, from the phone
// index. Tickets without a number (some voicemails) are nobody's history.
func (r *tickets) ForPhone(ctx context.Context, phone string, limit int) ([]models.Ticket, error) {
	if phone == "" {
		return []models.Ticket{}, nil
	}
	if limit <= 0 {
		limit = models.PageSize
	}
	ctx, cancel := opCtx(ctx)
	defer cancel()
	return r.query(ctx, "tickets for phone", limit, qForPhone, phone, limit)
}

// Delete removes the ticket and its timeline and records the deletion,
// in one transaction.
func (r *tickets) Delete(ctx context.Context, id models.ID, by models.AgentRef) error {
	ctx, cancel := opCtx(ctx)
	defer cancel()
	now := models.Now()
	return r.e.write(ctx, "delete ticket", func(c conn) error {
		t := models.Ticket{ID: id}
		if err := c.row(ctx, qTicketForDelete, id.Hex()).Scan(&t.Number, &t.PhoneNumber); err != nil {
			return err
		}
		return deleteTicket(ctx, c, &t, by, now)
	})
}

// DeleteOpenByPhone deletes every ticket from phone that is not closed,
// each as Delete does, all in one transaction.
func (r *tickets) DeleteOpenByPhone(ctx context.Context, phone string, by models.AgentRef) (int64, error) {
	if phone == "" {
		return 0, &models.ValidationError{Fields: map[string]string{"phone": "This ticket has no phone number."}}
	}
	ctx, cancel := opCtx(ctx)
	defer cancel()
	now := models.Now()
	var n int64
	err := r.e.write(ctx, "delete tickets by phone", func(c conn) error {
		victims, err := openFromPhone(ctx, c, phone)
		if err != nil {
			return err
		}
		for i := range victims {
			if err := deleteTicket(ctx, c, &victims[i], by, now); err != nil {
				return err
			}
		}
		n = int64(len(victims))
		return nil
	})
	if err != nil {
		return 0, err
	}
	return n, nil
}

// openFromPhone reads the tickets DeleteOpenByPhone deletes, all of
// them before any is deleted.
func openFromPhone(ctx context.Context, c conn, phone string) ([]models.Ticket, error) {
	rows, err := c.query(ctx, qOpenTicketsFromPhone, phone)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []models.Ticket
	for rows.Next() {
		t := models.Ticket{PhoneNumber: phone}
		var id string
		if err := rows.Scan(&id, &t.Number); err != nil {
			return nil, err
		}
		if t.ID, err = models.ParseID(id); err != nil {
			return nil, fmt.Errorf("ticket #%d has a bad id %q", t.Number, id)
		}
		out = append(out, t)
	}
	return out, rows.Err()
}

// deleteTicket deletes t (its id, number and phone are enough) with its
// timeline, and records who did it.
func deleteTicket(ctx context.Context, c conn, t *models.Ticket, by models.AgentRef, now time.Time) error {
	if _, err := c.exec(ctx, qDeleteActivities, t.ID.Hex()); err != nil {
		return err
	}
	res, err := c.exec(ctx, qDeleteTicket, t.ID.Hex())
	if err := affected(res, err); err != nil {
		return err
	}
	return insertDeletion(ctx, c, models.NewDeletion(t, by, now))
}

func insertDeletion(ctx context.Context, c conn, d models.Deletion) error {
	_, err := c.exec(ctx, qInsertDeletion, d.ID.Hex(), d.TicketID.Hex(), d.Number, d.PhoneNumber,
		d.By.ID.Hex(), d.By.Name, ms(d.At))
	return err
}

// RenameAgent rewrites the copied name on the agent's tickets, found by
// the assignee index.
func (r *tickets) RenameAgent(ctx context.Context, ref models.AgentRef) error {
	ctx, cancel := opCtx(ctx)
	defer cancel()
	_, err := r.e.writer().exec(ctx, qRenameAssignee, ref.Name, ref.ID.Hex())
	return r.e.fail("rename assignee", err)
}

// scanner is *sql.Row or *sql.Rows.
type scanner interface{ Scan(dest ...any) error }

// scanTicket reads ticketCols, and the idempotency key after them when
// withKey is set.
func scanTicket(s scanner, withKey bool) (*models.Ticket, error) {
	var (
		t                      models.Ticket
		id, status, calls      string
		created, updated       int64
		assigneeID, assigneeNm sql.NullString
	)
	dest := []any{&t.Number, &id, &t.Name, &t.PhoneNumber, &t.Description, &status, &t.Source, &created, &updated, &calls,
		&assigneeID, &assigneeNm}
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
	if t.Assignee, err = scanRef(assigneeID, assigneeNm); err != nil {
		return nil, fmt.Errorf("ticket #%d: %w", t.Number, err)
	}
	return &t, nil
}

// scanActivity reads activityCols.
func scanActivity(s scanner) (*models.Activity, error) {
	var (
		a                      models.Activity
		id, ticket, kind, st   string
		actor                  string
		at                     int64
		assigneeID, assigneeNm sql.NullString
	)
	if err := s.Scan(&id, &ticket, &kind, &actor, &a.Actor.Name, &at, &a.Body, &st, &assigneeID, &assigneeNm); err != nil {
		return nil, err
	}
	var err error
	if a.ID, err = models.ParseID(id); err != nil {
		return nil, fmt.Errorf("timeline entry has a bad id %q", id)
	}
	if a.TicketID, err = models.ParseID(ticket); err != nil {
		return nil, fmt.Errorf("timeline entry %s has a bad ticket id %q", id, ticket)
	}
	if a.Actor.ID, err = models.ParseID(actor); err != nil {
		return nil, fmt.Errorf("timeline entry %s has a bad agent id %q", id, actor)
	}
	a.Kind, a.Status, a.At = models.ActivityKind(kind), models.TicketStatus(st), fromMS(at)
	if a.Assignee, err = scanRef(assigneeID, assigneeNm); err != nil {
		return nil, fmt.Errorf("timeline entry %s: %w", id, err)
	}
	return &a, nil
}

// scanRef reads an agent stored as an id and a name, both NULL for none.
func scanRef(id, name sql.NullString) (*models.AgentRef, error) {
	if !id.Valid {
		return nil, nil
	}
	ref := &models.AgentRef{Name: name.String}
	var err error
	if ref.ID, err = models.ParseID(id.String); err != nil {
		return nil, fmt.Errorf("bad agent id %q", id.String)
	}
	return ref, nil
}

// refOrNil stores a missing agent as NULLs.
func refOrNil(ref *models.AgentRef) (id, name any) {
	if ref == nil {
		return nil, nil
	}
	return ref.ID.Hex(), ref.Name
}

// searchKind is what kind of search a page runs, if any.
type searchKind int

const (
	searchNone searchKind = iota
	searchNumber
	searchPhone
	searchWords
)

func kindOf(s models.Search) searchKind {
	switch {
	case s.Number != 0:
		return searchNumber
	case s.Phone != "":
		return searchPhone
	case s.Words != "":
		return searchWords
	}
	return searchNone
}

// viewWhere is a view's condition on tickets, worded exactly as the
// WHERE clause of the view's partial index (see migration 0003): SQLite
// uses a partial index only for a query that repeats its condition.
// ViewMine's has a parameter, the agent.
func viewWhere(v models.View) string {
	switch v {
	case models.ViewOpen:
		return `status <> 'closed'`
	case models.ViewMine:
		return `assignee_id = ? AND status <> 'closed'`
	case models.ViewUnassigned:
		return `assignee_id IS NULL AND status <> 'closed'`
	case models.ViewPending:
		return `status = 'pending'`
	case models.ViewClosed:
		return `status = 'closed'`
	}
	return ""
}

// viewTag is the word of the tickets' tags column (migration 0003) that
// marks the tickets of a view, for word searches; "" for ViewAll.
func viewTag(v models.View, agent models.ID) string {
	switch v {
	case models.ViewOpen:
		return "zzlive0"
	case models.ViewMine:
		return "zzmine" + agent.Hex() + "0"
	case models.ViewUnassigned:
		return "zzunassigned0"
	case models.ViewPending:
		return "zzspending0"
	case models.ViewClosed:
		return "zzsclosed0"
	}
	return ""
}

// findSQL is the query of a page of view v searched by k. Every view and
// search but words is a walk down one index in the order of the page
// (the view's, or the phone number's or the ticket number's), starting
// after the cursor and stopping after a page. A word search asks the
// full-text index, whose rowid is the ticket number, for the tickets
// that have the words and the view's tag, in number order, from the
// cursor's number on: an intersection of posting lists that also stops
// after a page. Its parameters come in this order: the agent (ViewMine),
// the search, the cursor (its time and id, or for words its number), and
// the limit.
func findSQL(v models.View, k searchKind) string {
	if k == searchWords {
		return `SELECT ` + ticketColumns("t") + ` FROM tickets_fts f JOIN tickets t ON t.number = f.rowid
		WHERE tickets_fts MATCH ? AND f.rowid < ? ORDER BY f.rowid DESC LIMIT ?`
	}
	var where []string
	if w := viewWhere(v); w != "" {
		where = append(where, w)
	}
	switch k {
	case searchNumber:
		where = append(where, `number = ?`)
	case searchPhone:
		where = append(where, `phone = ?`)
	}
	where = append(where, `(created_at, id) < (?, ?)`)
	return `SELECT ` + ticketCols + ` FROM tickets WHERE ` + strings.Join(where, " AND ") +
		` ORDER BY created_at DESC, id DESC LIMIT ?`
}

// findQueries holds findSQL's result for every view and search, so that
// each is built once and prepared once.
var findQueries = func() map[models.View][4]string {
	m := map[models.View][4]string{}
	for _, v := range models.Views {
		var qs [4]string
		for k := searchNone; k <= searchWords; k++ {
			qs[k] = findSQL(v, k)
		}
		m[v] = qs
	}
	return m
}()

// find returns Find's query and its arguments, or no query when nothing
// can match (Mine of nobody, words that no index holds).
func find(q models.Query, after *models.Cursor, limit int) (string, []any, error) {
	v := q.View
	if v == "" {
		v = models.ViewOpen
	}
	qs, ok := findQueries[v]
	if !ok {
		return "", nil, fmt.Errorf("find tickets: unknown view %q", q.View)
	}
	if v == models.ViewMine && q.Agent.IsZero() {
		return "", nil, nil
	}
	k := kindOf(q.Search)
	if k == searchWords {
		match := matchExpr(q.Search.Terms(), viewTag(v, q.Agent))
		if match == "" {
			return "", nil, nil
		}
		number := int64(math.MaxInt64)
		if after != nil {
			if after.Number < 1 {
				return "", nil, fmt.Errorf("find tickets: a word search's cursor without a number: %w", models.ErrBadCursor)
			}
			number = after.Number
		}
		return qs[k], []any{match, number, limit}, nil
	}
	var args []any
	if v == models.ViewMine {
		args = append(args, q.Agent.Hex())
	}
	switch k {
	case searchNumber:
		args = append(args, q.Search.Number)
	case searchPhone:
		args = append(args, q.Search.Phone)
	}
	at, id := int64(math.MaxInt64), ""
	if after != nil {
		at, id = ms(after.CreatedAt), after.ID.Hex()
	}
	return qs[k], append(args, at, id, limit), nil
}

// matchExpr is the full-text query for terms in names and descriptions,
// all of them, each a quoted string (so that nothing a person types is
// read as query syntax), within the view whose tag is given.
func matchExpr(terms []string, tag string) string {
	if len(terms) == 0 {
		return ""
	}
	quoted := make([]string, len(terms))
	for i, t := range terms {
		quoted[i] = `"` + strings.ReplaceAll(t, `"`, `""`) + `"`
	}
	expr := `{name description} : (` + strings.Join(quoted, " ") + `)`
	if tag != "" {
		expr += ` AND tags : "` + tag + `"`
	}
	return expr
}
