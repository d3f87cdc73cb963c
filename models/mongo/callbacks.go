package mongo

import (
	"context"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/ringdesk/ringdesk/models"
)

// callbackRepo keeps callbacks in "callbacks", one per call (unique sid).
type callbackRepo struct {
	coll *mongo.Collection
}

// Request inserts the callback unless its call has one, with one upsert,
// and returns whichever is stored.
func (r *callbackRepo) Request(ctx context.Context, c models.Callback) (models.Callback, error) {
	if err := models.PrepareCallback(&c, models.Now()); err != nil {
		return models.Callback{}, fmt.Errorf("request a callback: %w", err)
	}
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	var out models.Callback
	err := r.coll.FindOneAndUpdate(ctx, bson.M{"sid": c.SID}, bson.M{"$setOnInsert": bson.M{
		"_id": c.ID, "sid": c.SID, "ticketId": c.TicketID, "ticketNumber": c.TicketNumber, "name": c.Name,
		"number": c.Number, "requestedAt": c.RequestedAt,
	}}, options.FindOneAndUpdate().SetUpsert(true).SetReturnDocument(options.After)).Decode(&out)
	return out, storeErr("request a callback", err)
}

// Pending reads the oldest pending callbacks from {doneAt, requestedAt}
// and counts them.
func (r *callbackRepo) Pending(ctx context.Context, limit int) ([]models.Callback, int, error) {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	filter := bson.M{"doneAt": nil}
	cur, err := r.coll.Find(ctx, filter, options.Find().
		SetSort(bson.D{{Key: "requestedAt", Value: 1}, {Key: "_id", Value: 1}}).SetLimit(int64(limit)))
	if err != nil {
		return nil, 0, storeErr("list callbacks", err)
	}
	out := []models.Callback{}
	if err := cur.All(ctx, &out); err != nil {
		return nil, 0, storeErr("list callbacks", err)
	}
	n, err := r.coll.CountDocuments(ctx, filter)
	return out, int(n), storeErr("count callbacks", err)
}

// Done marks a ticket's pending callbacks made.
func (r *callbackRepo) Done(ctx context.Context, ticketID models.ID, at time.Time) error {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	_, err := r.coll.UpdateMany(ctx, bson.M{"ticketId": ticketID, "doneAt": nil},
		bson.M{"$set": bson.M{"doneAt": at.UTC().Truncate(time.Millisecond)}})
	return storeErr("mark callbacks made", err)
}
