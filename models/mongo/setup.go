package mongo

import (
	"context"
	"crypto/subtle"
	"errors"

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

func (r *setupRepo) Check(ctx context.Context, token string) (bool, error) {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	var doc struct {
		TokenHash string `bson:"tokenHash"`
	}
	err := r.coll.FindOne(ctx, bson.M{"_id": setupDocID}).Decode(&doc)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return false, nil
	}
	if err != nil {
		return false, storeErr("read set-up token", err)
	}
	return subtle.ConstantTimeCompare([]byte(doc.TokenHash), []byte(models.HashToken(token))) == 1, nil
}

// Use deletes the token only if it is the one presented: of two
// concurrent uses, one deletes it and the other finds nothing.
func (r *setupRepo) Use(ctx context.Context, token string) (bool, error) {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	res, err := r.coll.DeleteOne(ctx, bson.M{"_id": setupDocID, "tokenHash": models.HashToken(token)})
	if err != nil {
		return false, storeErr("use set-up token", err)
	}
	return res.DeletedCount == 1, nil
}
