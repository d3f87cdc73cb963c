package mongo

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/ringdesk/ringdesk/models"
)

// maxNumberAttempts bounds Create's draws of a ticket number. On MongoDB
// the $inc is atomic and one draw suffices: a drawn number can only be
// taken when tickets were imported past the counter (Restore raises the
// counter, but an import may stop between the two). The FerretDB stand-in
// runs $inc as a read followed by a write, so concurrent creates draw the
// same number; the unique index on number refuses all but one, and the
// others draw again. The bound is that many only for the stand-in: the
// conformance suite's 32 simultaneous creates needed up to 40 draws there.
const maxNumberAttempts = 64

// ticketRepo keeps tickets in "tickets" and their numbers in "counters",
// their timelines in "activities" and the record of deleted tickets in
// "ticket_deletions".
type ticketRepo struct {
	coll     *mongo.Collection
	counters *mongo.Collection
}

// The collections beside "tickets", in its database.
func (r *ticketRepo) activities() *mongo.Collection {
	return r.coll.Database().Collection("activities")
}

func (r *ticketRepo) deletions() *mongo.Collection {
	return r.coll.Database().Collection("ticket_deletions")
}

func (r *ticketRepo) Create(ctx context.Context, t *models.Ticket) (created bool, err error) {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	clientKey := t.IdempotencyKey != ""
	models.PrepareTicket(t, models.Now())
	// A replay is answered before a number is drawn, so retried and
	// rejected submissions use none up. Only two submissions with one key
	// that pass this check together leave a gap: the loser's number.
	if clientKey {
		if done, err := r.replay(ctx, t); done || err != nil {
			return false, err
		}
	}
	for attempt := 1; ; attempt++ {
		num, err := r.nextNumber(ctx)
		if err != nil {
			return false, err
		}
		t.Number = num
		_, err = r.coll.InsertOne(ctx, t)
		if err == nil {
			return true, nil
		}
		if !mongo.IsDuplicateKeyError(err) {
			return false, storeErr("insert ticket", err)
		}
		// The duplicate is either the idempotency key or the number.
		if done, err := r.replay(ctx, t); done || err != nil {
			return false, err
		}
		if attempt == maxNumberAttempts {
			return false, fmt.Errorf("insert ticket: ticket number %d and %d before it were taken: %w",
				num, maxNumberAttempts-1, models.ErrConflict)
		}
	}
}

// replay looks for a stored ticket with t's idempotency key. done reports
// that there is one: t then holds it, or err is ErrConflict when it holds
// other content.
func (r *ticketRepo) replay(ctx context.Context, t *models.Ticket) (done bool, err error) {
	var first models.Ticket
	err = r.coll.FindOne(ctx, bson.M{"idempotencyKey": t.IdempotencyKey}).Decode(&first)
	switch {
	case errors.Is(err, mongo.ErrNoDocuments):
		return false, nil
	case err != nil:
		return false, storeErr("find ticket by idempotency key", err)
	case !models.SameSubmission(&first, t):
		return true, fmt.Errorf("create ticket: idempotency key reused for a different ticket: %w", models.ErrConflict)
	}
	*t = first
	return true, nil
}

// nextNumber increments the ticket counter in one atomic update.
func (r *ticketRepo) nextNumber(ctx context.Context) (int64, error) {
	var doc struct {
		Seq int64 `bson:"seq"`
	}
	opts := options.FindOneAndUpdate().SetUpsert(true).SetReturnDocument(options.After)
	update := bson.M{"$inc": bson.M{"seq": int64(1)}}
	err := r.counters.FindOneAndUpdate(ctx, bson.M{"_id": models.TicketCounter}, update, opts).Decode(&doc)
	if mongo.IsDuplicateKeyError(err) {
		// Two first tickets raced to create the counter; the loser
		// increments the winner's. (MongoDB retries such upserts itself;
		// FerretDB does not.)
		err = r.counters.FindOneAndUpdate(ctx, bson.M{"_id": models.TicketCounter}, update, opts).Decode(&doc)
	}
	if err != nil {
		return 0, storeErr("next ticket number", err)
	}
	return doc.Seq, nil
}

func (r *ticketRepo) Get(ctx context.Context, id models.ID) (*models.Ticket, error) {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	var t models.Ticket
	if err := r.coll.FindOne(ctx, bson.M{"_id": id}).Decode(&t); err != nil {
		return nil, storeErr("get ticket "+id.Hex(), err)
	}
	return &t, nil
}

// live is the statuses of tickets that are not closed. A list of
// values, not $ne "closed", so that a view of them is a merge of two
// ranges of the status index, already in the page's order.
var live = bson.M{"$in": bson.A{models.StatusOpen, models.StatusPending}}

