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

// Role is what an agent may do beyond working tickets.
type Role string

// Roles. Admins also manage agents and settings. Every store keeps at
// least one active admin: the first agent is one, and the last active
// admin cannot be disabled or demoted.
const (
	RoleAdmin Role = "admin"
	RoleAgent Role = "agent"
)

// ParseRole reads a role typed or chosen by a user; "" is RoleAgent.
func ParseRole(s string) (Role, bool) {
	switch r := Role(strings.TrimSpace(s)); r {
	case "", RoleAgent:
		return RoleAgent, true
	case RoleAdmin:
		return RoleAdmin, true
	}
	return "", false
}

// Agent is a support team member who can sign in.
type Agent struct {
	ID           ID        `bson:"_id" json:"id"`
	Email        string    `bson:"email" json:"email"`
	Name         string    `bson:"name" json:"name"`
	PasswordHash []byte    `bson:"passwordHash" json:"-"`
	CreatedAt    time.Time `bson:"createdAt" json:"createdAt"`
	// Disabled agents cannot sign in, and their sessions end.
	Disabled bool `bson:"disabled,omitempty" json:"disabled"`
	// Role is RoleAdmin or RoleAgent. Agents stored before roles existed
	// read as RoleAgent, except the one the stores promote so that an
	// admin exists.
	Role Role `bson:"role" json:"role"`

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

// IsAdmin reports whether the agent may manage agents and settings.
func (a *Agent) IsAdmin() bool { return a.Role == RoleAdmin && !a.Disabled }

// AgentInput is what an administrator types to create an agent.
type AgentInput struct {
	Email    string
	Name     string
	Password string
	// Role is RoleAgent when empty. AgentRepository.Create makes the
	// very first agent an admin whatever it says.
	Role Role
}

// Validate checks the input and returns the normalised email and name.
func (in AgentInput) Validate() (email, name string, err error) {
	var verr ValidationError
	email = checkEmail(&verr, in.Email)
	name = checkName(&verr, in.Name)
	checkPassword(&verr, in.Password)
	if _, ok := ParseRole(string(in.Role)); !ok {
		verr.add("role", msgRole)
	}
	return email, name, verr.orNil()
}

const msgRole = "Please choose a role: admin or agent."

// checkEmail records what is wrong with an email and returns it
// normalised.
func checkEmail(verr *ValidationError, raw string) string {
	email := NormalizeEmail(raw)
	if addr, perr := mail.ParseAddress(email); perr != nil || addr.Address != email || len(email) > maxEmailLen {
		verr.add("email", "Please enter a valid email address, e.g. ada@example.com.")
	}
	return email
}

// checkName records what is wrong with an agent's name and returns it
// trimmed.
func checkName(verr *ValidationError, raw string) string {
	name := strings.TrimSpace(raw)
	switch n := utf8.RuneCountInString(name); {
	case n == 0:
		verr.add("name", "Please enter a name.")
	case n > MaxNameLen:
		verr.add("name", "Please shorten the name to 100 characters or fewer.")
	case strings.IndexFunc(name, isBidiControl) >= 0:
		verr.add("name", msgBidiName)
	}
	return name
}

// checkPassword records what is wrong with a new password.
func checkPassword(verr *ValidationError, password string) {
	switch {
	case utf8.RuneCountInString(password) < MinPasswordLen:
		verr.add("password", "Use at least 10 characters for the password.")
	case len(password) > MaxPasswordLen:
		verr.add("password", "Use at most 72 bytes for the password.")
	}
}

// ValidateName checks an agent's new name as AgentInput.Validate does and
// returns it trimmed; a problem is a ValidationError on "name".
func ValidateName(name string) (string, error) {
	var verr ValidationError
	name = checkName(&verr, name)
	return name, verr.orNil()
}

// ValidatePassword checks a new password as AgentInput.Validate does; a
// problem is a ValidationError on "password".
func ValidatePassword(password string) error {
	var verr ValidationError
	checkPassword(&verr, password)
	return verr.orNil()
}

// ValidateRole checks a role chosen for an agent, "" being RoleAgent; a
// problem is a ValidationError on "role".
func ValidateRole(r Role) (Role, error) {
	role, ok := ParseRole(string(r))
	if !ok {
		return "", &ValidationError{Fields: map[string]string{"role": msgRole}}
	}
	return role, nil
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
	role, _ := ParseRole(string(in.Role))
	return &Agent{ID: NewID(), Email: email, Name: name, PasswordHash: hash, CreatedAt: Now(), Role: role}, nil
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

// ReplacePassword checks current against a's password and returns the
// hash of next, which is the new password once the store has checked the
// old hash is still a's (a change made in between wins). next must have
// passed ValidatePassword.
func ReplacePassword(a *Agent, current, next string) ([]byte, error) {
	if _, err := CheckPassword(a, current); err != nil {
		return nil, err
	}
	return HashPassword(next)
}
