package models

import (
	"context"
	"errors"
	"time"
)

// Callback is a customer in line who pressed 1 to be called back instead
// of waiting: their ticket and the number to call. It is pending until
// an agent calls the ticket.
type Callback struct {
	ID       ID     `bson:"_id" json:"id"`
	SID      string `bson:"sid" json:"sid"` // the call they left the line from
	TicketID ID     `bson:"ticketId" json:"ticketId"`
	// TicketNumber and Name are copies from the ticket, so that the
	// dashboard's list needs no other query.
	TicketNumber int64      `bson:"ticketNumber" json:"ticketNumber"`
	Name         string     `bson:"name" json:"name"`
	Number       string     `bson:"number" json:"number"` // E.164
	RequestedAt  time.Time  `bson:"requestedAt" json:"requestedAt"`
	DoneAt       *time.Time `bson:"doneAt,omitempty" json:"doneAt,omitempty"`
}

// MaxCallbacksShown caps the dashboard's Call back list.
const MaxCallbacksShown = 50

// CallbackRepository keeps the callbacks customers asked for.
type CallbackRepository interface {
	// Request records a callback, or returns the one already recorded
	// for the same call: a retried webhook asks once.
	Request(ctx context.Context, c Callback) (Callback, error)
	// Pending returns up to limit callbacks not yet made, the longest
	// waiting first, and how many are pending in all.
	Pending(ctx context.Context, limit int) ([]Callback, int, error)
	// Done marks the pending callbacks of a ticket made, at `at`.
	Done(ctx context.Context, ticketID ID, at time.Time) error
}

// PrepareCallback readies c for Request: an id, the time to the
// millisecond in UTC; a callback needs its call, ticket and number.
func PrepareCallback(c *Callback, now time.Time) error {
	if c.SID == "" || c.TicketID.IsZero() || c.Number == "" {
		return errors.New("callback without its call, ticket or number")
	}
	if c.ID.IsZero() {
		c.ID = NewID()
	}
	if c.RequestedAt.IsZero() {
		c.RequestedAt = now
	}
	c.RequestedAt = c.RequestedAt.UTC().Truncate(time.Millisecond)
	c.DoneAt = nil
	return nil
}
