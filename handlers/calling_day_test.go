package handlers_test

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"net/http"
	"slices"
	"strconv"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ringdesk/ringdesk/models"
	"github.com/ringdesk/ringdesk/voice"
)

// dayClock is the scripted day's clock: the app reads it, the script
// moves it.
type dayClock struct {
	zone *time.Location
	day  time.Time // midnight of the day, in zone
	now  atomic.Int64
}

func (c *dayClock) read() time.Time { return time.Unix(0, c.now.Load()) }

// at returns hh:mm:ss of the day, in the day's zone.
func (c *dayClock) at(t *testing.T, hms string) time.Time {
	t.Helper()
	d, err := time.Parse(time.TimeOnly, hms)
	if err != nil {
		t.Fatalf("bad time %q: %v", hms, err)
	}
	return time.Date(c.day.Year(), c.day.Month(), c.day.Day(), d.Hour(), d.Minute(), d.Second(), 0, c.zone)
}

// TestCallingScriptedDay plays one day of a support line through signed
// webhooks, for each provider: a voicemail before opening, a call
// answered at once, callers queueing while the only agent talks, a
// callback asked for from the line, a caller who hangs up on hold, a
// caller rung through who reaches voicemail, and the agent calling back.
// The wallboard during the day, and the day's report and call log after
// it, must give exactly the figures worked out by hand below.
func TestCallingScriptedDay(t *testing.T) {
	eachKit(t, func(t *testing.T, kit callingKit) {
		app := newKitApp(t, kit)
		zone, err := time.LoadLocation("America/New_York")
		if err != nil {
			t.Fatal(err)
		}
		clock := &dayClock{zone: zone, day: time.Date(2026, 12, 2, 0, 0, 0, 0, zone)} // a Wednesday
		app.h.SetClock(clock.read)
		app.vonageClock = clock.read
		week := make([]models.DayHours, 7)
		for d := time.Monday; d <= time.Friday; d++ {
			week[d] = models.DayHours{Open: "09:00", Close: "17:00"}
		}
		if err := app.store.Settings.SetHours(t.Context(), models.Hours{Zone: zone.String(), Week: week}); err != nil {
			t.Fatal(err)
		}

		// Ada is the only agent. Her dashboard tells the server what it
		// says of her phone; every move of the clock renews it, as its
		// heartbeat would.
		var ada *teamMember
		adaSays := map[string]any{"ready": true, "away": false, "onCall": false}
		tell := func(t *testing.T) {
			t.Helper()
			body := map[string]any{"stream": ada.stream}
			for k, v := range adaSays {
				body[k] = v
			}
			app.postJSON(t, ada.client, "/presence", body).wantStatus(t, http.StatusNoContent)
		}
		at := func(t *testing.T, hms string) time.Time {
			t.Helper()
			now := clock.at(t, hms)
			clock.now.Store(now.UnixNano())
			if ada != nil {
				tell(t)
			}
			return now
		}
		adaSet := func(t *testing.T, field string, v bool) {
			t.Helper()
			adaSays[field] = v
			tell(t)
		}
		hears := func(t *testing.T, who string, r *response) heard {
			t.Helper()
			return kit.read(t, app, r)
		}
		holds := func(t *testing.T, who string, r *response, say string) {
			t.Helper()
			got := hears(t, who, r)
			if len(got.Rings) != 0 || !slices.Equal(got.Plays, []string{voice.HoldMusicPath}) || len(got.Says) != 1 || got.Says[0] != say {
				t.Fatalf("%s: want hold music and %q, heard %+v:\n%s", who, say, got, r.body)
			}
		}
		rings := func(t *testing.T, who string, r *response) {
			t.Helper()
			if got := hears(t, who, r); !slices.Equal(got.Rings, []string{voice.Agent}) {
				t.Fatalf("%s: want the agents rung, heard %+v:\n%s", who, got, r.body)
			}
		}
		offer := " " + voice.SayCallbackOffer

		// Before the day's calls, three customers open tickets on the
		// website, which lets them be called back.
		at(t, "08:30:00")
		_, bRef := openTicketAsCustomer(t, app, "Barbara Liskov")
		dTicket, dRef := openTicketAsCustomer(t, app, "Donald Knuth")
		_, fRef := openTicketAsCustomer(t, app, "Frances Allen")

		// 08:55, closed: V, on the phone, leaves a message.
		at(t, "08:55:00")
		v := kit.newSID()
		va := kit.answer(t, app, fromPhone, callRequest{SID: v})[0]
		if got := hears(t, "V", va); !got.Records || len(got.Rings) != 0 || !strings.Contains(strings.Join(got.Says, " "), "9:00 AM") {
			t.Fatalf("V before opening: want the opening time and a voicemail, heard %+v", got)
		}
		at(t, "08:55:30")
		kit.recorded(t, app, va, v, 20)
		if vt := allTickets(t, app.store)[0]; vt.Name != "Phone caller" || vt.PhoneNumber == "" || !strings.Contains(vt.Description, "outside business hours") {
			t.Fatalf("V's voicemail opened %+v; want a Phone caller ticket with their number", vt)
		}

		// 09:00 Ada opens her dashboard, available.
		at(t, "09:00:00")
		ada = joinTeam(t, app)
		tell(t)

		// 09:05 B calls from the website: nobody waits, so B rings at
		// once; Ada answers after 12 s.
		at(t, "09:05:00")
		b := kit.newSID()
		ba := kit.answer(t, app, fromCustomer, callRequest{SID: b, TicketRef: bRef})[0]
		rings(t, "B", ba)
		kit.leg(t, app, ba, b, legRinging, at(t, "09:05:01"), 0)
		kit.leg(t, app, ba, b, legAnswered, at(t, "09:05:12"), 0)
		adaSet(t, "onCall", true)

		// 09:06 C phones and D calls from the website while Ada talks:
		// they wait, first C, then D.
		at(t, "09:06:00")
		c := kit.newSID()
		ca := kit.answer(t, app, fromPhone, callRequest{SID: c})[0]
		holds(t, "C", ca, voice.SayJoined(1)+offer)
		at(t, "09:06:25")
		ca = kit.polled(t, app, ca, c, "")
		holds(t, "C asks again", ca, voice.SayHolding(1)+offer)
		at(t, "09:06:30")
		d := kit.newSID()
		da := kit.answer(t, app, fromCustomer, callRequest{SID: d, TicketRef: dRef})[0]
		holds(t, "D", da, voice.SayJoined(2)+offer)
		at(t, "09:06:55")
		da = kit.polled(t, app, da, d, "")
		holds(t, "D asks again", da, voice.SayHolding(2)+offer)

		// The wallboard: two waiting since C joined, Ada on a call; the
		// line shows C by the end of their number, D by ticket.
		entry, err := app.store.Queue.Get(t.Context(), c)
		if err != nil {
			t.Fatal(err)
		}
		wantBoard(t, app, ada, board{Waiting: 2, Since: clock.at(t, "09:06:00"), OnCall: 1, Line: []string{
			"1 Phone ···" + entry.Caller[len(entry.Caller)-4:] + " on hold 09:06:00",
			"2 #" + strconv.FormatInt(dTicket.Number, 10) + " on hold 09:06:30",
		}})

		// 09:07 C presses 1 to be called back; D moves up.
		at(t, "09:07:00")
		if got := hears(t, "C presses 1", kit.polled(t, app, ca, c, voice.CallbackKey)); !got.HangsUp {
			t.Fatalf("C pressed 1: want goodbye, heard %+v", got)
		}
		for _, hms := range []string{"09:07:20", "09:07:45", "09:08:10", "09:08:35", "09:09:00"} {
			at(t, hms)
			da = kit.polled(t, app, da, d, "")
			holds(t, "D at "+hms, da, voice.SayHolding(1)+offer)
		}

		// 09:09:12 B hangs up after 4 minutes; D rings next and Ada
		// answers after 3 min 10 s in all.
		kit.leg(t, app, ba, b, legCompleted, at(t, "09:09:12"), 240)
		adaSet(t, "onCall", false)
		at(t, "09:09:25")
		da = kit.polled(t, app, da, d, "")
		rings(t, "D moved up", da)
		kit.leg(t, app, da, d, legRinging, at(t, "09:09:26"), 0)
		kit.leg(t, app, da, d, legAnswered, at(t, "09:09:40"), 0)
		adaSet(t, "onCall", true)
		kit.leg(t, app, da, d, legCompleted, at(t, "09:11:40"), 120)
		adaSet(t, "onCall", false)

		// 09:12 Ada steps away. E calls from the website with no ticket
		// (no number to call back) and hangs up on hold.
		at(t, "09:12:00")
		adaSet(t, "away", true)
		e := kit.newSID()
		holds(t, "E", kit.answer(t, app, fromCustomer, callRequest{SID: e})[0], voice.SayJoined(1))
		wantBoard(t, app, ada, board{Waiting: 1, Since: clock.at(t, "09:12:00"), Away: 1, Line: []string{"1 Website caller on hold 09:12:00"}})

		// 09:14 F calls: E, silent for two minutes, has left the line.
		at(t, "09:14:00")
		f := kit.newSID()
		fa := kit.answer(t, app, fromCustomer, callRequest{SID: f, TicketRef: fRef})[0]
		holds(t, "F", fa, voice.SayJoined(1)+offer)
		at(t, "09:14:25")
		fa = kit.polled(t, app, fa, f, "")
		holds(t, "F asks again", fa, voice.SayHolding(1)+offer)

		// 09:15 Ada is back; F rings, nobody answers in 30 s, and F
		// leaves a message.
		at(t, "09:15:00")
		adaSet(t, "away", false)
		at(t, "09:15:15")
		fa = kit.polled(t, app, fa, f, "")
		rings(t, "F", fa)
		kit.leg(t, app, fa, f, legRinging, at(t, "09:15:16"), 0)
		vm := kit.leg(t, app, fa, f, legUnanswered, at(t, "09:15:46"), 0)
		if got := hears(t, "F unanswered", vm); !got.Records {
			t.Fatalf("F unanswered: want voicemail, heard %+v", got)
		}
		at(t, "09:16:20")
		kit.recorded(t, app, vm, f, 25)

		// 09:20 Ada calls C back, from the Call back list: 3 minutes.
		at(t, "09:20:00")
		list, _, err := app.store.Callbacks.Pending(t.Context(), 10)
		if err != nil || len(list) != 1 {
			t.Fatalf("pending callbacks %+v, %v; want C's", list, err)
		}
		back := kit.newSID()
		cb := kit.answer(t, app, fromAgent, callRequest{SID: back, TicketID: list[0].TicketID.Hex()})[0]
		if got := hears(t, "calling C back", cb); !slices.Equal(got.Dials, []string{list[0].Number}) {
			t.Fatalf("Ada calls C back: want %s dialled, heard %+v", list[0].Number, got)
		}
		adaSet(t, "onCall", true)
		kit.leg(t, app, cb, back, legRinging, at(t, "09:20:01"), 0)
		kit.leg(t, app, cb, back, legAnswered, at(t, "09:20:10"), 0)
		kit.leg(t, app, cb, back, legCompleted, at(t, "09:23:10"), 180)
		adaSet(t, "onCall", false)
		if _, n, _ := app.store.Callbacks.Pending(t.Context(), 10); n != 0 {
			t.Errorf("%d callbacks pending after Ada called C back", n)
		}

		// By hand. Inbound: V (voicemail), B (answered after 12 s), C
		// (callback), D (answered after 190 s), E (hung up in line), F
		// (voicemail); outbound: the callback. Answered within 20 s: B,
		// 1 of the 6 that ended. Average wait (12 + 190) / 2. Talk: 240
		// + 120 inbound, 180 outbound.
		want := models.DayFigures{
			Date: "2026-12-02", Inbound: 6, Answered: 2, Missed: 0, Voicemail: 2, Abandoned: 1, CallbacksAsked: 1,
			Outbound: 1, AnsweredWithin: 1, AvgWaitSeconds: 101, TalkSeconds: 540, ServiceLevel: ptr(16.7),
		}
		at(t, "17:30:00")
		wantBoard(t, app, ada, board{Available: 1, Today: &want, Line: []string{}})

		var report struct {
			Days  []models.DayFigures
			Total models.DayFigures
		}
		resp := app.get(t, ada.client, "/reports?from=2026-12-02&to=2026-12-02&tz=America%2FNew_York", "Accept", "application/json")
		resp.wantStatus(t, http.StatusOK)
		resp.json(t, &report)
		ignore := cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".waitSum" }, cmp.Ignore())
		if len(report.Days) != 1 || !cmp.Equal(want, report.Days[0], ignore) {
			t.Errorf("the day's report %s; want %s", figures(report.Days...), figures(&want))
		}

		// The call log, a row per call in order of start: when, which
		// way, how long each waited and talked, and how it ended.
		resp = app.get(t, ada.client, "/reports/calls.csv?from=2026-12-02&to=2026-12-02&tz=America%2FNew_York")
		resp.wantStatus(t, http.StatusOK)
		rows, err := csv.NewReader(strings.NewReader(resp.body)).ReadAll()
		if err != nil || len(rows) == 0 {
			t.Fatalf("call log CSV: %v\n%s", err, resp.body)
		}
		col := map[string]int{}
		for i, name := range rows[0] {
			col[name] = i
		}
		var got [][]string
		for _, row := range rows[1:] {
			got = append(got, []string{row[col["started"]][11:19], row[col["direction"]], row[col["wait_seconds"]], row[col["talk_seconds"]], row[col["outcome"]]})
		}
		wantRows := [][]string{
			{"08:55:30", "inbound", "0", "0", "voicemail"},
			{"09:05:00", "inbound", "12", "240", "answered"},
			{"09:06:00", "inbound", "60", "0", "callback"},
			{"09:06:30", "inbound", "190", "120", "answered"},
			{"09:12:00", "inbound", "120", "0", "abandoned"},
			{"09:14:00", "inbound", "106", "0", "voicemail"},
			{"09:20:01", "outbound", "9", "180", "answered"},
		}
		if diff := cmp.Diff(wantRows, got); diff != "" {
			t.Errorf("call log (-want +got):\n%s", diff)
		}
	})
}