// SetStatus changes the status only if it differs, then records the
// change on the timeline. MongoDB has no transaction here (a replica set
// would be needed): a failure between the two writes loses the entry,
// never the change.
func (r *ticketRepo) SetStatus(ctx context.Context, id models.ID, status models.TicketStatus, by models.AgentRef) error {
	if !models.ValidStatus(status) {
		return fmt.Errorf("set ticket status: unknown status %q", status)
	}
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	now := models.Now()
	changed, err := r.change(ctx, "set ticket status", id, bson.M{"status": bson.M{"$ne": status}},
		bson.M{"$set": bson.M{"status": status, "updatedAt": now}})
	if err != nil || !changed {
		return err
	}
	a := models.NewActivity(id, models.ActivityStatus, by, now)
	a.Status = status
	return r.insertActivity(ctx, &a)
}

// Assign changes the assignee only if it differs, then records the
// change on the timeline, as SetStatus does.
func (r *ticketRepo) Assign(ctx context.Context, id models.ID, to *models.AgentRef, by models.AgentRef) error {
	if to != nil && to.ID.IsZero() {
		return errors.New("assign ticket: an assignee without id")
	}
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	now := models.Now()
	a := models.NewActivity(id, models.ActivityUnassigned, by, now)
	differs := bson.M{"assignee": bson.M{"$exists": true}}
	update := bson.M{"$set": bson.M{"updatedAt": now}, "$unset": bson.M{"assignee": ""}}
	if to != nil {
		ref := *to
		a.Kind, a.Assignee = models.ActivityAssigned, &ref
		differs = bson.M{"assignee.id": bson.M{"$ne": ref.ID}}
		update = bson.M{"$set": bson.M{"assignee": ref, "updatedAt": now}}
	}
	changed, err := r.change(ctx, "assign ticket", id, differs, update)
	if err != nil || !changed {
		return err
	}
	return r.insertActivity(ctx, &a)
}

// change applies update to the ticket if it matches differs, and tells
// a ticket that already held the new value from a missing one.
func (r *ticketRepo) change(ctx context.Context, op string, id models.ID, differs, update bson.M) (bool, error) {
	filter := bson.M{"_id": id}
	for k, v := range differs {
		filter[k] = v
	}
	res, err := r.coll.UpdateOne(ctx, filter, update)
	if err != nil {
		return false, storeErr(op, err)
	}
	if res.MatchedCount > 0 {
		return true, nil
	}
	return false, r.exists(ctx, op, id)
}

// exists is nil for a stored ticket and ErrNotFound for a missing one.
func (r *ticketRepo) exists(ctx context.Context, op string, id models.ID) error {
	err := r.coll.FindOne(ctx, bson.M{"_id": id}, options.FindOne().SetProjection(bson.M{"_id": 1})).Err()
	if errors.Is(err, mongo.ErrNoDocuments) {
		return fmt.Errorf("%s: ticket %s: %w", op, id.Hex(), models.ErrNotFound)
	}
	return storeErr(op, err)
}

func (r *ticketRepo) insertActivity(ctx context.Context, a *models.Activity) error {
	_, err := r.activities().InsertOne(ctx, a)
	return storeErr("record on the timeline", err)
}

// AddNote marks the ticket updated, which also tells a missing ticket,
// and then adds the note.
func (r *ticketRepo) AddNote(ctx context.Context, id models.ID, by models.AgentRef, body string) (*models.Activity, error) {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	now := models.Now()
	res, err := r.coll.UpdateOne(ctx, bson.M{"_id": id}, bson.M{"$set": bson.M{"updatedAt": now}})
	if err != nil {
		return nil, storeErr("add note", err)
	}
	if res.MatchedCount == 0 {
		return nil, fmt.Errorf("add note to ticket %s: %w", id.Hex(), models.ErrNotFound)
	}
	a := models.NewActivity(id, models.ActivityNote, by, now)
	a.Body = body
	if err := r.insertActivity(ctx, &a); err != nil {
		return nil, err
	}
	return &a, nil
}

// Timeline reads the latest entries from the {ticketId, at} index and
// returns them oldest first.
func (r *ticketRepo) Timeline(ctx context.Context, id models.ID) ([]models.Activity, error) {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	cur, err := r.activities().Find(ctx, bson.M{"ticketId": id}, options.Find().
		SetSort(bson.D{{Key: "at", Value: -1}, {Key: "_id", Value: -1}}).
		SetLimit(models.MaxTimeline))
	if err != nil {
		return nil, storeErr("read timeline", err)
	}
	out := []models.Activity{}
	if err := cur.All(ctx, &out); err != nil {
		return nil, storeErr("read timeline", err)
	}
	slices.Reverse(out)
	return out, nil
}

