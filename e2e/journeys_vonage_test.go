package e2e

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/google/go-cmp/cmp"

	"github.com/ringdesk/ringdesk/handlers/vonagetest"
)

// Journey 6: journeys 2 and 3 with VOICE_PROVIDER=vonage. The Client SDK
// is the double in testdata/fake-vonage.js; the test plays Vonage's cloud
// by posting signed answer and event webhooks to the app's PUBLIC_URL.

// startVonageJourney runs the app on vonagetest's application, whose
// signature secret the test signs webhooks with, at its own PUBLIC_URL.
func startVonageJourney(t *testing.T) *app {
	t.Helper()
	return startApp(t, vonagetest.Env(t, ""), withPublicURL())
}

// TestJourneyVonageAgentCallsCustomer is journey 2 on Vonage.
func TestJourneyVonageAgentCallsCustomer(t *testing.T) {
	a := startVonageJourney(t)
	ctx := browser(t)
	signInWithVonage(t, ctx, a)
	run(t, ctx,
		waitJS("the session", `document.querySelector(".device-status").dataset.state === "ready"`),
		waitLive(),
		markPage(),
	)

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
	if !strings.Contains(cardText, "Grace Hopper") || !strings.Contains(cardText, "+1 415-555-2671") {
		t.Errorf("live card:\n%s", cardText)
	}

	// Call the customer: serverCall names the number and the ticket.
	var contexts []map[string]string
	var callID string
	run(t, ctx,
		chromedp.Click(card+` .call-customer`),
		waitJS("serverCall", `window.__fake.callIds.length === 1`),
		chromedp.Evaluate(`window.__fake.serverCalls`, &contexts),
		chromedp.Evaluate(`window.__fake.callIds[0]`, &callID),
		waitText(".call-state-text", "Connecting…"),
	)
	want := []map[string]string{{"to": "+14155552671", "ticketId": ticket.ID.Hex()}}
	if diff := cmp.Diff(want, contexts); diff != "" {
		t.Fatalf("serverCall context (-want +got):\n%s", diff)
	}

	// Vonage asks the answer URL, moving context.to to the top level and
	// the rest into custom_data.
	conversation := vonagetest.NewConversation()
	answer := vonagetest.Answer{FromUser: "support_agent", To: contexts[0]["to"], ConversationUUID: conversation,
		Context: map[string]string{"ticketId": contexts[0]["ticketId"]}}
	code, body := vonagePost(t, a, "/webhooks/answer", answer.Body())
	if code != http.StatusOK {
		t.Fatalf("/webhooks/answer: %d %s", code, body)
	}
	ncco := vonagetest.MustParseNCCO(t, body)
	if diff := cmp.Diff([]string{"connect"}, ncco.Actions()); diff != "" {
		t.Fatalf("NCCO actions (-want +got):\n%s\n%s", diff, body)
	}
	wantEP := []map[string]any{{"type": "phone", "number": "14155552671"}}
	if diff := cmp.Diff(wantEP, ncco.Endpoints()); diff != "" {
		t.Errorf("NCCO endpoints (-want +got):\n%s", diff)
	}
	if ncco[0]["from"] != vonagetest.Number {
		t.Errorf("connect from %v, want VONAGE_NUMBER %s", ncco[0]["from"], vonagetest.Number)
	}
	urls := ncco.Strings("eventUrl")
	if len(urls) != 1 {
		t.Fatalf("NCCO event URLs = %v, want one", urls)
	}
	eventPath := appPath(t, a, urls[0])

	// The phone leg rings, answers, and ends after 42 s.
	leg := vonagetest.NewUUID()
	ev := func(status string, duration int) vonagetest.Event {
		return vonagetest.Event{UUID: leg, ConversationUUID: conversation, Status: status, From: vonagetest.Number,
			To: "14155552671", Direction: "outbound", Timestamp: time.Now(), Duration: duration}
	}
	vonageEvent(t, a, eventPath, ev("started", 0))
	vonageEvent(t, a, eventPath, ev("ringing", 0))
	run(t, ctx,
		emit("legStatusUpdate", callID, leg, "RINGING"),
		waitText(".call-state-text", "Ringing…"),
		waitCallOutcome(card, "Ringing…"),
	)
	vonageEvent(t, a, eventPath, ev("answered", 0))
	var t1, t2 string
	var buttonsOff bool
	run(t, ctx,
		emit("legStatusUpdate", callID, leg, "ANSWERED"),
		waitText(".call-state-text", "In call"),
		chromedp.Evaluate(`document.querySelector(".call-panel-state .call-timer").textContent`, &t1),
		waitCallOutcome(card, "In call"),
		chromedp.Sleep(1200*time.Millisecond),
		chromedp.Evaluate(`document.querySelector(".call-panel-state .call-timer").textContent`, &t2),
		chromedp.Evaluate(`[...document.querySelectorAll(".call-customer")].every((b) => b.disabled)`, &buttonsOff),
	)
	if t1 != "00:00" || t2 == t1 || !strings.HasPrefix(t2, "00:0") {
		t.Errorf("timer went %q -> %q, want 00:00 -> 00:01 or so", t1, t2)
	}
	if !buttonsOff {
		t.Error("Call Customer is enabled again during the call after the card updated")
	}
	vonageEvent(t, a, eventPath, ev("completed", 42))
	var ended string
	run(t, ctx,
		emit("legStatusUpdate", callID, leg, "COMPLETED"),
		emit("callHangup", callID, map[string]any{}, "REMOTE_HANGUP"),
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

	var history string
	run(t, ctx,
		chromedp.Navigate(a.URL+"/tickets/"+ticket.ID.Hex()),
		pageWith(`.call-history .call-item`),
		chromedp.Text(`.call-history`, &history),
	)
	if h := strings.Join(strings.Fields(history), " "); !strings.Contains(h, "Outgoing call") || !strings.Contains(h, "Answered · 0:42") {
		t.Errorf("call history lacks the answered 0:42 outgoing call:\n%s", history)
	}
	if n := countCalls(t, a.Store, ticket); n != 1 {
		t.Errorf("%d calls logged on the ticket, want 1", n)
	}
}

// TestJourneyVonageCustomerCallsSupport is journey 3 on Vonage.
func TestJourneyVonageCustomerCallsSupport(t *testing.T) {
	a := startVonageJourney(t)
	ctx := browser(t)
	signInWithVonage(t, ctx, a)
	run(t, ctx,
		waitJS("the session", `document.querySelector(".device-status").dataset.state === "ready"`),
		waitLive(),
		waitCount("agentsOnline", 1),
		markPage(),
	)

	customer := customerTab(t, ctx)
	run(t, customer, withFakeVonage(), chromedp.Navigate(a.URL+"/"))
	submitTicket(t, customer, "Grace Hopper", "+1 415 555 2671", "My headset crackles during calls.")
	ticket := newestTicket(t, a.Store)
	card := "#ticket-" + ticket.ID.Hex()
	var contexts []map[string]string
	var customerCall string
	run(t, customer,
		waitJS("the new page's scripts", `document.readyState === "complete"`),
		chromedp.Click(`#call-support`),
		waitJS("serverCall", `window.__fake.callIds.length === 1`),
		chromedp.Evaluate(`window.__fake.serverCalls`, &contexts),
		chromedp.Evaluate(`window.__fake.callIds[0]`, &customerCall),
		waitText("#call-status", "Connecting…"),
	)
	run(t, ctx, waitJS("the new ticket's card", `document.querySelector("`+card+`") !== null`))

	// Vonage asks the answer URL; a customer reaches the agents' app
	// user, never a phone, whatever the browser sent.
	conversation := vonagetest.NewConversation()
	answer := vonagetest.Answer{FromUser: "customer", ConversationUUID: conversation, Context: contexts[0]}
	code, body := vonagePost(t, a, "/webhooks/answer", answer.Body())
	if code != http.StatusOK {
		t.Fatalf("/webhooks/answer: %d %s", code, body)
	}
	ncco := vonagetest.MustParseNCCO(t, body)
	if diff := cmp.Diff([]string{"talk", "connect"}, ncco.Actions()); diff != "" {
		t.Errorf("NCCO actions (-want +got):\n%s\n%s", diff, body)
	}
	if diff := cmp.Diff([]map[string]any{{"type": "app", "user": "support_agent"}}, ncco.Endpoints()); diff != "" {
		t.Errorf("NCCO endpoints (-want +got):\n%s", diff)
	}
	if nums := ncco.Strings("number"); len(nums) != 0 {
		t.Errorf("a customer's call names phone numbers %v:\n%s", nums, body)
	}
	urls := ncco.Strings("eventUrl")
	if len(urls) != 1 {
		t.Fatalf("NCCO event URLs = %v, want one", urls)
	}
	eventPath := appPath(t, a, urls[0])

	leg := vonagetest.NewUUID()
	ev := func(status string, duration int) vonagetest.Event {
		return vonagetest.Event{UUID: leg, ConversationUUID: conversation, Status: status, From: "customer",
			To: "support_agent", Direction: "outbound", Timestamp: time.Now(), Duration: duration}
	}
	vonageEvent(t, a, eventPath, ev("started", 0))
	vonageEvent(t, a, eventPath, ev("ringing", 0))
	run(t, customer,
		emit("legStatusUpdate", customerCall, leg, "RINGING"),
		waitText("#call-status", "Ringing…"),
	)

	// The agent's dashboard rings; the agent accepts.
	var banner, agentCall string
	var answers []string
	run(t, ctx,
		waitCount("callsWaiting", 1),
		waitCallOutcome(card, "Ringing…"),
		chromedp.Evaluate(`window.__fake.invite()`, &agentCall),
		chromedp.WaitVisible(`.incoming-call`),
		chromedp.Evaluate(`document.querySelector(".incoming-call").textContent.replace(/\s+/g, " ").trim()`, &banner),
		chromedp.Click(`.incoming-accept`),
		waitText(".call-state-text", "In call"),
		chromedp.Evaluate(`window.__fake.answers`, &answers),
	)
	if !strings.Contains(banner, "Incoming call") || !strings.Contains(banner, "Customer on the website") {
		t.Errorf("ringing banner = %q", banner)
	}
	if diff := cmp.Diff([]string{agentCall}, answers); diff != "" {
		t.Errorf("answer calls (-want +got):\n%s", diff)
	}
	vonageEvent(t, a, eventPath, ev("answered", 0))
	run(t, customer,
		emit("legStatusUpdate", customerCall, leg, "ANSWERED"),
		waitText("#call-status", "In call 00:00"),
		waitText("#call-status", "In call 00:01"),
	)
	run(t, ctx,
		waitCount("callsWaiting", 0),
		waitCallOutcome(card, "In call"),
	)

	// The customer hangs up; Vonage ends the agent's leg and reports.
	var hangups []string
	run(t, customer,
		chromedp.Click(`#hang-up`),
		waitJS("the call to end", `document.querySelector("#call-status").textContent.trim().startsWith("Call ended")`),
		chromedp.WaitNotVisible(`#hang-up`),
		chromedp.Evaluate(`window.__fake.hangups`, &hangups),
	)
	if diff := cmp.Diff([]string{customerCall}, hangups); diff != "" {
		t.Errorf("customer's hangup calls (-want +got):\n%s", diff)
	}
	vonageEvent(t, a, eventPath, ev("completed", 7))
	var ended, cardText string
	run(t, ctx,
		emit("callHangup", agentCall, map[string]any{}, "REMOTE_HANGUP"),
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
