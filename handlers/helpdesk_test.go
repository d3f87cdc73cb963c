package handlers_test

// The helpdesk loop through the real router and a real store: assign,
// notes, status, views and search, the customer's history, deleting, and
// who is calling.

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"

	"github.com/ringdesk/ringdesk/handlers/twiliotest"
	"github.com/ringdesk/ringdesk/models"
)

// ticketAnswer is GET /tickets/:id as JSON.
type ticketAnswer struct {
	ID       string `json:"id"`
	Number   int64  `json:"number"`
	Status   string `json:"status"`
	Assignee *struct {
		ID   string `json:"id"`
		Name string `json:"name"`
	} `json:"assignee"`
	Notes []struct {
		ID     string `json:"id"`
		Author struct {
			ID   string `json:"id"`
			Name string `json:"name"`
		} `json:"author"`
		Body      string `json:"body"`
		CreatedAt string `json:"createdAt"`
	} `json:"notes"`
}

func (a *testApp) ticketJSON(t testing.TB, c *http.Client, id models.ID) ticketAnswer {
	t.Helper()
	resp := a.get(t, c, "/tickets/"+id.Hex(), "Accept", "application/json")
	resp.wantStatus(t, http.StatusOK)
	var got ticketAnswer
	resp.json(t, &got)
	return got
}

func TestAssignTicket(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	c := app.client(t)
	me := app.signIn(t, c)
	other := app.newAgent(t)
	tk := app.createTicket(t, "Ada Lovelace", "+1 415 555 2671", "Headset crackles")
	path := "/tickets/" + tk.ID.Hex() + "/assign"
	json := []string{"Accept", "application/json"}

	app.postForm(t, c, path, url.Values{"agent": {other.ID.Hex()}}, json...).wantStatus(t, http.StatusOK)
	if got := app.ticketJSON(t, c, tk.ID); got.Assignee == nil || got.Assignee.ID != other.ID.Hex() || got.Assignee.Name != other.Name {
		t.Errorf("assignee %+v, want %s", got.Assignee, other.Name)
	}
	app.postForm(t, c, path, url.Values{"agent": {"me"}}, json...).wantStatus(t, http.StatusOK)
	if got := app.ticketJSON(t, c, tk.ID); got.Assignee == nil || got.Assignee.ID != me.ID.Hex() {
		t.Errorf("assignee %+v, want me", got.Assignee)
	}
	// HTML: back to the dashboard with a flash.
	app.postForm(t, c, path, url.Values{"agent": {""}}).wantStatus(t, http.StatusSeeOther)
	if got := app.ticketJSON(t, c, tk.ID); got.Assignee != nil {
		t.Errorf("assignee %+v after unassigning", got.Assignee)
	}

	for name, agent := range map[string]string{"unknown agent": models.NewID().Hex(), "malformed": "nope"} {
		resp := app.postForm(t, c, path, url.Values{"agent": {agent}}, json...)
		resp.wantStatus(t, http.StatusUnprocessableEntity)
		if !strings.Contains(resp.body, `"agent"`) {
			t.Errorf("%s: 422 body %s", name, resp.body)
		}
	}
	if err := app.store.Agents.SetDisabled(t.Context(), other.ID, true); err != nil {
		t.Fatal(err)
	}
	resp := app.postForm(t, c, path, url.Values{"agent": {other.ID.Hex()}}, json...)
	resp.wantStatus(t, http.StatusUnprocessableEntity)
	app.postForm(t, c, "/tickets/"+models.NewID().Hex()+"/assign", url.Values{"agent": {"me"}}, json...).wantStatus(t, http.StatusNotFound)

	// The timeline tells it.
	page := app.get(t, c, "/tickets/"+tk.ID.Hex()).body
	for _, want := range []string{"assigned the ticket to", other.Name, "unassigned the ticket"} {
		if !strings.Contains(page, want) {
			t.Errorf("ticket page lacks %q", want)
		}
	}
}