// List is Find of every ticket.
func (r *ticketRepo) List(ctx context.Context, after *models.Cursor, limit int) ([]models.Ticket, *models.Cursor, error) {
	return r.Find(ctx, models.Query{View: models.ViewAll}, after, limit)
}

// viewFilter selects a view's tickets, in the terms of the indexes:
// {status, createdAt, _id} for Open, Pending and Closed, {assignee.id,
// status, createdAt, _id} for Mine and Unassigned (a ticket nobody holds
// has no assignee, which the index keeps as null).
func viewFilter(v models.View, agent models.ID) (bson.M, error) {
	switch v {
	case models.ViewOpen, "":
		return bson.M{"status": live}, nil
	case models.ViewMine:
		return bson.M{"assignee.id": agent, "status": live}, nil
	case models.ViewUnassigned:
		return bson.M{"assignee.id": nil, "status": live}, nil
	case models.ViewPending:
		return bson.M{"status": models.StatusPending}, nil
	case models.ViewClosed:
		return bson.M{"status": models.StatusClosed}, nil
	case models.ViewAll:
		return bson.M{}, nil
	}
	return nil, fmt.Errorf("find tickets: unknown view %q", v)
}

// Find runs exactly one query. Views and searches by phone or number are
// answered from the indexes in the page's order; a word search from the
// text index, in number order, which MongoDB sorts after matching.
func (r *ticketRepo) Find(ctx context.Context, q models.Query, after *models.Cursor, limit int) ([]models.Ticket, *models.Cursor, error) {
	if limit <= 0 {
		limit = models.PageSize
	}
	filter, err := viewFilter(q.View, q.Agent)
	if err != nil {
		return nil, nil, err
	}
	if q.View == models.ViewMine && q.Agent.IsZero() {
		return []models.Ticket{}, nil, nil
	}
	sort := bson.D{{Key: "createdAt", Value: -1}, {Key: "_id", Value: -1}}
	words := q.Search.Words != ""
	switch {
	case q.Search.Number != 0:
		filter["number"] = q.Search.Number
	case q.Search.Phone != "":
		filter["phoneNumber"] = q.Search.Phone
	case words:
		phrases := textSearch(q.Search.Terms())
		if phrases == "" {
			return []models.Ticket{}, nil, nil
		}
		filter["$text"] = bson.M{"$search": phrases}
		sort = bson.D{{Key: "number", Value: -1}}
	}
	switch {
	case after == nil:
	case words && after.Number < 1:
		return nil, nil, fmt.Errorf("find tickets: a word search's cursor without a number: %w", models.ErrBadCursor)
	case words:
		filter["number"] = bson.M{"$lt": after.Number}
	default:
		filter["$or"] = bson.A{
			bson.M{"createdAt": bson.M{"$lt": after.CreatedAt}},
			bson.M{"createdAt": after.CreatedAt, "_id": bson.M{"$lt": after.ID}},
		}
	}
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	tickets, err := r.find(ctx, "find tickets", filter, sort, limit+1)
	if err != nil {
		return nil, nil, err
	}
	if words {
		tickets, next := models.PageByNumber(tickets, limit)
		return tickets, next, nil
	}
	tickets, next := models.Page(tickets, limit)
	return tickets, next, nil
}

