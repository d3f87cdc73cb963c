package models

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"strconv"
	"strings"
	"time"
)

// OpTimeout bounds every repository call, even when the caller's context
// has no deadline: a request must be able to answer within about five
// seconds when the database is gone.
const OpTimeout = 4 * time.Second

// PageSize is how many tickets the dashboard shows at once.
const PageSize = 50

// TicketRepository stores tickets.
type TicketRepository interface {
	// Create stores t, giving it an id, the next ticket number, status
	// open and its times. A ticket with the same idempotency key (a
	// double-click, a retried request) is returned with created=false; a
	// key reused for different content is ErrConflict, because returning
	// the first ticket would disclose it to whoever guessed the key.
	Create(ctx context.Context, t *Ticket) (created bool, err error)
	// Get returns one ticket, or ErrNotFound.
	Get(ctx context.Context, id ID) (*Ticket, error)
	// SetStatus opens or closes a ticket; ErrNotFound if it is missing.
	SetStatus(ctx context.Context, id ID, status TicketStatus) error
	// List returns up to limit tickets, newest first, after the cursor
	// (nil for the first page), and the next page's cursor when there is
	// one. It is one indexed query, whatever the number of tickets.
	List(ctx context.Context, after *Cursor, limit int) ([]Ticket, *Cursor, error)
	// CountOpen counts open tickets from an index.
	CountOpen(ctx context.Context) (int64, error)
}

// AgentRepository stores agents and their revoked sessions.
type AgentRepository interface {
	// Create validates the input, hashes the password and stores the
	// agent, deleting the set-up token in the same step: once an agent
	// exists, the set-up link is dead. An email already in use is
	// ErrConflict.
	Create(ctx context.Context, in AgentInput) (*Agent, error)
	// Get returns an agent with its revoked sessions, or ErrNotFound.
	Get(ctx context.Context, id ID) (*Agent, error)
	// GetByEmail returns the agent with this (normalised) email.
	GetByEmail(ctx context.Context, email string) (*Agent, error)
	// Exists reports whether any agent has been created.
	Exists(ctx context.Context) (bool, error)
	// List returns every agent, by email.
	List(ctx context.Context) ([]Agent, error)
	// Authenticate returns the active agent whose email and password
	// match, or ErrInvalidCredentials for an unknown email, a wrong
	// password and a disabled agent alike.
	Authenticate(ctx context.Context, email, password string) (*Agent, error)
	// RevokeSession records a sign-out as one atomic write, so
	// simultaneous sign-outs never lose each other's revocations.
	RevokeSession(ctx context.Context, id ID, sid string, expires time.Time) error
	// SetDisabled disables or re-enables an agent.
	SetDisabled(ctx context.Context, id ID, disabled bool) error
	// SetPasswordHash replaces an agent's password hash.
	SetPasswordHash(ctx context.Context, id ID, hash []byte) error
	// DeleteExpiredRevocations forgets revocations of sessions that have
	// expired anyway.
	DeleteExpiredRevocations(ctx context.Context, now time.Time) (int64, error)
}

// SetupTokenTTL is how long a set-up link works. A restart with no agent
// prints a fresh one, so a short life costs nothing and a link found in an
// old log is worthless.
const SetupTokenTTL = 24 * time.Hour

// SetupRepository holds the one-time token that lets the first agent sign
// up. Only its hash is stored: the token itself appears once, in the log.
// The token is good only while no agent exists: AgentRepository.Create
// deletes it, and Check and Use refuse it as soon as any agent exists
// (one restored by an import included), whichever came first.
type SetupRepository interface {
	// NewToken replaces any earlier set-up token with a fresh one.
	NewToken(ctx context.Context) (string, error)
	// Check reports whether token is the current, unused set-up token,
	// issued less than SetupTokenTTL before now, while no agent exists.
	Check(ctx context.Context, token string, now time.Time) (bool, error)
	// Use consumes the token on the same conditions as Check: of two
	// concurrent uses only one succeeds.
	Use(ctx context.Context, token string, now time.Time) (bool, error)
}

// CallRepository stores call logs, and a summary of each call on its
// ticket so the dashboard shows call history without another query.
type CallRepository interface {
	// Record adds ev to its call's log, creating the log on first sight,
	// and returns the call as now stored. Providers retry webhooks and
	// deliver them out of order: a retried event adds nothing, and the
	// outcome is derived from all events, so order does not matter.
	Record(ctx context.Context, ev CallEvent) (*Call, error)
	// Get returns one call log by its provider id, or ErrNotFound.
	Get(ctx context.Context, sid string) (*Call, error)
	// GetByID returns one call log by its id, or ErrNotFound.
	GetByID(ctx context.Context, id ID) (*Call, error)
	// ForTicket returns a ticket's calls, newest first (at most 200).
	ForTicket(ctx context.Context, ticketID ID) ([]Call, error)
}

