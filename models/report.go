package models

import (
	"errors"
	"strconv"
	"strings"
	"time"
)

// ReportTarget is the service-level target: an inbound call answered
// within it was answered in time.
const ReportTarget = 20 * time.Second

// Report spans: a week ending today unless asked otherwise, and at most a
// year, leap day included.
const (
	DefaultReportDays = 7
	MaxReportDays     = 366
)

// CallOutcome is how a call ended, as reports count it.
type CallOutcome string

// Outcomes. A call is missed when it ended unanswered (no answer, busy,
// failed, cancelled, or completed without an answer) and did not end in
// voicemail. Abandoned and callback are the customers who left the line:
// they hung up on hold, or asked to be called back. An unfinished call
// is one whose log holds no end yet: in line, ringing or talking, or its
// last event lost.
const (
	OutcomeAnswered   CallOutcome = "answered"
	OutcomeMissed     CallOutcome = "missed"
	OutcomeVoicemail  CallOutcome = "voicemail"
	OutcomeAbandoned  CallOutcome = "abandoned"
	OutcomeCallback   CallOutcome = "callback"
	OutcomeUnfinished CallOutcome = "unfinished"
)

// CallRow is one call as a report lists it: a line of the CSV download.
type CallRow struct {
	Started   time.Time
	Answered  time.Time // zero when nobody answered
	Ended     time.Time // zero while the log holds no end
	Direction CallDirection
	Caller    string // the call's From: a phone number or a browser identity
	Callee    string // the call's To
	TicketID  *ID
	// Wait is how long the caller waited: until the answer, or until
	// the call ended unanswered.
	Wait time.Duration
	// TalkSeconds is the answered call's talk time; a voicemail's
	// message is not time an agent spent.
	TalkSeconds int
	Outcome     CallOutcome
}

// NewCallRow describes c as Summary derives it from the call's events.
func NewCallRow(c *Call) CallRow {
	s := c.Summary()
	row := CallRow{
		Started: c.StartedAt, Ended: endedAt(c), Direction: c.Direction,
		Caller: c.From, Callee: c.To, TicketID: c.TicketID,
	}
	if s.AnsweredAt != nil {
		row.Answered = *s.AnsweredAt
	}
	switch {
	case s.Voicemail:
		row.Outcome = OutcomeVoicemail
	case s.AnsweredAt != nil:
		row.Outcome, row.TalkSeconds = OutcomeAnswered, s.Duration
	case s.Status == CallAbandoned:
		row.Outcome = OutcomeAbandoned
	case s.Status == CallCallback:
		row.Outcome = OutcomeCallback
	case s.Status.Terminal():
		row.Outcome = OutcomeMissed
	default:
		row.Outcome = OutcomeUnfinished
	}
	switch {
	case !row.Answered.IsZero():
		row.Wait = row.Answered.Sub(row.Started)
	case !row.Ended.IsZero():
		row.Wait = row.Ended.Sub(row.Started)
	}
	// The start is the earliest event, so a wait is never negative; a
	// clamp keeps a provider's clock skew from making it so.
	row.Wait = max(row.Wait, 0)
	return row
}

// WaitSeconds is Wait in whole seconds.
func (r CallRow) WaitSeconds() int { return int(r.Wait / time.Second) }

// endedAt is when the call ended, by Summary's reading of the events:
// the earliest of the call-ending statuses, voicemail (recorded after the
// call's own end) only when the log holds nothing else.
func endedAt(c *Call) time.Time {
	var end time.Time
	rank := 0
	for _, st := range c.Steps {
		if !st.Status.Terminal() {
			continue
		}
		if r := st.Status.rank(); end.IsZero() || r < rank || r == rank && st.At.Before(end) {
			end, rank = st.At, r
		}
	}
	return end
}

// DayFigures are one day's calls, or a report's total. Answered, Missed
// and Voicemail count inbound calls, which are what a service level is
// about; TalkSeconds counts answered calls both ways.
type DayFigures struct {
	Date      string `json:"date,omitempty"` // YYYY-MM-DD in the report's zone; "" for a total
	Inbound   int    `json:"inbound"`
	Answered  int    `json:"answered"`
	Missed    int    `json:"missed"`
	Voicemail int    `json:"voicemail"`
	// Abandoned counts the callers who hung up in line.
	Abandoned int `json:"abandoned"`
	// CallbacksAsked counts the callers who left the line to be called
	// back.
	CallbacksAsked int `json:"callbacksAsked"`
	Outbound       int `json:"outbound"`
	// AnsweredWithin counts inbound calls answered within the target.
	AnsweredWithin int `json:"answeredWithin"`
	// AvgWaitSeconds is the mean wait of the answered inbound calls (the
	// average speed of answer), to a tenth of a second.
	AvgWaitSeconds float64 `json:"avgWaitSeconds"`
	TalkSeconds    int     `json:"talkSeconds"`
	// ServiceLevel is the percentage of the inbound calls that ended
	// (answered, missed, voicemail, or left the line) that were answered
	// within the target, to a tenth; nil when none ended. A call's wait
	// runs from its first event: joining the line, for one that waited.
	ServiceLevel *float64 `json:"serviceLevel"`

	waitSum time.Duration // over the answered inbound calls
}

