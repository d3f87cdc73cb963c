package e2e

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/google/go-cmp/cmp"

	"github.com/ringdesk/ringdesk/handlers/twiliotest"
	"github.com/ringdesk/ringdesk/models"
	"github.com/ringdesk/ringdesk/models/storetest"
)

// The journeys, end to end on Twilio: the pages, scripts, server
// and database are the real thing; the Voice SDK is the double in
// testdata/fake-twilio.js, and the test plays Twilio's cloud by posting
// signed webhooks to the app's PUBLIC_URL. Journeys 1 and 4 are
// TestTicketJourney (tickets_test.go) and TestSoftphoneKeepsDeviceFresh /
// TestVonageKeepsSessionFresh. Journey 5's microphone and calling-service
// errors are covered by TestSoftphoneCustomer (Twilio: microphone blocked,
// signalling lost mid-call, device error while connecting),
// TestVonageCustomer (session timeout, microphone refused),
// TestVonageIncomingCall (microphone refused on Accept) and
// TestVonageRealSDKUnreachable / TestJourneyTwilioRealSDKUnreachable (the
// real SDKs, un-doubled, in a browser that cannot reach the clouds).

// TestJourneyAgentCallsCustomer (journey 2): a ticket a customer opens
// appears on the agent's open dashboard; "Call Customer" dials it through
// /call/connect; Twilio's status callbacks and the SDK's events walk the
// panel through Ringing, In call and Ended; the card and the ticket page
// show the call with its duration, all without a reload.
func TestJourneyAgentCallsCustomer(t *testing.T) {
	a := startApp(t, twilioEnv, withPublicURL())
	ctx := browser(t)
	signIn(t, ctx, a)
	run(t, ctx,
		waitJS("the device to register", `document.querySelector(".device-status").dataset.state === "ready"`),
		waitLive(),
		markPage(),
	)

	// The customer opens a ticket from another browser.
	customer := customerTab(t, ctx)
	run(t, customer, chromedp.Navigate(a.URL+"/"))
	submitTicket(t, customer, "Grace Hopper", "+1 415 555 2671", "My headset crackles during calls.")
	ticket := newestTicket(t, a.Store)
	card := "#ticket-" + ticket.ID.Hex()
	var cardText string
	run(t, ctx,
		waitJS("the new ticket's card", `document.querySelector("`+card+`") !== null`),
		chromedp.Text(card, &cardText),
		waitCount("openTickets", 1),
	)
	for _, want := range []string{"Grace Hopper", "+1 415-555-2671", "My headset crackles during calls."} {
		if !strings.Contains(cardText, want) {
			t.Errorf("live card lacks %q:\n%s", want, cardText)
		}
	}

	// Call the customer: the SDK is asked for the ticket and its number.
	var params []map[string]string
	run(t, ctx,
		chromedp.Click(card+` .call-customer`),
		waitJS("connect", `window.__fake.connects.length === 1`),
		chromedp.Evaluate(`window.__fake.connects`, &params),
		waitText(".call-state-text", "Connecting…"),
	)
	want := []map[string]string{{"ticketId": ticket.ID.Hex(), "phoneNumber": "+14155552671"}}
	if diff := cmp.Diff(want, params); diff != "" {
		t.Fatalf("connect params (-want +got):\n%s", diff)
	}

	// Twilio asks the TwiML App what to do with the browser's call, with
	// the parameters the browser passed.
	callSID := twiliotest.NewSID("CA")
	code, body := twilioPost(t, a, "/call/connect", twiliotest.Connect("support_agent", callSID, url.Values{
		"ticketId": {params[0]["ticketId"]}, "phoneNumber": {params[0]["phoneNumber"]},
	}))
	if code != http.StatusOK {
		t.Fatalf("/call/connect: %d %s", code, body)
	}
	doc := twiliotest.MustParseTwiML(t, body)
	dials, numbers := doc.All("Dial"), doc.All("Number")
	if doc.Name != "Response" || len(dials) != 1 || len(numbers) != 1 || len(doc.All("Client")) != 0 {
		t.Fatalf("TwiML does not dial one number:\n%s", body)
	}
	if got := strings.TrimSpace(numbers[0].Text); got != "+14155552671" {
		t.Errorf("dials %q, want the ticket's number +14155552671", got)
	}
	if dials[0].Attrs["callerId"] != twilioEnv["TWILIO_CALLER_ID"] || dials[0].Attrs["answerOnBridge"] != "true" {
		t.Errorf("<Dial> attributes = %v, want callerId %s and answerOnBridge", dials[0].Attrs, twilioEnv["TWILIO_CALLER_ID"])
	}
	statusPath := appPath(t, a, numbers[0].Attrs["statusCallback"])

	// The customer's phone rings, answers, and hangs up after 42 s.
	leg := twiliotest.NewSID("CA")
	cb := func(status string, seq, duration int) twiliotest.StatusCallback {
		return twiliotest.StatusCallback{CallSID: leg, ParentCallSID: callSID, CallStatus: status, Timestamp: time.Now(),
			Seq: seq, Duration: duration, From: twilioEnv["TWILIO_CALLER_ID"], To: "+14155552671"}
	}
	twilioStatus(t, a, statusPath, cb("initiated", 0, 0))
	twilioStatus(t, a, statusPath, cb("ringing", 1, 0))
	run(t, ctx,
		chromedp.Evaluate(`window.__fake.lastCall.emit("ringing")`, nil),
		waitText(".call-state-text", "Ringing…"),
		waitCallOutcome(card, "Ringing…"),
	)
	twilioStatus(t, a, statusPath, cb("in-progress", 2, 0)) // what Twilio posts for "answered"
	var t1, t2 string
	var buttonsOff bool
	run(t, ctx,
		chromedp.Evaluate(`window.__fake.lastCall.emit("accept")`, nil),
		waitText(".call-state-text", "In call"),
		chromedp.Evaluate(`document.querySelector(".call-panel-state .call-timer").textContent`, &t1),
		waitCallOutcome(card, "In call"),
		chromedp.Sleep(1200*time.Millisecond),
		chromedp.Evaluate(`document.querySelector(".call-panel-state .call-timer").textContent`, &t2),
		// The card was replaced live mid-call: its button must not offer a second call.
		chromedp.Evaluate(`[...document.querySelectorAll(".call-customer")].every((b) => b.disabled)`, &buttonsOff),
	)
	if t1 != "00:00" || t2 == t1 || !strings.HasPrefix(t2, "00:0") {
		t.Errorf("timer went %q -> %q, want 00:00 -> 00:01 or so", t1, t2)
	}
	if !buttonsOff {
		t.Error("Call Customer is enabled again during the call after the card updated")
	}
	twilioStatus(t, a, statusPath, cb("completed", 3, 42))
	var ended string
	run(t, ctx,
		chromedp.Evaluate(`window.__fake.lastCall.emit("disconnect")`, nil),
		waitJS("the call to end", `document.querySelector(".call-state-text").textContent.startsWith("Call ended (")`),
		chromedp.Text(`.call-state-text`, &ended),
		waitCallOutcome(card, "Answered · 0:42"),
		chromedp.Text(card+` .call-item`, &cardText),
	)
	if !regexp.MustCompile(`^Call ended \(00:0[1-9]\)$`).MatchString(ended) {
		t.Errorf("ended state = %q", ended)
	}
	if !strings.Contains(cardText, "Outgoing call") {
		t.Errorf("card's call line = %q, want an outgoing call", cardText)
	}
	pageNotReloaded(t, ctx)

	// The ticket page lists the call.
	var history string
	run(t, ctx,
		chromedp.Navigate(a.URL+"/tickets/"+ticket.ID.Hex()),
		pageWith(`.call-history .call-item`),
		chromedp.Text(`.call-history`, &history),
	)
	for _, want := range []string{"Outgoing call", "Answered · 0:42"} {
		if !strings.Contains(strings.Join(strings.Fields(history), " "), want) {
			t.Errorf("call history lacks %q:\n%s", want, history)
		}
	}
	if n := countCalls(t, a.Store, ticket); n != 1 {
		t.Errorf("%d calls logged on the ticket, want 1", n)
	}
}

