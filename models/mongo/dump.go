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

// counterDoc is how a models.Counter is stored in "counters".
type counterDoc struct {
	Name  string `bson:"_id"`
	Value int64  `bson:"seq"`
}

// Dump streams each collection through a cursor, so an export of any
// size holds one batch in memory. Each round trip is bounded by
// models.OpTimeout, not the whole dump.
func (d *DB) Dump(ctx context.Context, fn func(models.Item) error) error {
	steps := []struct {
		coll string
		item func(cur *mongo.Cursor) (models.Item, error)
	}{
		{"agents", func(cur *mongo.Cursor) (models.Item, error) {
			var a models.Agent
			return models.Item{Agent: &a}, cur.Decode(&a)
		}},
		{"tickets", func(cur *mongo.Cursor) (models.Item, error) {
			var t models.Ticket
			return models.Item{Ticket: &t}, cur.Decode(&t)
		}},
		{"activities", func(cur *mongo.Cursor) (models.Item, error) {
			var a models.Activity
			return models.Item{Activity: &a}, cur.Decode(&a)
		}},
		{"calls", func(cur *mongo.Cursor) (models.Item, error) {
			var c models.Call
			return models.Item{Call: &c}, cur.Decode(&c)
		}},
		{"ticket_deletions", func(cur *mongo.Cursor) (models.Item, error) {
			var d models.Deletion
			return models.Item{Deletion: &d}, cur.Decode(&d)
		}},
		{"counters", func(cur *mongo.Cursor) (models.Item, error) {
			var c counterDoc
			err := cur.Decode(&c)
			return models.Item{Counter: &models.Counter{Name: c.Name, Value: c.Value}}, err
		}},
	}
	for _, step := range steps {
		if err := d.dumpCollection(ctx, step.coll, step.item, fn); err != nil {
			return err
		}
	}
	return nil
}

func (d *DB) dumpCollection(ctx context.Context, coll string, item func(*mongo.Cursor) (models.Item, error), fn func(models.Item) error) error {
	fctx, cancel := withTimeout(ctx)
	cur, err := d.db.Collection(coll).Find(fctx, bson.M{}, options.Find().SetSort(bson.D{{Key: "_id", Value: 1}}))
	cancel()
	if err != nil {
		return storeErr("dump "+coll, err)
	}
	defer closeCursor(cur)
	for {
		nctx, cancel := withTimeout(ctx)
		ok := cur.Next(nctx)
		cancel()
		if !ok {
			break
		}
		it, err := item(cur)
		if err != nil {
			return fmt.Errorf("dump %s: decode %v: %w", coll, cur.Current.Lookup("_id"), err)
		}
		if err := fn(it); err != nil {
			return err
		}
	}
	return storeErr("dump "+coll, cur.Err())
}

// Restore inserts the item as it is, keeping its id, number and times.
// The unique indexes decide: a duplicate with the item's own id means it
// was restored before; one with another id means the email, ticket number
// or call sid belongs to a different record, which must not be merged.
func (d *DB) Restore(ctx context.Context, it models.Item) (inserted bool, err error) {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	switch {
	case it.Agent != nil:
		return d.restoreAgent(ctx, it.Agent)
	case it.Ticket != nil:
		return d.insertNew(ctx, "tickets", it.Ticket.ID, it.Ticket,
			fmt.Sprintf("ticket %s: number %d or its idempotency key belongs to another ticket", it.Ticket.ID.Hex(), it.Ticket.Number))
	case it.Activity != nil:
		return d.restoreActivity(ctx, it.Activity)
	case it.Deletion != nil:
		return d.insertNew(ctx, "ticket_deletions", it.Deletion.ID, it.Deletion,
			fmt.Sprintf("deletion record %s", it.Deletion.ID.Hex()))
	case it.Call != nil:
		return d.insertNew(ctx, "calls", it.Call.ID, it.Call,
			fmt.Sprintf("call %s: sid %s belongs to another call", it.Call.ID.Hex(), it.Call.SID))
	case it.Counter != nil:
		// $max only ever raises: a counter below numbers already handed
		// out would hand them out again.
		res, err := d.db.Collection("counters").UpdateOne(ctx, bson.M{"_id": it.Counter.Name},
			bson.M{"$max": bson.M{"seq": it.Counter.Value}}, options.UpdateOne().SetUpsert(true))
		if err != nil {
			return false, storeErr("restore counter "+it.Counter.Name, err)
		}
		return res.UpsertedCount+res.ModifiedCount > 0, nil
	}
	return false, errors.New("restore: empty item")
}

// insertNew inserts doc unless a record with its id exists; conflict says
// what clashed when the duplicate has another id.
func (d *DB) insertNew(ctx context.Context, coll string, id models.ID, doc any, conflict string) (bool, error) {
	c := d.db.Collection(coll)
	_, err := c.InsertOne(ctx, doc)
	if err == nil {
		return true, nil
	}
	if !mongo.IsDuplicateKeyError(err) {
		return false, storeErr("restore into "+coll, err)
	}
	err = c.FindOne(ctx, bson.M{"_id": id}, options.FindOne().SetProjection(bson.M{"_id": 1})).Err()
	switch {
	case err == nil:
		return false, nil
	case errors.Is(err, mongo.ErrNoDocuments):
		return false, fmt.Errorf("restore %s: %w", conflict, models.ErrConflict)
	default:
		return false, storeErr("restore into "+coll, err)
	}
}

// restoreActivity stores a timeline entry beside its ticket. One whose
// ticket is not there is skipped: it belonged to a ticket deleted while
// the export ran, and an entry goes with its ticket.
func (d *DB) restoreActivity(ctx context.Context, a *models.Activity) (bool, error) {
	err := d.db.Collection("tickets").FindOne(ctx, bson.M{"_id": a.TicketID},
		options.FindOne().SetProjection(bson.M{"_id": 1})).Err()
	if errors.Is(err, mongo.ErrNoDocuments) {
		return false, nil
	}
	if err != nil {
		return false, storeErr("restore timeline entry", err)
	}
	return d.insertNew(ctx, "activities", a.ID, a, fmt.Sprintf("timeline entry %s", a.ID.Hex()))
}
