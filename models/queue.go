package models

import (
	"context"
	"errors"
	"time"
)

// QueueState is where a customer's call is in the line.
type QueueState string

// The states of a queued call. Waiting and ringing are in line; the others
// have left it for good.
const (
	QueueWaiting   QueueState = "waiting" // on hold
	QueueRinging   QueueState = "ringing" // ringing the agents, still in line
	QueueAnswered  QueueState = "answered"
	QueueAbandoned QueueState = "abandoned" // the caller hung up in line
	QueueVoicemail QueueState = "voicemail" // sent to voicemail (waited too long, or nobody answered)
	QueueCallback  QueueState = "callback"  // asked to be called back instead
)

// InLine reports waiting or ringing.
func (s QueueState) InLine() bool { return s == QueueWaiting || s == QueueRinging }

// Valid reports whether s is one of the states above; the stores refuse
// any other, which could only come from a bug, before writing it.
func (s QueueState) Valid() bool {
	switch s {
	case QueueWaiting, QueueRinging, QueueAnswered, QueueAbandoned, QueueVoicemail, QueueCallback:
		return true
	}
	return false
}

// QueueEntry is one customer's call in the line, kept after it leaves so
// that late webhooks find it and cannot put it back.
type QueueEntry struct {
	ID        ID         `bson:"_id" json:"id"`
	SID       string     `bson:"sid" json:"sid"` // the provider's call id, unique
	TicketID  *ID        `bson:"ticketId,omitempty" json:"ticketId,omitempty"`
	Caller    string     `bson:"caller" json:"caller"` // as the provider names them
	JoinedAt  time.Time  `bson:"joinedAt" json:"joinedAt"`
	State     QueueState `bson:"state" json:"state"`
	UpdatedAt time.Time  `bson:"updatedAt" json:"updatedAt"`
}

// QueueRepository keeps the line of customers' calls waiting for an
// agent, shared by every instance.
type QueueRepository interface {
	// Join puts a call at the end of the line (state waiting, JoinedAt =
	// e.JoinedAt or now), or returns its entry unchanged when the SID is
	// already there: a retried webhook keeps its place. Two concurrent
	// Joins of one SID make one entry.
	Join(ctx context.Context, e QueueEntry) (QueueEntry, error)
	// Get returns a call's entry, or ErrNotFound.
	Get(ctx context.Context, sid string) (*QueueEntry, error)
	// Position is the call's place among the calls in line (waiting or
	// ringing), 1 for the one that has waited longest, ordered by
	// JoinedAt then ID; 0 when the call is not in line (unknown, or it
	// left). One indexed count.
	Position(ctx context.Context, sid string) (int, error)
	// SetState moves a call's entry to state at `at`; ErrNotFound for an
	// unknown SID. Leaving the line is final: once answered, abandoned or
	// voicemail, a later change is ignored without error (webhooks arrive
	// late and out of order). Waiting <-> ringing may go back and forth.
	SetState(ctx context.Context, sid string, state QueueState, at time.Time) error
	// InLine counts the calls in line and returns when the oldest joined
	// (zero time when none).
	InLine(ctx context.Context) (n int, oldest time.Time, err error)
	// Line returns the first limit calls in line, in their order (the
	// first is number 1), for the wallboard.
	Line(ctx context.Context, limit int) ([]QueueEntry, error)
	// Expire takes out of the line, as abandoned at `at`, every call in
	// line not moved since before, and returns their entries as they
	// were: callers who hung up on hold, which the providers do not
	// always report, must not hold the line. Of two instances expiring
	// at once, each returns only the calls it took out.
	Expire(ctx context.Context, before, at time.Time) ([]QueueEntry, error)
}

// PrepareQueueEntry readies e for Join: a fresh id unless it has one,
// JoinedAt now unless set, both times UTC to the millisecond as the
// stores keep them, and state waiting. An entry without a SID could never
// be found again by the webhooks that move it, so it is refused.
func PrepareQueueEntry(e *QueueEntry, now time.Time) error {
	if e.SID == "" {
		return errors.New("queue entry without a call sid")
	}
	if e.ID.IsZero() {
		e.ID = NewID()
	}
	if e.JoinedAt.IsZero() {
		e.JoinedAt = now
	}
	e.JoinedAt = e.JoinedAt.UTC().Truncate(time.Millisecond)
	e.UpdatedAt = e.JoinedAt
	e.State = QueueWaiting
	return nil
}
