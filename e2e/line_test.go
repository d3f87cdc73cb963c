package e2e

import (
	"net/http"
	"net/url"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/ringdesk/ringdesk/handlers/twiliotest"
	"github.com/ringdesk/ringdesk/voice"
)

// lineCall is a customer's call as Twilio carries it through the line:
// each answer of Ringdesk's is the TwiML Twilio would play next.
type lineCall struct {
	t    *testing.T
	a    *app
	sid  string
	last *twiliotest.Node
}

// callIn places a customer's call from the website, as Twilio asks the
// voice URL.
func callIn(t *testing.T, a *app) *lineCall {
	t.Helper()
	return callInFrom(t, a, "client:customer")
}

// callInFrom places a call from the caller Twilio names from.
func callInFrom(t *testing.T, a *app, from string) *lineCall {
	t.Helper()
	c := &lineCall{t: t, a: a, sid: twiliotest.NewSID("CA")}
	c.answer(twilioPost(t, a, "/call/connect", twiliotest.ConnectFrom(from, c.sid, nil)))
	return c
}

// press presses a key during the hold, as Twilio's <Gather> reports it.
func (c *lineCall) press(key string) {
	c.t.Helper()
	gather := c.last.All("Gather")
	if len(gather) != 1 {
		c.t.Fatalf("%s is offered no key: %+v", c.sid, c.last)
	}
	u, err := url.Parse(gather[0].Attrs["action"])
	if err != nil {
		c.t.Fatal(err)
	}
	c.answer(twilioPost(c.t, c.a, u.Path+"?"+u.RawQuery, url.Values{"CallSid": {c.sid}, "CallStatus": {"in-progress"}, "Digits": {key}}))
}

func (c *lineCall) answer(code int, body []byte) {
	c.t.Helper()
	if code != http.StatusOK {
		c.t.Fatalf("%s: %d %s", c.sid, code, body)
	}
	doc, err := twiliotest.ParseTwiML(body)
	if err != nil {
		c.t.Fatalf("%s: %v\n%s", c.sid, err, body)
	}
	c.last = doc
}

// poll follows the hold's <Redirect>, as Twilio does after the music.
func (c *lineCall) poll() {
	c.t.Helper()
	next := c.last.All("Redirect")
	if len(next) != 1 {
		c.t.Fatalf("%s is not on hold: %+v", c.sid, c.last)
	}
	u, err := url.Parse(next[0].Text)
	if err != nil {
		c.t.Fatal(err)
	}
	c.answer(twilioPost(c.t, c.a, u.Path+"?"+u.RawQuery, url.Values{"CallSid": {c.sid}, "CallStatus": {"in-progress"}}))
}

// holds wants the caller on hold, told their place.
func (c *lineCall) holds(say string) {
	c.t.Helper()
	says := c.last.All("Say")
	if len(c.last.All("Play")) != 1 || len(says) != 1 || says[0].Text != say {
		c.t.Fatalf("%s: want hold music and %q, got %+v", c.sid, say, c.last)
	}
}

// rings wants the agents' browsers rung, and returns the status callback
// address the <Client> names.
func (c *lineCall) rings() string {
	c.t.Helper()
	clients := c.last.All("Client")
	if len(clients) != 1 || clients[0].Text != voice.Agent {
		c.t.Fatalf("%s: want the agents rung, got %+v", c.sid, c.last)
	}
	u, _ := url.Parse(clients[0].Attrs["statusCallback"])
	return u.Path + "?" + u.RawQuery
}

