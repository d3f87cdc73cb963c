package mongo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/ringdesk/ringdesk/models"
)

// agentRepo keeps agents, with their revoked sessions, in "agents".
type agentRepo struct {
	coll *mongo.Collection
}

// Create deletes the set-up token before inserting: there is never a
// moment when an agent exists and the set-up link still works. If the
// insert then fails, the link is gone all the same; a restart with no
// agent prints a fresh one.
func (r *agentRepo) Create(ctx context.Context, in models.AgentInput) (*models.Agent, error) {
	a, err := models.NewAgent(in)
	if err != nil {
		return nil, err
	}
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	if err := dropSetupToken(ctx, r.coll.Database()); err != nil {
		return nil, fmt.Errorf("create agent: %w", err)
	}
	if _, err := r.coll.InsertOne(ctx, a); err != nil {
		if mongo.IsDuplicateKeyError(err) {
			return nil, fmt.Errorf("create agent: email %s is already in use: %w", a.Email, models.ErrConflict)
		}
		return nil, storeErr("create agent", err)
	}
	return a, nil
}

func (r *agentRepo) Get(ctx context.Context, id models.ID) (*models.Agent, error) {
	return r.findOne(ctx, "get agent "+id.Hex(), bson.M{"_id": id})
}

func (r *agentRepo) GetByEmail(ctx context.Context, email string) (*models.Agent, error) {
	return r.findOne(ctx, "get agent by email", bson.M{"email": models.NormalizeEmail(email)})
}

func (r *agentRepo) findOne(ctx context.Context, op string, filter bson.M) (*models.Agent, error) {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	var a models.Agent
	if err := r.coll.FindOne(ctx, filter).Decode(&a); err != nil {
		return nil, storeErr(op, err)
	}
	return &a, nil
}

func (r *agentRepo) Exists(ctx context.Context) (bool, error) {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	err := r.coll.FindOne(ctx, bson.M{}, options.FindOne().SetProjection(bson.M{"_id": 1})).Err()
	if errors.Is(err, mongo.ErrNoDocuments) {
		return false, nil
	}
	if err != nil {
		return false, storeErr("find any agent", err)
	}
	return true, nil
}

func (r *agentRepo) List(ctx context.Context) ([]models.Agent, error) {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	cur, err := r.coll.Find(ctx, bson.M{}, options.Find().SetSort(bson.D{{Key: "email", Value: 1}}))
	if err != nil {
		return nil, storeErr("list agents", err)
	}
	agents := []models.Agent{}
	if err := cur.All(ctx, &agents); err != nil {
		return nil, storeErr("read agents", err)
	}
	return agents, nil
}

func (r *agentRepo) Authenticate(ctx context.Context, email, password string) (*models.Agent, error) {
	a, err := r.GetByEmail(ctx, email)
	if errors.Is(err, models.ErrNotFound) {
		a, err = nil, nil // CheckPassword spends as long on an unknown email
	}
	if err != nil {
		return nil, err
	}
	return models.CheckPassword(a, password)
}

// RevokeSession records the revocation in one atomic $addToSet, so two
// sign-outs at once (on two instances) both stay recorded. Then it pulls,
// by exact value, the entries that the write it just made shows to be
// stale: expired ones, and an earlier revocation of the same session. A
// pull of exact values can never take a revocation written meanwhile.
// (One update with a pipeline could do both, but the FerretDB stand-in
// has no pipeline updates, and it ignores $pull conditions.)
func (r *agentRepo) RevokeSession(ctx context.Context, id models.ID, sid string, expires time.Time) error {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	rev := models.RevokedSession{ID: sid, ExpiresAt: expires.UTC().Truncate(time.Millisecond)}
	var a models.Agent
	err := r.coll.FindOneAndUpdate(ctx, bson.M{"_id": id},
		bson.M{"$addToSet": bson.M{"revokedSessions": rev}},
		options.FindOneAndUpdate().SetReturnDocument(options.After),
	).Decode(&a)
	if err != nil {
		return storeErr("revoke session of agent "+id.Hex(), err)
	}
	now := time.Now()
	var stale []models.RevokedSession
	for _, old := range a.RevokedSessions {
		if old.ExpiresAt.Before(now) || old.ID == sid && !old.ExpiresAt.Equal(rev.ExpiresAt) {
			stale = append(stale, old)
		}
	}
	if len(stale) == 0 {
		return nil
	}
	// The sign-out is recorded whatever happens now: a failed pull leaves
	// only entries that the next revocation or DeleteExpiredRevocations
	// removes, and is no reason to tell the agent that signing out failed.
	_, _ = r.coll.UpdateOne(ctx, bson.M{"_id": id}, bson.M{"$pullAll": bson.M{"revokedSessions": stale}})
	return nil
}

func (r *agentRepo) SetDisabled(ctx context.Context, id models.ID, disabled bool) error {
	return r.update(ctx, "set agent disabled", id, bson.M{"$set": bson.M{"disabled": disabled}})
}

func (r *agentRepo) SetPasswordHash(ctx context.Context, id models.ID, hash []byte) error {
	return r.update(ctx, "set password", id, bson.M{"$set": bson.M{"passwordHash": hash}})
}

// update applies one update to agent id; ErrNotFound when there is none.
func (r *agentRepo) update(ctx context.Context, op string, id models.ID, update bson.M) error {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	res, err := r.coll.UpdateOne(ctx, bson.M{"_id": id}, update)
	if err != nil {
		return storeErr(op, err)
	}
	if res.MatchedCount == 0 {
		return fmt.Errorf("%s: agent %s: %w", op, id.Hex(), models.ErrNotFound)
	}
	return nil
}

// DeleteExpiredRevocations finds the agents with expired revocations and
// pulls those by exact value, all in one bulk write, which, like
// RevokeSession's pull, cannot take a revocation written meanwhile.
func (r *agentRepo) DeleteExpiredRevocations(ctx context.Context, now time.Time) (int64, error) {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	cur, err := r.coll.Find(ctx, bson.M{"revokedSessions.expiresAt": bson.M{"$lt": now.UTC()}},
		options.Find().SetProjection(bson.M{"revokedSessions": 1}))
	if err != nil {
		return 0, storeErr("find expired revocations", err)
	}
	var agents []models.Agent
	if err := cur.All(ctx, &agents); err != nil {
		return 0, storeErr("read expired revocations", err)
	}
	var n int64
	var pulls []mongo.WriteModel
	for _, a := range agents {
		var expired []models.RevokedSession
		for _, rev := range a.RevokedSessions {
			if rev.ExpiresAt.Before(now) {
				expired = append(expired, rev)
			}
		}
		if len(expired) > 0 {
			n += int64(len(expired))
			pulls = append(pulls, mongo.NewUpdateOneModel().SetFilter(bson.M{"_id": a.ID}).
				SetUpdate(bson.M{"$pullAll": bson.M{"revokedSessions": expired}}))
		}
	}
	if len(pulls) == 0 {
		return 0, nil
	}
	if _, err := r.coll.BulkWrite(ctx, pulls, options.BulkWrite().SetOrdered(false)); err != nil {
		return 0, storeErr("delete expired revocations", err)
	}
	return n, nil
}
