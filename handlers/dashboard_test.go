package handlers_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/net/html"

	"github.com/ringdesk/ringdesk/models"
)

// shownTicket is what the dashboard shows of one ticket.
type shownTicket struct {
	Number      string
	Name        string
	Phone       string // as displayed
	Description string
	Time        string // the <time datetime>
	Status      string
	CallID      string // the Call Customer button's data-ticket-id
	CallPhone   string // and data-phone
}

// dashboardTickets reads the tickets from a dashboard page in order.
func dashboardTickets(t testing.TB, doc *html.Node) []shownTicket {
	t.Helper()
	var out []shownTicket
	for _, art := range findAll(doc, func(n *html.Node) bool { return n.Data == "article" && hasClass(n, "ticket") }) {
		call := find(art, byClass("call-customer"))
		if call == nil || call.Data != "button" || squash(text(call)) != "Call Customer" {
			t.Fatalf("ticket %s has no Call Customer button", attr(art, "id"))
		}
		out = append(out, shownTicket{
			Number:      squash(text(find(art, byClass("ticket-number")))),
			Name:        text(find(art, byClass("ticket-name"))),
			Phone:       squash(text(find(art, byClass("ticket-phone")))),
			Description: text(find(art, byClass("ticket-description"))),
			Time:        attr(find(art, byTag("time")), "datetime"),
			Status:      squash(text(find(art, byClass("badge")))),
			CallID:      attr(call, "data-ticket-id"),
			CallPhone:   attr(call, "data-phone"),
		})
	}
	return out
}

func TestDashboardShowsTickets(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	c := app.client(t)
	app.signIn(t, c)

	older := app.createTicket(t, "Ada Lovelace", "+44 20 7946 0958", "The engine\nstopped.")
	newer := app.createTicket(t, "<script>alert(1)</script>", "415-555-2671", `<img src=x onerror="alert(2)"> & more`)
	if err := app.store.Tickets.SetStatus(t.Context(), older.ID, models.StatusClosed, models.AgentRef{}); err != nil {
		t.Fatal(err)
	}

	// All: the dashboard opens on Open, which hides the closed one.
	resp := app.get(t, c, "/dashboard?view=all")
	resp.wantStatus(t, http.StatusOK)
	for _, raw := range []string{"<script>alert(1)", "<img src=x"} {
		if strings.Contains(resp.body, raw) {
			t.Errorf("dashboard contains unescaped %q", raw)
		}
	}
	want := []shownTicket{
		{
			Number: "Ticket #" + strconv.FormatInt(newer.Number, 10), Name: "<script>alert(1)</script>",
			Phone: "+1 415-555-2671", Description: `<img src=x onerror="alert(2)"> & more`,
			Time: newer.CreatedAt.UTC().Format(time.RFC3339), Status: "Open",
			CallID: newer.ID.Hex(), CallPhone: "+14155552671",
		},
		{
			Number: "Ticket #" + strconv.FormatInt(older.Number, 10), Name: "Ada Lovelace",
			Phone: "+44 20 7946 0958", Description: "The engine\nstopped.",
			Time: older.CreatedAt.UTC().Format(time.RFC3339), Status: "Closed",
			CallID: older.ID.Hex(), CallPhone: "+442079460958",
		},
	}
	if diff := cmp.Diff(want, dashboardTickets(t, resp.doc(t))); diff != "" {
		t.Errorf("dashboard tickets (-want +got):\n%s", diff)
	}
	// Each ticket says when it came in, in words a person reads.
	for _, tm := range findAll(resp.doc(t), byTag("time")) {
		if squash(text(tm)) == "" {
			t.Errorf("<time datetime=%q> has no text", attr(tm, "datetime"))
		}
	}
	if find(resp.doc(t), byClass("pagination-next")) != nil {
		t.Errorf("two tickets should fit on one page")
	}
}

