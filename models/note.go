package models

import (
	"strings"
	"time"
	"unicode/utf8"
)

// MaxNoteLength is the longest note, in characters.
const MaxNoteLength = 5000

// ValidateNote trims a note as typed, turns Windows and old Mac line
// endings into "\n" (browsers send a textarea's line breaks as "\r\n"),
// and checks it: 1..MaxNoteLength characters of valid UTF-8, with no
// control characters but line breaks and tabs. msg is empty when the
// note is fine, or says what is wrong to the agent who typed it.
func ValidateNote(body string) (clean, msg string) {
	clean = strings.TrimSpace(newlines.Replace(body))
	switch n := utf8.RuneCountInString(clean); {
	case !utf8.ValidString(clean):
		return "", "The note contains characters we can't read."
	case n == 0:
		return "", "Please write a note."
	case n > MaxNoteLength:
		return "", "Please shorten the note to 5,000 characters or fewer (it has " + formatInt(n) + ")."
	case strings.IndexFunc(clean, isBadControl) >= 0:
		return "", "The note contains control characters; please remove them."
	}
	return clean, ""
}

// ActivityKind says what an entry of a ticket's timeline records.
type ActivityKind string

// The kinds of timeline entries the stores write. Calls are not among
// them: they have their own log (CallRepository), which the ticket page
// merges into the timeline.
const (
	ActivityNote       ActivityKind = "note"
	ActivityAssigned   ActivityKind = "assigned"
	ActivityUnassigned ActivityKind = "unassigned"
	ActivityStatus     ActivityKind = "status"
)

// ValidActivityKind reports whether k is one of the known kinds.
func ValidActivityKind(k ActivityKind) bool {
	switch k {
	case ActivityNote, ActivityAssigned, ActivityUnassigned, ActivityStatus:
		return true
	}
	return false
}

// Activity is one entry of a ticket's timeline: a note, or a change of
// its status or assignee, with the agent who made it. Entries are
// internal: customers never see them.
type Activity struct {
	ID       ID           `bson:"_id" json:"id"`
	TicketID ID           `bson:"ticketId" json:"ticketId"`
	Kind     ActivityKind `bson:"kind" json:"kind"`
	Actor    AgentRef     `bson:"actor" json:"actor"`
	At       time.Time    `bson:"at" json:"at"`
	// Body is a note's text (kind note).
	Body string `bson:"body,omitempty" json:"body,omitempty"`
	// Status is the new status (kind status).
	Status TicketStatus `bson:"status,omitempty" json:"status,omitempty"`
	// Assignee is the new assignee (kind assigned).
	Assignee *AgentRef `bson:"assignee,omitempty" json:"assignee,omitempty"`
}

// Note is the JSON shape of a note, as the ticket's JSON lists them.
type Note struct {
	ID        ID        `json:"id"`
	Author    AgentRef  `json:"author"`
	Body      string    `json:"body"`
	CreatedAt time.Time `json:"createdAt"`
}

// Note is a note entry in its JSON shape.
func (a Activity) Note() Note {
	return Note{ID: a.ID, Author: a.Actor, Body: a.Body, CreatedAt: a.At}
}

// NewActivity is an entry of kind on ticket, made now by by, with a fresh
// id. The stores add the kind's own field (Body, Status or Assignee).
func NewActivity(ticket ID, kind ActivityKind, by AgentRef, now time.Time) Activity {
	return Activity{ID: NewID(), TicketID: ticket, Kind: kind, Actor: by, At: now}
}

// Deletion records that an agent deleted a ticket: who, when, and which
// ticket (its number and phone number), since the ticket itself is gone.
type Deletion struct {
	ID          ID        `bson:"_id" json:"id"`
	TicketID    ID        `bson:"ticketId" json:"ticketId"`
	Number      int64     `bson:"number" json:"number"`
	PhoneNumber string    `bson:"phoneNumber" json:"phoneNumber"`
	By          AgentRef  `bson:"by" json:"by"`
	At          time.Time `bson:"at" json:"at"`
}

// NewDeletion is the audit entry for deleting t, now, by by.
func NewDeletion(t *Ticket, by AgentRef, now time.Time) Deletion {
	return Deletion{ID: NewID(), TicketID: t.ID, Number: t.Number, PhoneNumber: t.PhoneNumber, By: by, At: now}
}
