package models

import (
	"context"
	"errors"
	"fmt"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Change is a ticket or call written by any instance.
type Change struct {
	Collection string // "tickets" or "calls"
	ID         bson.ObjectID
}

// ErrNoChangeStreams means the database cannot report changes (a
// standalone server, or the embedded store): live updates then reach only
// the dashboards of the instance that made the change.
var ErrNoChangeStreams = errors.New("change streams are not available")

// WatchChanges reports every insert, update and replacement of tickets
// and calls, from whichever instance made it, until ctx ends. It returns
// ErrNoChangeStreams at once when the database cannot watch.
func (s *Store) WatchChanges(ctx context.Context, fn func(Change)) error {
	pipeline := mongo.Pipeline{{{Key: "$match", Value: bson.M{
		"ns.coll":       bson.M{"$in": bson.A{"tickets", "calls"}},
		"operationType": bson.M{"$in": bson.A{"insert", "update", "replace"}},
	}}}}
	stream, err := s.db.Watch(ctx, pipeline, options.ChangeStream())
	if err != nil {
		var cmdErr mongo.CommandError
		if errors.As(err, &cmdErr) || errors.As(err, new(mongo.ServerError)) {
			return fmt.Errorf("%w: %v", ErrNoChangeStreams, err)
		}
		return storeErr("watch changes", err)
	}
	defer stream.Close(context.Background())
	for stream.Next(ctx) {
		var ev struct {
			NS struct {
				Coll string `bson:"coll"`
			} `bson:"ns"`
			Key struct {
				ID bson.ObjectID `bson:"_id"`
			} `bson:"documentKey"`
		}
		if err := stream.Decode(&ev); err != nil {
			continue // a change to a document not written by Ringdesk
		}
		fn(Change{Collection: ev.NS.Coll, ID: ev.Key.ID})
	}
	if ctx.Err() != nil {
		return nil
	}
	return storeErr("watch changes", stream.Err())
}

// GetByID returns one call log by its document id, or ErrNotFound.
func (s *CallStore) GetByID(ctx context.Context, id bson.ObjectID) (*Call, error) {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	var c Call
	if err := s.coll.FindOne(ctx, bson.M{"_id": id}).Decode(&c); err != nil {
		return nil, storeErr("get call", err)
	}
	return &c, nil
}
