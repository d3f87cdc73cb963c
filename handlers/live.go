package handlers

import (
	"encoding/json"
	"strconv"
	"strings"
	"sync"
	"time"
)

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
// Event ids are "<epoch>-<seq>": the epoch changes with every start, so a
// dashboard reconnecting after a restart (or to another instance) knows
// that its last id means nothing here and resynchronises.
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
	id      string
	agentID string
	ch      chan liveEvent
	ready   bool // its phone is registered for incoming calls
	dropped bool // it fell behind; its stream is closed to make it resync
}

func newBroker() *broker {
	return &broker{epoch: strconv.FormatInt(time.Now().UnixNano(), 36), subs: map[*subscriber]struct{}{}}
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
			s.dropped = true
			delete(b.subs, s)
			close(s.ch)
		}
	}
}

// subscribe opens a stream. lastID is the browser's Last-Event-ID: the
// events after it are returned to replay; resync is true when they can no
// longer be replayed (another epoch, or too old for the backlog).
func (b *broker) subscribe(id, agentID, lastID string) (s *subscriber, replay []liveEvent, resync bool) {
	s = &subscriber{id: id, agentID: agentID, ch: make(chan liveEvent, 64)}
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return nil, nil, false
	}
	b.subs[s] = struct{}{}
	if lastID == "" {
		return s, nil, false
	}
	epoch, seqStr, _ := strings.Cut(lastID, "-")
	last, err := strconv.ParseUint(seqStr, 10, 64)
	if epoch != b.epoch || err != nil || last > b.seq {
		return s, nil, true
	}
	if len(b.ring) > 0 && last+1 < b.ring[0].seq {
		return s, nil, true
	}
	for _, ev := range b.ring {
		if ev.seq > last {
			replay = append(replay, ev)
		}
	}
	return s, replay, false
}

// closeAll ends every stream, for shutdown: an open event stream would
// otherwise keep http.Server.Shutdown waiting until its deadline.
func (b *broker) closeAll() {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.closed = true
	for s := range b.subs {
		delete(b.subs, s)
		close(s.ch)
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

// setReady records whether stream id's phone takes calls; it reports
// whether the stream exists and belongs to agentID.
func (b *broker) setReady(id, agentID string, ready bool) bool {
	b.mu.Lock()
	defer b.mu.Unlock()
	for s := range b.subs {
		if s.id == id && s.agentID == agentID {
			s.ready = ready
			return true
		}
	}
	return false
}

// agentsOnline counts the agents with an open dashboard whose phone is
// registered.
func (b *broker) agentsOnline() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	agents := map[string]bool{}
	for s := range b.subs {
		if s.ready {
			agents[s.agentID] = true
		}
	}
	return len(agents)
}

// lastID is the id of the latest event, or "" before the first.
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
