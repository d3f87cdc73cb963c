package handlers_test

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/ringdesk/ringdesk/handlers/twiliotest"
	"github.com/ringdesk/ringdesk/models"
)

// TestWallboard: the wallboard shows the callers waiting, the team and
// today's calls in the team's zone, as a page and as JSON; calls from
// yesterday are not today's.
func TestWallboard(t *testing.T) {
	t.Parallel()
	app := newTwilioApp(t)
	now := time.Date(2026, 12, 2, 15, 0, 0, 0, time.UTC)
	app.h.SetClock(func() time.Time { return now })
	agent := app.client(t)
	app.signInAs(t, agent, app.newAgent(t).Email, testPassword)

	in, out := models.CallInbound, models.CallOutbound
	const customer, support = "client:customer", "client:support_agent"
	at := now.Add(-2 * time.Hour)
	recordCall(t, app.store, "CA1", in, customer, support, nil, at, reportEvent{status: models.CallRinging}, reportEvent{status: models.CallAnswered, after: 8}, reportEvent{status: models.CallCompleted, after: 68, duration: 60})
	recordCall(t, app.store, "CA2", in, customer, support, nil, at, reportEvent{status: models.CallRinging}, reportEvent{status: models.CallAnswered, after: 30}, reportEvent{status: models.CallCompleted, after: 90, duration: 60})
	recordCall(t, app.store, "CA3", in, customer, support, nil, at, reportEvent{status: models.CallRinging}, reportEvent{status: models.CallNoAnswer, after: 30})
	recordCall(t, app.store, "CA4", in, customer, support, nil, at, reportEvent{status: models.CallRinging}, reportEvent{status: models.CallVoicemail, after: 40})
	recordCall(t, app.store, "CA5", out, "+15550100", "+14155552671", nil, at, reportEvent{status: models.CallAnswered, after: 5}, reportEvent{status: models.CallCompleted, after: 25, duration: 20})
	recordCall(t, app.store, "CA6", in, customer, support, nil, now.Add(-20*time.Hour), reportEvent{status: models.CallRinging}, reportEvent{status: models.CallAnswered, after: 3}) // yesterday

	// Two callers gave up in line after a minute, one of them yesterday.
	for i, joined := range []time.Time{now.Add(-time.Hour), now.Add(-20 * time.Hour)} {
		recordCall(t, app.store, "CAQ"+strconv.Itoa(i), in, customer, support, nil, joined,
			reportEvent{status: models.CallQueued}, reportEvent{status: models.CallAbandoned, after: 60})
	}

	// A phone caller has waited in line for half a minute.
	if _, err := app.store.Queue.Join(t.Context(), models.QueueEntry{SID: "CAW1", Caller: "+14155550123", JoinedAt: now.Add(-30 * time.Second)}); err != nil {
		t.Fatal(err)
	}

	var got struct {
		CallsWaiting int                `json:"callsWaiting"`
		Today        *models.DayFigures `json:"today"`
	}
	resp := app.get(t, agent, "/wallboard", "Accept", "application/json")
	resp.wantStatus(t, http.StatusOK)
	resp.json(t, &got)
	// Answered: CA1 after 8 s, CA2 after 30 s; missed CA3; voicemail
	// CA4; CAQ0 gave up in line: 1 of 5 answered within 20 s.
	if got.Today == nil || got.Today.Abandoned != 1 {
		t.Fatalf("today = %+v, want 1 caller who gave up in line today", got.Today)
	}
	if d := got.Today; d.Inbound != 5 || d.Answered != 2 || d.Missed != 1 || d.Voicemail != 1 || d.Outbound != 1 ||
		d.AvgWaitSeconds != 19 || d.ServiceLevel == nil || *d.ServiceLevel != 20 {
		t.Fatalf("today = %+v, want 5 in (2 answered, 1 missed, 1 voicemail, 1 gave up), 1 out, 19 s average wait, 20%% within 20 s", d)
	}

	page := app.get(t, agent, "/wallboard")
	page.wantStatus(t, http.StatusOK)
	tiles := map[string]string{}
	for _, n := range findAll(page.doc(t), func(n *html.Node) bool { return hasAttr(n, "data-wb") }) {
		tiles[attr(n, "data-wb")] = squash(text(n))
	}
	for key, want := range map[string]string{
		"callsWaiting": "1", "agentsOnline": "0", "today.answered": "2", "today.missed": "1",
		"today.voicemail": "1", "today.avgWaitSeconds": "0:19", "today.serviceLevel": "20%", "today.abandoned": "1",
	} {
		if tiles[key] != want {
			t.Errorf("tile %s = %q, want %q", key, tiles[key], want)
		}
	}
	if !strings.Contains(text(page.doc(t)), "Wednesday 2 December") {
		t.Error("the wallboard does not say which day it counts")
	}
	// The line lists the caller by the end of their number only.
	var line []string
	for _, li := range findAll(page.doc(t), byClass("wallboard-caller")) {
		line = append(line, squash(text(li)))
	}
	if want := []string{"1 Phone ···0123 on hold –"}; !slices.Equal(line, want) {
		t.Errorf("the line reads %q, want %q", line, want)
	}
	if strings.Contains(page.body, "555") {
		t.Error("the wallboard shows more of a caller's number than its last digits")
	}

	// Signed out: the sign-in page.
	app.get(t, app.client(t), "/wallboard").wantRedirect(t, "/login?next=%2Fwallboard")
}

// TestWallboardStream: while a wallboard is open, the counters carry
// today's figures and a waiting caller's start; with none open, the day is
// not counted at all.
func TestWallboardStream(t *testing.T) {
	t.Parallel()
	app := newTwilioApp(t)
	c := app.client(t)
	app.signIn(t, c)
	dash := app.openEvents(t, c, "")
	dash.next(t, "hello", 2*time.Second)
	app.createTicket(t, "Ada Lovelace", "+1 415 555 2671", "Headset crackles")
	if d := decodeEvent[counterEvent](t, dash.next(t, "counters", 3*time.Second)); d.Today != nil {
		t.Errorf("with no wallboard open the counters carry today's figures: %+v", d.Today)
	}

	board := app.openEventsURL(t, c, "/events?wallboard=1")
	board.next(t, "hello", 2*time.Second)
	// Twilio reports a customer's call ringing the agents (its times in
	// whole seconds).
	start := time.Now().UTC().Truncate(time.Second)
	app.twilioPost(t, "/call/status?dir=inbound", twiliotest.StatusCallback{
		CallSID: twiliotest.NewSID("CA"), CallStatus: "ringing", Timestamp: start, From: "client:customer", To: "client:support_agent",
	}.Params()).wantStatus(t, http.StatusNoContent)

	var wb counterEvent
	for range 10 {
		wb = decodeEvent[counterEvent](t, board.next(t, "counters", 3*time.Second))
		if wb.CallsWaiting == 1 {
			break
		}
	}
	if wb.CallsWaiting != 1 || wb.WaitingSince != start.UnixMilli() || wb.Today == nil || wb.Today.Inbound != 1 {
		t.Errorf("wallboard counters %+v (today %+v), want 1 waiting since %d and 1 call today", wb, wb.Today, start.UnixMilli())
	}
}
