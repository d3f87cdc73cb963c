package mongo

import (
	"context"
	"errors"
	"fmt"

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

// ticketRepo keeps tickets in "tickets" and their numbers in "counters".
type ticketRepo struct {
	coll     *mongo.Collection
	counters *mongo.Collection
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

func (r *ticketRepo) SetStatus(ctx context.Context, id models.ID, status models.TicketStatus) error {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	res, err := r.coll.UpdateOne(ctx, bson.M{"_id": id},
		bson.M{"$set": bson.M{"status": status, "updatedAt": models.Now()}})
	if err != nil {
		return storeErr("set ticket status", err)
	}
	if res.MatchedCount == 0 {
		return fmt.Errorf("set status of ticket %s: %w", id.Hex(), models.ErrNotFound)
	}
	return nil
}

// List runs exactly one query, on the {createdAt, _id} index: one extra
// ticket tells whether a next page exists.
func (r *ticketRepo) List(ctx context.Context, after *models.Cursor, limit int) ([]models.Ticket, *models.Cursor, error) {
	if limit <= 0 {
		limit = models.PageSize
	}
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	filter := bson.M{}
	if after != nil {
		filter = bson.M{"$or": bson.A{
			bson.M{"createdAt": bson.M{"$lt": after.CreatedAt}},
			bson.M{"createdAt": after.CreatedAt, "_id": bson.M{"$lt": after.ID}},
		}}
	}
	opts := options.Find().
		SetSort(bson.D{{Key: "createdAt", Value: -1}, {Key: "_id", Value: -1}}).
		SetLimit(int64(limit + 1)).
		SetProjection(bson.M{"idempotencyKey": 0}) // nobody reads it from a list
	cur, err := r.coll.Find(ctx, filter, opts)
	if err != nil {
		return nil, nil, storeErr("list tickets", err)
	}
	tickets := make([]models.Ticket, 0, limit+1)
	if err := cur.All(ctx, &tickets); err != nil {
		return nil, nil, storeErr("read tickets", err)
	}
	tickets, next := models.Page(tickets, limit)
	return tickets, next, nil
}

// CountOpen is answered from the {status, createdAt} index on MongoDB;
// FerretDB scans.
func (r *ticketRepo) CountOpen(ctx context.Context) (int64, error) {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	n, err := r.coll.CountDocuments(ctx, bson.M{"status": models.StatusOpen})
	if err != nil {
		return 0, storeErr("count open tickets", err)
	}
	return n, nil
}
