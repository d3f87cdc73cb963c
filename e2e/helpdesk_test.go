package e2e

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/google/go-cmp/cmp"

	"github.com/ringdesk/ringdesk/models"
)

// TestJourneyHelpdesk is a team's daily loop in two browsers. Sam assigns
// a customer's ticket to Ada; it joins Ada's Mine view live. Ada calls the
// customer and, after hanging up, adds a note from the call panel; the
// ticket page reads as one history. She finds the ticket again by its
// phone number typed with spaces and closes it. Then Ada, an admin,
// disables Sam, and Sam's open dashboard is signed out.
func TestJourneyHelpdesk(t *testing.T) {
	p := twilio
	a := startApp(t, p.env(t, nil), withPublicURL())
	var adaID, samID models.ID
	for _, ag := range []struct {
		in models.AgentInput
		id *models.ID
	}{
		// Ada is the first agent, so the admin.
		{models.AgentInput{Email: "ada@example.com", Name: "Ada Lovelace", Password: "correct horse battery"}, &adaID},
		{models.AgentInput{Email: "sam@example.com", Name: "Sam Rivera", Password: "correct horse battery"}, &samID},
	} {
		created, err := a.Store.Agents.Create(context.Background(), ag.in)
		if err != nil {
			t.Fatal(err)
		}
		*ag.id = created.ID
	}
	sam, ada := browser(t), browser(t)
	signInAs(t, sam, a, "sam@example.com", p.double())
	signInAs(t, ada, a, "ada@example.com", p.double())
	run(t, ada, chromedp.Navigate(a.URL+"/dashboard?view=mine"), pageWith(`#ticket-list[data-view="mine"]`))
	for name, ctx := range map[string]context.Context{"Sam": sam, "Ada": ada} {
		run(t, ctx,
			waitJS(name+"'s device to register", `document.querySelector(".device-status").dataset.state === "ready"`),
			waitLive(),
		)
	}
	run(t, ada, markPage())

	// A customer writes in; Sam assigns the ticket to Ada from its page.
	tk := postTicket(t, a, "Grace Hopper")
	card := "#ticket-" + tk.ID
	run(t, sam,
		waitJS("the new card on Sam's Open view", `document.querySelector("`+card+`") !== null`),
		chromedp.Navigate(a.URL+"/tickets/"+tk.ID),
		pageWith(`.assign-form`),
		chromedp.SetValue(`#assign-agent`, adaID.Hex(), chromedp.ByQuery),
		chromedp.Click(`.assign-form button`, chromedp.ByQuery),
		pageWith(`.ticket-assignee[data-assignee-id="`+adaID.Hex()+`"]`),
	)

	// It joins Ada's Mine view without a reload, with its count.
	run(t, ada,
		waitJS("the card on Ada's Mine view", `document.querySelector("`+card+`") !== null`),
		waitText(card+` .assignee-name`, "Ada Lovelace"),
		waitText(`[data-view-count="mine"]`, "1"),
	)
	pageNotReloaded(t, ada)

	// Ada calls the customer; the call is answered and ends after 42 s.
	// Twilio stamps call events in whole seconds, so the call starts in
	// the next second, or it could sort before the assignment.
	time.Sleep(time.Until(time.Now().Truncate(time.Second).Add(time.Second)))
	var params []map[string]any
	var call string
	run(t, ada,
		chromedp.Click(card+` .call-customer`, chromedp.ByQuery),
		waitJS("the call to be placed", p.placed+` === 1`),
		chromedp.Evaluate(p.params, &params),
		chromedp.Evaluate(p.newestCall, &call),
	)
	leg := p.dialCustomer(t, a, params[0], "+14155552671")
	leg.report(t, "answered", 0)
	run(t, ada, js(p.answered(call)), waitText(".call-state-text", "In call"))
	leg.report(t, "completed", 42)
	run(t, ada,
		js(p.remoteHangUp(call)),
		waitJS("the call to end", `document.querySelector(".call-state-text").textContent.startsWith("Call ended (")`),
		waitCallOutcome(card, "Answered · 0:42"),
		chromedp.WaitVisible(`.call-add-note`, chromedp.ByQuery),
	)

	// "Add a note" opens the ticket at its note form.
	const note = "Replaced the headset; see https://example.com/kb/42 <b>then</b> call back Friday."
	var kinds []string
	var noteText, link string
	run(t, ada,
		chromedp.Click(`.call-add-note`, chromedp.ByQuery),
		pageWith(`#note-body`),
		chromedp.SendKeys(`#note-body`, note, chromedp.ByQuery),
		chromedp.Click(`.note-form button`, chromedp.ByQuery),
		pageWith(`.timeline-note`),
		chromedp.Evaluate(`[...document.querySelectorAll(".timeline-item")].map((li) => li.className.replace("timeline-item timeline-", ""))`, &kinds),
		chromedp.Text(`.timeline-note .note-body`, &noteText, chromedp.ByQuery),
		chromedp.Evaluate(`document.querySelector(".timeline-note .note-body a")?.href ?? ""`, &link),
	)
	if diff := cmp.Diff([]string{"created", "assigned", "call", "note"}, kinds); diff != "" {
		t.Errorf("timeline, oldest first (-want +got):\n%s", diff)
	}
	if strings.TrimSpace(noteText) != note || link != "https://example.com/kb/42" {
		t.Errorf("note reads %q with link %q, want the text as typed and the link clickable", noteText, link)
	}

	// She finds it by the customer's number as people type it, and closes it.
	run(t, ada,
		chromedp.Navigate(a.URL+"/dashboard?view=all"),
		pageWith(`#search-q`),
		chromedp.SendKeys(`#search-q`, "(415) 555 2671", chromedp.ByQuery),
		chromedp.Submit(`#search-q`, chromedp.ByQuery),
		pageWith(`#search-q[value="(415) 555 2671"]`),
	)
	var found []string
	var location string
	run(t, ada,
		chromedp.Evaluate(`[...document.querySelectorAll("#ticket-list > .ticket")].map((el) => el.id)`, &found),
		chromedp.Location(&location),
	)
	if diff := cmp.Diff([]string{"ticket-" + tk.ID}, found); diff != "" {
		t.Errorf("search by phone (-want +got):\n%s", diff)
	}
	if !strings.Contains(location, "q=%28415%29+555+2671") || !strings.Contains(location, "view=all") {
		t.Errorf("search URL %q does not keep the query and the view", location)
	}
	run(t, ada,
		chromedp.Click(card+` .status-form button`, chromedp.ByQuery),
		pageWith(card+`.ticket-closed`),
	)
	if got, err := a.Store.Tickets.Get(context.Background(), mustID(t, tk.ID)); err != nil || got.Status != models.StatusClosed {
		t.Fatalf("ticket after Close = %+v, %v; want closed", got, err)
	}

	// Ada disables Sam on /agents; Sam's open dashboard is signed out.
	run(t, sam, chromedp.Navigate(a.URL+"/dashboard"), pageWith(`#ticket-list`), waitLive())
	run(t, ada,
		chromedp.Navigate(a.URL+"/agents"),
		pageWith(`#agent-`+samID.Hex()),
		chromedp.Click(`#agent-`+samID.Hex()+` .agent-disable`, chromedp.ByQuery),
		pageWith(`#agent-`+samID.Hex()+`.agent-disabled`),
	)
	var at string
	run(t, sam, pageWith(`form[action="/login"] #email`), chromedp.Location(&at))
	if !strings.Contains(at, "/login?next=") {
		t.Errorf("Sam's dashboard went to %q, want the sign-in page", at)
	}
}

// mustID parses a ticket id the app returned.
func mustID(t *testing.T, hex string) models.ID {
	t.Helper()
	id, err := models.ParseID(hex)
	if err != nil {
		t.Fatal(err)
	}
	return id
}
