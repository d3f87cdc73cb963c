package models

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// Hours are when support takes calls: opening times for each day of the
// week in one time zone, and holidays, closed all day. Hours that were
// never set (no days) are always open, which is how a new Ringdesk
// starts: nobody's callers are turned away before an admin says so.
type Hours struct {
	Zone string `bson:"zone" json:"zone"` // IANA, such as "Europe/London"
	// Week has one entry per day, Sunday first (time.Weekday), or none
	// for always open.
	Week     []DayHours `bson:"week" json:"week"`
	Holidays []Holiday  `bson:"holidays" json:"holidays"`
}

// DayHours is one day's opening time, "09:00" to "17:30" in the zone's
// local time; "24:00" closes at midnight. Both empty: closed all day.
type DayHours struct {
	Open  string `bson:"open" json:"open"`
	Close string `bson:"close" json:"close"`
}

// Holiday is a date, in the zone, when support is closed all day.
type Holiday struct {
	Date string `bson:"date" json:"date"` // 2006-01-02
	Name string `bson:"name" json:"name"`
}

// Limits on the hours form.
const (
	MaxHolidays       = 100
	MaxHolidayNameLen = 100
)

// Always reports hours that were never set: always open.
func (h Hours) Always() bool { return len(h.Week) != 7 }

// Location is the zone the hours are in (UTC if none was set).
func (h Hours) Location() *time.Location {
	if h.Zone == "" {
		return time.UTC
	}
	loc, err := time.LoadLocation(h.Zone)
	if err != nil {
		return time.UTC // ValidateHours refuses such a zone; older data is read as UTC
	}
	return loc
}

// span returns a day's opening and closing time in minutes after
// midnight; ok is false when the day is closed.
func (d DayHours) span() (open, close int, ok bool) {
	o, okO := clockMinutes(d.Open)
	c, okC := clockMinutes(d.Close)
	return o, c, okO && okC && o < c
}

// holiday reports whether date (2006-01-02) is a holiday.
func (h Hours) holiday(date string) bool {
	for _, hd := range h.Holidays {
		if hd.Date == date {
			return true
		}
	}
	return false
}

// OpenAt reports whether support is open at t.
func (h Hours) OpenAt(t time.Time) bool {
	if h.Always() {
		return true
	}
	lt := t.In(h.Location())
	if h.holiday(lt.Format(time.DateOnly)) {
		return false
	}
	open, close, ok := h.Week[lt.Weekday()].span()
	m := lt.Hour()*60 + lt.Minute()
	return ok && open <= m && m < close
}

// ClosesAt is when the opening that t falls in ends; ok is false when
// support is closed at t or always open.
func (h Hours) ClosesAt(t time.Time) (time.Time, bool) {
	if h.Always() || !h.OpenAt(t) {
		return time.Time{}, false
	}
	lt := t.In(h.Location())
	_, close, _ := h.Week[lt.Weekday()].span()
	y, mo, d := lt.Date()
	return time.Date(y, mo, d, close/60, close%60, 0, 0, lt.Location()), true
}

// NextOpen is the next time support opens after t; ok is false when it
// never does within a year (every day closed).
func (h Hours) NextOpen(t time.Time) (time.Time, bool) {
	if h.Always() {
		return t, true
	}
	loc := h.Location()
	lt := t.In(loc)
	y, mo, d := lt.Date()
	for i := 0; i <= 370; i++ {
		day := time.Date(y, mo, d+i, 0, 0, 0, 0, loc)
		if h.holiday(day.Format(time.DateOnly)) {
			continue
		}
		open, _, ok := h.Week[day.Weekday()].span()
		if !ok {
			continue
		}
		at := time.Date(day.Year(), day.Month(), day.Day(), open/60, open%60, 0, 0, loc)
		if at.After(t) {
			return at, true
		}
	}
	return time.Time{}, false
}

// clockMinutes reads "HH:MM" (00:00 to 24:00) as minutes after midnight.
func clockMinutes(s string) (int, bool) {
	hh, mm, ok := strings.Cut(s, ":")
	if !ok || len(hh) != 2 || len(mm) != 2 {
		return 0, false
	}
	h, err1 := strconv.Atoi(hh)
	m, err2 := strconv.Atoi(mm)
	if err1 != nil || err2 != nil || h < 0 || m < 0 || m > 59 || h > 24 || (h == 24 && m != 0) {
		return 0, false
	}
	return h*60 + m, true
}

