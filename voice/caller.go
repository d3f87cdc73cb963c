package voice

import (
	"context"
	"errors"
	"strings"

	"github.com/ringdesk/ringdesk/models"
)

// Caller is who is calling the agents, as their ringing banner says it.
type Caller struct {
	// Number is a phone caller's number (E.164); "" for a browser caller.
	Number string
	// Ticket is the ticket a browser caller opened before calling.
	Ticket *models.Ticket
	// Matches are a phone caller's tickets, latest first.
	Matches []models.Ticket
}

// callerMatches is how many of a phone caller's tickets the banner lists.
const callerMatches = 5

// Identify says who is on an inbound call: the ticket the browser caller
// opened (the call's ticket, which only a signed reference can set), or
// for a phone caller the tickets with their number. A caller with
// neither is unknown; the banner offers to open a ticket for them.
func (s *Service) Identify(ctx context.Context, call *models.Call) (Caller, error) {
	if call.TicketID != nil {
		t, err := s.Tickets.Get(ctx, *call.TicketID)
		if err == nil {
			return Caller{Number: PhoneOf(call.From), Ticket: t}, nil
		}
		if !errors.Is(err, models.ErrNotFound) {
			return Caller{}, err
		}
	}
	number := PhoneOf(call.From)
	if number == "" {
		return Caller{}, nil
	}
	matches, err := s.Tickets.ForPhone(ctx, number, callerMatches)
	return Caller{Number: number, Matches: matches}, err
}

// PhoneOf returns the caller's phone number when a phone placed the call
// (the providers write it in E.164), "" for a browser's identity.
func PhoneOf(from string) string {
	n, ok := strings.CutPrefix(from, "+")
	if !ok || len(n) < 7 || len(n) > 15 || strings.Trim(n, "0123456789") != "" {
		return ""
	}
	return from
}
