package mongo

import (
	"context"
	"crypto/subtle"
	"errors"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/ringdesk/ringdesk/models"
)

// setupRepo keeps the hash of the one set-up token in "setup".
type setupRepo struct {
	coll *mongo.Collection
}

const setupDocID = "first-agent"

func (r *setupRepo) NewToken(ctx context.Context) (string, error) {
	token := models.RandomHex(24)
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	_, err := r.coll.ReplaceOne(ctx, bson.M{"_id": setupDocID},
		bson.M{"_id": setupDocID, "tokenHash": models.HashToken(token), "createdAt": models.Now()},
		options.Replace().SetUpsert(true))
	if err != nil {
		return "", storeErr("store set-up token", err)
	}
	return token, nil
}

// Check reports whether token is the current set-up token, younger than
// models.SetupTokenTTL, while no agent exists.
func (r *setupRepo) Check(ctx context.Context, token string, now time.Time) (bool, error) {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	var doc struct {
		TokenHash string    `bson:"tokenHash"`
		CreatedAt time.Time `bson:"createdAt"`
	}
	err := r.coll.FindOne(ctx, bson.M{"_id": setupDocID}).Decode(&doc)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return false, nil
	}
	if err != nil {
		return false, storeErr("read set-up token", err)
	}
	if subtle.ConstantTimeCompare([]byte(doc.TokenHash), []byte(models.HashToken(token))) != 1 ||
		!now.Before(doc.CreatedAt.Add(models.SetupTokenTTL)) {
		return false, nil
	}
	agents, err := r.agentsExist(ctx)
	return err == nil && !agents, err
}

// Use deletes the token only if it is the one presented and still fresh:
// of two concurrent uses, one deletes it and the other finds nothing.
// Agents live in another collection, so "no agent yet" is a read before
// the delete; that is enough because AgentRepository.Create deletes the
// token before it inserts: once an agent exists, there is no token left.
func (r *setupRepo) Use(ctx context.Context, token string, now time.Time) (bool, error) {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	agents, err := r.agentsExist(ctx)
	if err != nil || agents {
		return false, err
	}
	res, err := r.coll.DeleteOne(ctx, bson.M{
		"_id":       setupDocID,
		"tokenHash": models.HashToken(token),
		"createdAt": bson.M{"$gt": now.Add(-models.SetupTokenTTL)},
	})
	if err != nil {
		return false, storeErr("use set-up token", err)
	}
	return res.DeletedCount == 1, nil
}

// agentsExist reports whether any agent has been stored, by any means
// (an import included).
func (r *setupRepo) agentsExist(ctx context.Context) (bool, error) {
	err := r.coll.Database().Collection("agents").
		FindOne(ctx, bson.M{}, options.FindOne().SetProjection(bson.M{"_id": 1})).Err()
	if errors.Is(err, mongo.ErrNoDocuments) {
		return false, nil
	}
	if err != nil {
		return false, storeErr("find any agent", err)
	}
	return true, nil
}

// dropSetupToken deletes the set-up token, whatever it is: an agent is
// about to exist.
func dropSetupToken(ctx context.Context, db *mongo.Database) error {
	_, err := db.Collection("setup").DeleteOne(ctx, bson.M{"_id": setupDocID})
	return storeErr("delete set-up token", err)
}