// TestJourneyCustomerCallsSupport (journey 3): the customer presses "Call
// support"; the TwiML App rings the agents' browsers (never a phone); the
// agent's dashboard rings and the agent accepts; both sides show In call;
// the customer hangs up and both show Ended. The call's status callbacks
// move the "waiting" counter and put the call on the customer's ticket.
func TestJourneyCustomerCallsSupport(t *testing.T) {
	a := startApp(t, twilioEnv, withPublicURL())
	ctx := browser(t)
	signIn(t, ctx, a)
	run(t, ctx,
		waitJS("the device to register", `document.querySelector(".device-status").dataset.state === "ready"`),
		waitLive(),
		waitCount("agentsOnline", 1),
		waitCount("callsWaiting", 0),
		markPage(),
	)

	// The customer opens a ticket, then calls.
	customer := customerTab(t, ctx)
	run(t, customer, withFakeTwilio(), chromedp.Navigate(a.URL+"/"))
	submitTicket(t, customer, "Grace Hopper", "+1 415 555 2671", "My headset crackles during calls.")
	ticket := newestTicket(t, a.Store)
	card := "#ticket-" + ticket.ID.Hex()
	var params []map[string]string
	run(t, customer,
		waitJS("the new page's scripts", `document.readyState === "complete"`),
		chromedp.Click(`#call-support`),
		waitJS("connect", `window.__fake.connects.length === 1`),
		chromedp.Evaluate(`window.__fake.connects`, &params),
		waitText("#call-status", "Connecting…"),
	)
	run(t, ctx, waitJS("the new ticket's card", `document.querySelector("`+card+`") !== null`))

	// Twilio asks the TwiML App; whatever the browser sent, a customer
	// reaches the agents' browsers.
	callSID := twiliotest.NewSID("CA")
	extra := url.Values{}
	for k, v := range params[0] {
		extra.Set(k, v)
	}
	code, body := twilioPost(t, a, "/call/connect", twiliotest.Connect("customer", callSID, extra))
	if code != http.StatusOK {
		t.Fatalf("/call/connect: %d %s", code, body)
	}
	doc := twiliotest.MustParseTwiML(t, body)
	clients, dials := doc.All("Client"), doc.All("Dial")
	if len(doc.All("Number")) != 0 {
		t.Errorf("a customer's call dials a phone:\n%s", body)
	}
	if len(dials) != 1 || len(clients) != 1 || strings.TrimSpace(clients[0].Text) != "support_agent" {
		t.Fatalf("TwiML does not dial <Client>support_agent</Client>:\n%s", body)
	}
	statusPath := appPath(t, a, clients[0].Attrs["statusCallback"])
	resultPath := appPath(t, a, dials[0].Attrs["action"])

	leg := twiliotest.NewSID("CA")
	cb := func(status string, seq, duration int) twiliotest.StatusCallback {
		return twiliotest.StatusCallback{CallSID: leg, ParentCallSID: callSID, CallStatus: status, Timestamp: time.Now(),
			Seq: seq, Duration: duration, From: "client:customer", To: "client:support_agent"}
	}
	twilioStatus(t, a, statusPath, cb("initiated", 0, 0))
	twilioStatus(t, a, statusPath, cb("ringing", 1, 0))
	run(t, customer,
		chromedp.Evaluate(`window.__fake.lastCall.emit("ringing")`, nil),
		waitText("#call-status", "Ringing…"),
	)

	// The agent's dashboard rings; the agent accepts.
	var banner string
	run(t, ctx,
		waitCount("callsWaiting", 1),
		waitCallOutcome(card, "Ringing…"),
		chromedp.Evaluate(`window.__fake.ring({})`, nil),
		chromedp.WaitVisible(`.incoming-call`),
		chromedp.Evaluate(`document.querySelector(".incoming-call").textContent.replace(/\s+/g, " ").trim()`, &banner),
		chromedp.Click(`.incoming-accept`),
		waitText(".call-state-text", "In call"),
	)
	if !strings.Contains(banner, "Incoming call") || !strings.Contains(banner, "Customer on the website") {
		t.Errorf("ringing banner = %q", banner)
	}
	twilioStatus(t, a, statusPath, cb("in-progress", 2, 0))
	run(t, customer,
		chromedp.Evaluate(`window.__fake.lastCall.emit("accept")`, nil),
		waitText("#call-status", "In call 00:00"),
		waitText("#call-status", "In call 00:01"),
	)
	run(t, ctx,
		waitCount("callsWaiting", 0),
		waitCallOutcome(card, "In call"),
	)

	// The customer hangs up: the customer's SDK ends the call, Twilio ends
	// the agent's leg, and reports.
	var hangUps int
	run(t, customer,
		chromedp.Click(`#hang-up`),
		waitJS("the call to end", `document.querySelector("#call-status").textContent.trim().startsWith("Call ended")`),
		chromedp.WaitNotVisible(`#hang-up`),
		chromedp.Evaluate(`window.__fake.lastCall.disconnected`, &hangUps),
	)
	if hangUps != 1 {
		t.Errorf("customer's call.disconnect called %d times, want 1", hangUps)
	}
	twilioStatus(t, a, statusPath, cb("completed", 3, 7))
	code, body = twilioPost(t, a, resultPath, twiliotest.DialResult(callSID, "completed"))
	if code != http.StatusOK || len(twiliotest.MustParseTwiML(t, body).All("Hangup")) != 1 {
		t.Errorf("dial result after an answered call: %d %s, want <Hangup/>", code, body)
	}
	var ended, cardText string
	run(t, ctx,
		chromedp.Evaluate(`window.__fake.lastCall.emit("disconnect")`, nil),
		waitJS("the call to end", `document.querySelector(".call-state-text").textContent.startsWith("Call ended (")`),
		chromedp.Text(`.call-state-text`, &ended),
		waitCallOutcome(card, "Answered · 0:07"),
		chromedp.Text(card+` .call-item`, &cardText),
		waitCount("callsWaiting", 0),
	)
	if !regexp.MustCompile(`^Call ended \(00:0[1-9]\)$`).MatchString(ended) {
		t.Errorf("agent's ended state = %q", ended)
	}
	if !strings.Contains(cardText, "Incoming call") {
		t.Errorf("card's call line = %q, want an incoming call", cardText)
	}
	pageNotReloaded(t, ctx)
}

