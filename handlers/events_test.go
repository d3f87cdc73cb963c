package handlers_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ringdesk/ringdesk/models"
)

// sseEvent is one parsed Server-Sent Event.
type sseEvent struct {
	ID, Name, Data string
}

// eventStream is an open GET /events read in the background.
type eventStream struct {
	resp   *http.Response
	events chan sseEvent
}

// openEvents opens /events with c's cookies, optionally resuming after lastID.
func (a *testApp) openEvents(t testing.TB, c *http.Client, lastID string) *eventStream {
	t.Helper()
	return a.openEventsWith(t, c, "/events", lastID)
}

// openEventsURL opens path (with its query) without Last-Event-ID.
func (a *testApp) openEventsURL(t testing.TB, c *http.Client, path string) *eventStream {
	t.Helper()
	return a.openEventsWith(t, c, path, "")
}

func (a *testApp) openEventsWith(t testing.TB, c *http.Client, path, lastID string) *eventStream {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, a.srv.URL+path, nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Accept", "text/event-stream")
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	raw := &http.Client{Jar: c.Jar, CheckRedirect: c.CheckRedirect}
	resp, err := raw.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	s := &eventStream{resp: resp, events: make(chan sseEvent, 100)}
	t.Cleanup(func() { cancel(); resp.Body.Close() })
	if resp.StatusCode != http.StatusOK {
		return s
	}
	go func() {
		defer close(s.events)
		sc := bufio.NewScanner(resp.Body)
		sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
		var ev sseEvent
		for sc.Scan() {
			line := sc.Text()
			switch {
			case line == "":
				if ev.Name != "" {
					s.events <- ev
				}
				ev = sseEvent{}
			case strings.HasPrefix(line, "id: "):
				ev.ID = strings.TrimPrefix(line, "id: ")
			case strings.HasPrefix(line, "event: "):
				ev.Name = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				ev.Data = strings.TrimPrefix(line, "data: ")
			}
		}
	}()
	return s
}

// next returns the next event named name, skipping others, within d.
func (s *eventStream) next(t *testing.T, name string, d time.Duration) sseEvent {
	t.Helper()
	deadline := time.After(d)
	for {
		select {
		case ev, ok := <-s.events:
			if !ok {
				t.Fatalf("event stream ended while waiting for %q", name)
			}
			if ev.Name == name {
				return ev
			}
		case <-deadline:
			t.Fatalf("no %q event within %v", name, d)
		}
	}
}

type ticketEvent struct {
	ID      string `json:"id"`
	Created bool   `json:"created"`
	HTML    string `json:"html"`
}

func decodeEvent[T any](t *testing.T, ev sseEvent) T {
	t.Helper()
	var v T
	if err := json.Unmarshal([]byte(ev.Data), &v); err != nil {
		t.Fatalf("event %s data %q: %v", ev.Name, ev.Data, err)
	}
	return v
}

func TestEventsNeedAnAgent(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	s := app.openEvents(t, app.client(t), "")
	if s.resp.StatusCode != http.StatusUnauthorized {
		t.Fatalf("GET /events without a session: status %d, want 401 (an EventSource cannot follow a redirect to a page)", s.resp.StatusCode)
	}
}

func TestEventsStreamTicketsAsTheyChange(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	agent := app.client(t)
	app.signIn(t, agent)
	s := app.openEvents(t, agent, "")
	if ct := s.resp.Header.Get("Content-Type"); ct != "text/event-stream" {
		t.Fatalf("Content-Type = %q", ct)
	}
	hello := decodeEvent[map[string]string](t, s.next(t, "hello", 2*time.Second))
	if hello["stream"] == "" {
		t.Fatalf("hello without a stream id: %v", hello)
	}
	s.next(t, "counters", 2*time.Second)

	customer := app.client(t)
	app.postForm(t, customer, "/tickets", ticketForm("<script>alert(1)</script>", "+1 415 555 2671", "Live please")).wantRedirect(t, "/")
	ev := s.next(t, "ticket", time.Second)
	created := decodeEvent[ticketEvent](t, ev)
	if !created.Created || ev.ID == "" || !strings.Contains(created.HTML, `id="ticket-`+created.ID+`"`) {
		t.Fatalf("ticket event = %+v (id %q), want a created card with its id", created, ev.ID)
	}
	if strings.Contains(created.HTML, "<script>") || !strings.Contains(created.HTML, "&lt;script&gt;alert(1)&lt;/script&gt;") {
		t.Errorf("card does not escape the name:\n%s", created.HTML)
	}

	app.postForm(t, agent, "/tickets/"+created.ID+"/status", map[string][]string{"status": {"closed"}})
	closed := decodeEvent[ticketEvent](t, s.next(t, "ticket", time.Second))
	if closed.ID != created.ID || closed.Created || !strings.Contains(closed.HTML, "ticket-closed") {
		t.Errorf("status change event = %+v, want the same card, closed", closed)
	}
	counters := decodeEvent[counterEvent](t, s.next(t, "counters", 3*time.Second))
	if counters.OpenTickets != 0 || counters.Views["closed"] != 1 {
		t.Errorf("counters after closing the only ticket = %+v, want 0 open and 1 closed", counters)
	}
}

