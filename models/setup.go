package models

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// SetupStore holds the one-time token that lets the first agent sign up.
// Only its hash is stored: the token itself appears once, in the log.
type SetupStore struct {
	coll *mongo.Collection
}

const setupDocID = "first-agent"

// NewToken replaces any earlier set-up token with a fresh one.
func (s *SetupStore) NewToken(ctx context.Context) (string, error) {
	token := randomHex(24)
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	_, err := s.coll.ReplaceOne(ctx, bson.M{"_id": setupDocID},
		bson.M{"_id": setupDocID, "tokenHash": hashToken(token), "createdAt": time.Now().UTC()},
		options.Replace().SetUpsert(true))
	if err != nil {
		return "", storeErr("store set-up token", err)
	}
	return token, nil
}

// Check reports whether token is the current, unused set-up token.
func (s *SetupStore) Check(ctx context.Context, token string) (bool, error) {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	var doc struct {
		TokenHash string `bson:"tokenHash"`
	}
	err := s.coll.FindOne(ctx, bson.M{"_id": setupDocID}).Decode(&doc)
	if err == mongo.ErrNoDocuments {
		return false, nil
	}
	if err != nil {
		return false, storeErr("read set-up token", err)
	}
	return subtle.ConstantTimeCompare([]byte(doc.TokenHash), []byte(hashToken(token))) == 1, nil
}

// Use consumes the token: of two concurrent uses only one succeeds.
func (s *SetupStore) Use(ctx context.Context, token string) (bool, error) {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	res, err := s.coll.DeleteOne(ctx, bson.M{"_id": setupDocID, "tokenHash": hashToken(token)})
	if err != nil {
		return false, storeErr("use set-up token", err)
	}
	return res.DeletedCount == 1, nil
}

func hashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}
