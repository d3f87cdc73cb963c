package e2e

import (
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ringdesk/ringdesk/handlers/twiliotest"
)

// TestWallboard: a wall screen follows a customer's call as Twilio
// reports it: one caller waiting and the wait counting up, then answered,
// then in today's answered calls with its wait, without a reload.
func TestWallboard(t *testing.T) {
	a := startApp(t, twilioEnv, withPublicURL())
	ctx := browser(t)
	signIn(t, ctx, a)
	run(t, ctx,
		chromedp.Navigate(a.URL+"/wallboard"),
		pageWith(`#wallboard`),
		waitLive(),
		markPage(),
		waitText(`[data-wb="callsWaiting"]`, "0"),
		waitText(`[data-wb="today.answered"]`, "0"),
	)

	path := "/call/status?dir=inbound"
	parent, leg := twiliotest.NewSID("CA"), twiliotest.NewSID("CA")
	started := time.Now().Add(-3 * time.Second).Truncate(time.Second)
	cb := twiliotest.StatusCallback{CallSID: leg, ParentCallSID: parent, From: "client:customer", To: "client:support_agent"}
	report := func(status string, at time.Time, seq, duration int) {
		t.Helper()
		cb.CallStatus, cb.Timestamp, cb.Seq, cb.Duration = status, at, seq, duration
		twilioStatus(t, a, path, cb)
	}
	report("initiated", started, 0, 0)
	report("ringing", started, 1, 0)
	var wait1 string
	run(t, ctx,
		waitText(`[data-wb="callsWaiting"]`, "1"),
		waitJS("the longest wait to count", `/^0:0[3-9]$/.test(document.querySelector("[data-wait-since]").textContent)`),
		chromedp.Text(`[data-wait-since]`, &wait1),
	)
	// It counts up by itself, with no event in between.
	run(t, ctx, waitJS("the longest wait to move on from "+wait1, `document.querySelector("[data-wait-since]").textContent !== "`+wait1+`"`))

	// Answered 12 s after it began, over a minute later it ends.
	report("in-progress", started.Add(12*time.Second), 2, 0)
	report("completed", started.Add(80*time.Second), 3, 68)
	run(t, ctx,
		waitText(`[data-wb="callsWaiting"]`, "0"),
		waitText(`[data-wait-since]`, "–"),
		waitText(`[data-wb="today.answered"]`, "1"),
		waitText(`[data-wb="today.avgWaitSeconds"]`, "0:12"),
		waitText(`[data-wb="today.serviceLevel"]`, "100%"),
	)
	pageNotReloaded(t, ctx)
}