func ptr[T any](v T) *T { return &v }

// figures writes day figures as the JSON they are served as.
func figures[T models.DayFigures | *models.DayFigures](days ...T) string {
	b, _ := json.Marshal(days)
	return string(b)
}

// board is what the wallboard must show.
type board struct {
	Waiting                 int
	Since                   time.Time // the longest wait's start; zero when nobody waits
	Available, OnCall, Away int
	Today                   *models.DayFigures // nil: not checked
	// Line is the callers listed, each as "place label state hh:mm:ss"
	// (when they joined, in New York); nil: not checked.
	Line []string
}

// wantBoard reads the wallboard until it shows want: its counters are
// recounted in the background after each change, within a few seconds.
func wantBoard(t *testing.T, app *testApp, agent *teamMember, want board) {
	t.Helper()
	var got struct {
		CallsWaiting int                `json:"callsWaiting"`
		WaitingSince int64              `json:"waitingSince"`
		AgentsOnline int                `json:"agentsOnline"`
		AgentsOnCall int                `json:"agentsOnCall"`
		AgentsAway   int                `json:"agentsAway"`
		Today        *models.DayFigures `json:"today"`
		Line         []struct {
			Place   int    `json:"place"`
			Label   string `json:"label"`
			Since   int64  `json:"since"`
			Ringing bool   `json:"ringing"`
		} `json:"line"`
	}
	ny, _ := time.LoadLocation("America/New_York")
	ignore := cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".waitSum" }, cmp.Ignore())
	var since int64
	if !want.Since.IsZero() {
		since = want.Since.UnixMilli()
	}
	deadline := time.Now().Add(5 * time.Second)
	for {
		resp := app.get(t, agent.client, "/wallboard", "Accept", "application/json")
		resp.wantStatus(t, http.StatusOK)
		resp.json(t, &got)
		ok := got.CallsWaiting == want.Waiting && got.WaitingSince == since &&
			got.AgentsOnline == want.Available && got.AgentsOnCall == want.OnCall && got.AgentsAway == want.Away
		line := []string{}
		for _, c := range got.Line {
			state := "on hold"
			if c.Ringing {
				state = "ringing"
			}
			line = append(line, fmt.Sprintf("%d %s %s %s", c.Place, c.Label, state, time.UnixMilli(c.Since).In(ny).Format(time.TimeOnly)))
		}
		if want.Line != nil {
			ok = ok && slices.Equal(line, want.Line)
		}
		if want.Today != nil {
			today := *want.Today
			today.Date = "" // the wallboard's figures are the day's total
			ok = ok && got.Today != nil && cmp.Equal(today, *got.Today, ignore)
		}
		if ok {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("wallboard shows %d waiting since %d, %d available, %d on a call, %d away, line %q, today %s;\nwant %d waiting since %d, %d available, %d on a call, %d away, line %q, today %s",
				got.CallsWaiting, got.WaitingSince, got.AgentsOnline, got.AgentsOnCall, got.AgentsAway, line, figures(got.Today),
				want.Waiting, since, want.Available, want.OnCall, want.Away, want.Line, figures(want.Today))
		}
		time.Sleep(100 * time.Millisecond)
	}
}
