package handlers_test

import (
	"context"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"runtime"
	"runtime/metrics"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/net/html"

	"github.com/ringdesk/ringdesk/config"
	"github.com/ringdesk/ringdesk/handlers"
	"github.com/ringdesk/ringdesk/models"
	"github.com/ringdesk/ringdesk/models/storetest"
)

// The scripted days: 10 and 11 February 2026 in Los Angeles (UTC-8), so
// each day starts at 08:00Z.
const (
	reportZone  = "America/Los_Angeles"
	reportQuery = "from=2026-02-10&to=2026-02-11&tz=America%2FLos_Angeles"
)

// utc is a moment of the script, written in UTC.
func utc(t testing.TB, s string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// reportEvent is one webhook's worth of a scripted call: a status some
// seconds after the call's first event.
type reportEvent struct {
	status   models.CallStatus
	after    int
	duration int
}

// recordCall logs a call as the webhooks would, one event at a time.
func recordCall(t testing.TB, s *models.Store, sid string, dir models.CallDirection, from, to string, ticket *models.ID, start time.Time, events ...reportEvent) {
	t.Helper()
	for _, ev := range events {
		ce := models.CallEvent{
			Provider: "twilio", SID: sid, TicketID: ticket, Direction: dir, From: from, To: to,
			Status: ev.status, At: start.Add(time.Duration(ev.after) * time.Second), Duration: ev.duration,
		}
		if ev.status == models.CallVoicemail {
			ce.RecordingURL, ce.RecordingDuration = "https://api.twilio.com/rec/RE"+sid, 12
		}
		if _, err := s.Calls.Record(t.Context(), ce); err != nil {
			t.Fatalf("record %s %s: %v", sid, ev.status, err)
		}
	}
}

// scriptCalls logs the scripted calls and returns the two tickets they
// name.
func scriptCalls(t *testing.T, app *testApp) (ada, grace *models.Ticket) {
	t.Helper()
	ada = app.createTicket(t, "Ada Lovelace", "+1 415 555 2671", "Engine stopped.")
	grace = app.createTicket(t, "Grace Hopper", "+44 20 7946 0958", "Left a message.")
	s, in, out := app.store, models.CallInbound, models.CallOutbound
	sid := func(n int) string { return fmt.Sprintf("CA%032d", n) }
	// 23:59:59 on the 9th in Los Angeles: before the span.
	recordCall(t, s, sid(1), in, "client:customer", "support_agent", nil, utc(t, "2026-02-10T07:59:59Z"),
		reportEvent{models.CallRinging, 0, 0}, reportEvent{models.CallNoAnswer, 30, 0})
	// The 10th: answered in 15 s; voicemail after 30 s; answered in 40
	// s, just after midnight, for a call that rang at 23:59:30.
	recordCall(t, s, sid(2), in, "client:customer", "support_agent", &ada.ID, utc(t, "2026-02-10T17:00:00Z"),
		reportEvent{models.CallRinging, 0, 0}, reportEvent{models.CallAnswered, 15, 0}, reportEvent{models.CallCompleted, 135, 120})
	recordCall(t, s, sid(3), in, "client:customer", "support_agent", nil, utc(t, "2026-02-10T18:00:00Z"),
		reportEvent{models.CallRinging, 0, 0}, reportEvent{models.CallNoAnswer, 30, 0})
	recordCall(t, s, sid(3), in, "client:customer", "", &grace.ID, utc(t, "2026-02-10T18:00:00Z"),
		reportEvent{models.CallVoicemail, 60, 0})
	// Events arrive out of order: the log's start is its earliest.
	recordCall(t, s, sid(4), in, "client:customer", "support_agent", nil, utc(t, "2026-02-11T07:59:30Z"),
		reportEvent{models.CallCompleted, 100, 60}, reportEvent{models.CallAnswered, 40, 0}, reportEvent{models.CallRinging, 0, 0})
	// The 11th: the agent's call at midnight; a caller who gave up after
	// 8 s; the agent's call to a number that is a formula; a call still
	// ringing from a caller whose identity is one.
	recordCall(t, s, sid(5), out, "client:support_agent", ada.PhoneNumber, &ada.ID, utc(t, "2026-02-11T08:00:00Z"),
		reportEvent{models.CallInitiated, 0, 0}, reportEvent{models.CallRinging, 2, 0}, reportEvent{models.CallAnswered, 10, 0}, reportEvent{models.CallCompleted, 70, 60})
	recordCall(t, s, sid(6), in, "client:customer", "support_agent", nil, utc(t, "2026-02-11T09:00:00Z"),
		reportEvent{models.CallRinging, 0, 0}, reportEvent{models.CallCanceled, 8, 0})
	recordCall(t, s, sid(7), out, "client:support_agent", `=HYPERLINK("http://evil.example")`, nil, utc(t, "2026-02-11T10:00:00Z"),
		reportEvent{models.CallInitiated, 0, 0}, reportEvent{models.CallFailed, 1, 0})
	recordCall(t, s, sid(8), in, "-2+3", "support_agent", nil, utc(t, "2026-02-11T11:00:00Z"),
		reportEvent{models.CallRinging, 0, 0})
	// Midnight starting the 12th: after the span.
	recordCall(t, s, sid(9), in, "client:customer", "support_agent", nil, utc(t, "2026-02-12T08:00:00Z"),
		reportEvent{models.CallRinging, 0, 0})
	return ada, grace
}

// reportFigures is a day of the JSON report, as a client reads it.
type reportFigures struct {
	Date           string   `json:"date"`
	Inbound        int      `json:"inbound"`
	Answered       int      `json:"answered"`
	Missed         int      `json:"missed"`
	Voicemail      int      `json:"voicemail"`
	Outbound       int      `json:"outbound"`
	AnsweredWithin int      `json:"answeredWithin"`
	AvgWaitSeconds float64  `json:"avgWaitSeconds"`
	TalkSeconds    int      `json:"talkSeconds"`
	ServiceLevel   *float64 `json:"serviceLevel"`
}

func percent(v float64) *float64 { return &v }

// The figures worked out by hand from scriptCalls.
var (
	scriptDays = []reportFigures{{
		// Answered in 15 s (120 s talk) and in 40 s (60 s), a voicemail:
		// 1 of 3 within 20 s, an average wait of 27.5 s.
		Date: "2026-02-10", Inbound: 3, Answered: 2, Voicemail: 1, AnsweredWithin: 1,
		AvgWaitSeconds: 27.5, TalkSeconds: 180, ServiceLevel: percent(33.3),
	}, {
		// A caller gave up, one still rings (not ended, so not in the
		// service level); the agent's two calls, one of 60 s.
		Date: "2026-02-11", Inbound: 2, Missed: 1, Outbound: 2,
		TalkSeconds: 60, ServiceLevel: percent(0),
	}}
	scriptTotal = reportFigures{
		Inbound: 5, Answered: 2, Missed: 1, Voicemail: 1, Outbound: 2, AnsweredWithin: 1,
		AvgWaitSeconds: 27.5, TalkSeconds: 240, ServiceLevel: percent(25),
	}
)

func TestReportFiguresAsJSON(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	c := app.client(t)
	app.signIn(t, c)
	scriptCalls(t, app)

	resp := app.get(t, c, "/reports?"+reportQuery, "Accept", "application/json")
	resp.wantStatus(t, http.StatusOK)
	var got struct {
		From, To, Zone string
		TargetSeconds  int
		Days           []reportFigures
		Total          reportFigures
	}
	resp.json(t, &got)
	if got.From != "2026-02-10" || got.To != "2026-02-11" || got.Zone != reportZone || got.TargetSeconds != 20 {
		t.Errorf("span %s..%s %s, target %d s; want 2026-02-10..2026-02-11 %s, 20 s", got.From, got.To, got.Zone, got.TargetSeconds, reportZone)
	}
	if diff := cmp.Diff(scriptDays, got.Days); diff != "" {
		t.Errorf("days (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(scriptTotal, got.Total); diff != "" {
		t.Errorf("total (-want +got):\n%s", diff)
	}
	if cc := resp.Header.Get("Cache-Control"); cc != "no-store" {
		t.Errorf("Cache-Control = %q, want no-store", cc)
	}
}

func TestReportPage(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	c := app.client(t)
	app.signIn(t, c)
	scriptCalls(t, app)
	// On the second day a caller gave up in line after 2 minutes, and
	// another asked to be called back: both ended unanswered, so the
	// day's service level stays 0 of 3 and the span's is 1 of 6.
	recordCall(t, app.store, "CAQ1", models.CallInbound, "client:customer", "support_agent", nil, utc(t, "2026-02-11T14:58:00Z"),
		reportEvent{models.CallQueued, 0, 0}, reportEvent{models.CallAbandoned, 120, 0})
	recordCall(t, app.store, "CAQ2", models.CallInbound, "+14155550100", "support_agent", nil, utc(t, "2026-02-11T15:58:00Z"),
		reportEvent{models.CallQueued, 0, 0}, reportEvent{models.CallCallback, 120, 0})

	resp := app.get(t, c, "/reports?"+reportQuery)
	resp.wantStatus(t, http.StatusOK)
	doc := resp.doc(t)
	cells := func(row *html.Node) map[string]string {
		out := map[string]string{}
		for _, td := range findAll(row, func(n *html.Node) bool { return hasAttr(n, "data-figure") }) {
			out[attr(td, "data-figure")] = squash(text(td))
		}
		return out
	}
	want := map[string]map[string]string{
		"2026-02-10": {"inbound": "3", "answered": "2", "answeredWithin": "1", "missed": "0", "voicemail": "1", "abandoned": "0", "callbacksAsked": "0", "outbound": "0", "avgWait": "27.5 s", "talk": "0:03:00", "serviceLevel": "33.3%"},
		"2026-02-11": {"inbound": "4", "answered": "0", "answeredWithin": "0", "missed": "1", "voicemail": "0", "abandoned": "1", "callbacksAsked": "1", "outbound": "2", "avgWait": "—", "talk": "0:01:00", "serviceLevel": "0.0%"},
		"total":      {"inbound": "7", "answered": "2", "answeredWithin": "1", "missed": "1", "voicemail": "1", "abandoned": "1", "callbacksAsked": "1", "outbound": "2", "avgWait": "27.5 s", "talk": "0:04:00", "serviceLevel": "16.7%"},
	}
	got := map[string]map[string]string{}
	for _, row := range findAll(find(doc, byClass("report-table")), byTag("tr")) {
		switch {
		case hasAttr(row, "data-date"):
			got[attr(row, "data-date")] = cells(row)
		case hasClass(row, "report-total"):
			got["total"] = cells(row)
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("table (-want +got):\n%s", diff)
	}
	for field, value := range map[string]string{"from": "2026-02-10", "to": "2026-02-11", "tz": reportZone} {
		if got := fieldValue(t, doc, field); got != value {
			t.Errorf("form field %s = %q, want %q", field, got, value)
		}
	}
	link := find(doc, byClass("report-download"))
	if link == nil || squash(text(link)) != "Download CSV" {
		t.Fatalf("no Download CSV link on the page")
	}
	u, err := url.Parse(attr(link, "href"))
	if err != nil || u.Path != "/reports/calls.csv" || u.Query().Get("from") != "2026-02-10" || u.Query().Get("to") != "2026-02-11" || u.Query().Get("tz") != reportZone {
		t.Errorf("Download CSV links to %q, want /reports/calls.csv for the same days and zone", attr(link, "href"))
	}
	nav := find(doc, func(n *html.Node) bool { return hasClass(n, "nav-link") && attr(n, "href") == "/reports" })
	if nav == nil || attr(nav, "aria-current") != "page" {
		t.Errorf("the nav's Reports link is missing or not marked as the current page")
	}
}

// With nothing asked, the page shows the week to today in UTC, every day
// listed whether it had calls or not.
func TestReportDefaultsToTheLastWeek(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	c := app.client(t)
	app.signIn(t, c)
	resp := app.get(t, c, "/reports", "Accept", "application/json")
	resp.wantStatus(t, http.StatusOK)
	var got struct {
		From, To, Zone string
		Days           []reportFigures
	}
	resp.json(t, &got)
	today := time.Now().UTC()
	// Around midnight UTC the test and the server may see different days.
	if got.To != today.Format("2006-01-02") && got.To != today.Add(-time.Minute).Format("2006-01-02") {
		t.Errorf("to = %s, want today (%s)", got.To, today.Format("2006-01-02"))
	}
	if len(got.Days) != 7 || got.Zone != "UTC" || got.Days[0].Date != got.From || got.Days[6].Date != got.To {
		t.Errorf("report %s..%s in %s with %d days, want 7 days ending today in UTC", got.From, got.To, got.Zone, len(got.Days))
	}
}

func TestReportRefusesBadSpans(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	c := app.client(t)
	app.signIn(t, c)
	tests := []struct {
		name   string
		query  url.Values
		fields []string
	}{
		{"no such day and no such zone", url.Values{"from": {"2026-02-30"}, "to": {"2026-03-01"}, "tz": {"Mars/Olympus_Mons"}}, []string{"from", "tz"}},
		{"the last day first", url.Values{"from": {"2026-03-05"}, "to": {"2026-03-01"}}, []string{"to"}},
		{"more than a year", url.Values{"from": {"2025-01-01"}, "to": {"2026-01-02"}, "tz": {"UTC"}}, []string{"to"}},
		{"a date written another way", url.Values{"from": {"03/01/2026"}}, []string{"from"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := "/reports?" + tt.query.Encode()

			resp := app.get(t, c, path)
			resp.wantStatus(t, http.StatusUnprocessableEntity)
			doc := resp.doc(t)
			errs := fieldErrors(doc, "from", "to", "tz")
			if len(errs) != len(tt.fields) {
				t.Errorf("page's field errors %v, want one for each of %v", errs, tt.fields)
			}
			for _, f := range []string{"from", "to", "tz"} {
				if got := fieldValue(t, doc, f); got != tt.query.Get(f) {
					t.Errorf("form field %s = %q, want what was typed, %q", f, got, tt.query.Get(f))
				}
			}
			if find(doc, byClass("report-table")) != nil {
				t.Error("a refused span still shows a table")
			}

			resp = app.get(t, c, path, "Accept", "application/json")
			resp.wantStatus(t, http.StatusUnprocessableEntity)
			var body struct{ Errors map[string]string }
			resp.json(t, &body)
			for _, f := range tt.fields {
				if body.Errors[f] == "" || body.Errors[f] != errs[f] {
					t.Errorf("JSON error for %s = %q, want the page's message %q", f, body.Errors[f], errs[f])
				}
			}
			if len(body.Errors) != len(tt.fields) {
				t.Errorf("JSON errors %v, want only %v", body.Errors, tt.fields)
			}

			resp = app.get(t, c, "/reports/calls.csv?"+tt.query.Encode())
			resp.wantStatus(t, http.StatusUnprocessableEntity)
			if ct := resp.Header.Get("Content-Type"); ct != "text/plain; charset=utf-8" {
				t.Errorf("CSV refusal Content-Type = %q, want text/plain", ct)
			}
			for _, f := range tt.fields {
				if !strings.Contains(resp.body, f+": "+errs[f]+"\n") {
					t.Errorf("CSV refusal %q does not say %s: %s", resp.body, f, errs[f])
				}
			}
		})
	}
}

func TestReportsNeedAnAgent(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	anon := app.client(t)
	app.get(t, anon, "/reports?"+reportQuery).wantRedirect(t, "/login?next="+url.QueryEscape("/reports?"+reportQuery))
	app.get(t, anon, "/reports/calls.csv").wantRedirect(t, "/login?next=%2Freports%2Fcalls.csv")
	for _, path := range []string{"/reports", "/reports/calls.csv"} {
		resp := app.get(t, anon, path, "Accept", "application/json")
		resp.wantStatus(t, http.StatusUnauthorized)
		if strings.Contains(resp.body, "inbound") || strings.Contains(resp.body, "started") {
			t.Errorf("%s answered a signed-out client with figures: %s", path, resp.body)
		}
	}
}

func TestCallsCSV(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	c := app.client(t)
	app.signIn(t, c)
	ada, grace := scriptCalls(t, app)

	resp := app.get(t, c, "/reports/calls.csv?"+reportQuery)
	resp.wantStatus(t, http.StatusOK)
	if ct := resp.Header.Get("Content-Type"); ct != "text/csv; charset=utf-8" {
		t.Errorf("Content-Type = %q, want text/csv; charset=utf-8", ct)
	}
	disp, params, err := mime.ParseMediaType(resp.Header.Get("Content-Disposition"))
	if err != nil || disp != "attachment" || params["filename"] != "ringdesk-calls-2026-02-10-to-2026-02-11.csv" {
		t.Errorf("Content-Disposition = %q, want an attachment named for the days", resp.Header.Get("Content-Disposition"))
	}
	rows, err := csv.NewReader(strings.NewReader(resp.body)).ReadAll()
	if err != nil {
		t.Fatalf("parse the CSV: %v\n%s", err, resp.body)
	}
	want := [][]string{
		{"started", "answered", "ended", "direction", "caller", "callee", "ticket_id", "wait_seconds", "talk_seconds", "outcome"},
		{"2026-02-10T09:00:00-08:00", "2026-02-10T09:00:15-08:00", "2026-02-10T09:02:15-08:00", "inbound", "client:customer", "support_agent", ada.ID.Hex(), "15", "120", "answered"},
		{"2026-02-10T10:00:00-08:00", "", "2026-02-10T10:00:30-08:00", "inbound", "client:customer", "support_agent", grace.ID.Hex(), "30", "0", "voicemail"},
		{"2026-02-10T23:59:30-08:00", "2026-02-11T00:00:10-08:00", "2026-02-11T00:01:10-08:00", "inbound", "client:customer", "support_agent", "", "40", "60", "answered"},
		{"2026-02-11T00:00:00-08:00", "2026-02-11T00:00:10-08:00", "2026-02-11T00:01:10-08:00", "outbound", "client:support_agent", "+14155552671", ada.ID.Hex(), "10", "60", "answered"},
		{"2026-02-11T01:00:00-08:00", "", "2026-02-11T01:00:08-08:00", "inbound", "client:customer", "support_agent", "", "8", "0", "missed"},
		{"2026-02-11T02:00:00-08:00", "", "2026-02-11T02:00:01-08:00", "outbound", "client:support_agent", `'=HYPERLINK("http://evil.example")`, "", "1", "0", "missed"},
		{"2026-02-11T03:00:00-08:00", "", "", "inbound", "'-2+3", "support_agent", "", "0", "0", "unfinished"},
	}
	if diff := cmp.Diff(want, rows); diff != "" {
		t.Errorf("CSV rows (-want +got):\n%s", diff)
	}

	// A span without calls is a file with its header row.
	resp = app.get(t, c, "/reports/calls.csv?from=2025-01-01&to=2025-01-07")
	resp.wantStatus(t, http.StatusOK)
	if resp.body != strings.Join(want[0], ",")+"\n" {
		t.Errorf("CSV of a span without calls = %q, want the header row alone", resp.body)
	}
}

// The guard against formulas: a cell a spreadsheet would run is quoted,
// while phone numbers and browser identities, which start with + or a
// letter, stay as they are.
func TestCallsCSVGuardsAgainstFormulas(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	c := app.client(t)
	app.signIn(t, c)
	parties := []struct{ typed, written string }{
		{"+14155552671", "+14155552671"},
		{"+1234567", "+1234567"},
		{"+123456789012345", "+123456789012345"},
		{"client:customer", "client:customer"},
		{"client:support_agent_2", "client:support_agent_2"},
		{"+123456", "'+123456"},                     // too short for E.164
		{"+1234567890123456", "'+1234567890123456"}, // too long
		{"+1 415 555 2671", "'+1 415 555 2671"},
		{"+1+cmd|' /C calc'!A0", "'+1+cmd|' /C calc'!A0"},
		{"=1+1", "'=1+1"},
		{"-1+1", "'-1+1"},
		{"@SUM(A1:A2)", "'@SUM(A1:A2)"},
		{"\t=1+1", "'\t=1+1"},
		{"\r=1+1", "'\r=1+1"},
		{"client:bad name", "client:bad name"}, // not an identity, but not a formula either
		{"sip:alice@example.com", "sip:alice@example.com"},
		{"", ""},
	}
	start := utc(t, "2026-02-10T12:00:00Z")
	for i, p := range parties {
		recordCall(t, app.store, fmt.Sprintf("CA%032d", 100+i), models.CallInbound, p.typed, p.typed, nil,
			start.Add(time.Duration(i)*time.Minute), reportEvent{models.CallRinging, 0, 0})
	}
	resp := app.get(t, c, "/reports/calls.csv?from=2026-02-10&to=2026-02-10")
	resp.wantStatus(t, http.StatusOK)
	rows, err := csv.NewReader(strings.NewReader(resp.body)).ReadAll()
	if err != nil {
		t.Fatalf("parse the CSV: %v\n%s", err, resp.body)
	}
	if len(rows) != len(parties)+1 {
		t.Fatalf("%d rows, want a header and %d calls", len(rows), len(parties))
	}
	for i, p := range parties {
		if caller, callee := rows[i+1][4], rows[i+1][5]; caller != p.written || callee != p.written {
			t.Errorf("%q written as %q and %q, want %q", p.typed, caller, callee, p.written)
		}
	}
}

// failingCalls is the real call log, made to fail after a number of
// calls: no database can be told to fail between two rows of one query.
type failingCalls struct {
	handlers.CallStore
	after int
}

var errDatabaseGone = fmt.Errorf("read calls: %w", models.ErrUnavailable)

func (f failingCalls) Each(ctx context.Context, from, to time.Time, fn func(*models.Call) error) error {
	n := 0
	err := f.CallStore.Each(ctx, from, to, func(c *models.Call) error {
		if n == f.after {
			return errDatabaseGone
		}
		n++
		return fn(c)
	})
	if err == nil && n == f.after {
		return errDatabaseGone
	}
	return err
}

// newFailingApp is newTestApp with a call log that fails after `after`
// calls.
func newFailingApp(t *testing.T, after int) *testApp {
	t.Helper()
	cfg, err := config.Load(func(k string) string {
		return map[string]string{"SESSION_SECRET": testSecret, "RATE_LIMIT_SCALE": "1000"}[k]
	})
	if err != nil {
		t.Fatal(err)
	}
	store := storetest.New(t)
	logs := &syncBuffer{}
	deps := handlers.StoreDeps(cfg, store, slog.New(slog.NewTextHandler(logs, nil)))
	deps.Calls = failingCalls{CallStore: deps.Calls, after: after}
	h, err := handlers.New(deps)
	if err != nil {
		t.Fatal(err)
	}
	router, err := h.Routes()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(router)
	t.Cleanup(srv.Close)
	return &testApp{store: store, cfg: cfg, h: h, router: router, srv: srv, logs: logs}
}

// A database that fails before the first row gets the usual answer.
func TestReportsWhenTheDatabaseFails(t *testing.T) {
	t.Parallel()
	app := newFailingApp(t, 0)
	c := app.client(t)
	app.signIn(t, c)
	scriptCalls(t, app)
	for _, path := range []string{"/reports?" + reportQuery, "/reports/calls.csv?" + reportQuery} {
		resp := app.get(t, c, path)
		resp.wantStatus(t, http.StatusServiceUnavailable)
		if !strings.Contains(resp.body, "temporarily unavailable") || resp.Header.Get("Content-Disposition") != "" {
			t.Errorf("%s: %q with Content-Disposition %q, want the outage page and no download", path, resp.body, resp.Header.Get("Content-Disposition"))
		}
		resp = app.get(t, c, path, "Accept", "application/json")
		resp.wantStatus(t, http.StatusServiceUnavailable)
	}
}

// A database that fails part way through a download cuts the response
// short, so the client knows the file is incomplete rather than
// receiving a clean end.
func TestCallsCSVCutShortWhenTheDatabaseFails(t *testing.T) {
	t.Parallel()
	const sent = 600
	app := newFailingApp(t, sent)
	c := app.client(t)
	app.signIn(t, c)
	start := utc(t, "2026-02-10T12:00:00Z")
	for i := range sent + 10 {
		at := ms(start.Add(time.Duration(i) * time.Second))
		if _, err := app.store.Restore(t.Context(), models.Item{Call: &models.Call{
			ID: models.NewID(), SID: fmt.Sprintf("CA%032d", i), Provider: "twilio", Direction: models.CallInbound,
			From: "client:customer", To: "support_agent", StartedAt: at,
			Steps: []models.CallStep{{Status: models.CallRinging, At: at}},
		}}); err != nil {
			t.Fatal(err)
		}
	}
	req := app.newRequest(t, http.MethodGet, "/reports/calls.csv?from=2026-02-10&to=2026-02-10", nil,
		"Cookie", "ringdesk_session="+app.sessionCookie(t, c))
	resp, err := http.DefaultTransport.RoundTrip(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK || !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("download = %d, read error %v; want 200 and the body cut short (unexpected EOF)", resp.StatusCode, err)
	}
	lines := strings.Count(string(body), "\n")
	if lines < 1 || lines > sent+1 {
		t.Errorf("received %d lines before the cut, want at most the header and %d calls", lines, sent)
	}
	if !strings.Contains(app.logs.String(), "calls download failed part way") {
		t.Errorf("the failure was not logged; log:\n%s", app.logs.String())
	}
}

// ms is a time the stores keep exactly.
func ms(t time.Time) time.Time { return t.UTC().Truncate(time.Millisecond) }

// discardResponse takes a response and keeps only its size, so a
// benchmark measures the handler's memory rather than a recorder's.
type discardResponse struct {
	header http.Header
	status int
	bytes  int64
}

func (d *discardResponse) Header() http.Header { return d.header }
func (d *discardResponse) WriteHeader(code int) {
	if d.status == 0 {
		d.status = code
	}
}

func (d *discardResponse) Write(p []byte) (int, error) {
	if d.status == 0 {
		d.status = http.StatusOK
	}
	d.bytes += int64(len(p))
	return len(p), nil
}

func (d *discardResponse) Flush() {}

// heapPeak samples the bytes in heap objects every millisecond, without
// stopping the world as runtime.ReadMemStats would, and reports the
// highest.
type heapPeak struct {
	stop chan struct{}
	done sync.WaitGroup
	peak uint64
}

const heapObjects = "/memory/classes/heap/objects:bytes"

func heapNow() uint64 {
	s := []metrics.Sample{{Name: heapObjects}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

// rssMark resets the kernel's record of this process's peak resident set
// (Linux's clear_refs) and returns the resident set now, in bytes; ok is
// false where /proc cannot do it. rssPeak is the peak since the mark.
func rssMark() (now int64, ok bool) {
	if err := os.WriteFile("/proc/self/clear_refs", []byte("5"), 0); err != nil {
		return 0, false
	}
	return procStatus("VmRSS:")
}

func rssPeak() (int64, bool) { return procStatus("VmHWM:") }

// procStatus reads one "Name:  123 kB" line of /proc/self/status.
func procStatus(name string) (int64, bool) {
	raw, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0, false
	}
	for line := range strings.Lines(string(raw)) {
		if rest, found := strings.CutPrefix(line, name); found {
			kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10, err == nil
		}
	}
	return 0, false
}

func startHeapPeak() *heapPeak {
	p := &heapPeak{stop: make(chan struct{}), peak: heapNow()}
	p.done.Go(func() {
		tick := time.NewTicker(time.Millisecond)
		defer tick.Stop()
		for {
			select {
			case <-p.stop:
				return
			case <-tick.C:
				p.peak = max(p.peak, heapNow())
			}
		}
	})
	return p
}

func (p *heapPeak) end() uint64 {
	close(p.stop)
	p.done.Wait()
	return max(p.peak, heapNow())
}

// BenchmarkCallsCSV downloads every call of a store holding 10,000 and
// 100,000 (seeded straight into the store, spread over 100 days), through
// the whole router to a response that discards what it is given, beside
// the store's walk alone. The point is bounded memory: peak-heap-MB is
// the most the heap held above what it held before, which should not
// grow with the number of calls, against a file (csv-MB) that does.
func BenchmarkCallsCSV(b *testing.B) {
	for _, n := range []int{10000, 100000} {
		store := storetest.New(b)
		first := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
		every := 100 * 24 * time.Hour / time.Duration(n)
		seed := time.Now()
		for i := range n {
			at := first.Add(time.Duration(i) * every)
			if _, err := store.Restore(context.Background(), models.Item{Call: &models.Call{
				ID: models.NewID(), SID: fmt.Sprintf("CA%032x", i), Provider: "twilio", Direction: models.CallInbound,
				From: "client:customer", To: "support_agent", StartedAt: at,
				Steps: []models.CallStep{
					{Status: models.CallRinging, At: at},
					{Status: models.CallAnswered, At: at.Add(12 * time.Second)},
					{Status: models.CallCompleted, At: at.Add(200 * time.Second), Duration: 188},
				},
			}}); err != nil {
				b.Fatal(err)
			}
		}
		b.Logf("seeded %d calls in %v", n, time.Since(seed).Round(time.Millisecond))
		router := benchRouter(b, store)
		cookie := benchSignIn(b, router, store)
		path := "/reports/calls.csv?from=2026-01-01&to=2026-04-10"

		b.Run(fmt.Sprintf("calls=%d/csv", n), func(b *testing.B) {
			runtime.GC()
			base := heapNow()
			peak := startHeapPeak()
			rss, rssOK := rssMark()
			var size int64
			for b.Loop() {
				req := httptest.NewRequest(http.MethodGet, path, nil)
				req.AddCookie(cookie)
				w := &discardResponse{header: http.Header{}}
				router.ServeHTTP(w, req)
				if w.status != http.StatusOK {
					b.Fatalf("status %d", w.status)
				}
				size = w.bytes
			}
			top := peak.end()
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
			b.ReportMetric(float64(top-min(top, base))/(1<<20), "peak-heap-MB")
			// What the process's resident memory grew by at its peak,
			// as the kernel counts it.
			if hwm, ok := rssPeak(); rssOK && ok {
				b.ReportMetric(float64(max(hwm-rss, 0))/(1<<20), "peak-RSS-growth-MB")
			}
			b.ReportMetric(float64(size)/(1<<20), "csv-MB")
		})
		b.Run(fmt.Sprintf("calls=%d/store", n), func(b *testing.B) {
			for b.Loop() {
				rows := 0
				err := store.Calls.Each(context.Background(), first, first.Add(100*24*time.Hour), func(c *models.Call) error {
					_ = models.NewCallRow(c)
					rows++
					return nil
				})
				if err != nil || rows != n {
					b.Fatalf("Each = %v after %d rows, want %d", err, rows, n)
				}
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}
