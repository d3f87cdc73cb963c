package models

import (
	"net/mail"
	"strings"
	"time"
	"unicode/utf8"

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
	ID           ID        `bson:"_id" json:"id"`
	Email        string    `bson:"email" json:"email"`
	Name         string    `bson:"name" json:"name"`
	PasswordHash []byte    `bson:"passwordHash" json:"-"`
	CreatedAt    time.Time `bson:"createdAt" json:"createdAt"`
	// Disabled agents cannot sign in, and their sessions end.
	Disabled bool `bson:"disabled,omitempty" json:"disabled"`

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

// SessionActive reports whether the agent's session sid may still be
// used: the agent is enabled and has not signed out of it.
func (a *Agent) SessionActive(sid string) bool { return !a.Disabled && !a.SessionRevoked(sid) }

// AgentInput is what an administrator types to create an agent.
type AgentInput struct {
	Email    string
	Name     string
	Password string
}

// Validate checks the input and returns the normalised email and name.
func (in AgentInput) Validate() (email, name string, err error) {
	var verr ValidationError
	email = NormalizeEmail(in.Email)
	if addr, perr := mail.ParseAddress(email); perr != nil || addr.Address != email || len(email) > maxEmailLen {
		verr.add("email", "Please enter a valid email address, e.g. ada@example.com.")
	}
	name = strings.TrimSpace(in.Name)
	switch n := utf8.RuneCountInString(name); {
	case n == 0:
		verr.add("name", "Please enter a name.")
	case n > MaxNameLen:
		verr.add("name", "Please shorten the name to 100 characters or fewer.")
	case strings.IndexFunc(name, isBidiControl) >= 0:
		verr.add("name", msgBidiName)
	}
	switch {
	case utf8.RuneCountInString(in.Password) < MinPasswordLen:
		verr.add("password", "Use at least 10 characters for the password.")
	case len(in.Password) > MaxPasswordLen:
		verr.add("password", "Use at most 72 bytes for the password.")
	}
	return email, name, verr.orNil()
}

// NewAgent validates the input and returns the agent to store, with its
// password hashed.
func NewAgent(in AgentInput) (*Agent, error) {
	email, name, err := in.Validate()
	if err != nil {
		return nil, err
	}
	hash, err := HashPassword(in.Password)
	if err != nil {
		return nil, err
	}
	return &Agent{ID: NewID(), Email: email, Name: name, PasswordHash: hash, CreatedAt: Now()}, nil
}

// HashPassword hashes a password for storage.
func HashPassword(password string) ([]byte, error) {
	return bcrypt.GenerateFromPassword([]byte(password), bcrypt.DefaultCost)
}

// NormalizeEmail is how emails are stored and looked up.
func NormalizeEmail(email string) string { return strings.ToLower(strings.TrimSpace(email)) }

// dummyHash is compared against when the email is unknown, so that a
// wrong email takes as long as a wrong password and reveals nothing.
var dummyHash, _ = bcrypt.GenerateFromPassword([]byte("ringdesk-timing-equaliser"), bcrypt.DefaultCost)

// CheckPassword is the password half of Authenticate, shared by the
// stores: a is the agent found by email, or nil when none was. It returns
// a, or ErrInvalidCredentials for an unknown email, a wrong password and a
// disabled agent alike, taking as long in every case.
func CheckPassword(a *Agent, password string) (*Agent, error) {
	hash := dummyHash
	if a != nil {
		hash = a.PasswordHash
	}
	if bcrypt.CompareHashAndPassword(hash, []byte(password)) != nil || a == nil || a.Disabled {
		return nil, ErrInvalidCredentials
	}
	return a, nil
}