func TestEventsResumeAfterLastEventID(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	agent := app.client(t)
	app.signIn(t, agent)
	first := app.openEvents(t, agent, "")
	first.next(t, "hello", 2*time.Second)
	customer := app.client(t)
	app.postForm(t, customer, "/tickets", ticketForm("One", "+1 415 555 2671", "first")).wantRedirect(t, "/")
	last := first.next(t, "ticket", time.Second)

	// Missed while "disconnected": two more tickets.
	app.postForm(t, customer, "/tickets", ticketForm("Two", "+1 415 555 2671", "second")).wantRedirect(t, "/")
	app.postForm(t, customer, "/tickets", ticketForm("Three", "+1 415 555 2671", "third")).wantRedirect(t, "/")

	resumed := app.openEvents(t, agent, last.ID)
	var names []string
	for range 2 {
		ev := decodeEvent[ticketEvent](t, resumed.next(t, "ticket", 2*time.Second))
		names = append(names, ev.HTML)
	}
	if !strings.Contains(names[0], "Two") || !strings.Contains(names[1], "Three") {
		t.Errorf("replay = %q, want Two then Three, once each", names)
	}

	// An id from another start of the server cannot be replayed.
	stale := app.openEvents(t, agent, "otherepoch-5")
	stale.next(t, "resync", 2*time.Second)
}

func TestEventsPresenceAndTaken(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	one, two := app.client(t), app.client(t)
	ada := app.signIn(t, one)
	app.signIn(t, two)
	s1, s2 := app.openEvents(t, one, ""), app.openEvents(t, two, "")
	stream := decodeEvent[map[string]string](t, s1.next(t, "hello", 2*time.Second))["stream"]
	s2.next(t, "hello", 2*time.Second)

	app.postJSON(t, one, "/presence", map[string]any{"stream": stream, "ready": true}).wantStatus(t, http.StatusNoContent)
	for {
		c := decodeEvent[counterEvent](t, s2.next(t, "counters", 3*time.Second))
		if c.AgentsOnline == 1 {
			break
		}
	}
	// Another agent cannot set this stream's presence.
	app.postJSON(t, two, "/presence", map[string]any{"stream": stream, "ready": false}).wantStatus(t, http.StatusNotFound)

	app.postJSON(t, one, "/calls/taken", map[string]string{"call": "CA0123"}).wantStatus(t, http.StatusNoContent)
	taken := decodeEvent[map[string]string](t, s2.next(t, "taken", time.Second))
	if taken["call"] != "CA0123" || taken["agent"] != ada.Name {
		t.Errorf("taken = %v, want call CA0123 taken by %s", taken, ada.Name)
	}
}

// TestPresenceAvailability: the header counts each agent with a page
// open once: on a call, available (a registered phone, set to
// Available), or away.
func TestPresenceAvailability(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	one, two := app.client(t), app.client(t)
	app.signIn(t, one)
	app.signIn(t, two)
	s1, s2 := app.openEvents(t, one, ""), app.openEvents(t, one, "") // two pages of one agent
	watch := app.openEvents(t, two, "")
	stream1 := decodeEvent[map[string]string](t, s1.next(t, "hello", 2*time.Second))["stream"]
	stream2 := decodeEvent[map[string]string](t, s2.next(t, "hello", 2*time.Second))["stream"]
	watch.next(t, "hello", 2*time.Second)
	want := func(available, onCall, away int) {
		t.Helper()
		var last counterEvent
		for range 20 {
			last = decodeEvent[counterEvent](t, watch.next(t, "counters", 3*time.Second))
			if last.AgentsOnline == available && last.AgentsOnCall == onCall && last.AgentsAway == away {
				return
			}
		}
		t.Fatalf("counters %+v, want %d available, %d on a call, %d away", last, available, onCall, away)
	}
	set := func(stream string, body map[string]any) {
		t.Helper()
		body["stream"] = stream
		app.postJSON(t, one, "/presence", body).wantStatus(t, http.StatusNoContent)
	}

	set(stream1, map[string]any{"ready": true})
	set(stream2, map[string]any{"ready": true})
	want(1, 0, 1) // one agent on two pages counts once; the watcher has no phone
	set(stream1, map[string]any{"away": true})
	want(1, 0, 1) // still available on the other page
	set(stream2, map[string]any{"away": true})
	want(0, 0, 2)
	set(stream1, map[string]any{"onCall": true})
	want(0, 1, 1) // on a call, whatever else
	set(stream1, map[string]any{"onCall": false, "away": false})
	want(1, 0, 1)

	app.postJSON(t, one, "/presence", map[string]any{"stream": stream1}).wantStatus(t, http.StatusBadRequest)
}

// A ticket created between rendering the dashboard and opening its stream
// still arrives: the page names the last event before its data was read.
func TestEventsStartAfterThePageWasRendered(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	agent := app.client(t)
	app.signIn(t, agent)
	page := app.get(t, agent, "/dashboard")
	counters := find(page.doc(t), byID("live-counters"))
	if counters == nil {
		t.Fatal("dashboard has no #live-counters")
	}
	since := attr(counters, "data-live-since")
	if since == "" {
		t.Fatal("dashboard has no data-live-since")
	}
	app.postForm(t, app.client(t), "/tickets", ticketForm("In The Gap", "+1 415 555 2671", "created before the stream opened")).wantRedirect(t, "/")

	s := app.openEventsURL(t, agent, "/events?since="+url.QueryEscape(since))
	ev := decodeEvent[ticketEvent](t, s.next(t, "ticket", 2*time.Second))
	if !strings.Contains(ev.HTML, "In The Gap") {
		t.Errorf("first ticket event = %s, want the ticket created in the gap", ev.HTML)
	}
}

// counterEvent is the data of a "counters" event.
type counterEvent struct {
	OpenTickets  int64              `json:"openTickets"`
	CallsWaiting int                `json:"callsWaiting"`
	AgentsOnline int                `json:"agentsOnline"`
	AgentsOnCall int                `json:"agentsOnCall"`
	AgentsAway   int                `json:"agentsAway"`
	WaitingSince int64              `json:"waitingSince"`
	Today        *models.DayFigures `json:"today"`
	Views        map[string]int64   `json:"views"`
	Mine         map[string]int64   `json:"mine"`
}
