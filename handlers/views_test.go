package handlers_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/ringdesk/ringdesk/models"
)

// The first hour's page details (issue 11): what a new team reads on the
// pages Ringdesk renders.

// A used set-up link names the command to run as code, not between
// literal backticks.
func TestUsedSetupLinkShowsCommandAsCode(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	resp := app.get(t, app.client(t), "/setup?token=already-used")
	resp.wantStatus(t, http.StatusNotFound)
	page := find(resp.doc(t), byClass("error-page"))
	if strings.Contains(text(page), "`") {
		t.Errorf("error page shows a literal backtick: %q", squash(text(page)))
	}
	if code := find(page, byTag("code")); squash(text(code)) != "ringdesk agent add" {
		t.Errorf("error page's <code> = %q, want ringdesk agent add; page: %q", text(code), squash(text(page)))
	}
}

// The header's live counters say what they count; without calling, the
// call counts (always 0) are left out.
func TestLiveCountersSayWhatTheyCount(t *testing.T) {
	t.Parallel()
	counts := func(app *testApp) map[string]string {
		c := app.client(t)
		app.signIn(t, c)
		doc := app.get(t, c, "/dashboard").doc(t)
		out := map[string]string{}
		for _, n := range findAll(find(doc, byID("live-counters")), byClass("live-count")) {
			key := attr(find(n, func(n *html.Node) bool { return hasAttr(n, "data-count") }), "data-count")
			out[key] = squash(text(n))
			if attr(n, "title") == "" {
				t.Errorf("counter %s has no tooltip saying what it counts", key)
			}
		}
		return out
	}
	withCalling := counts(newTwilioApp(t))
	for key, want := range map[string]string{"agentsOnline": "0 available", "agentsOnCall": "0 on a call", "agentsAway": "0 away"} {
		if got := withCalling[key]; got != want {
			t.Errorf("%s counter reads %q, want %q", key, got, want)
		}
	}
	if got := withCalling["callsWaiting"]; got != "0 waiting" {
		t.Errorf("calls counter reads %q, want %q", got, "0 waiting")
	}
	without := counts(newTestApp(t))
	if _, ok := without["agentsOnline"]; ok || without["openTickets"] != "0 open" || len(without) != 1 {
		t.Errorf("without calling the counters are %v, want only 0 open", without)
	}
}

// Every time on the dashboard, the ticket page (its call log included)
// and a live card is a <time datetime> in UTC with UTC in its tooltip,
// marked for public/js/times.js to show in the reader's time zone.
func TestTimesAreMarkedForTheReadersZone(t *testing.T) {
	t.Parallel()
	app := newTwilioApp(t)
	c := app.client(t)
	app.signIn(t, c)
	tk := app.createTicket(t, "Ada Lovelace", "+1 415 555 2671", "Engine stopped.")
	if _, err := app.store.Calls.Record(t.Context(), models.CallEvent{
		Provider: "twilio", SID: "CA" + strings.Repeat("1", 32), TicketID: &tk.ID, Direction: models.CallOutbound,
		From: "client:support_agent", To: tk.PhoneNumber, Status: models.CallRinging, At: models.Now(),
	}); err != nil {
		t.Fatal(err)
	}
	events := app.openEvents(t, c, "")
	app.postForm(t, app.client(t), "/tickets", ticketForm("Grace Hopper", "+1 415 555 2671", "Arrived live.")).wantRedirect(t, "/")

	for _, page := range []struct {
		name  string
		doc   *html.Node
		times int // at least
	}{
		{"dashboard", app.get(t, c, "/dashboard").doc(t), 6},              // two tickets, one call: each when and how long ago
		{"ticket page", app.get(t, c, "/tickets/"+tk.ID.Hex()).doc(t), 4}, // opened, one call
		{"live card", newCard(t, events), 2},
	} {
		times := findAll(page.doc, byTag("time"))
		if len(times) < page.times {
			t.Errorf("%s: %d <time> elements, want at least %d", page.name, len(times), page.times)
		}
		local := 0
		for _, tm := range times {
			at, err := time.Parse(time.RFC3339, attr(tm, "datetime"))
			if err != nil || at.Location() != time.UTC {
				t.Errorf("%s: datetime %q is not RFC 3339 in UTC", page.name, attr(tm, "datetime"))
				continue
			}
			utc := at.Format("2 Jan 2006, 15:04 UTC")
			if attr(tm, "title") != utc {
				t.Errorf("%s: tooltip %q, want %q", page.name, attr(tm, "title"), utc)
			}
			switch {
			case hasAttr(tm, "data-local"):
				local++
				if got := text(tm); got != utc {
					t.Errorf("%s: a local time's text before the script = %q, want the UTC fallback %q", page.name, got, utc)
				}
			case !hasAttr(tm, "data-relative"):
				t.Errorf("%s: <time datetime=%q> is neither data-local nor data-relative", page.name, attr(tm, "datetime"))
			}
		}
		if local*2 != len(times) {
			t.Errorf("%s: %d of %d times show when (data-local); want each moment's when beside its how long ago", page.name, local, len(times))
		}
	}
}

