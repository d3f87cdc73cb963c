package models

import (
	"crypto/rand"
	"encoding/base64"
	"errors"
	"strings"
	"time"
)

// InviteKind says what a one-time link does.
type InviteKind string

// Invite kinds.
const (
	// KindInvite lets a new agent join: they choose a name and password.
	KindInvite InviteKind = "invite"
	// KindReset lets an existing agent (AgentID) set a new password.
	KindReset InviteKind = "reset"
)

// InviteInput is what an admin asks for: an invitation for Email (with a
// suggested Name and a Role), or a password reset for AgentID.
type InviteInput struct {
	Kind    InviteKind
	Email   string // KindInvite
	Name    string // KindInvite, optional: the invited agent may change it
	Role    Role   // KindInvite; empty is RoleAgent
	AgentID ID     // KindReset
	By      ID     // the admin who made the link, kept for the record
}

// Invite is a stored one-time link, as its page shows it.
type Invite struct {
	Kind      InviteKind `json:"kind"`
	Email     string     `json:"email"`
	Name      string     `json:"name"`
	Role      Role       `json:"role"`
	AgentID   ID         `json:"agentId"` // KindReset
	By        ID         `json:"-"`
	ExpiresAt time.Time  `json:"expiresAt"`
}

// errInviteKind is a caller's mistake, not the user's: no form offers
// another kind.
var errInviteKind = errors.New("invite: kind must be invite or reset")

// PrepareInvite validates in and returns the invite to store, expiring
// InviteTTL after now, and its token. For a reset, the store fills in the
// agent's email, name and role.
func PrepareInvite(in InviteInput, now time.Time) (Invite, string, error) {
	inv := Invite{Kind: in.Kind, By: in.By, ExpiresAt: now.UTC().Truncate(time.Millisecond).Add(InviteTTL)}
	switch in.Kind {
	case KindInvite:
		var verr ValidationError
		inv.Email = checkEmail(&verr, in.Email)
		// The name is a suggestion the invited agent confirms, so it may
		// be empty, but not unusable.
		if strings.TrimSpace(in.Name) != "" {
			inv.Name = checkName(&verr, in.Name)
		}
		role, ok := ParseRole(string(in.Role))
		if !ok {
			verr.add("role", msgRole)
		}
		inv.Role = role
		if err := verr.orNil(); err != nil {
			return Invite{}, "", err
		}
	case KindReset:
		if in.AgentID.IsZero() {
			return Invite{}, "", errors.New("invite: a reset needs the agent's id")
		}
		inv.AgentID = in.AgentID
	default:
		return Invite{}, "", errInviteKind
	}
	return inv, NewInviteToken(), nil
}

// ReplaceKey names what a new link replaces: the earlier unused
// invitation of the same email, or reset of the same agent.
func (inv *Invite) ReplaceKey() string {
	if inv.Kind == KindReset {
		return "reset:" + inv.AgentID.Hex()
	}
	return "invite:" + inv.Email
}

// AgentInput is what using an invitation creates: the invited email and
// role with the name and password the new agent typed, the invite's name
// when they left it empty.
func (inv *Invite) AgentInput(name, password string) AgentInput {
	if strings.TrimSpace(name) == "" {
		name = inv.Name
	}
	return AgentInput{Email: inv.Email, Name: name, Password: password, Role: inv.Role}
}

// NewInviteToken returns 32 random bytes, URL-safe, for a link.
func NewInviteToken() string {
	b := make([]byte, 32)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return base64.RawURLEncoding.EncodeToString(b)
}

// Apply prepares what using the link writes: for an invitation the new
// agent, for a reset the new password's hash. It validates and hashes,
// which is slow and needs no database, so the stores do it before they
// consume the link.
func (inv *Invite) Apply(name, password string) (agent *Agent, hash []byte, err error) {
	switch inv.Kind {
	case KindInvite:
		agent, err = NewAgent(inv.AgentInput(name, password))
	case KindReset:
		if err = ValidatePassword(password); err == nil {
			hash, err = HashPassword(password)
		}
	}
	return agent, hash, err
}
