package handlers

import (
	"context"
	"time"
)

// countersInterval is how often the counters may be recounted.
const countersInterval = time.Second

// liveCounters is the header's "3 open · 1 waiting · 2 online".
type liveCounters struct {
	OpenTickets  int64 `json:"openTickets"`
	CallsWaiting int   `json:"callsWaiting"`
	AgentsOnline int   `json:"agentsOnline"`
}

// currentCounters returns the counters, counting them now if they never
// were (the first dashboard after start).
func (h *Handler) currentCounters(ctx context.Context) liveCounters {
	h.live.mu.Lock()
	counted := h.live.counted
	h.live.mu.Unlock()
	if !counted {
		h.recount(ctx)
	}
	h.live.mu.Lock()
	defer h.live.mu.Unlock()
	return h.live.counters
}

// refreshCounters schedules a recount and broadcast. Changes during a
// recount's cool-down share the next one: on the embedded store counting
// open tickets scans the collection.
func (h *Handler) refreshCounters() {
	h.live.mu.Lock()
	defer h.live.mu.Unlock()
	h.live.dirty = true
	if h.live.pending {
		return
	}
	h.live.pending = true
	go func() {
		for {
			time.Sleep(countersInterval / 4) // let a burst of changes land
			h.live.mu.Lock()
			h.live.dirty = false
			h.live.mu.Unlock()
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			h.recount(ctx)
			cancel()
			h.live.mu.Lock()
			counters := h.live.counters
			h.live.mu.Unlock()
			h.live.broker.publish("counters", counters)
			time.Sleep(countersInterval)
			h.live.mu.Lock()
			if !h.live.dirty {
				h.live.pending = false
				h.live.mu.Unlock()
				return
			}
			h.live.mu.Unlock()
		}
	}()
}

func (h *Handler) recount(ctx context.Context) {
	open, err := h.tickets.CountOpen(ctx)
	h.live.mu.Lock()
	defer h.live.mu.Unlock()
	if err != nil {
		h.log.Warn("live counters: count open tickets", "err", err)
	} else {
		h.live.counters.OpenTickets = open
		h.live.counted = true
	}
	h.live.counters.CallsWaiting = len(h.live.waiting)
	h.live.counters.AgentsOnline = h.live.broker.agentsOnline()
}
