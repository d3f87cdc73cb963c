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

// WatchChanges reports every insert, update and replacement of tickets
// and calls, and every change of the agents' presence (a page closing
// included), from whichever instance made it, until ctx ends. It returns
// an error wrapping models.ErrNoChangeStreams at once when the server
// cannot watch (a standalone MongoDB, FerretDB).
func (d *DB) WatchChanges(ctx context.Context, fn func(models.Change)) error {
	pipeline := mongo.Pipeline{{{Key: "$match", Value: bson.M{"$or": bson.A{
		bson.M{
			"ns.coll":       bson.M{"$in": bson.A{"tickets", "calls"}},
			"operationType": bson.M{"$in": bson.A{"insert", "update", "replace"}},
		},
		bson.M{
			"ns.coll":       "presence",
			"operationType": bson.M{"$in": bson.A{"insert", "update", "replace", "delete"}},
		},
	}}}}}
	// No deadline of our own here: the stream lives as long as ctx, and
	// the client's timeout bounds each round trip.
	stream, err := d.db.Watch(ctx, pipeline, options.ChangeStream())
	if err != nil {
		if !isUnavailable(err) && (errors.As(err, new(mongo.CommandError)) || errors.As(err, new(mongo.ServerError))) {
			return fmt.Errorf("watch changes on %s: %w: %v", d.where, models.ErrNoChangeStreams, err)
		}
		return storeErr("watch changes", err)
	}
	defer closeCursor(stream)
	for stream.Next(ctx) {
		var ev struct {
			NS struct {
				Coll string `bson:"coll"`
			} `bson:"ns"`
			Key struct {
				ID bson.RawValue `bson:"_id"`
			} `bson:"documentKey"`
		}
		if err := stream.Decode(&ev); err != nil {
			continue
		}
		ch := models.Change{Collection: ev.NS.Coll}
		// A page of presence is keyed by its stream's id, and says only
		// that the team changed; tickets and calls by an ObjectID.
		if ch.Collection != "presence" && ev.Key.ID.Unmarshal(&ch.ID) != nil {
			continue // a document not written by Ringdesk, without an ObjectID
		}
		fn(ch)
	}
	if ctx.Err() != nil {
		return nil
	}
	return storeErr("watch changes", stream.Err())
}
