package models

import (
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"
	"unicode"
	"unicode/utf8"

	"github.com/nyaruka/phonenumbers"
)

// Limits on what a customer may type. Bodies are capped well above these
// so that an over-long field gets a friendly message, not a 413.
const (
	MaxNameLen        = 100
	MaxPhoneLen       = 32
	MaxDescriptionLen = 5000
)

// TicketStatus is open, pending or closed.
type TicketStatus string

// The statuses a ticket can have.
const (
	StatusOpen TicketStatus = "open"
	// StatusPending means the team is waiting on the customer. A pending
	// ticket is not closed: it stays in the Open view and count.
	StatusPending TicketStatus = "pending"
	StatusClosed  TicketStatus = "closed"
)

// ValidStatus reports whether s is one of the known statuses.
func ValidStatus(s TicketStatus) bool {
	switch s {
	case StatusOpen, StatusPending, StatusClosed:
		return true
	}
	return false
}

// ParseStatus accepts only the known statuses.
func ParseStatus(s string) (TicketStatus, bool) {
	if !ValidStatus(TicketStatus(s)) {
		return "", false
	}
	return TicketStatus(s), true
}

// AgentRef names an agent on a ticket, note or timeline entry. Name is a
// copy, so that a page needs no second query to show it; a rename
// refreshes it on tickets (TicketRepository.RenameAgent), while the
// timeline keeps the name an agent had when they acted.
type AgentRef struct {
	ID   ID     `bson:"id" json:"id"`
	Name string `bson:"name" json:"name"`
}

// Ticket is a customer's request for help.
type Ticket struct {
	ID          ID           `bson:"_id" json:"id"`
	Number      int64        `bson:"number" json:"number"`
	Name        string       `bson:"name" json:"name"`
	PhoneNumber string       `bson:"phoneNumber" json:"phoneNumber"` // E.164
	Description string       `bson:"description" json:"description"`
	Status      TicketStatus `bson:"status" json:"status"`
	// Assignee is the agent working on the ticket; nil (JSON null) when
	// nobody is.
	Assignee  *AgentRef `bson:"assignee,omitempty" json:"assignee"`
	CreatedAt time.Time `bson:"createdAt" json:"createdAt"`
	UpdatedAt time.Time `bson:"updatedAt" json:"updatedAt"`

	// IdempotencyKey makes a retried submission return the first ticket.
	IdempotencyKey string `bson:"idempotencyKey" json:"-"`

	// Source is "voicemail" for tickets opened by a voicemail; empty for
	// the ticket form. Voicemail tickets may have no phone number.
	Source string `bson:"source,omitempty" json:"source,omitempty"`

	// Calls summarises the ticket's calls, keyed by call id, so that the
	// dashboard needs no second query; CallStore keeps it current.
	Calls map[string]CallSummary `bson:"calls,omitempty" json:"calls,omitempty"`
}

// RecentCalls returns the ticket's call summaries, newest first.
func (t *Ticket) RecentCalls() []CallSummary {
	calls := make([]CallSummary, 0, len(t.Calls))
	for _, c := range t.Calls {
		calls = append(calls, c)
	}
	sort.Slice(calls, func(i, j int) bool { return calls[i].StartedAt.After(calls[j].StartedAt) })
	return calls
}

// PhoneDisplay formats the stored number for people: +1 415-555-0100.
func (t *Ticket) PhoneDisplay() string { return FormatPhone(t.PhoneNumber) }

// TicketInput is what a customer submits.
type TicketInput struct {
	Name        string
	PhoneNumber string
	Description string
}

