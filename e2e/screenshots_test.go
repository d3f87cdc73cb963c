package e2e

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ringdesk/ringdesk/handlers/twiliotest"
	"github.com/ringdesk/ringdesk/models"
)

// TestScreenshots refreshes the pictures README shows. It runs only when
// RINGDESK_SCREENSHOTS names the output folder (make screenshots).
func TestScreenshots(t *testing.T) {
	dir := os.Getenv("RINGDESK_SCREENSHOTS")
	if dir == "" {
		t.Skip("set RINGDESK_SCREENSHOTS=dir to refresh README's screenshots")
	}
	// Calling is on, with the Twilio SDK's test double in the page
	// (providers_test.go), so the softphone can be pictured mid-call.
	a := startApp(t, twilioEnv, withPublicURL())
	// Sam, the first agent, is the admin; Priya works beside him.
	var team []models.AgentRef
	for _, in := range []models.AgentInput{
		{Email: "sam@example.com", Name: "Sam Rivera", Password: "correct horse battery"},
		{Email: "priya@example.com", Name: "Priya Nair", Password: "correct horse battery"},
		{Email: "tom@example.com", Name: "Tom Becker", Password: "correct horse battery"},
	} {
		ag, err := a.Store.Agents.Create(context.Background(), in)
		if err != nil {
			t.Fatal(err)
		}
		team = append(team, models.AgentRef{ID: ag.ID, Name: ag.Name})
	}
	if err := a.Store.Agents.SetDisabled(context.Background(), team[2].ID, true); err != nil {
		t.Fatal(err)
	}
	seedTickets(t, a.Store, team...)
	ticket := newestTicket(t, a.Store)
	seedCallHistory(t, a, ticket)
	if _, err := a.Store.Tickets.AddNote(context.Background(), ticket.ID, team[0],
		"Called back: the invoices page reads a cached total. Asked billing to clear it; see https://status.example.com/billing before Friday."); err != nil {
		t.Fatal(err)
	}
	// Two customers wait in line: one from the website with a ticket,
	// one on the phone.
	for _, e := range []models.QueueEntry{
		{SID: twiliotest.NewSID("CA"), TicketID: &ticket.ID, Caller: "client:customer", JoinedAt: time.Now().Add(-2*time.Minute - 14*time.Second)},
		{SID: twiliotest.NewSID("CA"), Caller: "+13125550143", JoinedAt: time.Now().Add(-41 * time.Second)},
	} {
		if _, err := a.Store.Queue.Join(context.Background(), e); err != nil {
			t.Fatal(err)
		}
	}
	ctx := browser(t)
	shot := func(name string, w, h int64, actions ...chromedp.Action) {
		t.Helper()
		var png []byte
		all := append([]chromedp.Action{chromedp.EmulateViewport(w, h)}, actions...)
		all = append(all, chromedp.Sleep(300*time.Millisecond), chromedp.CaptureScreenshot(&png))
		run(t, ctx, all...)
		if err := os.WriteFile(filepath.Join(dir, name), png, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	shot("home.png", 1280, 860, withFakeTwilio(), chromedp.Navigate(a.URL+"/"), chromedp.WaitVisible(`#name`))
	shot("home-errors.png", 1280, 1000,
		chromedp.SendKeys(`#name`, "Grace Hopper"),
		chromedp.SendKeys(`#phone_number`, "555 01"),
		chromedp.Click(`form[action="/tickets"] button[type=submit]`),
		chromedp.WaitVisible(`#phone_number-error`))
	shot("dashboard.png", 1280, 900,
		chromedp.Navigate(a.URL+"/login"),
		chromedp.SendKeys(`#email`, "sam@example.com"),
		chromedp.SendKeys(`#password`, "correct horse battery"),
		chromedp.Submit(`#password`),
		chromedp.WaitVisible(`article.ticket .ticket-calls`),
		waitLive())
	shot("dashboard-search.png", 1280, 700,
		chromedp.Navigate(a.URL+"/dashboard?view=all&q="+url.QueryEscape("+44 20 7946 0958")),
		chromedp.WaitVisible(`article.ticket`),
		waitLive())
	shot("wallboard.png", 1280, 1010,
		chromedp.Navigate(a.URL+"/wallboard"),
		chromedp.WaitVisible(`#wallboard-line .wallboard-caller`),
		waitLive())
	shot("agents.png", 1280, 800,
		chromedp.Navigate(a.URL+"/agents"),
		chromedp.WaitVisible(`.agents-table`))
	shot("dashboard-phone.png", 375, 800, chromedp.Navigate(a.URL+"/dashboard"), chromedp.WaitVisible(`article.ticket`))
	shot("ticket.png", 1280, 1400,
		chromedp.Navigate(a.URL+"/tickets/"+ticket.ID.Hex()),
		chromedp.WaitVisible(`.timeline-note`),
		waitJS("the device to register", `document.querySelector(".device-status").dataset.state === "ready"`))
	shot("dashboard-ringing.png", 1280, 900,
		chromedp.Navigate(a.URL+"/dashboard"),
		waitJS("the device to register", `document.querySelector(".device-status").dataset.state === "ready"`),
		chromedp.Evaluate(`window.__fake.ring({})`, nil),
		chromedp.WaitVisible(`.incoming-call`))
	shot("dashboard-in-call.png", 1280, 900,
		chromedp.Click(`.incoming-reject`),
		chromedp.Click(`article.ticket .call-customer`),
		waitJS("the call panel", `!document.querySelector(".call-panel").hidden`),
		chromedp.Evaluate(`window.__fake.lastCall.emit("ringing"), window.__fake.lastCall.emit("accept")`, nil),
		chromedp.Click(`.call-keypad-toggle`),
		chromedp.Click(`.keypad-key[data-digit="1"]`),
		chromedp.Click(`.keypad-key[data-digit="2"]`),
		chromedp.Click(`.call-mute`),
		chromedp.Evaluate(`document.activeElement.blur()`, nil),
		waitText(".call-panel-state .call-timer", "00:02"))
}

// seedCallHistory gives ticket a call history the way Twilio would: signed
// status callbacks for a call nobody answered, the customer's call back
// and a follow-up call, minutes ago.
func seedCallHistory(t *testing.T, a *app, ticket models.Ticket) {
	t.Helper()
	now := time.Now()
	calls := []struct {
		dir      string
		ago      time.Duration
		statuses []string
		duration int
	}{
		{"outbound", 3*time.Minute + 40*time.Second, []string{"initiated", "ringing", "no-answer"}, 0},
		{"inbound", 3 * time.Minute, []string{"initiated", "ringing", "in-progress", "completed"}, 68},
		{"outbound", 80 * time.Second, []string{"initiated", "ringing", "in-progress", "completed"}, 42},
	}
	for _, c := range calls {
		path := "/call/status?" + url.Values{"dir": {c.dir}, "ticketId": {ticket.ID.Hex()}}.Encode()
		parent, leg := twiliotest.NewSID("CA"), twiliotest.NewSID("CA")
		from, to := twilioEnv["TWILIO_CALLER_ID"], ticket.PhoneNumber
		if c.dir == "inbound" {
			from, to = "client:customer", "client:support_agent"
		}
		at := now.Add(-c.ago)
		for seq, status := range c.statuses {
			cb := twiliotest.StatusCallback{CallSID: leg, ParentCallSID: parent, CallStatus: status, Timestamp: at,
				Seq: seq, From: from, To: to}
			if status == "completed" {
				cb.Duration = c.duration
				cb.Timestamp = at.Add(time.Duration(c.duration) * time.Second)
			} else {
				at = at.Add(5 * time.Second)
			}
			twilioStatus(t, a, path, cb)
		}
	}
}

// seedTickets inserts a few realistic tickets spread over the last days,
// one waiting on the customer and an earlier one from the newest one's
// customer, for its history; given agents, some are the first two's.
func seedTickets(t *testing.T, s *models.Store, team ...models.AgentRef) {
	t.Helper()
	now := time.Now().UTC().Truncate(time.Millisecond)
	rows := []struct {
		name, phone, desc string
		ago               time.Duration
		status            models.TicketStatus
		assignee          int // in team, or -1
	}{
		{"Margaret Okafor", "+442079460958", "Our invoices page shows last month's totals after the upgrade. Could someone call me before Friday's billing run?", 4 * time.Minute, models.StatusOpen, 0},
		{"Kenji Watanabe", "+81312345678", "The mobile app logs me out every few minutes since yesterday.", 52 * time.Minute, models.StatusOpen, -1},
		{"Lucía Fernández", "+34912345678", "I'd like to change the phone number on my account and add a second contact.", 3 * time.Hour, models.StatusPending, 1},
		{"David Chen", "+14155552671", "Headset audio cuts out on calls longer than ten minutes.", 26 * time.Hour, models.StatusClosed, 0},
		{"Margaret Okafor", "+442079460958", "Please add our finance team to the billing emails.", 9 * 24 * time.Hour, models.StatusClosed, 1},
	}
	for i, r := range rows {
		created := now.Add(-r.ago)
		var assignee *models.AgentRef
		if r.assignee >= 0 && r.assignee < len(team) {
			assignee = &team[r.assignee]
		}
		_, err := s.Restore(context.Background(), models.Item{Ticket: &models.Ticket{
			ID: models.NewID(), Number: int64(1044 - i), Name: r.name, PhoneNumber: r.phone,
			Description: r.desc, Status: r.status, CreatedAt: created, UpdatedAt: created,
			IdempotencyKey: "seed-" + strconv.Itoa(i), Assignee: assignee,
		}})
		if err != nil {
			t.Fatal(err)
		}
	}
}
