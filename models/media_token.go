package models

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
)

// MediaTokenStore records which one-time media-socket tokens have been
// used. The tokens themselves are signed and carry their expiry, so any
// instance can check them; only their single use needs shared state.
type MediaTokenStore struct {
	coll *mongo.Collection
	gate writeGate // one writer at a time on the embedded store
}

// Use marks token id as used. A second use, on any instance, is
// ErrConflict. expires is kept so that expired records can be deleted.
func (s *MediaTokenStore) Use(ctx context.Context, id string, expires time.Time) error {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	leave, err := s.gate.enter(ctx)
	if err != nil {
		return err
	}
	defer leave()
	_, err = s.coll.InsertOne(ctx, bson.M{"_id": id, "expiresAt": expires.UTC()})
	return storeErr("use media token", err)
}

// DeleteExpired removes records of tokens that can no longer be presented
// anyway. The embedded store has no TTL indexes, so the app does this.
func (s *MediaTokenStore) DeleteExpired(ctx context.Context, now time.Time) (int64, error) {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	res, err := s.coll.DeleteMany(ctx, bson.M{"expiresAt": bson.M{"$lt": now.UTC()}})
	if err != nil {
		return 0, storeErr("delete expired media tokens", err)
	}
	return res.DeletedCount, nil
}