// Validate checks the input and returns a ticket with normalised fields:
// trimmed text and the phone number in E.164. region is the default
// country for numbers typed without a leading +.
func (in TicketInput) Validate(region string) (Ticket, error) {
	var verr ValidationError
	t := Ticket{
		Name:        strings.TrimSpace(in.Name),
		Description: strings.TrimSpace(newlines.Replace(in.Description)),
	}

	switch n := utf8.RuneCountInString(t.Name); {
	case !utf8.ValidString(t.Name):
		verr.add("name", "Your name contains characters we can't read.")
	case n == 0:
		verr.add("name", "Please tell us your name.")
	case n > MaxNameLen:
		verr.add("name", "Please shorten your name to 100 characters or fewer.")
	case strings.IndexFunc(t.Name, unicode.IsControl) >= 0:
		verr.add("name", "Your name can't contain line breaks or control characters.")
	case strings.IndexFunc(t.Name, isBidiControl) >= 0:
		verr.add("name", msgBidiName)
	}

	phone, msg := NormalizePhone(in.PhoneNumber, region)
	if msg != "" {
		verr.add("phone_number", msg)
	}
	t.PhoneNumber = phone

	switch n := utf8.RuneCountInString(t.Description); {
	case !utf8.ValidString(t.Description):
		verr.add("description", "The description contains characters we can't read.")
	case n == 0:
		verr.add("description", "Please describe what you need help with.")
	case n > MaxDescriptionLen:
		verr.add("description", "Please shorten the description to 5,000 characters or fewer (it has "+formatInt(n)+").")
	case strings.IndexFunc(t.Description, isBadControl) >= 0:
		verr.add("description", "The description contains control characters; please remove them.")
	}
	return t, verr.orNil()
}

// newlines turns Windows and old Mac line endings into "\n".
var newlines = strings.NewReplacer("\r\n", "\n", "\r", "\n")

// msgBidiName refuses text-direction controls in names.
const msgBidiName = "Names can't contain invisible text-direction characters; please type the name plainly."

// isBidiControl reports the invisible characters that change the
// direction of the text around them (embeddings, overrides, isolates and
// marks). In a name they let "Ada\u202Egnp.exe" display as "Adaexe.png":
// a name shown to agents must read as what it is.
func isBidiControl(r rune) bool {
	switch {
	case r >= '\u202A' && r <= '\u202E', r >= '\u2066' && r <= '\u2069':
		return true
	}
	return r == '\u200E' || r == '\u200F' || r == '\u061C'
}

// isBadControl allows the line breaks and tabs a description may hold.
func isBadControl(r rune) bool {
	return unicode.IsControl(r) && r != '\n' && r != '\t'
}

// NormalizePhone parses a number as typed (national numbers use region)
// and returns it in E.164, or a message for the person who typed it.
func NormalizePhone(raw, region string) (e164, msg string) {
	raw = strings.TrimSpace(raw)
	switch {
	case raw == "":
		return "", "Please enter a phone number we can call you on."
	case len(raw) > MaxPhoneLen:
		return "", "That phone number is too long."
	}
	num, err := phonenumbers.Parse(raw, region)
	if err != nil || !phonenumbers.IsValidNumber(num) {
		if !strings.HasPrefix(raw, "+") {
			return "", "That doesn't look like a valid phone number. Include the country code, e.g. +1 415 555 0100."
		}
		return "", "That doesn't look like a valid phone number."
	}
	return phonenumbers.Format(num, phonenumbers.E164), ""
}

// FormatPhone shows an E.164 number in international format, or the input
// unchanged when it does not parse. Parsing is most of a dashboard page's
// cost (a page shows fifty numbers, mostly the same few), so results are
// remembered.
func FormatPhone(e164 string) string {
	if v, ok := phoneDisplays.Load(e164); ok {
		return v.(string)
	}
	out := e164
	if num, err := phonenumbers.Parse(e164, ""); err == nil {
		out = phonenumbers.Format(num, phonenumbers.INTERNATIONAL)
	}
	// Bounded: past the limit the cache starts again rather than grow.
	if phoneDisplayCount.Add(1) > maxPhoneDisplays {
		phoneDisplays.Clear()
		phoneDisplayCount.Store(0)
	}
	phoneDisplays.Store(e164, out)
	return out
}

const maxPhoneDisplays = 10000

var (
	phoneDisplays     sync.Map // E.164 -> display form
	phoneDisplayCount atomic.Int64
)

// formatInt writes n with thousands separators.
func formatInt(n int) string {
	s := strconv.Itoa(n)
	for i := len(s) - 3; i > 0; i -= 3 {
		s = s[:i] + "," + s[i:]
	}
	return s
}
