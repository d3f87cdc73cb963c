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

// inviteDoc is a one-time link in "invites". Its _id is what it replaces
// (models.Invite.ReplaceKey), so storing a new link for the same person
// is one atomic replace; the token's hash has a unique index of its own.
// Dump leaves "invites" out, so an export carries no links: a one-time
// link is short-lived, and a copy of it in an export file would be one
// more way in. An admin makes a new one after a move.
type inviteDoc struct {
	Subject   string            `bson:"_id"`
	TokenHash string            `bson:"tokenHash"`
	Kind      models.InviteKind `bson:"kind"`
	Email     string            `bson:"email"`
	Name      string            `bson:"name"`
	Role      models.Role       `bson:"role"`
	AgentID   models.ID         `bson:"agentId"`
	By        models.ID         `bson:"by"`
	CreatedAt time.Time         `bson:"createdAt"`
	ExpiresAt time.Time         `bson:"expiresAt"`
}

func (d *inviteDoc) invite() *models.Invite {
	return &models.Invite{Kind: d.Kind, Email: d.Email, Name: d.Name, Role: d.Role,
		AgentID: d.AgentID, By: d.By, ExpiresAt: d.ExpiresAt.UTC()}
}

func (r *agentRepo) invites() *mongo.Collection { return r.coll.Database().Collection("invites") }

// CreateInvite deletes expired links (the app's job rather than a TTL
// index's, so that both stores behave alike), checks the email or agent,
// and replaces the person's earlier link in one write. An agent created
// with the invited email between the check and the write makes the link
// useless (UseInvite says ErrConflict), not harmful.
func (r *agentRepo) CreateInvite(ctx context.Context, in models.InviteInput, now time.Time) (string, error) {
	inv, token, err := models.PrepareInvite(in, now)
	if err != nil {
		return "", err
	}
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	if _, err := r.invites().DeleteMany(ctx, bson.M{"expiresAt": bson.M{"$lte": now.UTC()}}); err != nil {
		return "", storeErr("delete expired invites", err)
	}
	switch inv.Kind {
	case models.KindInvite:
		err := r.coll.FindOne(ctx, bson.M{"email": inv.Email}, options.FindOne().SetProjection(bson.M{"_id": 1})).Err()
		if err == nil {
			return "", fmt.Errorf("create invite: an agent with email %s already exists: %w", inv.Email, models.ErrConflict)
		}
		if !errors.Is(err, mongo.ErrNoDocuments) {
			return "", storeErr("create invite", err)
		}
	case models.KindReset:
		a, err := r.findOne(ctx, "create reset for agent "+inv.AgentID.Hex(), bson.M{"_id": inv.AgentID})
		if err != nil {
			return "", err
		}
		inv.Email, inv.Name, inv.Role = a.Email, a.Name, a.Role
	}
	doc := inviteDoc{Subject: inv.ReplaceKey(), TokenHash: models.HashToken(token), Kind: inv.Kind,
		Email: inv.Email, Name: inv.Name, Role: inv.Role, AgentID: inv.AgentID, By: inv.By,
		CreatedAt: now.UTC().Truncate(time.Millisecond), ExpiresAt: inv.ExpiresAt}
	_, err = r.invites().ReplaceOne(ctx, bson.M{"_id": doc.Subject}, doc, options.Replace().SetUpsert(true))
	if err != nil {
		return "", storeErr("create invite", err)
	}
	return token, nil
}

// liveInvite matches the unused, unexpired link with this token.
func liveInvite(token string, now time.Time) bson.M {
	return bson.M{"tokenHash": models.HashToken(token), "expiresAt": bson.M{"$gt": now.UTC()}}
}

func (r *agentRepo) CheckInvite(ctx context.Context, token string, now time.Time) (*models.Invite, error) {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	var doc inviteDoc
	if err := r.invites().FindOne(ctx, liveInvite(token, now)).Decode(&doc); err != nil {
		return nil, storeErr("check invite", err)
	}
	return doc.invite(), nil
}

// UseInvite validates and hashes first, then consumes the link with one
// findOneAndDelete, so of two concurrent uses only one gets it, and then
// applies it. If applying fails for a reason other than a taken email,
// the link is put back, so that a database hiccup does not cost the
// agent their link.
func (r *agentRepo) UseInvite(ctx context.Context, token, name, password string, now time.Time) (*models.Agent, error) {
	inv, err := r.CheckInvite(ctx, token, now)
	if err != nil {
		return nil, err
	}
	a, hash, err := inv.Apply(name, password)
	if err != nil {
		return nil, err
	}
	wctx, cancel := withTimeout(ctx)
	defer cancel()
	var doc inviteDoc
	if err := r.invites().FindOneAndDelete(wctx, liveInvite(token, now)).Decode(&doc); err != nil {
		return nil, storeErr("use invite", err)
	}
	if a != nil {
		_, err = r.coll.InsertOne(wctx, a)
		if mongo.IsDuplicateKeyError(err) {
			return nil, fmt.Errorf("use invite: email %s is already in use: %w", a.Email, models.ErrConflict)
		}
	} else {
		err = r.update(wctx, "use reset", doc.AgentID, bson.M{"$set": bson.M{"passwordHash": hash}})
	}
	if err != nil {
		// A newer link for the same person, stored meanwhile, keeps its
		// place: the insert then fails on _id and the old link stays used.
		_, _ = r.invites().InsertOne(wctx, doc)
		return nil, storeErr("use invite", err)
	}
	if a != nil {
		return a, nil
	}
	return r.Get(ctx, doc.AgentID)
}