// TestJourneyDatabaseDownDuringSubmit (journey 5): the database stops
// while a customer fills in the form; sending it says clearly that
// Ringdesk is temporarily unavailable and keeps everything typed; once the
// database is back, sending again works.
func TestJourneyDatabaseDownDuringSubmit(t *testing.T) {
	outage := storetest.NewOutage(t)
	store := outage.Store
	a := startApp(t, nil, withStore(store))
	ctx := browser(t)

	const (
		name  = "Grace Hopper"
		phone = "+1 415 555 2671"
		desc  = "Typed while the database was down.\nTwo lines, <b>kept</b>."
	)
	run(t, ctx,
		chromedp.Navigate(a.URL+"/"),
		chromedp.WaitVisible(`#name`),
		chromedp.SendKeys(`#name`, name),
		chromedp.SendKeys(`#phone_number`, phone),
		chromedp.SendKeys(`#description`, desc),
	)
	outage.Stop()

	began := time.Now()
	var message, gotName, gotPhone, gotDesc string
	run(t, ctx,
		chromedp.Click(`form[action="/tickets"] button[type=submit]`),
		pageWith(`.flash`),
	)
	took := time.Since(began)
	run(t, ctx,
		chromedp.Text(`.flash`, &message),
		chromedp.Value(`#name`, &gotName),
		chromedp.Value(`#phone_number`, &gotPhone),
		chromedp.Value(`#description`, &gotDesc),
	)
	if !strings.Contains(message, "temporarily unavailable") {
		t.Errorf("page message = %q, want one saying Ringdesk is temporarily unavailable", message)
	}
	if took > 7*time.Second {
		t.Errorf("the answer took %v, want the design's ~5 s", took)
	}
	got := []string{gotName, gotPhone, gotDesc}
	if diff := cmp.Diff([]string{name, phone, desc}, got); diff != "" {
		t.Errorf("typed values (-typed +shown):\n%s", diff)
	}

	// The database is back: the same form, sent again, opens the ticket.
	outage.Start()
	waitReady(t, a, 20*time.Second)
	var flash string
	run(t, ctx,
		chromedp.Click(`form[action="/tickets"] button[type=submit]`),
		pageWith(`.flash-success`),
		chromedp.Text(`.flash-success`, &flash),
	)
	if !strings.Contains(flash, name) {
		t.Errorf("success message = %q", flash)
	}
	if tk := newestTicket(t, a.Store); tk.Name != name || tk.Description != desc || tk.PhoneNumber != "+14155552671" {
		t.Errorf("stored ticket = %q %q %q", tk.Name, tk.PhoneNumber, tk.Description)
	}
}

// TestJourneyTwilioRealSDKUnreachable (journey 5): the real Voice SDK,
// un-doubled, in a browser that cannot reach Twilio: the customer is told
// the calling service cannot be reached.
func TestJourneyTwilioRealSDKUnreachable(t *testing.T) {
	a := startApp(t, twilioEnv)
	ctx := browser(t)
	var sdkLoaded bool
	run(t, ctx,
		chromedp.Navigate(a.URL+"/"),
		chromedp.WaitVisible(`#call-support`),
		chromedp.Click(`#call-support`),
		waitJSWithin(30*time.Second, "the customer to be told", `document.querySelector("#call-status").textContent.trim() === "Can't reach the calling service"`),
		chromedp.WaitNotVisible(`#hang-up`),
		chromedp.Evaluate(`typeof window.Twilio?.Device === "function"`, &sdkLoaded),
	)
	if !sdkLoaded {
		t.Error("the page did not load the vendored SDK")
	}
}

// countCalls counts the calls logged on a ticket.
func countCalls(t *testing.T, s *models.Store, ticket models.Ticket) int {
	t.Helper()
	calls, err := s.Calls.ForTicket(context.Background(), ticket.ID)
	if err != nil {
		t.Fatal(err)
	}
	return len(calls)
}
