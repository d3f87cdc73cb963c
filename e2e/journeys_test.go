package e2e

import (
	"context"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/google/go-cmp/cmp"

	"github.com/ringdesk/ringdesk/models"
	"github.com/ringdesk/ringdesk/models/storetest"
)

// The journeys, end to end, once per provider (providers_test.go):
// the pages, scripts, server and database are the real thing; the SDK is
// the provider's double in testdata, and the test plays the provider's
// cloud by posting signed webhooks to the app's PUBLIC_URL. Journeys 1 and
// 4 are TestTicketJourney (tickets_test.go) and
// TestSoftphoneKeepsDeviceFresh. Journey 5's microphone and
// calling-service errors are covered by TestSoftphoneCustomer,
// TestSoftphoneIncomingCall (microphone refused on Accept) and
// TestSoftphoneRealSDKUnreachable (the real SDKs, un-doubled, in a browser
// that cannot reach the clouds). Journey 6 is journeys 2 and 3 on Vonage.

// TestJourneyAgentCallsCustomer (journey 2): a ticket a customer opens
// appears on the agent's open dashboard; "Call Customer" asks the SDK to
// dial it; the cloud asks the app what to do with the call and dials the
// number; the far end's status reports and the SDK's events walk the panel
// through Ringing, In call and Ended; the card and the ticket page show the
// call with its duration, all without a reload.
func TestJourneyAgentCallsCustomer(t *testing.T) {
	for _, p := range providers {
		t.Run(p.name, func(t *testing.T) {
			a := startApp(t, p.env(t, nil), withPublicURL())
			ctx := browser(t)
			signInWith(t, ctx, a, p.double())
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
			var params []map[string]any
			var call string
			run(t, ctx,
				chromedp.Click(card+` .call-customer`),
				waitJS("the call to be placed", p.placed+` === 1`),
				chromedp.Evaluate(p.params, &params),
				chromedp.Evaluate(p.newestCall, &call),
				waitText(".call-state-text", "Connecting…"),
			)
			want := []map[string]any{p.agentParams(ticket.ID.Hex(), "+14155552671")}
			if diff := cmp.Diff(want, params); diff != "" {
				t.Fatalf("call params (-want +got):\n%s", diff)
			}

			// The cloud asks the app what to do with the browser's call, with
			// the parameters the browser passed, and dials the customer.
			leg := p.dialCustomer(t, a, params[0], "+14155552671")

			// The customer's phone rings, answers, and hangs up after 42 s.
			leg.report(t, "started", 0)
			leg.report(t, "ringing", 0)
			run(t, ctx,
				js(p.ringing(call)),
				waitText(".call-state-text", "Ringing…"),
				waitCallOutcome(card, "Ringing…"),
			)
			leg.report(t, "answered", 0)
			var t1, t2 string
			var buttonsOff bool
			run(t, ctx,
				js(p.answered(call)),
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
			leg.report(t, "completed", 42)
			var ended string
			run(t, ctx,
				js(p.remoteHangUp(call)),
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
		})
	}
}

// TestJourneyCustomerCallsSupport (journey 3): the customer presses "Call
// support"; the cloud asks the app and rings the agents' browsers (never a
// phone); the agent's dashboard rings and the agent accepts; both sides
// show In call; the customer hangs up and both show Ended. The call's
// status reports move the "waiting" counter and put the call on the
// customer's ticket.
func TestJourneyCustomerCallsSupport(t *testing.T) {
	for _, p := range providers {
		t.Run(p.name, func(t *testing.T) {
			a := startApp(t, p.env(t, nil), withPublicURL())
			ctx := browser(t)
			signInWith(t, ctx, a, p.double())
			run(t, ctx,
				waitJS("the device to register", `document.querySelector(".device-status").dataset.state === "ready"`),
				waitLive(),
				waitCount("agentsOnline", 1),
				waitCount("callsWaiting", 0),
				markPage(),
			)

			// The customer opens a ticket, then calls.
			customer := customerTab(t, ctx)
			run(t, customer, p.double(), chromedp.Navigate(a.URL+"/"))
			submitTicket(t, customer, "Grace Hopper", "+1 415 555 2671", "My headset crackles during calls.")
			ticket := newestTicket(t, a.Store)
			card := "#ticket-" + ticket.ID.Hex()
			var params []map[string]any
			var customerCall string
			run(t, customer,
				waitJS("the new page's scripts", `document.readyState === "complete"`),
				chromedp.Click(`#call-support`),
				waitJS("the call to be placed", p.placed+` === 1`),
				chromedp.Evaluate(p.params, &params),
				chromedp.Evaluate(p.newestCall, &customerCall),
				waitText("#call-status", "Connecting…"),
			)
			run(t, ctx, waitJS("the new ticket's card", `document.querySelector("`+card+`") !== null`))

			// The cloud asks the app; whatever the browser sent, a customer
			// reaches the agents' browsers.
			leg := p.dialSupport(t, a, params[0])
			leg.report(t, "started", 0)
			leg.report(t, "ringing", 0)
			run(t, customer,
				js(p.ringing(customerCall)),
				waitText("#call-status", "Ringing…"),
			)

			// The agent's dashboard rings; the agent accepts.
			var banner, agentCall string
			var accepts []string
			run(t, ctx,
				waitCount("callsWaiting", 1),
				waitCallOutcome(card, "Ringing…"),
				js(p.ring("")),
				chromedp.Evaluate(p.newestCall, &agentCall),
				chromedp.WaitVisible(`.incoming-call`),
				waitJS("the caller's name in the banner", `document.querySelector(".incoming-call").innerText.includes("Grace Hopper")`),
				chromedp.Evaluate(`document.querySelector(".incoming-call").innerText.replace(/\s+/g, " ").trim()`, &banner),
				chromedp.Click(`.incoming-accept`),
				waitText(".call-state-text", "In call"),
				chromedp.Evaluate(p.accepts, &accepts),
			)
			// The banner names the caller from the ticket the browser
			// opened, so there is nothing to open for them.
			wantTicket := fmt.Sprintf("Ticket #%d", ticket.Number)
			if !strings.Contains(strings.ToLower(banner), "incoming call") || !strings.Contains(banner, "Grace Hopper") ||
				!strings.Contains(banner, "on the website") || !strings.Contains(banner, wantTicket) ||
				strings.Contains(banner, "Open a ticket") {
				t.Errorf("ringing banner = %q, want the caller's name, %q and no offer to open a ticket", banner, wantTicket)
			}
			if diff := cmp.Diff([]string{agentCall}, accepts); diff != "" {
				t.Errorf("accepted calls (-want +got):\n%s", diff)
			}
			leg.report(t, "answered", 0)
			run(t, customer,
				js(p.answered(customerCall)),
				waitText("#call-status", "In call 00:00"),
				waitText("#call-status", "In call 00:01"),
			)
			run(t, ctx,
				waitCount("callsWaiting", 0),
				waitCallOutcome(card, "In call"),
			)

			// The customer hangs up: the customer's SDK ends the call, the
			// cloud ends the agent's leg, and reports.
			var hangUps []string
			run(t, customer,
				chromedp.Click(`#hang-up`),
				waitJS("the call to end", `document.querySelector("#call-status").textContent.trim().startsWith("Call ended")`),
				chromedp.WaitNotVisible(`#hang-up`),
				chromedp.Evaluate(p.hangUps, &hangUps),
			)
			if diff := cmp.Diff([]string{customerCall}, hangUps); diff != "" {
				t.Errorf("customer's hang-ups (-want +got):\n%s", diff)
			}
			leg.report(t, "completed", 7)
			var ended, cardText string
			run(t, ctx,
				js(p.remoteHangUp(agentCall)),
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
		})
	}
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

// countCalls counts the calls logged on a ticket.
func countCalls(t *testing.T, s *models.Store, ticket models.Ticket) int {
	t.Helper()
	calls, err := s.Calls.ForTicket(context.Background(), ticket.ID)
	if err != nil {
		t.Fatal(err)
	}
	return len(calls)
}
