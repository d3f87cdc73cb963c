package models_test

import (
	"testing"
	"time"

	"github.com/ringdesk/ringdesk/models"
)

// officeHours are weekdays 09:00-17:30 in London, Saturday morning, and
// Christmas Day off.
func officeHours() models.Hours {
	day := models.DayHours{Open: "09:00", Close: "17:30"}
	return models.Hours{
		Zone:     "Europe/London",
		Week:     []models.DayHours{{}, day, day, day, day, day, {Open: "10:00", Close: "13:00"}},
		Holidays: []models.Holiday{{Date: "2026-12-25", Name: "Christmas Day"}},
	}
}

func TestHoursOpenAt(t *testing.T) {
	london, _ := time.LoadLocation("Europe/London")
	at := func(s string) time.Time {
		tm, err := time.ParseInLocation("2006-01-02 15:04", s, london)
		if err != nil {
			t.Fatal(err)
		}
		return tm
	}
	h := officeHours()
	tests := []struct {
		at       string
		open     bool
		next     string // when closed
		closesAt string // when open
	}{
		{"2026-12-01 08:59", false, "2026-12-01 09:00", ""}, // Tuesday, before opening
		{"2026-12-01 09:00", true, "", "2026-12-01 17:30"},
		{"2026-12-01 17:29", true, "", "2026-12-01 17:30"},
		{"2026-12-01 17:30", false, "2026-12-02 09:00", ""},
		{"2026-12-05 12:59", true, "", "2026-12-05 13:00"},  // Saturday morning
		{"2026-12-05 13:00", false, "2026-12-07 09:00", ""}, // over Sunday to Monday
		{"2026-12-24 18:00", false, "2026-12-26 10:00", ""}, // Christmas Eve: Christmas is off, Boxing Day a Saturday
		{"2026-12-25 10:00", false, "2026-12-26 10:00", ""},
		{"2026-06-01 09:30", true, "", "2026-06-01 17:30"}, // summer time: local clock, not UTC
	}
	for _, tt := range tests {
		got := h.OpenAt(at(tt.at))
		if got != tt.open {
			t.Errorf("OpenAt(%s) = %v, want %v", tt.at, got, tt.open)
		}
		next, ok := h.NextOpen(at(tt.at))
		if tt.next != "" && (!ok || !next.Equal(at(tt.next))) {
			t.Errorf("NextOpen(%s) = %v, %v; want %s", tt.at, next, ok, tt.next)
		}
		closes, ok := h.ClosesAt(at(tt.at))
		if tt.closesAt != "" && (!ok || !closes.Equal(at(tt.closesAt))) {
			t.Errorf("ClosesAt(%s) = %v, %v; want %s", tt.at, closes, ok, tt.closesAt)
		}
	}

	var never models.Hours
	if !never.Always() || !never.OpenAt(at("2026-12-25 03:00")) {
		t.Error("hours never set must be always open")
	}
	closed := officeHours()
	closed.Week = make([]models.DayHours, 7)
	if _, ok := closed.NextOpen(at("2026-12-01 10:00")); ok || closed.OpenAt(at("2026-12-01 10:00")) {
		t.Error("every day closed: never open, and no next opening")
	}
	midnight := officeHours()
	midnight.Week[3] = models.DayHours{Open: "00:00", Close: "24:00"}
	if !midnight.OpenAt(at("2026-12-02 23:59")) || !midnight.OpenAt(at("2026-12-02 00:00")) {
		t.Error("00:00 to 24:00 must be open all day")
	}
}

func TestValidateHours(t *testing.T) {
	good := officeHours()
	if _, errs := models.ValidateHours(good); errs != nil {
		t.Fatalf("office hours refused: %v", errs)
	}
	tests := []struct {
		name  string
		edit  func(h *models.Hours)
		field string
	}{
		{"no zone", func(h *models.Hours) { h.Zone = " " }, "zone"},
		{"unknown zone", func(h *models.Hours) { h.Zone = "Mars/Olympus" }, "zone"},
		{"Local is the server's, not a zone", func(h *models.Hours) { h.Zone = "Local" }, "zone"},
		{"six days", func(h *models.Hours) { h.Week = h.Week[:6] }, "week"},
		{"closing before opening", func(h *models.Hours) { h.Week[2] = models.DayHours{Open: "17:00", Close: "09:00"} }, "day-2"},
		{"only an opening time", func(h *models.Hours) { h.Week[2] = models.DayHours{Open: "09:00"} }, "day-2"},
		{"not a time", func(h *models.Hours) { h.Week[4] = models.DayHours{Open: "9am", Close: "17:00"} }, "day-4"},
		{"25 o'clock", func(h *models.Hours) { h.Week[4] = models.DayHours{Open: "09:00", Close: "25:00"} }, "day-4"},
		{"opening at 24:00", func(h *models.Hours) { h.Week[4] = models.DayHours{Open: "24:00", Close: "24:00"} }, "day-4"},
		{"bad holiday date", func(h *models.Hours) { h.Holidays = []models.Holiday{{Date: "25/12/2026"}} }, "holidays"},
		{"a holiday twice", func(h *models.Hours) {
			h.Holidays = []models.Holiday{{Date: "2026-12-25"}, {Date: "2026-12-25", Name: "again"}}
		}, "holidays"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := officeHours()
			h.Week = append([]models.DayHours(nil), h.Week...)
			tt.edit(&h)
			_, errs := models.ValidateHours(h)
			if errs[tt.field] == "" {
				t.Errorf("errors = %v, want one for %q", errs, tt.field)
			}
		})
	}
}

func TestParseHolidays(t *testing.T) {
	got := models.ParseHolidays("2026-12-25 Christmas Day\r\n\n  2027-01-01  \n")
	want := []models.Holiday{{Date: "2026-12-25", Name: "Christmas Day"}, {Date: "2027-01-01"}}
	if len(got) != len(want) || got[0] != want[0] || got[1] != want[1] {
		t.Errorf("ParseHolidays = %+v, want %+v", got, want)
	}
	if back := models.ParseHolidays(models.FormatHolidays(got)); len(back) != 2 || back[0] != want[0] || back[1] != want[1] {
		t.Errorf("FormatHolidays does not read back: %+v", back)
	}
}

func TestWhen(t *testing.T) {
	london, _ := time.LoadLocation("Europe/London")
	now := time.Date(2026, 12, 1, 18, 0, 0, 0, london) // a Tuesday
	tests := []struct {
		at   time.Time
		want string
	}{
		{time.Date(2026, 12, 1, 19, 30, 0, 0, london), "today at 7:30 PM"},
		{time.Date(2026, 12, 2, 9, 0, 0, 0, london), "tomorrow at 9:00 AM"},
		{time.Date(2026, 12, 7, 9, 0, 0, 0, london), "on Monday at 9:00 AM"},
		{time.Date(2026, 12, 8, 9, 0, 0, 0, london), "on Tuesday, December 8 at 9:00 AM"},
	}
	for _, tt := range tests {
		if got := models.When(tt.at, now); got != tt.want {
			t.Errorf("When(%v) = %q, want %q", tt.at, got, tt.want)
		}
	}
}
