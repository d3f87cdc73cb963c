package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ringdesk/ringdesk/models"
)

// heartbeatEvery is how often an idle event stream sends a comment, so
// proxies keep it open and the browser notices a dead connection.
const heartbeatEvery = 15 * time.Second

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
	w := &streamWriter{rc: http.NewResponseController(c.Writer), now: h.now}
	sub := newSubscriber(streamID, agent.ID.Hex(), session.ID)
	sub.wallboard = c.Query("wallboard") == "1"
	sub.abort = w.abort
	ok, replay, resync := h.live.broker.subscribe(sub, lastID)
	if !ok {
		h.fail(c, refuse(http.StatusServiceUnavailable, "Ringdesk is restarting; the dashboard reconnects by itself."))
		return
	}
	// The page counts (as Away until its phone registers) on every
	// instance while its stream lasts: written now, renewed on each
	// heartbeat, dropped when the stream ends.
	h.storePage(c, h.live.broker.page(sub))
	defer func() {
		h.live.broker.unsubscribe(sub)
		h.dropPage(streamID)
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
	// Those may be older than the page the browser just read (a change
	// on another instance, or straight in the store): a fresh count
	// follows, so that a page comparing the two settles at once.
	h.refreshCounters()
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
			h.storePage(c, h.live.broker.page(sub))
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
