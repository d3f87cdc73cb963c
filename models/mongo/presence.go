package mongo

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/ringdesk/ringdesk/models"
)

// presenceRepo keeps the agents' open dashboards in "presence", one
// document per page, keyed by its stream id.
type presenceRepo struct {
	coll *mongo.Collection
}

// Set replaces the page's document, inserting it the first time.
func (r *presenceRepo) Set(ctx context.Context, p models.Presence) error {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	p.ExpiresAt = p.ExpiresAt.UTC().Truncate(time.Millisecond)
	_, err := r.coll.ReplaceOne(ctx, bson.M{"_id": p.Stream}, p, options.Replace().SetUpsert(true))
	return storeErr("record an agent's presence", err)
}

// Drop deletes the page's document.
func (r *presenceRepo) Drop(ctx context.Context, stream string) error {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	_, err := r.coll.DeleteOne(ctx, bson.M{"_id": stream})
	return storeErr("forget an agent's page", err)
}

// Team reads the pages not expired from {expiresAt} (a team's worth of
// small documents) and counts them as models.TeamCount does.
func (r *presenceRepo) Team(ctx context.Context, now time.Time) (models.TeamPresence, error) {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	cur, err := r.coll.Find(ctx, bson.M{"expiresAt": bson.M{"$gt": now.UTC()}})
	if err != nil {
		return models.TeamPresence{}, storeErr("count the team", err)
	}
	var pages []models.Presence
	if err := cur.All(ctx, &pages); err != nil {
		return models.TeamPresence{}, storeErr("count the team", err)
	}
	return models.TeamCount(pages), nil
}

// DeleteExpired deletes the pages that expired before now: their
// instance stopped renewing them.
func (r *presenceRepo) DeleteExpired(ctx context.Context, now time.Time) (int64, error) {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	res, err := r.coll.DeleteMany(ctx, bson.M{"expiresAt": bson.M{"$lt": now.UTC()}})
	if err != nil {
		return 0, storeErr("delete expired pages", err)
	}
	return res.DeletedCount, nil
}