func TestPendingStatus(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	c := app.client(t)
	app.signIn(t, c)
	tk := app.createTicket(t, "Ada Lovelace", "+1 415 555 2671", "Headset crackles")
	path := "/tickets/" + tk.ID.Hex() + "/status"
	app.postForm(t, c, path, url.Values{"status": {"pending"}}, "Accept", "application/json").wantStatus(t, http.StatusOK)
	if got := app.ticketJSON(t, c, tk.ID); got.Status != "pending" {
		t.Errorf("status %q, want pending", got.Status)
	}
	resp := app.postForm(t, c, path, url.Values{"status": {"archived"}}, "Accept", "application/json")
	resp.wantStatus(t, http.StatusUnprocessableEntity)
	if !strings.Contains(resp.body, "open, pending or closed") {
		t.Errorf("422 body %s", resp.body)
	}
	if page := app.get(t, c, "/tickets/"+tk.ID.Hex()).body; !strings.Contains(page, "Waiting on customer") {
		t.Error("the ticket page does not show the pending status")
	}
}

func TestNotes(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	c := app.client(t)
	me := app.signIn(t, c)
	tk := app.createTicket(t, "Ada Lovelace", "+1 415 555 2671", "Headset crackles")
	path := "/tickets/" + tk.ID.Hex() + "/notes"

	resp := app.postForm(t, c, path, url.Values{"body": {"Called back, no answer. See https://example.com/kb/42."}})
	resp.wantStatus(t, http.StatusSeeOther)
	if loc := resp.Header.Get("Location"); !strings.HasPrefix(loc, "/tickets/"+tk.ID.Hex()+"#note-") {
		t.Errorf("Location %q, want the new note on the ticket page", loc)
	}
	resp = app.postForm(t, c, path, url.Values{"body": {`<script>alert(1)</script> javascript:alert(2)`}}, "Accept", "application/json")
	resp.wantStatus(t, http.StatusCreated)
	var note struct {
		ID     string `json:"id"`
		Author struct{ ID, Name string }
		Body   string `json:"body"`
	}
	resp.json(t, &note)
	if note.ID == "" || note.Author.ID != me.ID.Hex() || note.Author.Name != me.Name || !strings.HasPrefix(note.Body, "<script>") {
		t.Errorf("note %+v", note)
	}

	got := app.ticketJSON(t, c, tk.ID)
	if len(got.Notes) != 2 || !strings.HasPrefix(got.Notes[0].Body, "Called back") || got.Notes[1].ID != note.ID {
		t.Errorf("notes %+v, want both, oldest first", got.Notes)
	}

	page := app.get(t, c, "/tickets/"+tk.ID.Hex()).body
	if !strings.Contains(page, `<a href="https://example.com/kb/42" rel="noopener noreferrer nofollow" target="_blank">https://example.com/kb/42</a>.`) {
		t.Error("the note's link is not a safe link (or took the full stop with it)")
	}
	if strings.Contains(page, "<script>alert(1)") || strings.Contains(page, `href="javascript:`) {
		t.Error("a note's markup reached the page unescaped")
	}

	// Refused notes keep what was typed.
	long := strings.Repeat("é", models.MaxNoteLength+1)
	for name, body := range map[string]string{"empty": "  ", "too long": long} {
		resp := app.postForm(t, c, path, url.Values{"body": {body}})
		resp.wantStatus(t, http.StatusUnprocessableEntity)
		if name == "too long" && !strings.Contains(resp.body, long[:200]) {
			t.Errorf("%s: the refused note is not kept in the form", name)
		}
		resp = app.postForm(t, c, path, url.Values{"body": {body}}, "Accept", "application/json")
		resp.wantStatus(t, http.StatusUnprocessableEntity)
		if !strings.Contains(resp.body, `"body"`) {
			t.Errorf("%s: 422 JSON %s", name, resp.body)
		}
	}
	if n := len(app.ticketJSON(t, c, tk.ID).Notes); n != 2 {
		t.Errorf("%d notes after refusals, want 2", n)
	}
	// Customers never see notes: the routes are agents'.
	app.postForm(t, app.client(t), path, url.Values{"body": {"hi"}}, "Accept", "application/json").wantStatus(t, http.StatusUnauthorized)
}