// add counts one call; target is the service-level target.
func (d *DayFigures) add(row CallRow, target time.Duration) {
	// A call of unknown direction is an agent's, as the calling domain
	// reads a callback that does not say.
	if row.Direction != CallInbound {
		d.Outbound++
	} else {
		d.Inbound++
		switch row.Outcome {
		case OutcomeAnswered:
			d.Answered++
			d.waitSum += row.Wait
			if row.Wait <= target {
				d.AnsweredWithin++
			}
		case OutcomeMissed:
			d.Missed++
		case OutcomeVoicemail:
			d.Voicemail++
		case OutcomeAbandoned:
			d.Abandoned++
		case OutcomeCallback:
			d.CallbacksAsked++
		}
	}
	if row.Outcome == OutcomeAnswered {
		d.TalkSeconds += row.TalkSeconds
	}
	if d.Answered > 0 {
		d.AvgWaitSeconds = tenths(d.waitSum.Seconds() / float64(d.Answered))
	}
	if ended := d.Answered + d.Missed + d.Voicemail + d.Abandoned + d.CallbacksAsked; ended > 0 {
		sl := tenths(100 * float64(d.AnsweredWithin) / float64(ended))
		d.ServiceLevel = &sl
	}
}

// tenths rounds to one decimal place, half away from zero.
func tenths(v float64) float64 { return float64(int64(v*10+0.5)) / 10 }

// ReportSpan is a run of whole calendar days in one time zone.
type ReportSpan struct {
	From, To string // the first and last day, YYYY-MM-DD
	Zone     *time.Location

	first time.Time // From at midnight UTC: day arithmetic free of DST
	days  int
}

// dateLayout is how reports write a day.
const dateLayout = "2006-01-02"

// errBadZone refuses a zone name without looking it up.
var errBadZone = errors.New("not a time zone a report may use")

// maxZoneName bounds the zone a client may name: IANA names are short,
// and the name is looked up on disk.
const maxZoneName = 64

// ParseReportSpan reads a report's days as typed: from and to
// (YYYY-MM-DD, both included) and tz (an IANA zone such as
// Europe/Paris, UTC when empty). Missing days make a week ending today
// in that zone (or, when only the first day is given, the days from it
// to today). The problems are a *ValidationError keyed by from, to and
// tz.
func ParseReportSpan(from, to, tz string, now time.Time) (ReportSpan, error) {
	var verr ValidationError
	from, to, tz = strings.TrimSpace(from), strings.TrimSpace(to), strings.TrimSpace(tz)
	zone := time.UTC
	if tz != "" {
		var loc *time.Location
		err := errBadZone
		// "Local" would be the server's own zone, which no reader chose.
		if len(tz) <= maxZoneName && tz != "Local" {
			loc, err = time.LoadLocation(tz)
		}
		if err != nil {
			verr.add("tz", "Choose a time zone by its name, such as Europe/London or America/New_York.")
		} else {
			zone = loc
		}
	}
	y, m, d := now.In(zone).Date()
	today := time.Date(y, m, d, 0, 0, 0, 0, time.UTC)
	first, last := today.AddDate(0, 0, 1-DefaultReportDays), today
	if to != "" {
		day, err := time.Parse(dateLayout, to)
		if err != nil {
			verr.add("to", "Enter the last day as YYYY-MM-DD, for example "+today.Format(dateLayout)+".")
		}
		last = day
		if from == "" {
			first = last.AddDate(0, 0, 1-DefaultReportDays)
		}
	}
	if from != "" {
		day, err := time.Parse(dateLayout, from)
		if err != nil {
			verr.add("from", "Enter the first day as YYYY-MM-DD, for example "+today.AddDate(0, 0, 1-DefaultReportDays).Format(dateLayout)+".")
		}
		first = day
		if to == "" && last.Before(first) {
			last = first
		}
	}
	if len(verr.Fields) > 0 {
		return ReportSpan{}, &verr
	}
	days := int(last.Sub(first)/(24*time.Hour)) + 1
	switch {
	case days < 1:
		verr.add("to", "The last day must be on or after the first day.")
	case days > MaxReportDays:
		verr.add("to", "A report covers at most "+strconv.Itoa(MaxReportDays)+" days: choose a later first day or an earlier last day.")
	}
	if len(verr.Fields) > 0 {
		return ReportSpan{}, &verr
	}
	return ReportSpan{From: first.Format(dateLayout), To: last.Format(dateLayout), Zone: zone, first: first, days: days}, nil
}

// Days is how many days the span holds.
func (s ReportSpan) Days() int { return s.days }

// Start is the span's first moment: midnight starting its first day.
func (s ReportSpan) Start() time.Time { return s.midnight(0) }

// End is the moment after the span: midnight ending its last day.
func (s ReportSpan) End() time.Time { return s.midnight(s.days) }

// midnight is the start of the span's nth day in its zone (or the
// moment the day began, where a clock change skips midnight).
func (s ReportSpan) midnight(n int) time.Time {
	y, m, d := s.first.AddDate(0, 0, n).Date()
	return time.Date(y, m, d, 0, 0, 0, 0, s.Zone)
}

// dayOf is the index of the span's day that holds t, or -1.
func (s ReportSpan) dayOf(t time.Time) int {
	y, m, d := t.In(s.Zone).Date()
	n := int(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Sub(s.first) / (24 * time.Hour))
	if n < 0 || n >= s.days {
		return -1
	}
	return n
}

// DailyReport adds calls up day by day: a row per day of the span,
// calls or not, and the total.
type DailyReport struct {
	Span   ReportSpan
	Target time.Duration
	Days   []DayFigures
	Total  DayFigures
}

// NewDailyReport starts an empty report over span.
func NewDailyReport(span ReportSpan, target time.Duration) *DailyReport {
	r := &DailyReport{Span: span, Target: target, Days: make([]DayFigures, span.days)}
	for i := range r.Days {
		r.Days[i].Date = span.first.AddDate(0, 0, i).Format(dateLayout)
	}
	return r
}

// Add counts one call on the day it started; a call outside the span is
// not counted.
func (r *DailyReport) Add(row CallRow) {
	n := r.Span.dayOf(row.Started)
	if n < 0 {
		return
	}
	r.Days[n].add(row, r.Target)
	r.Total.add(row, r.Target)
}