// TestJourneyLine: two customers call while the only agent is away. Both
// hold, told their places, and the wallboard shows them waiting. The
// agent becomes available: the second caller asks first and still waits;
// the first rings and is answered. While the agent talks, the second is
// next in line; when the agent is free again, the second rings.
func TestJourneyLine(t *testing.T) {
	a := startApp(t, twilioEnv, withPublicURL())
	agent, board := browser(t), browser(t)
	signIn(t, agent, a)
	run(t, agent,
		waitJS("the device to register", `document.querySelector(".device-status").dataset.state === "ready"`),
		waitLive(),
		chromedp.Click(`.availability-toggle`, chromedp.ByQuery),
		waitText(`.availability-toggle-text`, "Away"),
	)
	signInAs(t, board, a, "sam@example.com")
	run(t, board,
		chromedp.Navigate(a.URL+"/wallboard"),
		pageWith(`#wallboard`),
		waitLive(),
		waitText(`[data-wb="agentsAway"]`, "1"),
	)

	first := callIn(t, a)
	first.holds(voice.SayJoined(1))
	second := callIn(t, a)
	second.holds(voice.SayJoined(2))
	run(t, board,
		waitText(`[data-wb="callsWaiting"]`, "2"),
		waitJS("the longest wait to show", `/^\d+:\d\d$/.test(document.querySelector("[data-wait-since]").textContent)`),
		// The line lists both, in order, each with its own wait.
		waitJS("the line to list both callers", `[...document.querySelectorAll("#wallboard-line .wallboard-caller")].map(li =>
			li.querySelector(".wallboard-place").textContent + " " + li.querySelector(".wallboard-state").textContent + " " +
			/^\d+:\d\d$/.test(li.querySelector(".wallboard-wait").textContent)).join(", ") === "1 on hold true, 2 on hold true"`),
	)

	// The agent is back. The second caller asks first, and still waits.
	run(t, agent,
		chromedp.Click(`.availability-toggle`, chromedp.ByQuery),
		waitText(`.availability-toggle-text`, "Available"),
	)
	run(t, board, waitText(`[data-wb="agentsOnline"]`, "1"))
	second.poll()
	second.holds(voice.SayHolding(2))
	first.poll()
	status := first.rings()

	// The agent's phone rings and the agent answers.
	run(t, agent,
		js(twilio.ring(first.sid)),
		chromedp.WaitVisible(`.incoming-accept`, chromedp.ByQuery),
		chromedp.Click(`.incoming-accept`, chromedp.ByQuery),
		waitText(".call-state-text", "In call"),
	)
	leg := twiliotest.NewSID("CA")
	twilioStatus(t, a, status, twiliotest.StatusCallback{CallSID: leg, ParentCallSID: first.sid, CallStatus: "in-progress", From: "client:customer", To: "client:" + voice.Agent})
	run(t, board, waitText(`[data-wb="agentsOnCall"]`, "1"), waitText(`[data-wb="callsWaiting"]`, "1"),
		// The first caller has left the line; the second is now first.
		waitJS("the line to move up", `[...document.querySelectorAll("#wallboard-line .wallboard-place")].map(e => e.textContent).join() === "1"`))
	second.poll()
	second.holds(voice.SayHolding(1))

	// The call ends; the agent is free, and the second caller rings.
	run(t, agent,
		js(twilio.remoteHangUp(first.sid)),
		waitJS("the call to end", `document.querySelector(".call-state-text").textContent.startsWith("Call ended")`),
	)
	run(t, board, waitText(`[data-wb="agentsOnline"]`, "1"))
	second.poll()
	second.rings()
}

// TestJourneyCallback: a phone caller waits while the only agent is away,
// presses 1 and hears the number they will be called on. The agent's
// dashboard says so live; its Call back view lists them; the agent
// presses "Call back", which dials the caller's new ticket, and once that
// call ends the view is empty.
func TestJourneyCallback(t *testing.T) {
	a := startApp(t, twilioEnv, withPublicURL())
	agent := browser(t)
	signIn(t, agent, a)
	run(t, agent,
		waitJS("the device to register", `document.querySelector(".device-status").dataset.state === "ready"`),
		waitLive(),
		chromedp.Click(`.availability-toggle`, chromedp.ByQuery),
		waitText(`.availability-toggle-text`, "Away"),
	)

	caller := callInFrom(t, a, "+14155552671")
	caller.holds(voice.SayJoined(1) + " " + voice.SayCallbackOffer)
	caller.press(voice.CallbackKey)
	if says := caller.last.All("Say"); len(says) != 1 || says[0].Text != voice.SayCallbackBooked("+14155552671") || len(caller.last.All("Hangup")) != 1 {
		t.Fatalf("after pressing 1: %+v", caller.last)
	}

	// The dashboard says so live, and its Call back tab lists it.
	var params []map[string]any
	var call string
	run(t, agent,
		waitText(`.view-tab[data-view="callback"] .view-count`, "1"),
		waitJS("the Call back line", `!document.getElementById("callbacks-notice").hidden`),
		chromedp.Click(`#callbacks-notice a`, chromedp.ByQuery),
		pageWith(`#callbacks .call-customer`),
		waitText(`#callbacks .callback-phone`, "+1 415-555-2671"),
		waitJS("the device to register", `document.querySelector(".device-status").dataset.state === "ready"`),
		chromedp.Click(`#callbacks .call-customer`, chromedp.ByQuery),
		waitJS("the call to be placed", twilio.placed+` === 1`),
		chromedp.Evaluate(twilio.params, &params),
		chromedp.Evaluate(twilio.newestCall, &call),
	)
	if len(params) != 1 || params[0]["phoneNumber"] != "+14155552671" || params[0]["ticketId"] == "" {
		t.Fatalf("Call back asked the SDK for %v", params)
	}
	// Twilio asks what the agent's call does: it dials the caller, and the
	// callback is made.
	leg := twilio.dialCustomer(t, a, params[0], "+14155552671")
	leg.report(t, "completed", 12)
	run(t, agent,
		js(twilio.remoteHangUp(call)),
		// The view reloads once the call is over, empty.
		pageWith(`#callbacks[data-count="0"] .empty-state`),
		waitText(`.view-tab[data-view="callback"] .view-count`, "0"),
	)
}