// Weekdays names the days in Week's order, for forms and messages.
var Weekdays = [7]string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"}

// ValidateHours checks hours as an admin typed them and returns them
// cleaned, or a message per field: "zone", "day-N" (N as in Week) and
// "holidays". Week must have seven days.
func ValidateHours(h Hours) (Hours, map[string]string) {
	errs := map[string]string{}
	h.Zone = strings.TrimSpace(h.Zone)
	switch _, err := time.LoadLocation(h.Zone); {
	case h.Zone == "":
		errs["zone"] = "Enter a time zone, such as Europe/London or America/New_York."
	case len(h.Zone) > 64 || err != nil || h.Zone == "Local":
		errs["zone"] = "Enter a time zone from the list, such as Europe/London or America/New_York."
	}
	if len(h.Week) != 7 {
		errs["week"] = "Give the hours of all seven days."
		return h, errs
	}
	for i, d := range h.Week {
		d.Open, d.Close = strings.TrimSpace(d.Open), strings.TrimSpace(d.Close)
		h.Week[i] = d
		if d.Open == "" && d.Close == "" {
			continue
		}
		o, okO := clockMinutes(d.Open)
		c, okC := clockMinutes(d.Close)
		key := fmt.Sprintf("day-%d", i)
		switch {
		case !okO || !okC || o == 24*60:
			errs[key] = Weekdays[i] + ": enter opening and closing times as HH:MM, such as 09:00 and 17:30."
		case o >= c:
			errs[key] = Weekdays[i] + ": the closing time must be after the opening time (24:00 is midnight)."
		}
	}
	seen := map[string]bool{}
	if len(h.Holidays) > MaxHolidays {
		errs["holidays"] = fmt.Sprintf("List at most %d holidays.", MaxHolidays)
	}
	for i, hd := range h.Holidays {
		hd.Date, hd.Name = strings.TrimSpace(hd.Date), strings.TrimSpace(hd.Name)
		h.Holidays[i] = hd
		if _, err := time.Parse(time.DateOnly, hd.Date); err != nil {
			errs["holidays"] = fmt.Sprintf("Holiday %d: write the date as YYYY-MM-DD, such as 2026-12-25.", i+1)
			break
		}
		if len([]rune(hd.Name)) > MaxHolidayNameLen {
			errs["holidays"] = fmt.Sprintf("Holiday %d: keep the name under %d characters.", i+1, MaxHolidayNameLen)
			break
		}
		if seen[hd.Date] {
			errs["holidays"] = fmt.Sprintf("Holiday %d: %s is listed twice.", i+1, hd.Date)
			break
		}
		seen[hd.Date] = true
	}
	if len(errs) > 0 {
		return h, errs
	}
	return h, nil
}

// ParseHolidays reads the holidays box: one per line, a date and an
// optional name ("2026-12-25 Christmas Day"); blank lines are skipped.
// Dates are checked by ValidateHours.
func ParseHolidays(text string) []Holiday {
	var out []Holiday
	for _, line := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		line = strings.TrimSpace(line)
		if line == "" {
			continue
		}
		date, name, _ := strings.Cut(line, " ")
		out = append(out, Holiday{Date: date, Name: strings.TrimSpace(name)})
	}
	return out
}

// FormatHolidays writes holidays as ParseHolidays reads them.
func FormatHolidays(hs []Holiday) string {
	var b strings.Builder
	for _, hd := range hs {
		b.WriteString(strings.TrimSpace(hd.Date + " " + hd.Name))
		b.WriteByte('\n')
	}
	return b.String()
}

// When says when at is, from now, as people say it in the zone of at:
// "today at 9:00 AM", "tomorrow at 9:00 AM", "on Monday at 9:00 AM"
// within the week, else "on Monday, January 5 at 9:00 AM".
func When(at, now time.Time) string {
	now = now.In(at.Location())
	clock := at.Format("3:04 PM")
	y, m, d := now.Date()
	today := time.Date(y, m, d, 0, 0, 0, 0, at.Location())
	switch day := time.Date(at.Year(), at.Month(), at.Day(), 0, 0, 0, 0, at.Location()); {
	case day.Equal(today):
		return "today at " + clock
	case day.Equal(today.AddDate(0, 0, 1)):
		return "tomorrow at " + clock
	case day.Before(today.AddDate(0, 0, 7)):
		return "on " + at.Format("Monday") + " at " + clock
	}
	return "on " + at.Format("Monday, January 2") + " at " + clock
}