// newCard waits for the live event that brings a new ticket's card and
// parses its HTML.
func newCard(t *testing.T, s *eventStream) *html.Node {
	t.Helper()
	for {
		ev := decodeEvent[ticketEvent](t, s.next(t, "ticket", 5*time.Second))
		if !ev.Created {
			continue
		}
		doc, err := html.Parse(strings.NewReader(ev.HTML))
		if err != nil {
			t.Fatal(err)
		}
		return doc
	}
}

// Customers see no call card while calling is not configured; agents see
// it with the reason; with calling, everyone sees it.
func TestHomeCallCard(t *testing.T) {
	t.Parallel()
	type shown struct{ Card, Note, ButtonsOff, Single bool }
	home := func(app *testApp, agent bool) shown {
		c := app.client(t)
		if agent {
			app.signIn(t, c)
		}
		doc := app.get(t, c, "/").doc(t)
		card := find(doc, byClass("call-card"))
		return shown{
			Card:       card != nil,
			Note:       card != nil && find(card, byClass("note")) != nil,
			ButtonsOff: card != nil && hasAttr(find(card, byID("call-support")), "disabled"),
			Single:     hasClass(find(doc, byClass("home-grid")), "home-grid-single"),
		}
	}
	off, on := newTestApp(t), newTwilioApp(t)
	for _, tt := range []struct {
		name  string
		app   *testApp
		agent bool
		want  shown
	}{
		{"customer, no calling", off, false, shown{Single: true}},
		{"agent, no calling", off, true, shown{Card: true, Note: true, ButtonsOff: true}},
		{"customer, calling", on, false, shown{Card: true}},
		{"agent, calling", on, true, shown{Card: true}},
	} {
		if got := home(tt.app, tt.agent); got != tt.want {
			t.Errorf("%s: %+v, want %+v", tt.name, got, tt.want)
		}
	}
	if lede := squash(text(find(homePage(t, off), byClass("lede")))); strings.Contains(lede, "browser") {
		t.Errorf("without calling the home page still offers to talk from the browser: %q", lede)
	}
}

func homePage(t testing.TB, app *testApp) *html.Node {
	t.Helper()
	return app.get(t, app.client(t), "/").doc(t)
}

// The phone field's hint and its error give the same example number, and
// the hint keeps the number on one line.
func TestPhoneHintAndErrorAgree(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	example := regexp.MustCompile(`e\.g\. (\+[0-9 ]*[0-9])`)

	hint := find(homePage(t, app), byID("phone_number-hint"))
	m := example.FindStringSubmatch(squash(text(hint)))
	if m == nil {
		t.Fatalf("hint %q gives no example number", squash(text(hint)))
	}
	if nowrap := find(hint, byClass("nowrap")); text(nowrap) != m[1] {
		t.Errorf("hint's unbreakable part = %q, want the number %q", text(nowrap), m[1])
	}

	resp := app.postForm(t, app.client(t), "/tickets", url.Values{"name": {"Ada"}, "phone_number": {"12345"}, "description": {"Hello"}})
	resp.wantStatus(t, http.StatusUnprocessableEntity)
	msg := fieldErrors(resp.doc(t), "phone_number")["phone_number"]
	if e := example.FindStringSubmatch(msg); e == nil || e[1] != m[1] {
		t.Errorf("error %q and hint %q give different examples", msg, squash(text(hint)))
	}
}
