package mongo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/ringdesk/ringdesk/models"
)

// queueRepo keeps the line of customers' calls in "call_queue", one
// document per call, kept after it leaves the line.
type queueRepo struct {
	coll *mongo.Collection
}

// inLine selects the calls in line; with a range on joinedAt and _id it
// is one range of the {state, joinedAt, _id} index.
var inLine = bson.M{"$in": bson.A{models.QueueWaiting, models.QueueRinging}}

// Join is one upsert whose $setOnInsert leaves an entry already there
// untouched, so a retried webhook keeps its place.
func (r *queueRepo) Join(ctx context.Context, e models.QueueEntry) (models.QueueEntry, error) {
	if err := models.PrepareQueueEntry(&e, models.Now()); err != nil {
		return models.QueueEntry{}, fmt.Errorf("join queue: %w", err)
	}
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	opts := options.FindOneAndUpdate().SetUpsert(true).SetReturnDocument(options.After)
	var out models.QueueEntry
	err := r.coll.FindOneAndUpdate(ctx, bson.M{"sid": e.SID}, bson.M{"$setOnInsert": e}, opts).Decode(&out)
	if mongo.IsDuplicateKeyError(err) {
		// Two Joins raced to insert and the unique sid index refused
		// this one: the other's entry is the call's.
		err = r.coll.FindOne(ctx, bson.M{"sid": e.SID}).Decode(&out)
		if errors.Is(err, mongo.ErrNoDocuments) {
			// No entry has the SID: the id given was another call's.
			return models.QueueEntry{}, fmt.Errorf("join queue: id %s is taken: %w", e.ID.Hex(), models.ErrConflict)
		}
	}
	if err != nil {
		return models.QueueEntry{}, storeErr("join queue", err)
	}
	return out, nil
}

func (r *queueRepo) Get(ctx context.Context, sid string) (*models.QueueEntry, error) {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	var e models.QueueEntry
	if err := r.coll.FindOne(ctx, bson.M{"sid": sid}).Decode(&e); err != nil {
		return nil, storeErr("get queue entry "+sid, err)
	}
	return &e, nil
}

// Position takes two round trips, the entry by its unique sid and then a
// count of one range of the line index, because a find cannot count
// relative to another document. A call ahead that leaves in between
// makes the answer a moment old, which a place announced to a caller on
// hold can be.
func (r *queueRepo) Position(ctx context.Context, sid string) (int, error) {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	var me models.QueueEntry
	err := r.coll.FindOne(ctx, bson.M{"sid": sid}).Decode(&me)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return 0, nil
	}
	if err != nil {
		return 0, storeErr("queue position", err)
	}
	if !me.State.InLine() {
		return 0, nil
	}
	n, err := r.coll.CountDocuments(ctx, bson.M{"state": inLine, "$or": bson.A{
		bson.M{"joinedAt": bson.M{"$lt": me.JoinedAt}},
		bson.M{"joinedAt": me.JoinedAt, "_id": bson.M{"$lte": me.ID}},
	}})
	if err != nil {
		return 0, storeErr("queue position", err)
	}
	return int(n), nil
}

// SetState updates the entry only while it is in line. When nothing
// matched, a read tells an unknown call (ErrNotFound) from one that has
// left (ignored); an entry found in line was joined after the update
// missed it, so the update is tried again. Leaving the line is final,
// so that happens at most once.
func (r *queueRepo) SetState(ctx context.Context, sid string, state models.QueueState, at time.Time) error {
	if !state.Valid() {
		return fmt.Errorf("set queue state: unknown state %q", state)
	}
	if at.IsZero() {
		at = models.Now()
	}
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	update := bson.M{"$set": bson.M{"state": state, "updatedAt": at.UTC().Truncate(time.Millisecond)}}
	for {
		res, err := r.coll.UpdateOne(ctx, bson.M{"sid": sid, "state": inLine}, update)
		if err != nil {
			return storeErr("set queue state", err)
		}
		if res.MatchedCount > 0 {
			return nil
		}
		var e models.QueueEntry
		err = r.coll.FindOne(ctx, bson.M{"sid": sid}, options.FindOne().SetProjection(bson.M{"state": 1})).Decode(&e)
		if err != nil {
			return storeErr("set queue state of "+sid, err)
		}
		if !e.State.InLine() {
			return nil
		}
	}
}

// InLine counts the line and reads its first entry: two indexed round
// trips rather than one $group, whose $min and $first the FerretDB
// stand-in does not implement. A call that leaves or joins in between
// can make the two disagree for a moment, so an empty count wins.
func (r *queueRepo) InLine(ctx context.Context) (int, time.Time, error) {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	filter := bson.M{"state": inLine}
	n, err := r.coll.CountDocuments(ctx, filter)
	if err != nil {
		return 0, time.Time{}, storeErr("count the queue", err)
	}
	if n == 0 {
		return 0, time.Time{}, nil
	}
	var first models.QueueEntry
	err = r.coll.FindOne(ctx, filter, options.FindOne().
		SetSort(bson.D{{Key: "joinedAt", Value: 1}, {Key: "_id", Value: 1}}).
		SetProjection(bson.M{"joinedAt": 1})).Decode(&first)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return 0, time.Time{}, nil
	}
	if err != nil {
		return 0, time.Time{}, storeErr("find the oldest call in the queue", err)
	}
	return int(n), first.JoinedAt.UTC(), nil
}

// Line reads the first calls in line from {state, joinedAt, _id}.
func (r *queueRepo) Line(ctx context.Context, limit int) ([]models.QueueEntry, error) {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	cur, err := r.coll.Find(ctx, bson.M{"state": inLine}, options.Find().
		SetSort(bson.D{{Key: "joinedAt", Value: 1}, {Key: "_id", Value: 1}}).SetLimit(int64(limit)))
	if err != nil {
		return nil, storeErr("read the line", err)
	}
	var out []models.QueueEntry
	if err := cur.All(ctx, &out); err != nil {
		return nil, storeErr("read the line", err)
	}
	return out, nil
}

// Expire finds the calls in line that stopped asking, from the line's
// index, and ends each with an update that checks again that it is in
// line and silent: of two instances expiring at once, one takes each
// call out and returns it.
func (r *queueRepo) Expire(ctx context.Context, before, at time.Time) ([]models.QueueEntry, error) {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	silent := bson.M{"$lt": before.UTC().Truncate(time.Millisecond)}
	cur, err := r.coll.Find(ctx, bson.M{"state": inLine, "updatedAt": silent})
	if err != nil {
		return nil, storeErr("expire the queue", err)
	}
	var found []models.QueueEntry
	if err := cur.All(ctx, &found); err != nil {
		return nil, storeErr("expire the queue", err)
	}
	at = at.UTC().Truncate(time.Millisecond)
	var out []models.QueueEntry
	for _, e := range found {
		res, err := r.coll.UpdateOne(ctx, bson.M{"_id": e.ID, "state": inLine, "updatedAt": silent},
			bson.M{"$set": bson.M{"state": models.QueueAbandoned, "updatedAt": at}})
		if err != nil {
			return out, storeErr("expire the queue", err)
		}
		if res.ModifiedCount > 0 {
			e.State, e.UpdatedAt = models.QueueAbandoned, at
			out = append(out, e)
		}
	}
	return out, nil
}
