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
	// SetStatus sets a ticket's status, recording a "status" entry on its
	// timeline when the status changes (setting the status it has
	// changes nothing). ErrNotFound if the ticket is missing.
	SetStatus(ctx context.Context, id ID, status TicketStatus, by AgentRef) error
	// Assign gives the ticket to an agent, or to nobody when to is nil,
	// recording an "assigned" or "unassigned" entry when the assignee
	// changes. ErrNotFound if the ticket is missing.
	Assign(ctx context.Context, id ID, to *AgentRef, by AgentRef) error
	// AddNote adds an internal note (its body already validated by
	// ValidateNote) to the ticket's timeline and returns it; ErrNotFound
	// if the ticket is missing.
	AddNote(ctx context.Context, id ID, by AgentRef, body string) (*Activity, error)
	// Timeline returns a ticket's notes and changes, oldest first: the
	// latest 1000 when there are more. A missing ticket has none.
	Timeline(ctx context.Context, id ID) ([]Activity, error)
	// Find returns up to limit tickets of a view, searched, after the
	// cursor (nil for the first page), and the next page's cursor when
	// there is one; each page is one indexed query. Tickets come newest
	// first: by creation time (ties by id), except for a word search,
	// which the full-text indexes answer in ticket-number order (the
	// order tickets were numbered as they arrived), its cursors carrying
	// the number. A word search's page link without one is ErrBadCursor.
	Find(ctx context.Context, q Query, after *Cursor, limit int) ([]Ticket, *Cursor, error)
	// Counts returns how many tickets each view holds now; Mine is
	// agent's. It is cheap enough for every dashboard page.
	Counts(ctx context.Context, agent ID) (ViewCounts, error)
	// ForPhone returns up to limit of the tickets from one phone number
	// (E.164), newest first: a customer's history.
	ForPhone(ctx context.Context, phone string, limit int) ([]Ticket, error)
	// Delete deletes a ticket and its timeline (its calls' logs stay),
	// recording who deleted which ticket, and when. ErrNotFound if it is
	// missing.
	Delete(ctx context.Context, id ID, by AgentRef) error
	// DeleteOpenByPhone deletes, as Delete does, every ticket from phone
	// that is not closed, and returns how many it deleted. An empty phone
	// is a ValidationError: tickets without a number are not one
	// caller's.
	DeleteOpenByPhone(ctx context.Context, phone string, by AgentRef) (int64, error)
	// RenameAgent refreshes the copy of ref's name on the tickets
	// assigned to ref.ID.
	RenameAgent(ctx context.Context, ref AgentRef) error
	// List is Find of ViewAll with no search.
	List(ctx context.Context, after *Cursor, limit int) ([]Ticket, *Cursor, error)
	// CountOpen counts the tickets that are not closed (Counts' Open).
	CountOpen(ctx context.Context) (int64, error)
}

// MaxTimeline caps Timeline: a ticket with more entries than this is not
// one a person reads through.
const MaxTimeline = 1000

// AgentRepository stores agents, their revoked sessions and the one-time
// links that invite an agent or reset a password.
type AgentRepository interface {
	// Create validates the input, hashes the password and stores the
	// agent, deleting the set-up token in the same step: once an agent
	// exists, the set-up link is dead. The very first agent is an admin
	// whatever in.Role says. An email already in use is ErrConflict.
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
	// SetRole changes an agent's role. Demoting the last active admin is
	// ErrLastAdmin; a role other than RoleAdmin and RoleAgent is a
	// ValidationError on "role"; a missing agent is ErrNotFound.
	SetRole(ctx context.Context, id ID, role Role) error
	// SetDisabled disables or re-enables an agent. Disabling the last
	// active admin is ErrLastAdmin; a missing agent is ErrNotFound.
	SetDisabled(ctx context.Context, id ID, disabled bool) error
	// SetName renames an agent, validated as AgentInput's name.
	SetName(ctx context.Context, id ID, name string) error
	// ChangePassword replaces the agent's password with next (validated
	// as AgentInput's) if current is the password now stored; otherwise,
	// and for a disabled agent, it is ErrInvalidCredentials.
	ChangePassword(ctx context.Context, id ID, current, next string) error
	// SetPasswordHash replaces an agent's password hash.
	SetPasswordHash(ctx context.Context, id ID, hash []byte) error
	// DeleteExpiredRevocations forgets revocations of sessions that have
	// expired anyway.
	DeleteExpiredRevocations(ctx context.Context, now time.Time) (int64, error)

	// CreateInvite stores a one-time link valid for InviteTTL from now
	// and returns its token; only the token's hash is kept. It replaces
	// any unused link for the same email (KindInvite) or agent
	// (KindReset). An invite for an email an agent already has is
	// ErrConflict; a reset of a missing agent is ErrNotFound.
	CreateInvite(ctx context.Context, in InviteInput, now time.Time) (token string, err error)
	// CheckInvite returns the link's invite, or ErrNotFound when the
	// token is unknown, used, replaced or expired. For a reset, Email,
	// Name and Role are the agent's.
	CheckInvite(ctx context.Context, token string, now time.Time) (*Invite, error)
	// UseInvite consumes the link (of two concurrent uses only one
	// succeeds) and returns the agent it is for. KindInvite creates the
	// agent with this name (the invite's when empty) and password,
	// validated as AgentInput (an email taken meanwhile is ErrConflict);
	// KindReset sets the agent's password, validated likewise, and
	// ignores name. Invalid input leaves the link unused.
	UseInvite(ctx context.Context, token, name, password string, now time.Time) (*Agent, error)
}