// viewNumbers reads the ticket numbers a dashboard page lists, in order.
func viewNumbers(t testing.TB, app *testApp, c *http.Client, path string) []string {
	t.Helper()
	resp := app.get(t, c, path)
	resp.wantStatus(t, http.StatusOK)
	var out []string
	for _, s := range dashboardTickets(t, resp.doc(t)) {
		out = append(out, strings.TrimPrefix(strings.TrimPrefix(s.Number, "Ticket "), "#"))
	}
	return out
}

func TestDashboardViewsAndSearch(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	c := app.client(t)
	me := app.signIn(t, c)
	other := app.newAgent(t)
	num := func(tk *models.Ticket) string { return itoa(tk.Number) }

	open := app.createTicket(t, "Ada Lovelace", "+1 415 555 2671", "Headset crackles on calls")
	mine := app.createTicket(t, "Grace Hopper", "+44 20 7946 0958", "Compiler keeps crashing")
	theirs := app.createTicket(t, "Linus Pauling", "+1 212 555 0199", "Vitamin order missing")
	pending := app.createTicket(t, "Marie Curie", "+33 1 42 68 53 00", "Waiting for the invoice")
	closed := app.createTicket(t, "Alan Turing", "+1 415 555 2671", "Headset replaced")
	ctx := t.Context()
	mustDo := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	mustDo(app.store.Tickets.Assign(ctx, mine.ID, &models.AgentRef{ID: me.ID, Name: me.Name}, models.AgentRef{ID: me.ID, Name: me.Name}))
	mustDo(app.store.Tickets.Assign(ctx, theirs.ID, &models.AgentRef{ID: other.ID, Name: other.Name}, models.AgentRef{ID: me.ID, Name: me.Name}))
	mustDo(app.store.Tickets.SetStatus(ctx, pending.ID, models.StatusPending, models.AgentRef{ID: me.ID, Name: me.Name}))
	mustDo(app.store.Tickets.SetStatus(ctx, closed.ID, models.StatusClosed, models.AgentRef{ID: me.ID, Name: me.Name}))

	tests := []struct {
		path string
		want []string
	}{
		{"/dashboard", []string{num(pending), num(theirs), num(mine), num(open)}},
		{"/dashboard?view=mine", []string{num(mine)}},
		{"/dashboard?view=unassigned", []string{num(pending), num(open)}},
		{"/dashboard?view=pending", []string{num(pending)}},
		{"/dashboard?view=closed", []string{num(closed)}},
		{"/dashboard?view=all", []string{num(closed), num(pending), num(theirs), num(mine), num(open)}},
		{"/dashboard?q=" + num(mine), []string{num(mine)}},
		{"/dashboard?q=%23" + num(theirs), []string{num(theirs)}},
		{"/dashboard?q=" + url.QueryEscape("(415) 555 2671"), []string{num(open)}},
		{"/dashboard?view=all&q=" + url.QueryEscape("415 555 2671"), []string{num(closed), num(open)}},
		{"/dashboard?view=all&q=headset", []string{num(closed), num(open)}},
		{"/dashboard?q=compiler", []string{num(mine)}},
		{"/dashboard?view=closed&q=compiler", nil},
	}
	for _, tt := range tests {
		got := viewNumbers(t, app, c, tt.path)
		if strings.Join(got, ",") != strings.Join(tt.want, ",") {
			t.Errorf("%s lists %v, want %v", tt.path, got, tt.want)
		}
	}

	// The tabs count every view, and a search stays in the box and in the
	// tabs' links.
	doc := app.get(t, c, "/dashboard?q=headset").doc(t)
	counts := map[string]string{}
	for _, el := range findAll(doc, func(n *html.Node) bool { return attr(n, "data-view-count") != "" }) {
		counts[attr(el, "data-view-count")] = squash(text(el))
	}
	wantCounts := map[string]string{"open": "4", "mine": "1", "unassigned": "2", "pending": "1", "closed": "1", "all": "5"}
	for k, v := range wantCounts {
		if counts[k] != v {
			t.Errorf("tab %s counts %q, want %s (all: %v)", k, counts[k], v, counts)
		}
	}
	if box := find(doc, func(n *html.Node) bool { return n.Data == "input" && attr(n, "name") == "q" }); box == nil || attr(box, "value") != "headset" {
		t.Error("the search box does not keep the query")
	}
	if tab := find(doc, func(n *html.Node) bool { return n.Data == "a" && attr(n, "data-view") == "closed" }); tab == nil || attr(tab, "href") != "/dashboard?q=headset&view=closed" {
		t.Errorf("the closed tab does not keep the search: %v", tab)
	}
	// An unknown view goes back to the default.
	app.get(t, c, "/dashboard?view=everything").wantRedirect(t, "/dashboard")
}

