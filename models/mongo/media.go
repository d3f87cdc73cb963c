package mongo

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// mediaRepo records used media-socket tokens in "media_tokens", keyed by
// token id, so the unique _id makes a second use fail on any instance.
type mediaRepo struct {
	coll *mongo.Collection
}

func (r *mediaRepo) Use(ctx context.Context, id string, expires time.Time) error {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	_, err := r.coll.InsertOne(ctx, bson.M{"_id": id, "expiresAt": expires.UTC().Truncate(time.Millisecond)})
	return storeErr("use media token", err)
}

// DeleteExpired is the app's job rather than a TTL index's, so that both
// stores behave alike.
func (r *mediaRepo) DeleteExpired(ctx context.Context, now time.Time) (int64, error) {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	res, err := r.coll.DeleteMany(ctx, bson.M{"expiresAt": bson.M{"$lt": now.UTC()}})
	if err != nil {
		return 0, storeErr("delete expired media tokens", err)
	}
	return res.DeletedCount, nil
}