// MediaTokenRepository records which one-time media-socket tokens have
// been used. The tokens are signed and carry their expiry, so any instance
// can check them; only their single use needs shared state.
type MediaTokenRepository interface {
	// Use marks token id as used; a second use, on any instance, is
	// ErrConflict.
	Use(ctx context.Context, id string, expires time.Time) error
	// DeleteExpired removes records of tokens that can no longer be
	// presented anyway.
	DeleteExpired(ctx context.Context, now time.Time) (int64, error)
}

// Engine is what differs between the stores beyond the repositories.
type Engine interface {
	// Ping reports whether the database answers.
	Ping(ctx context.Context) error
	// Where describes the store for the start-up log and the CLI.
	Where() string
	// Close waits for in-flight work and closes the database.
	Close(ctx context.Context) error
	// WatchChanges reports every write of tickets and calls, by any
	// instance, until ctx ends; ErrNoChangeStreams when the database
	// cannot (the embedded store, which one process owns anyway).
	WatchChanges(ctx context.Context, fn func(Change)) error
	// Dump calls fn with every stored item: agents, tickets, calls and
	// counters, in that order.
	Dump(ctx context.Context, fn func(Item) error) error
	// Restore stores one item unless an item with its id (or email, or
	// ticket number) is already there; inserted reports which. A counter
	// is raised to the item's value, never lowered.
	Restore(ctx context.Context, it Item) (inserted bool, err error)
}

// Store is one database and the repositories built on it.
type Store struct {
	Tickets TicketRepository
	Agents  AgentRepository
	Setup   SetupRepository
	Calls   CallRepository
	Media   MediaTokenRepository
	Engine
}

// Change is a ticket or call written by any instance.
type Change struct {
	Collection string // "tickets" or "calls"
	ID         ID
}

// Item is one record of an export: exactly one field is set.
type Item struct {
	Agent   *Agent
	Ticket  *Ticket
	Call    *Call
	Counter *Counter
}

// Counter is a named sequence, such as the ticket numbers.
type Counter struct {
	Name  string
	Value int64
}

// TicketCounter names the ticket-number sequence.
const TicketCounter = "tickets"

// Cursor marks a position in the newest-first ticket list: the last ticket
// shown. Paging by value, not by offset, keeps every page one indexed
// query and stable while new tickets arrive.
type Cursor struct {
	CreatedAt time.Time
	ID        ID
}

// Page cuts a list query's rows (fetched with one row more than limit, so
// that one query tells whether a next page exists) to the page and the
// cursor of the next one, nil on the last page.
func Page(rows []Ticket, limit int) ([]Ticket, *Cursor) {
	if len(rows) <= limit {
		return rows, nil
	}
	rows = rows[:limit]
	last := rows[limit-1]
	return rows, &Cursor{CreatedAt: last.CreatedAt, ID: last.ID}
}

// String encodes the cursor for a URL.
func (c Cursor) String() string {
	return strconv.FormatInt(c.CreatedAt.UnixMilli(), 10) + "-" + c.ID.Hex()
}

// ErrBadCursor means a page link was tampered with or truncated.
var ErrBadCursor = errors.New("bad page cursor")

// ParseCursor decodes Cursor.String.
func ParseCursor(s string) (Cursor, error) {
	ms, hexID, ok := strings.Cut(s, "-")
	if !ok {
		return Cursor{}, ErrBadCursor
	}
	n, err := strconv.ParseInt(ms, 10, 64)
	if err != nil {
		return Cursor{}, ErrBadCursor
	}
	id, err := ParseID(hexID)
	if err != nil {
		return Cursor{}, ErrBadCursor
	}
	return Cursor{CreatedAt: time.UnixMilli(n).UTC(), ID: id}, nil
}

// Now is the time stores write: UTC, to the millisecond, which is what
// both databases keep, so a value reads back exactly as it was written.
func Now() time.Time { return time.Now().UTC().Truncate(time.Millisecond) }

// RandomHex returns n random bytes as hex, for tokens and generated keys.
func RandomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b)
}

// HashToken is how one-time tokens are stored: a leaked database does not
// reveal a usable token.
func HashToken(token string) string {
	sum := sha256.Sum256([]byte(token))
	return hex.EncodeToString(sum[:])
}

// IsUnavailable reports whether err means the database could not be reached.
func IsUnavailable(err error) bool { return errors.Is(err, ErrUnavailable) }

// PrepareTicket sets what Create gives every new ticket except its number.
func PrepareTicket(t *Ticket, now time.Time) {
	if t.IdempotencyKey == "" {
		// Every ticket carries a key so the unique index needs no
		// partial filter.
		t.IdempotencyKey = "gen:" + RandomHex(16)
	}
	t.ID = NewID()
	t.Status = StatusOpen
	t.CreatedAt, t.UpdatedAt = now, now
}

// SameSubmission reports whether two tickets carry the same content, for
// the idempotency-key check.
func SameSubmission(a, b *Ticket) bool {
	return a.Name == b.Name && a.PhoneNumber == b.PhoneNumber && a.Description == b.Description
}
