package models

import (
	"context"
	"time"
)

// Presence is what one open dashboard says of its agent's phone. Each
// instance writes the pages it serves, so every instance counts the
// whole team and rings (or queues) alike. A page's record lives while
// its event stream does: the instance renews it on the stream's
// heartbeat and drops it when the stream ends; an instance that dies
// stops renewing, and its pages stop counting once they expire.
type Presence struct {
	Stream  string `bson:"_id" json:"stream"` // the event stream's random id
	AgentID ID     `bson:"agentId" json:"agentId"`
	Ready   bool   `bson:"ready" json:"ready"`   // the phone is registered for incoming calls
	Away    bool   `bson:"away" json:"away"`     // the agent chose Away
	OnCall  bool   `bson:"onCall" json:"onCall"` // a call rings or is up on the phone
	// ExpiresAt is when the page stops counting unless renewed.
	ExpiresAt time.Time `bson:"expiresAt" json:"expiresAt"`
}

// PresenceTTL is how long a page counts without being renewed: three
// missed renewals (instances renew on each event-stream heartbeat).
const PresenceTTL = 45 * time.Second

// PresenceRepository keeps the open dashboards' presence, shared by
// every instance.
type PresenceRepository interface {
	// Set records p, replacing what its stream said before.
	Set(ctx context.Context, p Presence) error
	// Drop forgets a stream whose page closed; an unknown stream is no
	// error.
	Drop(ctx context.Context, stream string) error
	// Team counts the agents of the pages not expired at now (TeamCount).
	Team(ctx context.Context, now time.Time) (TeamPresence, error)
	// DeleteExpired removes the pages that expired before now.
	DeleteExpired(ctx context.Context, now time.Time) (int64, error)
}

// TeamPresence counts the agents with Ringdesk open: on a call, available
// for one, or away.
type TeamPresence struct {
	Available, OnCall, Away int
}

// Present is every agent with a page open.
func (t TeamPresence) Present() int { return t.Available + t.OnCall + t.Away }

// TeamCount counts agents from their pages: an agent is on a call when a
// call is up on any of their pages, else available when any page has a
// registered phone set to Available, else away. An agent with no page
// open is none of these: nothing rings for them.
func TeamCount(pages []Presence) TeamPresence {
	type state struct{ available, onCall bool }
	agents := map[ID]*state{}
	for _, p := range pages {
		a := agents[p.AgentID]
		if a == nil {
			a = &state{}
			agents[p.AgentID] = a
		}
		a.onCall = a.onCall || p.OnCall
		a.available = a.available || (p.Ready && !p.Away)
	}
	var t TeamPresence
	for _, a := range agents {
		switch {
		case a.onCall:
			t.OnCall++
		case a.available:
			t.Available++
		default:
			t.Away++
		}
	}
	return t
}