func TestDashboardEmpty(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	c := app.client(t)
	app.signIn(t, c)
	resp := app.get(t, c, "/dashboard")
	resp.wantStatus(t, http.StatusOK)
	if got := dashboardTickets(t, resp.doc(t)); len(got) != 0 {
		t.Errorf("empty store shows %d tickets", len(got))
	}
	if find(resp.doc(t), byClass("empty-state")) == nil {
		t.Errorf("empty dashboard does not say there are no tickets")
	}
	// Without calling there are no callbacks, nor a view for them.
	if tab := find(resp.doc(t), func(n *html.Node) bool { return attr(n, "data-view") == "callback" }); tab != nil {
		t.Error("a dashboard without calling has a Call back tab")
	}
	app.get(t, c, "/dashboard?view=callback").wantRedirect(t, "/dashboard")
}

func TestDashboardPagination(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	c := app.client(t)
	app.signIn(t, c)

	const total = 120
	var want []string // newest first
	for i := range total {
		tk := app.createTicket(t, fmt.Sprintf("Customer %03d", i), "+14155552671", "Ticket "+strconv.Itoa(i))
		want = append([]string{tk.ID.Hex()}, want...)
	}

	var got []string
	var pageSizes []int
	path := "/dashboard"
	for page := 1; path != ""; page++ {
		if page > 10 {
			t.Fatalf("pagination does not end")
		}
		resp := app.get(t, c, path)
		resp.wantStatus(t, http.StatusOK)
		doc := resp.doc(t)
		shown := dashboardTickets(t, doc)
		pageSizes = append(pageSizes, len(shown))
		for _, s := range shown {
			got = append(got, s.CallID)
		}
		path = ""
		if next := find(doc, byClass("pagination-next")); next != nil {
			if !strings.Contains(text(next), "Older tickets") {
				t.Errorf("next-page link says %q", squash(text(next)))
			}
			path = attr(next, "href")
		}
	}
	if diff := cmp.Diff([]int{50, 50, 20}, pageSizes); diff != "" {
		t.Errorf("page sizes (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("tickets over all pages, newest first (-want +got):\n%s", diff)
	}
}

func TestDashboardBadCursor(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	c := app.client(t)
	app.signIn(t, c)
	for _, before := range []string{"x", "123", "abc-0123456789abcdef01234567", "123-nothex", "-", "1-"} {
		t.Run(before, func(t *testing.T) {
			app.get(t, c, "/dashboard?before="+url.QueryEscape(before)).wantRedirect(t, "/dashboard")
		})
	}
}

func TestSetTicketStatus(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	c := app.client(t)
	app.signIn(t, c)
	tk := app.createTicket(t, "Ada", "+14155552671", "Help")
	id := tk.ID.Hex()

	status := func(t *testing.T) models.TicketStatus {
		t.Helper()
		got, err := app.store.Tickets.Get(t.Context(), tk.ID)
		if err != nil {
			t.Fatal(err)
		}
		return got.Status
	}
	steps := []struct {
		name       string
		id, status string
		wantCode   int
		want       models.TicketStatus
	}{
		{"close", id, "closed", http.StatusSeeOther, models.StatusClosed},
		{"close again", id, "closed", http.StatusSeeOther, models.StatusClosed},
		{"invalid status", id, "deleted", http.StatusSeeOther, models.StatusClosed},
		{"empty status", id, "", http.StatusSeeOther, models.StatusClosed},
		{"reopen", id, "open", http.StatusSeeOther, models.StatusOpen},
		{"uppercase status", id, "CLOSED", http.StatusSeeOther, models.StatusOpen},
		{"unknown id", "0123456789abcdef01234567", "closed", http.StatusNotFound, models.StatusOpen},
		{"malformed id", "not-an-id", "closed", http.StatusNotFound, models.StatusOpen},
	}
	for _, st := range steps {
		t.Run(st.name, func(t *testing.T) {
			resp := app.postForm(t, c, "/tickets/"+st.id+"/status", url.Values{"status": {st.status}})
			resp.wantStatus(t, st.wantCode)
			if got := status(t); got != st.want {
				t.Errorf("stored status = %s, want %s", got, st.want)
			}
		})
	}

	t.Run("dashboard shows the change", func(t *testing.T) {
		app.postForm(t, c, "/tickets/"+id+"/status", url.Values{"status": {"closed"}}).wantStatus(t, http.StatusSeeOther)
		shown := dashboardTickets(t, app.get(t, c, "/dashboard?view=closed").doc(t))
		if len(shown) != 1 || shown[0].Status != "Closed" {
			t.Errorf("dashboard shows %+v, want the ticket closed", shown)
		}
	})
	t.Run("JSON", func(t *testing.T) {
		resp := app.postForm(t, c, "/tickets/"+id+"/status", url.Values{"status": {"open"}}, "Accept", "application/json")
		resp.wantStatus(t, http.StatusOK)
		var got models.Ticket
		resp.json(t, &got)
		if got.ID != tk.ID || got.Status != models.StatusOpen {
			t.Errorf("answer = %+v, want the reopened ticket", got)
		}
		resp = app.postForm(t, c, "/tickets/"+id+"/status", url.Values{"status": {"gone"}}, "Accept", "application/json")
		resp.wantStatus(t, http.StatusUnprocessableEntity)
		if s := status(t); s != models.StatusOpen {
			t.Errorf("stored status = %s after an invalid JSON post", s)
		}
	})
}

func TestShowTicket(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	c := app.client(t)
	app.signIn(t, c)
	tk := app.createTicket(t, `Bobby "Tables" <b>`, "+14155552671", "Line one\nLine two")
	id := tk.ID.Hex()

	t.Run("page", func(t *testing.T) {
		resp := app.get(t, c, "/tickets/"+id)
		resp.wantStatus(t, http.StatusOK)
		doc := resp.doc(t)
		art := find(doc, byID("ticket-"+id))
		if art == nil {
			t.Fatalf("no article for ticket %s", id)
		}
		got := []string{
			squash(text(find(art, byClass("ticket-number")))),
			text(find(art, byClass("ticket-name"))),
			squash(text(find(art, byClass("ticket-phone")))),
			text(find(art, byClass("ticket-description"))),
			attr(find(art, byClass("call-customer")), "data-phone"),
			attr(find(art, byClass("call-customer")), "data-ticket-id"),
		}
		want := []string{"Ticket #" + strconv.FormatInt(tk.Number, 10), `Bobby "Tables" <b>`, "+1 415-555-2671", "Line one\nLine two", "+14155552671", id}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("ticket page (-want +got):\n%s", diff)
		}
	})
	t.Run("JSON", func(t *testing.T) {
		resp := app.get(t, c, "/tickets/"+id, "Accept", "application/json")
		resp.wantStatus(t, http.StatusOK)
		var got models.Ticket
		resp.json(t, &got)
		want := *tk
		want.IdempotencyKey = ""
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("ticket JSON (-want +got):\n%s", diff)
		}
	})
	for _, tt := range []struct{ name, id string }{
		{"unknown id", "0123456789abcdef01234567"},
		{"malformed id", "nope"},
		{"too short id", id[:23]},
	} {
		t.Run(tt.name, func(t *testing.T) {
			resp := app.get(t, c, "/tickets/"+tt.id)
			resp.wantStatus(t, http.StatusNotFound)
			if !strings.Contains(resp.Header.Get("Content-Type"), "text/html") {
				t.Errorf("404 Content-Type = %q, want a page", resp.Header.Get("Content-Type"))
			}
			resp = app.get(t, c, "/tickets/"+tt.id, "Accept", "application/json")
			resp.wantStatus(t, http.StatusNotFound)
			var body map[string]string
			resp.json(t, &body)
		})
	}
}
