package models

import (
	"context"
	"errors"
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"golang.org/x/crypto/bcrypt"
)

// Password rules: long enough to resist guessing, short enough for bcrypt,
// which ignores everything after 72 bytes.
const (
	MinPasswordLen = 10
	MaxPasswordLen = 72
	maxEmailLen    = 254
)

// Agent is a support team member who can sign in.
type Agent struct {
	ID           bson.ObjectID `bson:"_id" json:"id"`
	Email        string        `bson:"email" json:"email"`
	Name         string        `bson:"name" json:"name"`
	PasswordHash []byte        `bson:"passwordHash" json:"-"`
	CreatedAt    time.Time     `bson:"createdAt" json:"createdAt"`

	// RevokedSessions lists signed-out sessions that have not expired yet,
	// so a copied cookie stops working once its owner signs out.
	RevokedSessions []RevokedSession `bson:"revokedSessions,omitempty" json:"-"`
}

// RevokedSession is one signed-out session.
type RevokedSession struct {
	ID        string    `bson:"id"`
	ExpiresAt time.Time `bson:"expiresAt"`
}

// SessionRevoked reports whether the agent signed out of session sid.
func (a *Agent) SessionRevoked(sid string) bool {
	for _, r := range a.RevokedSessions {
		if r.ID == sid {
			return true
		}
	}
	return false
}

// AgentInput is what an administrator types to create an agent.
type AgentInput struct {
	Email    string
	Name     string
	Password string
}

// Validate checks the input and returns the normalised email and name.
func (in AgentInput) Validate() (email, name string, err error) {
	var verr ValidationError
	email = strings.ToLower(strings.TrimSpace(in.Email))
	if addr, perr := mail.ParseAddress(email); perr != nil || addr.Address != email || len(email) > maxEmailLen {
		verr.add("email", "Please enter a valid email address, e.g. ada@example.com.")
	}
	name = strings.TrimSpace(in.Name)
	switch n := utf8.RuneCountInString(name); {
	case n == 0:
		verr.add("name", "Please enter a name.")
	case n > MaxNameLen:
		verr.add("name", "Please shorten the name to 100 characters or fewer.")
	}
	switch {
	case utf8.RuneCountInString(in.Password) < MinPasswordLen:
		verr.add("password", "Use at least 10 characters for the password.")
	case len(in.Password) > MaxPasswordLen:
		verr.add("password", "Use at most 72 bytes for the password.")
	}
	return email, name, verr.orNil()
}

// AgentStore keeps agents in the "agents" collection.
type AgentStore struct {
	coll *mongo.Collection
}

// Create validates the input, hashes the password and stores the agent.
// An email already in use is ErrConflict.
func (s *AgentStore) Create(ctx context.Context, in AgentInput) (*Agent, error) {
	email, name, err := in.Validate()
	if err != nil {
		return nil, err
	}
	hash, err := bcrypt.GenerateFromPassword([]byte(in.Password), bcrypt.DefaultCost)
	if err != nil {
		return nil, err
	}
	a := &Agent{
		ID:           bson.NewObjectID(),
		Email:        email,
		Name:         name,
		PasswordHash: hash,
		CreatedAt:    time.Now().UTC().Truncate(time.Millisecond),
	}
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	if _, err := s.coll.InsertOne(ctx, a); err != nil {
		return nil, storeErr("insert agent", err)
	}
	return a, nil
}

// Get returns an agent by id, or ErrNotFound.
func (s *AgentStore) Get(ctx context.Context, id bson.ObjectID) (*Agent, error) {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	var a Agent
	if err := s.coll.FindOne(ctx, bson.M{"_id": id}).Decode(&a); err != nil {
		return nil, storeErr("get agent", err)
	}
	return &a, nil
}

// Exists reports whether any agent has been created.
func (s *AgentStore) Exists(ctx context.Context) (bool, error) {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	err := s.coll.FindOne(ctx, bson.M{}).Err()
	if err == mongo.ErrNoDocuments {
		return false, nil
	}
	if err != nil {
		return false, storeErr("find any agent", err)
	}
	return true, nil
}

// dummyHash is compared against when the email is unknown, so that a
// wrong email takes as long as a wrong password and reveals nothing.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("ringdesk-timing-equaliser"), bcrypt.DefaultCost)

// Authenticate returns the agent whose email and password match, or
// ErrInvalidCredentials for an unknown email and a wrong password alike.
func (s *AgentStore) Authenticate(ctx context.Context, email, password string) (*Agent, error) {
	email = strings.ToLower(strings.TrimSpace(email))
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	var a Agent
	err := s.coll.FindOne(ctx, bson.M{"email": email}).Decode(&a)
	if err != nil && err != mongo.ErrNoDocuments {
		return nil, storeErr("find agent", err)
	}
	hash := a.PasswordHash
	if err == mongo.ErrNoDocuments {
		hash = dummyHash
	}
	if bcrypt.CompareHashAndPassword(hash, []byte(password)) != nil || err != nil {
		return nil, ErrInvalidCredentials
	}
	return &a, nil
}

// RevokeSession records a sign-out and forgets revocations whose sessions
// have expired anyway, so the list stays short.
func (s *AgentStore) RevokeSession(ctx context.Context, id bson.ObjectID, sid string, expires time.Time) error {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	var a Agent
	if err := s.coll.FindOne(ctx, bson.M{"_id": id}).Decode(&a); err != nil {
		return storeErr("get agent", err)
	}
	now := time.Now()
	kept := []RevokedSession{{ID: sid, ExpiresAt: expires.UTC().Truncate(time.Millisecond)}}
	for _, r := range a.RevokedSessions {
		if r.ExpiresAt.After(now) && r.ID != sid {
			kept = append(kept, r)
		}
	}
	_, err := s.coll.UpdateOne(ctx, bson.M{"_id": id}, bson.M{"$set": bson.M{"revokedSessions": kept}})
	return storeErr("revoke session", err)
}

// EnsureAgent creates the agent with this email unless it exists, for the
// ADMIN_EMAIL/ADMIN_PASSWORD start-up settings. created reports which.
func (s *AgentStore) EnsureAgent(ctx context.Context, in AgentInput) (created bool, err error) {
	_, err = s.Create(ctx, in)
	if errors.Is(err, ErrConflict) {
		return false, nil
	}
	return err == nil, err
}
