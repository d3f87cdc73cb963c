package e2e

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// readerZone is the browser's time zone in TestTimesInTheReadersZone:
// nine hours from UTC all year, so a time shown in UTC can never pass.
const readerZone = "Asia/Tokyo"

// TestTimesInTheReadersZone: an agent whose computer runs on Tokyo time
// sees every "when" in Tokyo time, with UTC in the tooltip: the dashboard's
// cards and their calls, a card that arrives live, and the ticket page's
// call history.
func TestTimesInTheReadersZone(t *testing.T) {
	a := startApp(t, twilioEnv, withPublicURL())
	seedTickets(t, a.Store)
	ticket := newestTicket(t, a.Store)
	seedCallHistory(t, a, ticket)
	ctx := browser(t, chromedp.Env("TZ="+readerZone))
	signIn(t, ctx, a)

	var zone string
	run(t, ctx, chromedp.Evaluate(`Intl.DateTimeFormat().resolvedOptions().timeZone`, &zone))
	if zone != readerZone {
		t.Fatalf("the browser runs in %q, not %s: TZ did not reach it", zone, readerZone)
	}

	run(t, ctx, waitLive(), waitLocalTimes("the dashboard", "#ticket-list", 5))
	checkTokyoClock(t, ctx, "#ticket-list")

	live := postTicket(t, a, "Arrived Live")
	run(t, ctx, waitLocalTimes("the live card", "#ticket-"+live.ID, 1))
	checkTokyoClock(t, ctx, "#ticket-"+live.ID)

	run(t, ctx,
		chromedp.Navigate(a.URL+"/tickets/"+ticket.ID.Hex()),
		pageWith(`.call-history`),
		waitLocalTimes("the ticket page", "main", 4), // opened, three calls
	)
	checkTokyoClock(t, ctx, ".call-history")
}

// waitLocalTimes waits until at least n times under scope are shown in the
// browser's zone and language, none of them as UTC, each with its UTC
// form in the tooltip.
func waitLocalTimes(what, scope string, n int) chromedp.Action {
	return waitJS(what+"'s times in "+readerZone, `(() => {
		const opts = {year: "numeric", month: "short", day: "numeric", hour: "2-digit", minute: "2-digit", timeZoneName: "short"};
		const here = new Intl.DateTimeFormat(undefined, opts);
		const utc = new Intl.DateTimeFormat(undefined, {...opts, timeZone: "UTC"});
		const times = [...document.querySelectorAll(`+strconv.Quote(scope+" time[data-local]")+`)];
		return times.length >= `+strconv.Itoa(n)+` && times.every((el) => {
			const d = new Date(el.dateTime);
			return el.textContent === here.format(d) && el.textContent !== utc.format(d) && / UTC$/.test(el.title);
		});
	})()`)
}

// checkTokyoClock reads the times under scope back and checks, without
// the browser's help, that each shows the Tokyo wall clock of its moment.
func checkTokyoClock(t *testing.T, ctx context.Context, scope string) {
	t.Helper()
	var shown []struct {
		At   string `json:"at"`
		Text string `json:"text"`
	}
	run(t, ctx, chromedp.Evaluate(`[...document.querySelectorAll(`+strconv.Quote(scope+" time[data-local]")+`)]
		.map((el) => ({at: el.dateTime, text: el.textContent}))`, &shown))
	tokyo, err := time.LoadLocation(readerZone)
	if err != nil {
		t.Skipf("no zone data for %s: %v", readerZone, err)
	}
	for _, s := range shown {
		at, err := time.Parse(time.RFC3339, s.At)
		if err != nil {
			t.Errorf("datetime %q: %v", s.At, err)
			continue
		}
		local := at.In(tokyo)
		// The browser's language picks a 24- or 12-hour clock.
		if !strings.Contains(s.Text, local.Format("15:04")) && !strings.Contains(s.Text, local.Format("03:04")) {
			t.Errorf("%s shows %q, want Tokyo's %s", s.At, s.Text, local.Format("15:04"))
		}
	}
}
