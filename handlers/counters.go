package handlers

import (
	"context"
	"time"

	"github.com/ringdesk/ringdesk/models"
)

// countersInterval is how often the counters may be recounted.
const countersInterval = time.Second

// liveCounters is the header's "3 open · 1 waiting · 2 available · 1 on
// a call · 0 away" and the counts on the dashboard's view tabs.
type liveCounters struct {
	OpenTickets  int64 `json:"openTickets"`
	CallsWaiting int   `json:"callsWaiting"`
	// AgentsOnline is the agents available for a call now: the ones a
	// customer's call rings.
	AgentsOnline int `json:"agentsOnline"`
	AgentsOnCall int `json:"agentsOnCall"`
	AgentsAway   int `json:"agentsAway"`
	// WaitingSince is when the customer waiting longest started calling,
	// in milliseconds since 1970; 0 when nobody waits.
	WaitingSince int64 `json:"waitingSince"`
	// Callbacks counts the callbacks customers are waiting for.
	Callbacks int `json:"callbacks"`
	// Today counts today's calls in the team's zone, and Line lists the
	// first callers in line; only while a wallboard is open (nil
	// otherwise).
	Today *models.DayFigures `json:"today,omitempty"`
	Line  []lineCaller       `json:"line"`
	// Views counts every view but "mine", by name; Mine counts each
	// connected agent's own view, by agent id.
	Views map[string]int64 `json:"views"`
	Mine  map[string]int64 `json:"mine"`
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
	var views, mine map[string]int64
	if err == nil {
		views, mine, err = h.countViews(ctx)
	}
	// Customers' calls waiting: those in line (on hold, or ringing the
	// agents from the line) and, when nobody is in to queue for, those
	// ringing straight away; the two sets overlap only in the ringing
	// calls of the line, so the larger count is the whole.
	var lineN int
	var lineOldest time.Time
	if h.queue != nil && h.calling != nil {
		var qerr error
		if lineN, lineOldest, qerr = h.queue.InLine(ctx); qerr != nil {
			h.log.Warn("live counters: count the line", "err", qerr)
		}
	}
	callbacks := -1 // unknown: keep the last count
	if h.callbacks != nil && h.calling != nil {
		if _, n, cerr := h.callbacks.Pending(ctx, 1); cerr != nil {
			h.log.Warn("live counters: count callbacks", "err", cerr)
		} else {
			callbacks = n
		}
	}
	var (
		today *models.DayFigures
		line  []lineCaller
	)
	if h.live.broker.wallboards() {
		var werr error
		if today, werr = h.todayFigures(ctx, h.teamZone(ctx)); werr != nil {
			h.log.Warn("live counters: count today's calls", "err", werr)
		}
		if line, werr = h.wallboardLine(ctx); werr != nil {
			h.log.Warn("live counters: read the line", "err", werr)
		}
	}
	h.live.mu.Lock()
	defer h.live.mu.Unlock()
	h.live.counters.Today, h.live.counters.Line = today, line
	if callbacks >= 0 {
		h.live.counters.Callbacks = callbacks
	}
	h.live.counters.WaitingSince = 0
	for _, since := range h.live.waiting {
		if ms := since.UnixMilli(); h.live.counters.WaitingSince == 0 || ms < h.live.counters.WaitingSince {
			h.live.counters.WaitingSince = ms
		}
	}
	if err != nil {
		h.log.Warn("live counters: count tickets", "err", err)
	} else {
		if callbacks >= 0 {
			views[viewCallback] = int64(callbacks) // the Call back tab
		}
		h.live.counters.OpenTickets = open
		h.live.counters.Views, h.live.counters.Mine = views, mine
		h.live.counted = true
	}
	h.live.counters.CallsWaiting = max(len(h.live.waiting), lineN)
	if !lineOldest.IsZero() && (h.live.counters.WaitingSince == 0 || lineOldest.UnixMilli() < h.live.counters.WaitingSince) {
		h.live.counters.WaitingSince = lineOldest.UnixMilli()
	}
	team := h.team(ctx)
	h.live.counters.AgentsOnline, h.live.counters.AgentsOnCall, h.live.counters.AgentsAway = team.Available, team.OnCall, team.Away
}

// countViews counts the dashboard's views: the shared ones once, "mine"
// for each agent with a dashboard open.
func (h *Handler) countViews(ctx context.Context) (views, mine map[string]int64, err error) {
	mine = map[string]int64{}
	var c models.ViewCounts
	for _, hex := range h.live.broker.agents() {
		id, perr := models.ParseID(hex)
		if perr != nil {
			continue
		}
		if c, err = h.tickets.Counts(ctx, id); err != nil {
			return nil, nil, err
		}
		mine[hex] = c.Mine
	}
	if len(mine) == 0 {
		if c, err = h.tickets.Counts(ctx, models.ID{}); err != nil {
			return nil, nil, err
		}
	}
	views = map[string]int64{
		string(models.ViewOpen): c.Open, string(models.ViewUnassigned): c.Unassigned,
		string(models.ViewPending): c.Pending, string(models.ViewClosed): c.Closed, string(models.ViewAll): c.All,
	}
	return views, mine, nil
}
