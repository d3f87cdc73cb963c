package handlers

import (
	"bytes"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ringdesk/ringdesk/models"
)

// live holds this instance's dashboard events: the broker, the counters
// and the customer calls now ringing the agents.
type live struct {
	broker *broker

	mu       sync.Mutex
	waiting  map[string]time.Time // customers' calls not yet answered, by call id: since when
	counters liveCounters
	pending  bool // a recount is scheduled or cooling down
	dirty    bool // something changed since the last recount began
	counted  bool // counters hold a real count
}

func newLive() *live {
	return &live{broker: newBroker(), waiting: map[string]time.Time{}}
}

// liveEvent is one Server-Sent Event for the agents' dashboards.
type liveEvent struct {
	seq  uint64
	name string
	data []byte
}

// liveBacklog is how many recent events a reconnecting dashboard can
// catch up on; one that missed more reloads its list instead.
const liveBacklog = 512

// broker fans live events out to every open dashboard of this instance.
// Event ids are "<epoch>-<seq>": the epoch is drawn at random at every
// start, so a dashboard reconnecting after a restart (or to another
// instance) knows that its last id means nothing here and resynchronises.
// It is not read from a clock: two instances started together, or under a
// test's fixed clock, must still differ.
type broker struct {
	epoch string

	mu     sync.Mutex
	seq    uint64
	ring   []liveEvent // the last liveBacklog events, oldest first
	subs   map[*subscriber]struct{}
	closed bool // shutting down: no new streams
}

// subscriber is one open /events stream.
type subscriber struct {
	id        string
	agentID   string
	sessionID string // the agent's session: signing out of it ends the stream
	ch        chan liveEvent
	ready     bool // its phone is registered for incoming calls
	away      bool // its agent chose Away: the phone must not ring
	wallboard bool // a wallboard: it also gets today's call figures
	onCall    bool // a call is ringing or up on its phone
	dropped   bool // it fell behind; its stream was stopped to make it resync

	// end is closed when the stream must stop at once, even with events
	// still queued: its session ended, or the server is shutting down.
	end   chan struct{}
	ended bool
	// abort, when set, makes a write the stream is stuck in fail now.
	abort func()
}

func newSubscriber(id, agentID, sessionID string) *subscriber {
	return &subscriber{id: id, agentID: agentID, sessionID: sessionID, ch: make(chan liveEvent, 64), end: make(chan struct{})}
}

// stop ends s at once; b.mu is held.
func (b *broker) stop(s *subscriber) {
	delete(b.subs, s)
	if !s.ended {
		s.ended = true
		// abort first: no write starts after it, so nothing queued
		// reaches the client once the stream has been told to end.
		if s.abort != nil {
			s.abort()
		}
		close(s.end)
	}
}

func newBroker() *broker {
	return &broker{epoch: randomToken(8), subs: map[*subscriber]struct{}{}}
}

// publish sends an event to every subscriber. A subscriber too slow to
// take it is dropped rather than waited for; its browser reconnects with
// Last-Event-ID and catches up from the backlog.
func (b *broker) publish(name string, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		return // only our own types are published; they always marshal
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.seq++
	ev := liveEvent{seq: b.seq, name: name, data: data}
	if len(b.ring) == liveBacklog {
		copy(b.ring, b.ring[1:])
		b.ring = b.ring[:liveBacklog-1]
	}
	b.ring = append(b.ring, ev)
	for s := range b.subs {
		select {
		case s.ch <- ev:
		default:
			// Stopped, not just left to drain: a client that stopped
			// reading would keep its stream stuck in a write.
			s.dropped = true
			b.stop(s)
		}
	}
}

// subscribe opens a stream. lastID is the browser's Last-Event-ID: the
// events after it are returned to replay; resync is true when they can no
// longer be replayed (another epoch, or too old for the backlog).
func (b *broker) subscribe(s *subscriber, lastID string) (ok bool, replay []liveEvent, resync bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return false, nil, false
	}
	b.subs[s] = struct{}{}
	if lastID == "" {
		return true, nil, false
	}
	epoch, seqStr, _ := strings.Cut(lastID, "-")
	last, err := strconv.ParseUint(seqStr, 10, 64)
	if epoch != b.epoch || err != nil || last > b.seq {
		return true, nil, true
	}
	if len(b.ring) > 0 && last+1 < b.ring[0].seq {
		return true, nil, true
	}
	for _, ev := range b.ring {
		if ev.seq > last {
			replay = append(replay, ev)
		}
	}
	return true, replay, false
}

// closeAll ends every stream, for shutdown: an open event stream would
// otherwise keep http.Server.Shutdown waiting until its deadline, and one
// stuck writing to a client that stopped reading is made to fail now.
func (b *broker) closeAll() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	for s := range b.subs {
		b.stop(s)
	}
}