func TestCustomerHistory(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	c := app.client(t)
	app.signIn(t, c)
	first := app.createTicket(t, "Ada Lovelace", "+1 415 555 2671", "Headset crackles")
	second := app.createTicket(t, "Ada L.", "(415) 555-2671", "Still crackles")
	stranger := app.createTicket(t, "Grace Hopper", "+44 20 7946 0958", "Compiler")
	page := app.get(t, c, "/tickets/"+second.ID.Hex()).body
	if !strings.Contains(page, `href="/tickets/`+first.ID.Hex()+`"`) {
		t.Error("the ticket page does not list the customer's other ticket")
	}
	if strings.Contains(page, stranger.ID.Hex()) {
		t.Error("the ticket page lists another customer's ticket")
	}
}

func TestDeleteTicket(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	c := app.client(t)
	app.signIn(t, c)
	spam := []*models.Ticket{
		app.createTicket(t, "Spam 1", "+1 212 555 0100", "Buy now"),
		app.createTicket(t, "Spam 2", "+1 212 555 0100", "Buy now!"),
		app.createTicket(t, "Spam 3", "+1 212 555 0100", "Buy now!!"),
	}
	kept := app.createTicket(t, "Ada Lovelace", "+1 415 555 2671", "Headset crackles")
	if err := app.store.Tickets.SetStatus(t.Context(), spam[2].ID, models.StatusClosed, models.AgentRef{}); err != nil {
		t.Fatal(err)
	}

	// The confirmation step offers this ticket or the number's open ones.
	confirm := app.get(t, c, "/tickets/"+kept.ID.Hex()+"/delete")
	confirm.wantStatus(t, http.StatusOK)
	if !strings.Contains(confirm.body, "Delete this ticket") || strings.Contains(confirm.body, `value="phone"`) {
		t.Error("confirmation for a one-off ticket")
	}
	if page := app.get(t, c, "/tickets/"+spam[0].ID.Hex()+"/delete").body; !strings.Contains(page, "Delete all 2 open tickets") {
		t.Error("confirmation does not offer the number's 2 open tickets")
	}

	app.postForm(t, c, "/tickets/"+kept.ID.Hex()+"/delete", nil).wantRedirect(t, "/dashboard")
	app.get(t, c, "/tickets/"+kept.ID.Hex(), "Accept", "application/json").wantStatus(t, http.StatusNotFound)

	resp := app.postForm(t, c, "/tickets/"+spam[0].ID.Hex()+"/delete", url.Values{"scope": {"phone"}}, "Accept", "application/json")
	resp.wantStatus(t, http.StatusOK)
	var body struct{ Deleted int64 }
	resp.json(t, &body)
	if body.Deleted != 2 {
		t.Errorf("deleted %d, want the 2 open tickets", body.Deleted)
	}
	left := allTickets(t, app.store)
	if len(left) != 1 || left[0].ID != spam[2].ID {
		t.Errorf("left %d tickets, want only the closed one from that number", len(left))
	}
	if n, err := app.store.Tickets.CountOpen(t.Context()); err != nil || n != 0 {
		t.Errorf("CountOpen = %d, %v; want 0", n, err)
	}
	// Customers cannot delete.
	app.postForm(t, app.client(t), "/tickets/"+spam[2].ID.Hex()+"/delete", nil, "Accept", "application/json").wantStatus(t, http.StatusUnauthorized)
}

