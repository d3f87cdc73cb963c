package handlers_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"
)

// behindProxy starts an app whose clients arrive through a trusted proxy
// on loopback, so X-Forwarded-For chooses each request's address.
func behindProxy(t testing.TB, opts ...appOption) *testApp {
	t.Helper()
	return newTestApp(t, append([]appOption{withRealRateLimits(), withEnv("TRUSTED_PROXIES", "127.0.0.1")}, opts...)...)
}

// The attack: the per-address limit counted each IPv6 address alone, and
// one customer line holds a whole /64 of them. It counts the /64 now.
func TestCreateTicketRateLimitCountsIPv6By64(t *testing.T) {
	t.Parallel()
	app := behindProxy(t)
	c := app.client(t)
	for i := range 10 {
		form := ticketForm(fmt.Sprintf("Customer %d", i), "+14155552671", fmt.Sprintf("Ticket %d", i))
		app.postForm(t, c, "/tickets", form, "X-Forwarded-For", fmt.Sprintf("2001:db8:1:2::%x", i+1)).wantRedirect(t, "/")
	}
	resp := app.postForm(t, c, "/tickets", ticketForm("Eleventh", "+14155552671", "same /64"),
		"X-Forwarded-For", "2001:db8:1:2:ffff:eeee:dddd:cccc")
	resp.wantStatus(t, http.StatusTooManyRequests)
	wantRetryAfter(t, resp)

	// The next /64 is someone else; so is an IPv4 address.
	app.postForm(t, c, "/tickets", ticketForm("Neighbour", "+14155552671", "next /64"), "X-Forwarded-For", "2001:db8:1:3::1").
		wantRedirect(t, "/")
	app.postForm(t, c, "/tickets", ticketForm("Four", "+14155552671", "IPv4"), "X-Forwarded-For", "192.0.2.1").
		wantRedirect(t, "/")
	if n := len(allTickets(t, app.store)); n != 12 {
		t.Errorf("store holds %d tickets, want 12", n)
	}
}

// The attack: thousands of addresses, each under its own limit, made
// 20,000 tickets in 45 s. A ceiling on everyone together stops that, with
// 429 and Retry-After, and one log line per minute that it trips.
func TestCreateTicketGlobalCeiling(t *testing.T) {
	t.Parallel()
	app := behindProxy(t, withEnv("TICKET_RATE_LIMIT", "5"))
	c := app.client(t)
	for i := range 5 {
		form := ticketForm(fmt.Sprintf("Customer %d", i), "+14155552671", fmt.Sprintf("Ticket %d", i))
		app.postForm(t, c, "/tickets", form, "X-Forwarded-For", fmt.Sprintf("198.51.100.%d", i+1)).wantRedirect(t, "/")
	}
	for i := range 3 {
		addr := fmt.Sprintf("203.0.113.%d", i+1)
		form := ticketForm("Flood", "+14155552671", "one of thousands "+addr)
		resp := app.postForm(t, c, "/tickets", form, "X-Forwarded-For", addr)
		resp.wantStatus(t, http.StatusTooManyRequests)
		wantRetryAfter(t, resp)
		if got := fieldValue(t, resp.doc(t), "description"); got != form.Get("description") {
			t.Errorf("the refused form lost its text: %q", got)
		}
	}
	resp := app.postJSON(t, c, "/tickets", map[string]string{"name": "Api", "phoneNumber": "+14155552671", "description": "x"},
		"X-Forwarded-For", "203.0.113.200")
	resp.wantStatus(t, http.StatusTooManyRequests)
	wantRetryAfter(t, resp)

	if n := len(allTickets(t, app.store)); n != 5 {
		t.Errorf("store holds %d tickets, want the 5 under the ceiling", n)
	}
	if n := strings.Count(app.logs.String(), "ticket ceiling reached"); n != 1 {
		t.Errorf("the log mentions the ceiling %d times, want once per minute:\n%s", n, app.logs.String())
	}
}

// encoding/json replaces invalid UTF-8 with U+FFFD and ignores what
// follows the first value; the JSON API refuses both, as the form path
// refuses invalid UTF-8.
func TestCreateTicketJSONRefusesWhatTheDecoderWouldHide(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	c := app.client(t)
	valid := `{"name":"Ada","phoneNumber":"+14155552671","description":"Help"}`
	tests := []struct{ name, body, want string }{
		{"invalid UTF-8 in a value", "{\"name\":\"Ad\xffa\",\"phoneNumber\":\"+14155552671\",\"description\":\"Help\"}", "UTF-8"},
		{"invalid UTF-8 after the object", valid + " \xc3", "UTF-8"},
		{"a second object", valid + `{"name":"Eve"}`, "nothing after"},
		{"trailing text", valid + " trailing", "nothing after"},
		{"a second value", valid + " 1", "nothing after"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := app.postJSON(t, c, "/tickets", tt.body)
			resp.wantStatus(t, http.StatusBadRequest)
			var got map[string]string
			resp.json(t, &got)
			if !strings.Contains(got["error"], tt.want) {
				t.Errorf("error = %q, want it to mention %q", got["error"], tt.want)
			}
		})
	}
	if n := len(allTickets(t, app.store)); n != 0 {
		t.Fatalf("store holds %d tickets after refused bodies", n)
	}
	// Trailing white space is still one object.
	app.postJSON(t, c, "/tickets", valid+"\n\t ").wantStatus(t, http.StatusCreated)
}

// A right-to-left override makes "Ada\u202Egnp.exe" display as
// "Adaexe.png" on the dashboard: names refuse text-direction controls,
// from the form and from JSON alike.
func TestCreateTicketRefusesBidiControlsInNames(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	c := app.client(t)
	for _, name := range []string{"Ada\u202Egnp.exe", "\u2067Bob\u2069", "Eve\u200F"} {
		t.Run(fmt.Sprintf("%q", name), func(t *testing.T) {
			resp := app.postForm(t, c, "/tickets", ticketForm(name, "+14155552671", "spoofed"))
			resp.wantStatus(t, http.StatusUnprocessableEntity)
			formMsg := fieldErrors(resp.doc(t), "name")["name"]

			resp = app.postJSON(t, c, "/tickets", map[string]string{"name": name, "phoneNumber": "+14155552671", "description": "spoofed"})
			resp.wantStatus(t, http.StatusUnprocessableEntity)
			var got struct{ Errors map[string]string }
			resp.json(t, &got)
			if formMsg == "" || got.Errors["name"] != formMsg {
				t.Errorf("name errors: form %q, JSON %q; want the same message", formMsg, got.Errors["name"])
			}
		})
	}
	if tickets := allTickets(t, app.store); len(tickets) != 0 {
		t.Errorf("stored %q", tickets[0].Name)
	}
}
