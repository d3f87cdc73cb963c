package handlers_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ringdesk/ringdesk/models"
)

// weekForm is the hours form with the same times every weekday and the
// weekend off.
func weekForm(zone, open, close string) url.Values {
	f := url.Values{"zone": {zone}, "holidays": {"2026-12-25 Christmas Day\n2027-01-01 New Year's Day"}}
	for i := 1; i <= 5; i++ {
		f.Set("open-"+strconv.Itoa(i), open)
		f.Set("close-"+strconv.Itoa(i), close)
	}
	return f
}

func TestHoursAdminOnly(t *testing.T) {
	t.Parallel()
	tm := newTeam(t)
	tm.app.get(t, tm.ac, "/settings/hours").wantStatus(t, http.StatusOK)
	tm.app.get(t, tm.gc, "/settings/hours").wantStatus(t, http.StatusForbidden)
	tm.app.postForm(t, tm.gc, "/settings/hours", weekForm("Europe/London", "09:00", "17:00")).wantStatus(t, http.StatusForbidden)
	tm.app.postForm(t, tm.ac, "/settings/hours", weekForm("Europe/London", "09:00", "17:00"), "Origin", "https://evil.example").
		wantStatus(t, http.StatusForbidden)
	resp := tm.app.get(t, tm.app.client(t), "/settings/hours")
	resp.wantRedirect(t, "/login?next=%2Fsettings%2Fhours")
	if h, err := tm.app.store.Settings.Hours(t.Context()); err != nil || !h.Always() {
		t.Errorf("hours after refused posts (an agent's, a cross-site one) = %+v, %v; want never set", h, err)
	}
}

