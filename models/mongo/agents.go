package mongo

import (
	"context"
	"errors"
	"fmt"
	"maps"
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
// agent prints a fresh one. The first agent is an admin; two first agents
// created at the same moment may both be, which leaves the team safe.
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
	exists, err := r.Exists(ctx)
	if err != nil {
		return nil, err
	}
	if !exists {
		a.Role = models.RoleAdmin
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
	fixRole(&a)
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
	for i := range agents {
		fixRole(&agents[i])
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
	if !disabled {
		return r.update(ctx, "enable agent", id, bson.M{"$set": bson.M{"disabled": false}})
	}
	return r.leaveAdmins(ctx, "disable agent", id, bson.M{"disabled": true}, bson.M{"disabled": false})
}

func (r *agentRepo) SetRole(ctx context.Context, id models.ID, role models.Role) error {
	role, err := models.ValidateRole(role)
	if err != nil {
		return err
	}
	if role == models.RoleAdmin {
		return r.update(ctx, "set agent role", id, bson.M{"$set": bson.M{"role": role}})
	}
	return r.leaveAdmins(ctx, "set agent role", id, bson.M{"role": role}, bson.M{"role": models.RoleAdmin})
}

// activeAdmin matches the agents who keep the team manageable.
var activeAdmin = bson.M{"role": models.RoleAdmin, "disabled": bson.M{"$ne": true}}

// leaveAdmins applies change, which takes agent id out of the active
// admins if it is one, unless that would leave none: ErrLastAdmin.
//
// Without a transaction the check and the write cannot be one step, so
// it checks, writes, and then checks again, undoing its write when no
// active admin is left. Two admins demoting or disabling each other at
// the same moment may then both be refused (never both let through),
// and for the moment between a write and its undo no active admin
// exists, so a request checked in that moment is refused admin rights.
// A write whose undo never ran (the process died, the database went
// away) is repaired at the next start: Open makes the earliest active
// agent admin when there is none (ensureAdmin).
func (r *agentRepo) leaveAdmins(ctx context.Context, op string, id models.ID, change, undo bson.M) error {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	onlyRole := options.FindOne().SetProjection(bson.M{"role": 1, "disabled": 1})
	var cur models.Agent
	if err := r.coll.FindOne(ctx, bson.M{"_id": id}, onlyRole).Decode(&cur); err != nil {
		return storeErr(op+" "+id.Hex(), err)
	}
	if cur.IsAdmin() {
		if others, err := r.admins(ctx, bson.M{"_id": bson.M{"$ne": id}}); err != nil {
			return storeErr(op, err)
		} else if !others {
			return fmt.Errorf("%s: %w", op, models.ErrLastAdmin)
		}
	}
	// The whole document comes back: the FerretDB stand-in has no
	// projection in findAndModify, and an agent is small.
	var before models.Agent
	err := r.coll.FindOneAndUpdate(ctx, bson.M{"_id": id}, bson.M{"$set": change}).Decode(&before)
	if err != nil {
		return storeErr(op+" "+id.Hex(), err)
	}
	if !before.IsAdmin() {
		return nil
	}
	left, err := r.admins(ctx, bson.M{})
	if err == nil && left {
		return nil
	}
	if _, uerr := r.coll.UpdateOne(ctx, bson.M{"_id": id}, bson.M{"$set": undo}); uerr != nil {
		return storeErr(op+": undo", uerr)
	}
	if err != nil {
		return storeErr(op, err)
	}
	return fmt.Errorf("%s: %w", op, models.ErrLastAdmin)
}

// admins reports whether an active admin matching filter exists.
func (r *agentRepo) admins(ctx context.Context, filter bson.M) (bool, error) {
	f := maps.Clone(activeAdmin)
	maps.Copy(f, filter)
	n, err := r.coll.CountDocuments(ctx, f, options.Count().SetLimit(1))
	return n > 0, err
}

func (r *agentRepo) SetName(ctx context.Context, id models.ID, name string) error {
	name, err := models.ValidateName(name)
	if err != nil {
		return err
	}
	return r.update(ctx, "set agent name", id, bson.M{"$set": bson.M{"name": name}})
}

// ChangePassword writes the new hash only over the one it checked
// current against, so a change made in between wins and this one is
// refused.
func (r *agentRepo) ChangePassword(ctx context.Context, id models.ID, current, next string) error {
	if err := models.ValidatePassword(next); err != nil {
		return err
	}
	a, err := r.Get(ctx, id)
	if err != nil {
		return err
	}
	hash, err := models.ReplacePassword(a, current, next)
	if err != nil {
		return err
	}
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	res, err := r.coll.UpdateOne(ctx, bson.M{"_id": id, "passwordHash": a.PasswordHash},
		bson.M{"$set": bson.M{"passwordHash": hash}})
	if err != nil {
		return storeErr("change password", err)
	}
	if res.MatchedCount == 0 {
		return models.ErrInvalidCredentials
	}
	return nil
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

// fixRole reads an agent stored before roles existed as an agent.
func fixRole(a *models.Agent) {
	if a.Role != models.RoleAdmin {
		a.Role = models.RoleAgent
	}
}

// ensureAdmin runs at every start, on every instance, and is idempotent:
// agents stored before roles existed get RoleAgent, and when no active
// admin exists (the first start with roles, or a demotion whose undo
// never ran) the earliest-created active agent becomes one. Instances
// starting together all pick the same agent.
func (d *DB) ensureAdmin(ctx context.Context) error {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	agents := d.db.Collection("agents")
	if _, err := agents.UpdateMany(ctx, bson.M{"role": bson.M{"$exists": false}},
		bson.M{"$set": bson.M{"role": models.RoleAgent}}); err != nil {
		return storeErr("give agents a role", err)
	}
	return promoteEarliest(ctx, agents)
}

// promoteEarliest makes the earliest-created active agent admin when no
// active admin exists.
func promoteEarliest(ctx context.Context, agents *mongo.Collection) error {
	r := &agentRepo{coll: agents}
	if found, err := r.admins(ctx, bson.M{}); err != nil || found {
		return storeErr("find an admin", err)
	}
	var first models.Agent
	err := agents.FindOne(ctx, bson.M{"disabled": bson.M{"$ne": true}}, options.FindOne().
		SetSort(bson.D{{Key: "createdAt", Value: 1}, {Key: "_id", Value: 1}}).
		SetProjection(bson.M{"_id": 1})).Decode(&first)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return nil
	}
	if err != nil {
		return storeErr("find the earliest agent", err)
	}
	_, err = agents.UpdateOne(ctx, bson.M{"_id": first.ID}, bson.M{"$set": bson.M{"role": models.RoleAdmin}})
	return storeErr("make the earliest agent admin", err)
}

// restoreAgent is Restore's insert of an agent. An agent exported before
// roles existed has none: it is stored as an agent, and if that leaves no
// active admin, the earliest-created active agent becomes one, as
// ensureAdmin does for a database upgraded in place.
func (d *DB) restoreAgent(ctx context.Context, a *models.Agent) (bool, error) {
	doc := *a
	fixRole(&doc)
	inserted, err := d.insertNew(ctx, "agents", a.ID, &doc,
		fmt.Sprintf("agent %s: email %s belongs to another agent", a.ID.Hex(), a.Email))
	if err != nil || !inserted || a.Role != "" {
		return inserted, err
	}
	return true, promoteEarliest(ctx, d.db.Collection("agents"))
}
