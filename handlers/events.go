package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ringdesk/ringdesk/models"
)

// How often an idle event stream sends a comment, so proxies keep it open
// and the browser notices a dead connection, and how often the counters
// may be recounted.
const (
	heartbeatEvery   = 15 * time.Second
	countersInterval = time.Second
)

// live holds this instance's dashboard events: the broker, the counters
// and the customer calls now ringing the agents.
type live struct {
	broker *broker

	mu       sync.Mutex
	waiting  map[string]bool // ringing inbound calls by call id
	counters liveCounters
	pending  bool // a recount is scheduled or cooling down
	dirty    bool // something changed since the last recount began
	counted  bool // counters hold a real count
}

// liveCounters is the header's "3 open · 1 waiting · 2 online".
type liveCounters struct {
	OpenTickets  int64 `json:"openTickets"`
	CallsWaiting int   `json:"callsWaiting"`
	AgentsOnline int   `json:"agentsOnline"`
}

func newLive() *live {
	return &live{broker: newBroker(), waiting: map[string]bool{}}
}

// streamEvents handles "GET /events": Server-Sent Events for an agent's
// dashboard. A reconnecting browser sends Last-Event-ID and gets what it
// missed, or a "resync" event when that is no longer known here. The
// stream lasts no longer than the session that opened it: it ends when
// the session signs out (at once on this instance), expires, or is found
// revoked or its agent disabled at a periodic check.
func (h *Handler) streamEvents(c *gin.Context) {
	agent, session := currentAgent(c), sessionFrom(c)
	streamID := randomToken(12)
	// A reconnecting browser sends Last-Event-ID; a page's first stream
	// names the event its data was read after.
	lastID := c.GetHeader("Last-Event-ID")
	if lastID == "" {
		lastID = c.Query("since")
	}
	w := &streamWriter{rc: http.NewResponseController(c.Writer)}
	sub := newSubscriber(streamID, agent.ID.Hex(), session.ID)
	sub.abort = w.abort
	ok, replay, resync := h.live.broker.subscribe(sub, lastID)
	if !ok {
		h.failWith(c, http.StatusServiceUnavailable, "Ringdesk is restarting; the dashboard reconnects by itself.")
		return
	}
	defer func() {
		h.live.broker.unsubscribe(sub)
		h.refreshCounters() // its agent may have gone offline
	}()

	// The stream outlives the server's read timeout by design (an
	// expired read deadline would cancel the request's context); each
	// write gets its own deadline instead (streamWriter.write).
	_ = w.rc.SetReadDeadline(time.Time{})
	c.Header("Content-Type", "text/event-stream")
	c.Header("Cache-Control", "no-store")
	c.Header("X-Accel-Buffering", "no") // nginx: do not hold events back
	c.Status(http.StatusOK)

	var buf bytes.Buffer
	fmt.Fprintf(&buf, "retry: 2000\n\n")
	writeEvent(&buf, "", "hello", []byte(`{"stream":"`+streamID+`"}`))
	if resync {
		writeEvent(&buf, "", "resync", []byte(`{}`))
	}
	for _, ev := range replay {
		writeEvent(&buf, h.live.broker.eventID(ev.seq), ev.name, ev.data)
	}
	counters := h.currentCounters(c)
	writeJSONEvent(&buf, "counters", counters)
	if !w.write(c, &buf) {
		return
	}

	heartbeat := time.NewTicker(heartbeatEvery)
	defer heartbeat.Stop()
	check := time.NewTicker(h.sessionCheck)
	defer check.Stop()
	expiry := time.NewTimer(session.ExpiresAt.Sub(h.now()))
	defer expiry.Stop()
	for {
		select {
		case <-c.Request.Context().Done():
			return
		case <-sub.end:
			return
		case <-expiry.C:
			return
		case <-check.C:
			if !h.sessionStillActive(c, agent.ID, session.ID) {
				return
			}
			continue
		case ev := <-sub.ch:
			writeEvent(&buf, h.live.broker.eventID(ev.seq), ev.name, ev.data)
		case <-heartbeat.C:
			buf.WriteString(": ping\n\n")
		}
		if !w.write(c, &buf) {
			return
		}
	}
}

// sessionCheckEvery is how often an event stream re-reads its agent, to
// end when the session was signed out on another instance or the agent
// was disabled (by the CLI, say). A database that cannot answer does not
// end the stream: the next check tries again.
const sessionCheckEvery = 10 * time.Second

func (h *Handler) sessionStillActive(ctx context.Context, agentID models.ID, sid string) bool {
	a, err := h.agents.Get(ctx, agentID)
	switch {
	case errors.Is(err, models.ErrNotFound):
		return false
	case err != nil:
		h.log.Warn("event stream: check session", "err", err)
		return true
	}
	return a.SessionActive(sid)
}

// writeEvent writes one event; data is one line of JSON.
func writeEvent(buf *bytes.Buffer, id, name string, data []byte) {
	if id != "" {
		buf.WriteString("id: " + id + "\n")
	}
	buf.WriteString("event: " + name + "\ndata: ")
	buf.Write(data)
	buf.WriteString("\n\n")
}

func writeJSONEvent(buf *bytes.Buffer, name string, v any) {
	data, _ := json.Marshal(v) // our own plain structs always marshal
	writeEvent(buf, "", name, data)
}

// CloseEvents ends every dashboard's event stream; the server calls it on
// shutdown (browsers reconnect to whichever instance is up).
func (h *Handler) CloseEvents() { h.live.broker.closeAll() }

