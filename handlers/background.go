package handlers

import (
	"context"
	"sync"
	"time"
)

// sweepEvery is how often expired records (used media tokens, revocations
// of sessions that have expired anyway) are deleted.
const sweepEvery = 10 * time.Minute

// Background runs the handlers' periodic work until ctx ends: relaying
// other instances' changes to the live dashboards, following the team's
// presence, and deleting expired records (SQLite has no TTL indexes to
// do it).
func (h *Handler) Background(ctx context.Context) {
	var wg sync.WaitGroup
	if h.changes != nil {
		wg.Go(func() { h.WatchStore(ctx, h.changes) })
	}
	if h.presence != nil {
		wg.Go(func() { h.followTeam(ctx, teamEvery) })
	}
	wg.Go(func() { h.sweepExpired(ctx) })
	wg.Wait()
}

// teamEvery is how often the team's presence is read again: an instance
// that dies stops renewing its agents' pages, which then expire without a
// write anyone could watch.
const teamEvery = 15 * time.Second

// followTeam recounts the header when the team's presence changed
// unseen: pages of another instance expiring, or, without change
// streams, changing.
func (h *Handler) followTeam(ctx context.Context, every time.Duration) {
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
		if len(h.live.broker.agents()) == 0 {
			continue // no dashboard here shows the team
		}
		t := h.team(ctx)
		h.live.mu.Lock()
		c := h.live.counters
		h.live.mu.Unlock()
		if t.Available != c.AgentsOnline || t.OnCall != c.AgentsOnCall || t.Away != c.AgentsAway {
			h.refreshCounters()
		}
	}
}

// deleteExpiredPages deletes the pages of instances that stopped
// renewing them (they had stopped counting already).
func (h *Handler) deleteExpiredPages(ctx context.Context, now time.Time) (int64, error) {
	if h.presence == nil {
		return 0, nil
	}
	return h.presence.DeleteExpired(ctx, now)
}

func (h *Handler) sweepExpired(ctx context.Context) {
	tick := time.NewTicker(sweepEvery)
	defer tick.Stop()
	for {
		for what, sweep := range map[string]func(context.Context, time.Time) (int64, error){
			"media tokens":        h.media.DeleteExpired,
			"session revocations": h.agents.DeleteExpiredRevocations,
			"agents' pages":       h.deleteExpiredPages,
		} {
			n, err := sweep(ctx, h.now())
			switch {
			case err != nil && ctx.Err() == nil:
				h.log.Warn("delete expired "+what, "err", err)
			case n > 0:
				h.log.Debug("deleted expired "+what, "count", n)
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