// endSession ends the streams of session sid, which has just signed out.
func (b *broker) endSession(sid string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for s := range b.subs {
		if s.sessionID == sid {
			b.stop(s)
		}
	}
}

// endAgent ends every stream of agent agentID, who has just been
// disabled: whatever session opened them, none may carry another event.
func (b *broker) endAgent(agentID string) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for s := range b.subs {
		if s.agentID == agentID {
			b.stop(s)
		}
	}
}

// unsubscribe closes a stream.
func (b *broker) unsubscribe(s *subscriber) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if _, ok := b.subs[s]; ok {
		delete(b.subs, s)
		close(s.ch)
	}
}

// presenceUpdate is what a page says of its phone; nil fields are left
// as they were.
type presenceUpdate struct {
	Ready  *bool // the phone is registered for incoming calls
	Away   *bool // the agent chose Away (false: Available)
	OnCall *bool // a call is ringing or up on it
}

// setPresence records what stream id says of its phone and returns the
// page's whole presence, to be stored; ok reports whether the stream
// exists and belongs to agentID.
func (b *broker) setPresence(id, agentID string, p presenceUpdate) (page models.Presence, ok bool) {
	b.mu.Lock()
	defer b.mu.Unlock()
	for s := range b.subs {
		if s.id == id && s.agentID == agentID {
			if p.Ready != nil {
				s.ready = *p.Ready
			}
			if p.Away != nil {
				s.away = *p.Away
			}
			if p.OnCall != nil {
				s.onCall = *p.OnCall
			}
			return s.page(), true
		}
	}
	return models.Presence{}, false
}

// page is what s says of its phone, without an expiry; b.mu is held.
func (s *subscriber) page() models.Presence {
	agent, _ := models.ParseID(s.agentID) // ours: always an agent's hex id
	return models.Presence{Stream: s.id, AgentID: agent, Ready: s.ready, Away: s.away, OnCall: s.onCall}
}

// open reports whether stream id is still open.
func (b *broker) open(id string) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	for s := range b.subs {
		if s.id == id {
			return true
		}
	}
	return false
}

// page returns what stream s says of its phone now.
func (b *broker) page(s *subscriber) models.Presence {
	b.mu.Lock()
	defer b.mu.Unlock()
	return s.page()
}

// wallboards reports whether a wallboard is open, so that today's call
// figures are counted only for someone who shows them.
func (b *broker) wallboards() bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	for s := range b.subs {
		if s.wallboard {
			return true
		}
	}
	return false
}

// presence counts the agents with a page open on this instance, as
// models.TeamCount does: what the database counts for every instance,
// and what this instance falls back on when it cannot read that.
func (b *broker) presence() models.TeamPresence {
	b.mu.Lock()
	defer b.mu.Unlock()
	pages := make([]models.Presence, 0, len(b.subs))
	for s := range b.subs {
		pages = append(pages, s.page())
	}
	return models.TeamCount(pages)
}

// lastID is the id of the latest event, or "" before the first.
// agents lists the agents with a stream open, by id.
func (b *broker) agents() []string {
	b.mu.Lock()
	defer b.mu.Unlock()
	seen := map[string]bool{}
	var out []string
	for s := range b.subs {
		if !seen[s.agentID] {
			seen[s.agentID] = true
			out = append(out, s.agentID)
		}
	}
	return out
}

func (b *broker) lastID() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.seq == 0 {
		return b.epoch + "-0"
	}
	return b.epoch + "-" + strconv.FormatUint(b.seq, 10)
}

// eventID is the SSE id of seq on this instance.
func (b *broker) eventID(seq uint64) string {
	return b.epoch + "-" + strconv.FormatUint(seq, 10)
}

// streamWriteTimeout bounds each write to an event stream: a client that
// stops reading holds its stream (and its goroutine) no longer than this.
const streamWriteTimeout = 10 * time.Second

// streamWriter writes an event stream with a deadline per write, and can
// be aborted from another goroutine, which makes a write in progress fail
// at once. The mutex orders the two, so an abort is never undone by the
// deadline of the next write.
type streamWriter struct {
	rc  *http.ResponseController
	now func() time.Time // the handler's clock

	mu      sync.Mutex
	aborted bool
}

// write sends and flushes buf, emptying it; false means the stream is
// over.
func (w *streamWriter) write(c *gin.Context, buf *bytes.Buffer) bool {
	defer buf.Reset()
	w.mu.Lock()
	aborted := w.aborted
	if !aborted {
		_ = w.rc.SetWriteDeadline(w.now().Add(streamWriteTimeout))
	}
	w.mu.Unlock()
	if aborted {
		return false
	}
	_, err := c.Writer.Write(buf.Bytes())
	return err == nil && w.rc.Flush() == nil
}

func (w *streamWriter) abort() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.aborted = true
	// A deadline in the past fails any write in progress; a fixed one,
	// because a test's clock may run ahead of the connection's.
	_ = w.rc.SetWriteDeadline(time.Unix(1, 0))
}