// setPresence handles "POST /presence": the dashboard says whether its
// phone is registered, which makes its agent count as online.
func (h *Handler) setPresence(c *gin.Context) {
	var req struct {
		Stream string `json:"stream"`
		Ready  bool   `json:"ready"`
	}
	if err := decodeJSON(c, &req); err != nil || req.Stream == "" {
		c.JSON(http.StatusBadRequest, gin.H{"error": "Send {\"stream\": id, \"ready\": true|false}."})
		return
	}
	if !h.live.broker.setReady(req.Stream, currentAgent(c).ID.Hex(), req.Ready) {
		c.JSON(http.StatusNotFound, gin.H{"error": "No such event stream; reconnect first."})
		return
	}
	h.refreshCounters()
	c.Status(http.StatusNoContent)
}

// callTaken handles "POST /calls/taken": an agent accepted an incoming
// call, so the other dashboards stop ringing and say who took it. The id
// is the one the browser SDK shows for the call; the server only relays it.
func (h *Handler) callTaken(c *gin.Context) {
	var req struct {
		Call string `json:"call"`
	}
	if err := decodeJSON(c, &req); err != nil || req.Call == "" || len(req.Call) > 128 {
		c.JSON(http.StatusBadRequest, gin.H{"error": "Send {\"call\": id}."})
		return
	}
	agent := currentAgent(c)
	h.live.broker.publish("taken", gin.H{"call": req.Call, "agent": agent.Name, "agentId": agent.ID.Hex()})
	c.Status(http.StatusNoContent)
}

// publishTicket sends a ticket's dashboard card, loaded afresh.
func (h *Handler) publishTicket(ctx context.Context, id models.ID) {
	t, err := h.tickets.Get(ctx, id)
	if err != nil {
		h.log.Warn("live update: load ticket", "ticket", id.Hex(), "err", err)
		return
	}
	h.publishCard(t, false)
}

// publishCard sends a ticket's freshly rendered dashboard card to every
// dashboard: the same template as the page, so a live card and a reloaded
// one are identical, and a browser replaces a card by id (never doubles it).
func (h *Handler) publishCard(t *models.Ticket, created bool) {
	v := newTicketView(t, h.now(), h.voice != "")
	var buf bytes.Buffer
	if err := h.tmpl["dashboard"].ExecuteTemplate(&buf, "ticket-card", v); err != nil {
		h.log.Error("live update: render ticket card", "err", err)
		return
	}
	h.live.broker.publish("ticket", gin.H{
		"id": v.ID, "created": created, "html": buf.String(),
		"createdAt": t.CreatedAt.UTC().Format(time.RFC3339Nano),
	})
	h.refreshCounters()
}

// callRecorded updates the dashboards after a call event: the call's
// ticket card and, for customers' calls, the "waiting" counter.
func (h *Handler) callRecorded(ctx context.Context, call *models.Call) {
	if call.Direction == models.CallInbound {
		s := call.Summary()
		waiting := s.Status == models.CallInitiated || s.Status == models.CallRinging
		h.live.mu.Lock()
		changed := h.live.waiting[call.SID] != waiting
		if waiting {
			h.live.waiting[call.SID] = true
		} else {
			delete(h.live.waiting, call.SID)
		}
		h.live.mu.Unlock()
		if changed {
			h.refreshCounters()
		}
	}
	if call.TicketID != nil {
		h.publishTicket(ctx, *call.TicketID)
	}
}

// recordCall adds a provider's call event to the log and tells the
// dashboards.
func (h *Handler) recordCall(ctx context.Context, ev models.CallEvent) (*models.Call, error) {
	call, err := h.calls.Record(ctx, ev)
	if err == nil {
		h.callRecorded(ctx, call)
	}
	return call, err
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

// ChangeWatcher reports tickets and calls written by any instance.
type ChangeWatcher interface {
	WatchChanges(ctx context.Context, fn func(models.Change)) error
}

// WatchStore relays changes made by other instances to this instance's
// dashboards, so several Ringdesk instances behind a load balancer show
// the same live dashboard. Where the database has no change streams (the
// embedded store, a standalone MongoDB) it logs that live updates stay on
// this instance and returns; otherwise it runs until ctx ends, resuming
// after database outages. A change this instance made arrives twice,
// which is harmless: a card is replaced by id, never added again.
func (h *Handler) WatchStore(ctx context.Context, w ChangeWatcher) {
	delay, refused := h.watchRetry, false
	for {
		started := time.Now()
		err := w.WatchChanges(ctx, func(ch models.Change) { h.relayChange(ctx, ch) })
		if time.Since(started) > time.Minute {
			delay = h.watchRetry // it ran for a while: start the backoff again
		}
		switch {
		case ctx.Err() != nil:
			return
		case errors.Is(err, models.ErrOneProcess):
			h.log.Info("live dashboard: updates reach this process's dashboards (the embedded store has one process)")
			return
		case errors.Is(err, models.ErrNoChangeStreams):
			// A standalone MongoDB never offers them, but a replica set
			// in an election, or one being converted, refuses for a
			// while: keep asking, and say so once.
			if !refused {
				h.log.Warn("live dashboard: the database refuses change streams, so updates reach this instance's dashboards only; retrying (use a MongoDB replica set to run several instances)", "err", err)
			}
			refused = true
		case err != nil:
			h.log.Warn("live dashboard: change stream interrupted, retrying", "in", delay, "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
		delay = min(2*delay, maxWatchRetry)
	}
}

// maxWatchRetry caps the wait between attempts to follow other instances.
const maxWatchRetry = 2 * time.Minute

func (h *Handler) relayChange(ctx context.Context, ch models.Change) {
	switch ch.Collection {
	case "tickets":
		h.publishTicket(ctx, ch.ID)
	case "calls":
		call, err := h.calls.GetByID(ctx, ch.ID)
		if err != nil {
			h.log.Warn("live dashboard: load changed call", "err", err)
			return
		}
		h.callRecorded(ctx, call)
	}
}
