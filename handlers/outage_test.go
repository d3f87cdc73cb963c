package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ringdesk/ringdesk/models/storetest"
)

// outageDeadline is the design's "clear 503 within ~5 s", with a second of
// slack for a loaded machine.
const outageDeadline = 6 * time.Second

// TestDatabaseOutage stops the database under a running app, checks that
// every page answers as the design promises while it is gone, then starts
// it again and checks that the same app recovers by itself.
func TestDatabaseOutage(t *testing.T) {
	// Not parallel: the deadlines below should not compete with other
	// tests for the CPU.
	outage := storetest.NewOutage(t)
	store := outage.Store

	app := newTestApp(t, withStore(store))
	agent := app.client(t)
	app.signIn(t, agent)
	customer := app.client(t)
	before := ticketForm("Before Outage", "+1 415 555 2671", "Created while the database was up.")
	app.postForm(t, customer, "/tickets", before).wantRedirect(t, "/")

	outage.Stop()

	during := ticketForm("During Outage", "+44 20 7946 0958", "Typed while the database was down.\nTwo lines.")
	t.Run("form post keeps what was typed", func(t *testing.T) {
		start := time.Now()
		resp := app.postForm(t, customer, "/tickets", during)
		if d := time.Since(start); d > outageDeadline {
			t.Errorf("answer took %v, want < %v", d, outageDeadline)
		}
		resp.wantStatus(t, http.StatusServiceUnavailable)
		doc := resp.doc(t)
		if msg := flashText(doc); !strings.Contains(msg, "temporarily unavailable") {
			t.Errorf("page message = %q, want one saying Ringdesk is temporarily unavailable", msg)
		}
		got := map[string]string{}
		for _, f := range []string{"name", "phone_number", "description"} {
			got[f] = fieldValue(t, doc, f)
		}
		want := map[string]string{"name": during.Get("name"), "phone_number": during.Get("phone_number"), "description": during.Get("description")}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("form values (-typed +shown):\n%s", diff)
		}
	})

	for _, accept := range []string{"", "*/*"} { // as Go and as curl or fetch() send it
		t.Run("JSON post, Accept "+accept, func(t *testing.T) {
			start := time.Now()
			resp := app.postJSON(t, customer, "/tickets", map[string]string{
				"name": "Json Outage", "phoneNumber": "+14155552671", "description": "down",
			}, "Accept", accept)
			if d := time.Since(start); d > outageDeadline {
				t.Errorf("answer took %v, want < %v", d, outageDeadline)
			}
			resp.wantStatus(t, http.StatusServiceUnavailable)
			var body map[string]string
			resp.json(t, &body)
			if !strings.Contains(body["error"], "temporarily unavailable") || len(body) != 1 {
				t.Errorf("body = %q, want {\"error\": <temporarily unavailable message>}", resp.body)
			}
		})
	}

	t.Run("dashboard", func(t *testing.T) {
		start := time.Now()
		resp := app.get(t, agent, "/dashboard")
		if d := time.Since(start); d > outageDeadline {
			t.Errorf("answer took %v, want < %v", d, outageDeadline)
		}
		resp.wantStatus(t, http.StatusServiceUnavailable)
		if !strings.Contains(resp.body, "temporarily unavailable") {
			t.Errorf("dashboard 503 page lacks the unavailable message:\n%s", resp.body)
		}
	})

	t.Run("readyz", func(t *testing.T) {
		start := time.Now()
		app.get(t, customer, "/readyz").wantStatus(t, http.StatusServiceUnavailable)
		if d := time.Since(start); d > outageDeadline {
			t.Errorf("answer took %v, want < %v", d, outageDeadline)
		}
	})

	t.Run("home page still works", func(t *testing.T) {
		app.get(t, customer, "/").wantStatus(t, http.StatusOK)
		app.get(t, customer, "/healthz").wantStatus(t, http.StatusOK)
	})
	if t.Failed() {
		return
	}

	// Back up, on the same files and address; the app and its store are
	// the ones from before the outage.
	outage.Start()
	deadline := time.Now().Add(20 * time.Second)
	for {
		ready := app.get(t, customer, "/readyz").StatusCode == http.StatusOK
		if ready {
			resp := app.postForm(t, customer, "/tickets", during)
			if resp.StatusCode == http.StatusSeeOther {
				break
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no recovery within 20 s of the database coming back")
		}
		time.Sleep(200 * time.Millisecond)
	}
	app.get(t, customer, "/readyz").wantStatus(t, http.StatusOK)

	resp := app.get(t, agent, "/dashboard")
	resp.wantStatus(t, http.StatusOK)
	var names []string
	for _, n := range findAll(resp.doc(t), byClass("ticket-name")) {
		names = append(names, text(n))
	}
	if diff := cmp.Diff([]string{"During Outage", "Before Outage"}, names); diff != "" {
		t.Errorf("dashboard after recovery (-want +got):\n%s", diff)
	}
}

// ticketForm is a ticket as the home page's form posts it.
func ticketForm(name, phone, description string) url.Values {
	return url.Values{"name": {name}, "phone_number": {phone}, "description": {description}}
}