func TestHoursSaveAndHome(t *testing.T) {
	t.Parallel()
	tm := newTeam(t, withTwilio(twilioPublicURL))
	app := tm.app
	london, _ := time.LoadLocation("Europe/London")
	now := time.Date(2026, 12, 1, 10, 0, 0, 0, london) // a Tuesday morning
	app.h.SetClock(func() time.Time { return now })

	// A new Ringdesk is always open: the home page says nothing of hours.
	home := app.get(t, app.client(t), "/")
	if btn := find(home.doc(t), byID("call-support")); btn == nil || hasAttr(btn, "hidden") || find(home.doc(t), byID("hours-note")) != nil {
		t.Fatalf("home before any hours: want the call button and no note:\n%s", truncate(home.body, 3000))
	}
	page := app.get(t, tm.ac, "/settings/hours")
	if box := find(page.doc(t), byID("always")); box == nil || !hasAttr(box, "checked") {
		t.Error("the hours page does not show always open checked")
	}

	app.postForm(t, tm.ac, "/settings/hours", weekForm("Europe/London", "09:00", "17:30")).wantRedirect(t, "/settings/hours")
	got, err := app.store.Settings.Hours(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	day := models.DayHours{Open: "09:00", Close: "17:30"}
	want := models.Hours{Zone: "Europe/London", Week: []models.DayHours{{}, day, day, day, day, day, {}},
		Holidays: []models.Holiday{{Date: "2026-12-25", Name: "Christmas Day"}, {Date: "2027-01-01", Name: "New Year's Day"}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("stored hours (-want +got):\n%s", diff)
	}
	page = app.get(t, tm.ac, "/settings/hours")
	if !strings.Contains(text(page.doc(t)), "Business hours saved. Support is open now, until 5:30 PM (Europe/London time).") {
		t.Errorf("no saved message with the status:\n%s", truncate(text(page.doc(t)), 2000))
	}
	if v := attr(find(page.doc(t), byID("open-2")), "value"); v != "09:00" {
		t.Errorf("Tuesday opens at %q on the page, want 09:00", v)
	}

	// Open now: the home page says until when, and offers the call.
	home = app.get(t, app.client(t), "/")
	if note := find(home.doc(t), byID("hours-note")); note == nil || squash(text(note)) != "Support is open now, until 5:30 PM (Europe/London time)." {
		t.Errorf("home note while open: %q", squash(text(note)))
	}
	if btn := find(home.doc(t), byID("call-support")); btn == nil || hasAttr(btn, "hidden") {
		t.Error("the call button is hidden while support is open")
	}

	// Closed (Christmas Eve evening; Christmas Day is a holiday, then the
	// weekend): no call button, and when it opens.
	now = time.Date(2026, 12, 24, 19, 0, 0, 0, london)
	home = app.get(t, app.client(t), "/")
	if note := find(home.doc(t), byID("hours-note")); note == nil || squash(text(note)) != "Support is closed now. We open again on Monday at 9:00 AM (Europe/London time)." {
		t.Errorf("home note while closed: %q", squash(text(note)))
	}
	if btn := find(home.doc(t), byID("call-support")); btn == nil || !hasAttr(btn, "hidden") || !hasAttr(btn, "disabled") {
		t.Error("the call button shows while support is closed")
	}

	// Always open again (back on the day the session was made).
	now = time.Date(2026, 12, 1, 10, 0, 0, 0, london)
	app.postForm(t, tm.ac, "/settings/hours", url.Values{"always": {"on"}, "zone": {"Europe/London"}}).wantRedirect(t, "/settings/hours")
	if h, _ := app.store.Settings.Hours(t.Context()); !h.Always() {
		t.Errorf("hours after choosing always open: %+v", h)
	}
}

func TestHoursRefused(t *testing.T) {
	t.Parallel()
	tm := newTeam(t)
	app := tm.app
	bad := weekForm("Mars/Olympus", "09:00", "17:30")
	bad.Set("open-3", "17:00")
	bad.Set("close-3", "9am")
	bad.Set("holidays", "25/12/2026 Christmas")
	resp := app.postForm(t, tm.ac, "/settings/hours", bad)
	resp.wantStatus(t, http.StatusUnprocessableEntity)
	doc := resp.doc(t)
	for id, want := range map[string]string{
		"zone-error":     "Enter a time zone from the list",
		"day-3-error":    "Wednesday: enter opening and closing times as HH:MM",
		"holidays-error": "Holiday 1: write the date as YYYY-MM-DD",
	} {
		if el := find(doc, byID(id)); el == nil || !strings.Contains(text(el), want) {
			t.Errorf("#%s = %q, want %q", id, text(el), want)
		}
	}
	// Everything typed is kept.
	if v := attr(find(doc, byID("zone")), "value"); v != "Mars/Olympus" {
		t.Errorf("zone kept as %q", v)
	}
	if v := attr(find(doc, byID("close-3")), "value"); v != "9am" {
		t.Errorf("Wednesday's closing time kept as %q", v)
	}
	if v := text(find(doc, byID("holidays"))); !strings.Contains(v, "25/12/2026 Christmas") {
		t.Errorf("holidays kept as %q", v)
	}
	if h, _ := app.store.Settings.Hours(t.Context()); !h.Always() {
		t.Errorf("refused hours were stored: %+v", h)
	}

	// JSON: the same checks, the errors by field.
	resp = app.postJSON(t, tm.ac, "/settings/hours", map[string]any{"zone": "Europe/London", "week": []models.DayHours{{Open: "10:00", Close: "09:00"}}})
	resp.wantStatus(t, http.StatusUnprocessableEntity)
	var refused struct {
		Errors map[string]string `json:"errors"`
	}
	resp.json(t, &refused)
	if refused.Errors["week"] == "" {
		t.Errorf("JSON refusal = %v, want a message for week", refused.Errors)
	}
}

func TestHoursJSON(t *testing.T) {
	t.Parallel()
	tm := newTeam(t)
	app := tm.app
	day := models.DayHours{Open: "08:00", Close: "20:00"}
	week := []models.DayHours{day, day, day, day, day, day, day}
	resp := app.postJSON(t, tm.ac, "/settings/hours", map[string]any{"zone": "America/New_York", "week": week, "holidays": []models.Holiday{{Date: "2026-11-26", Name: "Thanksgiving"}}})
	resp.wantStatus(t, http.StatusOK)
	var got struct {
		Always   bool              `json:"always"`
		Zone     string            `json:"zone"`
		Week     []models.DayHours `json:"week"`
		Holidays []models.Holiday  `json:"holidays"`
	}
	resp.json(t, &got)
	if got.Always || got.Zone != "America/New_York" || !cmp.Equal(got.Week, week) || len(got.Holidays) != 1 {
		t.Errorf("saved hours answered %+v", got)
	}
	resp = app.get(t, tm.ac, "/settings/hours", "Accept", "application/json")
	resp.wantStatus(t, http.StatusOK)
	resp.json(t, &got)
	if got.Zone != "America/New_York" || len(got.Week) != 7 {
		t.Errorf("GET answered %+v", got)
	}
}

// TestReportsInTheTeamsZone: with business hours set, a report without a
// zone is counted in theirs.
func TestReportsInTheTeamsZone(t *testing.T) {
	t.Parallel()
	tm := newTeam(t)
	day := models.DayHours{Open: "09:00", Close: "17:00"}
	hours := models.Hours{Zone: "Asia/Tokyo", Week: []models.DayHours{{}, day, day, day, day, day, {}}}
	if err := tm.app.store.Settings.SetHours(t.Context(), hours); err != nil {
		t.Fatal(err)
	}
	var got struct {
		Zone string `json:"zone"`
	}
	resp := tm.app.get(t, tm.ac, "/reports", "Accept", "application/json")
	resp.wantStatus(t, http.StatusOK)
	resp.json(t, &got)
	if got.Zone != "Asia/Tokyo" {
		t.Errorf("report zone = %q, want the business hours' Asia/Tokyo", got.Zone)
	}
	resp = tm.app.get(t, tm.ac, "/reports?tz=Europe/Paris", "Accept", "application/json")
	resp.json(t, &got)
	if got.Zone != "Europe/Paris" {
		t.Errorf("report zone asked for = %q, want Europe/Paris", got.Zone)
	}
}