// textSearch asks $text for every term: each is quoted as a phrase,
// because $text ORs plain terms and ANDs phrases. A backslash would
// escape the closing quote.
func textSearch(terms []string) string {
	quoted := make([]string, 0, len(terms))
	for _, t := range terms {
		if t = strings.TrimSpace(strings.ReplaceAll(t, `\`, " ")); t != "" {
			quoted = append(quoted, `"`+t+`"`)
		}
	}
	return strings.Join(quoted, " ")
}

func (r *ticketRepo) find(ctx context.Context, op string, filter bson.M, sort bson.D, limit int) ([]models.Ticket, error) {
	opts := options.Find().
		SetSort(sort).
		SetLimit(int64(limit)).
		SetProjection(bson.M{"idempotencyKey": 0}) // nobody reads it from a list
	cur, err := r.coll.Find(ctx, filter, opts)
	if err != nil {
		return nil, storeErr(op, err)
	}
	tickets := make([]models.Ticket, 0, limit)
	if err := cur.All(ctx, &tickets); err != nil {
		return nil, storeErr(op, err)
	}
	return tickets, nil
}

// Counts counts each view from its index, the counts running side by
// side; All is Open and Closed together, since every ticket is one or
// the other.
func (r *ticketRepo) Counts(ctx context.Context, agent models.ID) (models.ViewCounts, error) {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	var c models.ViewCounts
	counts := []struct {
		n      *int64
		filter bson.M
	}{
		{&c.Open, bson.M{"status": live}},
		{&c.Unassigned, bson.M{"assignee.id": nil, "status": live}},
		{&c.Pending, bson.M{"status": models.StatusPending}},
		{&c.Closed, bson.M{"status": models.StatusClosed}},
	}
	if !agent.IsZero() {
		counts = append(counts, struct {
			n      *int64
			filter bson.M
		}{&c.Mine, bson.M{"assignee.id": agent, "status": live}})
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		errs []error
	)
	for _, cn := range counts {
		wg.Go(func() {
			n, err := r.coll.CountDocuments(ctx, cn.filter)
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				errs = append(errs, err)
				return
			}
			*cn.n = n
		})
	}
	wg.Wait()
	if err := errors.Join(errs...); err != nil {
		return models.ViewCounts{}, storeErr("count tickets", err)
	}
	c.All = c.Open + c.Closed
	return c, nil
}

// CountOpen counts the tickets that are not closed, from the {status,
// createdAt, _id} index on MongoDB; FerretDB scans.
func (r *ticketRepo) CountOpen(ctx context.Context) (int64, error) {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	n, err := r.coll.CountDocuments(ctx, bson.M{"status": live})
	if err != nil {
		return 0, storeErr("count open tickets", err)
	}
	return n, nil
}

// ForPhone reads a customer's tickets from the {phoneNumber, createdAt,
// _id} index. Tickets without a number (some voicemails) are nobody's
// history.
func (r *ticketRepo) ForPhone(ctx context.Context, phone string, limit int) ([]models.Ticket, error) {
	if phone == "" {
		return []models.Ticket{}, nil
	}
	if limit <= 0 {
		limit = models.PageSize
	}
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	return r.find(ctx, "tickets for phone", bson.M{"phoneNumber": phone},
		bson.D{{Key: "createdAt", Value: -1}, {Key: "_id", Value: -1}}, limit)
}

// Delete deletes the ticket, then records the deletion and deletes the
// timeline. Of two agents deleting one ticket at once, one deletes it
// and the other gets ErrNotFound.
func (r *ticketRepo) Delete(ctx context.Context, id models.ID, by models.AgentRef) error {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	_, err := r.delete(ctx, bson.M{"_id": id}, by, models.Now())
	return err
}

// DeleteOpenByPhone finds the caller's tickets that are not closed and
// deletes each as Delete does, unless it was closed meanwhile.
func (r *ticketRepo) DeleteOpenByPhone(ctx context.Context, phone string, by models.AgentRef) (int64, error) {
	if phone == "" {
		return 0, &models.ValidationError{Fields: map[string]string{"phone": "This ticket has no phone number."}}
	}
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	cur, err := r.coll.Find(ctx, bson.M{"phoneNumber": phone, "status": live},
		options.Find().SetProjection(bson.M{"_id": 1}))
	if err != nil {
		return 0, storeErr("find tickets by phone", err)
	}
	var ids []struct {
		ID models.ID `bson:"_id"`
	}
	if err := cur.All(ctx, &ids); err != nil {
		return 0, storeErr("find tickets by phone", err)
	}
	now := models.Now()
	var n int64
	for _, t := range ids {
		deleted, err := r.delete(ctx, bson.M{"_id": t.ID, "status": live}, by, now)
		switch {
		case errors.Is(err, models.ErrNotFound):
			// Deleted or closed meanwhile.
		case err != nil:
			return n, err
		case deleted:
			n++
		}
	}
	return n, nil
}

// delete deletes the one ticket filter matches, records who did it and
// deletes its timeline.
func (r *ticketRepo) delete(ctx context.Context, filter bson.M, by models.AgentRef, now time.Time) (bool, error) {
	var t models.Ticket
	err := r.coll.FindOneAndDelete(ctx, filter).Decode(&t)
	if err != nil {
		return false, storeErr("delete ticket", err)
	}
	if _, err := r.deletions().InsertOne(ctx, models.NewDeletion(&t, by, now)); err != nil {
		return true, storeErr("record deletion", err)
	}
	if _, err := r.activities().DeleteMany(ctx, bson.M{"ticketId": t.ID}); err != nil {
		return true, storeErr("delete timeline", err)
	}
	return true, nil
}

// RenameAgent rewrites the copied name with one update of the agent's
// tickets, found by the {assignee.id, ...} index.
func (r *ticketRepo) RenameAgent(ctx context.Context, ref models.AgentRef) error {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	_, err := r.coll.UpdateMany(ctx, bson.M{"assignee.id": ref.ID, "assignee.name": bson.M{"$ne": ref.Name}},
		bson.M{"$set": bson.M{"assignee.name": ref.Name}})
	return storeErr("rename assignee", err)
}