// InviteTTL is how long an invitation or password-reset link works.
const InviteTTL = 72 * time.Hour

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
	// Each calls fn with every call that started at or after from and
	// before to, in order of start (ties by id), decoding one call at a
	// time from one indexed range query, so a report over any span needs
	// little memory. An error from fn stops the walk and is returned as
	// it is. A walk over many calls outlasts any fixed deadline, so
	// OpTimeout bounds each wait for the database instead, not counting
	// the time fn takes.
	Each(ctx context.Context, from, to time.Time, fn func(*Call) error) error
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
	// WatchChanges reports every write of tickets and calls, and every
	// change of presence, by any instance, until ctx ends;
	// ErrNoChangeStreams when the database cannot (the embedded store,
	// which one process owns anyway).
	WatchChanges(ctx context.Context, fn func(Change)) error
	// Dump calls fn with every stored item: agents, tickets, timeline
	// entries, calls, deletion records and counters, in that order.
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
	// Settings are the team's; every instance reads them from the store,
	// so a change applies on all of them at once.
	// Callbacks are the customers in line who asked to be called back.
	Callbacks CallbackRepository
	Settings  SettingsRepository
	// Queue is the line of customers' calls waiting for an agent.
	Queue QueueRepository
	// Presence is what the agents' open dashboards say of their phones.
	Presence PresenceRepository
	Engine
}

// SettingsRepository stores settings an admin changes while Ringdesk
// runs.
type SettingsRepository interface {
	// Hours returns the business hours: Hours{} (always open) when they
	// were never set.
	Hours(ctx context.Context) (Hours, error)
	// SetHours stores hours, already checked by ValidateHours.
	SetHours(ctx context.Context, h Hours) error
}

// Change is a ticket or call written by any instance, or a change of
// the agents' presence.
type Change struct {
	Collection string // "tickets", "calls" or "presence"
	ID         ID     // the ticket's or call's; zero for presence
}

// Item is one record of an export: exactly one field is set.
type Item struct {
	Agent    *Agent
	Ticket   *Ticket
	Activity *Activity
	Call     *Call
	Deletion *Deletion
	Counter  *Counter
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
	// Number is the ticket's number on the pages of a word search, which
	// run in number order (see TicketRepository.Find); 0 elsewhere.
	Number int64
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

// PageByNumber is Page for a word search, whose cursors carry the last
// ticket's number.
func PageByNumber(rows []Ticket, limit int) ([]Ticket, *Cursor) {
	rows, next := Page(rows, limit)
	if next != nil {
		next.Number = rows[len(rows)-1].Number
	}
	return rows, next
}

// String encodes the cursor for a URL.
func (c Cursor) String() string {
	s := strconv.FormatInt(c.CreatedAt.UnixMilli(), 10) + "-" + c.ID.Hex()
	if c.Number > 0 {
		s += "-" + strconv.FormatInt(c.Number, 10)
	}
	return s
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
	hexID, num, hasNum := strings.Cut(hexID, "-")
	id, err := ParseID(hexID)
	if err != nil {
		return Cursor{}, ErrBadCursor
	}
	c := Cursor{CreatedAt: time.UnixMilli(n).UTC(), ID: id}
	if hasNum {
		if c.Number, err = strconv.ParseInt(num, 10, 64); err != nil || c.Number < 1 {
			return Cursor{}, ErrBadCursor
		}
	}
	return c, nil
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