// TestCallerIdentification: when a customer's call starts ringing the
// agents, the dashboards are told who it is: the ticket a website caller
// opened, a phone caller's tickets, or an unknown number, for which an
// agent opens a ticket in one click.
func TestCallerIdentification(t *testing.T) {
	t.Parallel()
	app := newTwilioApp(t)
	c := app.client(t)
	app.signIn(t, c)
	events := app.openEvents(t, c, "")
	// The agent's phone is connected and Available, so calls ring at once.
	stream := decodeEvent[map[string]string](t, events.next(t, "hello", 2*time.Second))["stream"]
	app.postJSON(t, c, "/presence", map[string]any{"stream": stream, "ready": true}).wantStatus(t, http.StatusNoContent)
	tk, ref := openTicketAsCustomer(t, app, "Ada Lovelace")
	known := app.createTicket(t, "Grace Hopper", "+1 212 555 0199", "Compiler")

	type caller struct {
		Call    string `json:"call"`
		From    string `json:"from"`
		Number  string `json:"number"`
		Ticket  *struct{ ID, Name string }
		Matches []struct{ ID, Name string }
	}
	ring := func(from string, params url.Values) caller {
		t.Helper()
		sid := twiliotest.NewSID("CA")
		connect := app.twilioPost(t, "/call/connect", twiliotest.ConnectFrom(from, sid, params)).twiml(t)
		status := app.pathOf(t, connect.All("Client")[0].Attrs["statusCallback"])
		leg := twiliotest.NewSID("CA")
		app.twilioPost(t, status, twiliotest.StatusCallback{
			CallSID: leg, ParentCallSID: sid, CallStatus: "ringing", Timestamp: time.Now(), From: from, To: "client:support_agent",
		}.Params()).wantStatus(t, http.StatusNoContent)
		got := decodeEvent[caller](t, events.next(t, "caller", 5*time.Second))
		// Answered, so that the next caller is not in line behind it.
		app.twilioPost(t, status, twiliotest.StatusCallback{
			CallSID: leg, ParentCallSID: sid, CallStatus: "in-progress", Seq: 1, Timestamp: time.Now(), From: from, To: "client:support_agent",
		}.Params()).wantStatus(t, http.StatusNoContent)
		return got
	}

	if got := ring("client:customer", url.Values{"ticketRef": {ref}}); got.Ticket == nil || got.Ticket.ID != tk.ID.Hex() || got.From != "client:customer" {
		t.Errorf("website caller: %+v, want ticket %s", got, tk.ID.Hex())
	}
	if got := ring("+12125550199", nil); got.Ticket != nil || len(got.Matches) != 1 || got.Matches[0].ID != known.ID.Hex() || got.Number != "+12125550199" {
		t.Errorf("known phone caller: %+v, want ticket %s", got, known.ID.Hex())
	}
	got := ring("+442079460958", nil)
	if got.Ticket != nil || len(got.Matches) != 0 || got.Number != "+442079460958" {
		t.Errorf("unknown phone caller: %+v", got)
	}
	resp := app.postForm(t, c, "/calls/caller-ticket", url.Values{"phone": {got.Number}}, "Accept", "application/json")
	resp.wantStatus(t, http.StatusCreated)
	var opened struct{ ID, PhoneNumber string }
	resp.json(t, &opened)
	if opened.PhoneNumber != "+442079460958" {
		t.Errorf("opened %+v, want a ticket for the caller's number", opened)
	}
	app.postForm(t, c, "/calls/caller-ticket", url.Values{"phone": {"customer"}}, "Accept", "application/json").wantStatus(t, http.StatusUnprocessableEntity)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
