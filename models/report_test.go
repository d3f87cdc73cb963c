package models

import (
	"errors"
	"strconv"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// newYork is the zone of the scripted days: 7 and 8 March 2026 in New
// York, the 8th being the 23-hour day when clocks go forward at 2 am.
func newYork(t *testing.T) *time.Location {
	t.Helper()
	loc, err := time.LoadLocation("America/New_York")
	if err != nil {
		t.Fatalf("load America/New_York: %v", err)
	}
	return loc
}

// at is a UTC moment on the scripted days: "2026-03-07T14:00:00Z" and
// the like.
func at(t *testing.T, rfc3339 string) time.Time {
	t.Helper()
	v, err := time.Parse(time.RFC3339Nano, rfc3339)
	if err != nil {
		t.Fatal(err)
	}
	return v
}

// scriptedCall is a call log: its direction, its start and its events,
// each a status at an offset from the start, with a talk time on the
// event that carries one.
type scriptedCall struct {
	name      string
	dir       CallDirection
	start     string
	steps     []scriptedStep
	recording int // voicemail message, seconds
}

type scriptedStep struct {
	status   CallStatus
	after    time.Duration
	duration int
}

func (sc scriptedCall) call(t *testing.T) *Call {
	start := at(t, sc.start)
	c := &Call{SID: sc.name, Direction: sc.dir, From: "client:customer", To: "support_agent", StartedAt: start, RecordingDuration: sc.recording}
	for _, st := range sc.steps {
		c.Steps = append(c.Steps, CallStep{Status: st.status, At: start.Add(st.after), Duration: st.duration})
	}
	return c
}

// script is two days of calls around New York's midnights, in UTC (New
// York is UTC-5 until 7:00Z on the 8th, UTC-4 after).
var script = []scriptedCall{
	{"before the span", CallInbound, "2026-03-07T04:59:59Z", []scriptedStep{{CallRinging, 0, 0}, {CallAnswered, 5 * time.Second, 0}, {CallCompleted, 65 * time.Second, 60}}, 0},
	{"answered in 12 s", CallInbound, "2026-03-07T14:00:00Z", []scriptedStep{{CallRinging, 0, 0}, {CallAnswered, 12 * time.Second, 0}, {CallCompleted, 312 * time.Second, 300}}, 0},
	{"answered in 45 s", CallInbound, "2026-03-07T15:00:00Z", []scriptedStep{{CallRinging, 0, 0}, {CallAnswered, 45 * time.Second, 0}, {CallCompleted, 105 * time.Second, 60}}, 0},
	{"no answer", CallInbound, "2026-03-07T16:00:00Z", []scriptedStep{{CallRinging, 0, 0}, {CallNoAnswer, 30 * time.Second, 0}}, 0},
	{"voicemail", CallInbound, "2026-03-07T17:00:00Z", []scriptedStep{{CallRinging, 0, 0}, {CallNoAnswer, 30 * time.Second, 0}, {CallVoicemail, 70 * time.Second, 0}}, 25},
	{"agent's call", CallOutbound, "2026-03-07T18:00:00Z", []scriptedStep{{CallInitiated, 0, 0}, {CallAnswered, 8 * time.Second, 0}, {CallCompleted, 128 * time.Second, 120}}, 0},
	// 23:59:50 in New York: the 7th's, though answered on the 8th,
	// exactly at the target.
	{"across midnight", CallInbound, "2026-03-08T04:59:50Z", []scriptedStep{{CallRinging, 0, 0}, {CallCompleted, 80 * time.Second, 60}, {CallAnswered, 20 * time.Second, 0}}, 0},
	{"cancelled at midnight", CallInbound, "2026-03-08T05:00:00Z", []scriptedStep{{CallRinging, 0, 0}, {CallCanceled, 5 * time.Second, 0}}, 0},
	// 3:30 am, after the clocks went forward; answered half a second
	// after the target.
	{"answered in 20.5 s", CallInbound, "2026-03-08T07:30:00Z", []scriptedStep{{CallRinging, 0, 0}, {CallAnswered, 20500 * time.Millisecond, 0}, {CallCompleted, 50500 * time.Millisecond, 30}}, 0},
	{"still ringing", CallInbound, "2026-03-08T20:00:00Z", []scriptedStep{{CallInitiated, 0, 0}, {CallRinging, time.Second, 0}}, 0},
	{"agent's call, busy", CallOutbound, "2026-03-08T21:00:00Z", []scriptedStep{{CallInitiated, 0, 0}, {CallBusy, 10 * time.Second, 0}}, 0},
	// Vonage ends an unanswered call with "completed".
	{"completed unanswered", CallInbound, "2026-03-08T22:00:00Z", []scriptedStep{{CallRinging, 0, 0}, {CallCompleted, 25 * time.Second, 0}}, 0},
	{"after the span", CallInbound, "2026-03-09T04:00:00Z", []scriptedStep{{CallRinging, 0, 0}, {CallNoAnswer, 30 * time.Second, 0}}, 0},
}

func TestNewCallRow(t *testing.T) {
	type row struct {
		Answered, Ended string // offsets from the start, "" for none
		Wait            time.Duration
		WaitSeconds     int
		Talk            int
		Outcome         CallOutcome
	}
	want := map[string]row{
		"before the span":       {"5s", "1m5s", 5 * time.Second, 5, 60, OutcomeAnswered},
		"answered in 12 s":      {"12s", "5m12s", 12 * time.Second, 12, 300, OutcomeAnswered},
		"answered in 45 s":      {"45s", "1m45s", 45 * time.Second, 45, 60, OutcomeAnswered},
		"no answer":             {"", "30s", 30 * time.Second, 30, 0, OutcomeMissed},
		"voicemail":             {"", "30s", 30 * time.Second, 30, 0, OutcomeVoicemail},
		"agent's call":          {"8s", "2m8s", 8 * time.Second, 8, 120, OutcomeAnswered},
		"across midnight":       {"20s", "1m20s", 20 * time.Second, 20, 60, OutcomeAnswered},
		"cancelled at midnight": {"", "5s", 5 * time.Second, 5, 0, OutcomeMissed},
		"answered in 20.5 s":    {"20.5s", "50.5s", 20500 * time.Millisecond, 20, 30, OutcomeAnswered},
		"still ringing":         {"", "", 0, 0, 0, OutcomeUnfinished},
		"agent's call, busy":    {"", "10s", 10 * time.Second, 10, 0, OutcomeMissed},
		"completed unanswered":  {"", "25s", 25 * time.Second, 25, 0, OutcomeMissed},
		"after the span":        {"", "30s", 30 * time.Second, 30, 0, OutcomeMissed},
	}
	offset := func(from, t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.Sub(from).String()
	}
	for _, sc := range script {
		c := sc.call(t)
		c.TicketID = &ID{1}
		r := NewCallRow(c)
		got := row{offset(r.Started, r.Answered), offset(r.Started, r.Ended), r.Wait, r.WaitSeconds(), r.TalkSeconds, r.Outcome}
		if diff := cmp.Diff(want[sc.name], got); diff != "" {
			t.Errorf("%s (-want +got):\n%s", sc.name, diff)
		}
		if !r.Started.Equal(c.StartedAt) || r.Direction != sc.dir || r.Caller != "client:customer" || r.Callee != "support_agent" || r.TicketID != c.TicketID {
			t.Errorf("%s: row %+v does not carry the call's start, direction, parties and ticket", sc.name, r)
		}
	}
}

func TestDailyReportAcrossMidnightAndClockChange(t *testing.T) {
	span, err := ParseReportSpan("2026-03-07", "2026-03-08", "America/New_York", at(t, "2026-03-20T12:00:00Z"))
	if err != nil {
		t.Fatal(err)
	}
	if got, want := span.Start(), at(t, "2026-03-07T05:00:00Z"); !got.Equal(want) {
		t.Errorf("Start = %v, want %v (midnight EST)", got, want)
	}
	if got, want := span.End(), at(t, "2026-03-09T04:00:00Z"); !got.Equal(want) {
		t.Errorf("End = %v, want %v (midnight EDT)", got, want)
	}
	r := NewDailyReport(span, ReportTarget)
	for _, sc := range script {
		r.Add(NewCallRow(sc.call(t)))
	}
	sl := func(v float64) *float64 { return &v }
	want := []DayFigures{{
		// answered in 12 s, in 45 s, across midnight (20 s); no answer;
		// voicemail; the agent's call.
		Date: "2026-03-07", Inbound: 5, Answered: 3, Missed: 1, Voicemail: 1, Outbound: 1,
		AnsweredWithin: 2, AvgWaitSeconds: 25.7, // 77 s / 3
		TalkSeconds: 540, ServiceLevel: sl(40), // 300 + 60 + 60 + 120; 2 of 5
	}, {
		// cancelled, completed unanswered, answered in 20.5 s, still
		// ringing (counted, but not ended); the agent's busy call.
		Date: "2026-03-08", Inbound: 4, Answered: 1, Missed: 2, Outbound: 1,
		AvgWaitSeconds: 20.5, TalkSeconds: 30, ServiceLevel: sl(0), // 0 of 3
	}}
	total := DayFigures{
		Inbound: 9, Answered: 4, Missed: 3, Voicemail: 1, Outbound: 2,
		AnsweredWithin: 2, AvgWaitSeconds: 24.4, // 97.5 s / 4
		TalkSeconds: 570, ServiceLevel: sl(25), // 2 of 8
	}
	opt := cmpopts.IgnoreUnexported(DayFigures{})
	if diff := cmp.Diff(want, r.Days, opt); diff != "" {
		t.Errorf("days (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(total, r.Total, opt); diff != "" {
		t.Errorf("total (-want +got):\n%s", diff)
	}
}

func TestDailyReportListsDaysWithoutCalls(t *testing.T) {
	span, err := ParseReportSpan("2026-02-27", "2026-03-02", "", time.Now())
	if err != nil {
		t.Fatal(err)
	}
	r := NewDailyReport(span, ReportTarget)
	var dates []string
	for _, d := range r.Days {
		dates = append(dates, d.Date)
		if d.ServiceLevel != nil || d.Inbound != 0 {
			t.Errorf("%s of an empty report: %+v, want nothing counted and no service level", d.Date, d)
		}
	}
	if diff := cmp.Diff([]string{"2026-02-27", "2026-02-28", "2026-03-01", "2026-03-02"}, dates); diff != "" {
		t.Errorf("days (-want +got):\n%s", diff)
	}
}

func TestParseReportSpan(t *testing.T) {
	// 22:00 on 7 March in New York, already the 8th in UTC.
	now := at(t, "2026-03-08T03:00:00Z")
	tests := []struct {
		name         string
		from, to, tz string
		want         string // "from to zone days"
	}{
		{"a week to today, UTC", "", "", "", "2026-03-02 2026-03-08 UTC 7"},
		{"a week to today where the reader is", "", "", "America/New_York", "2026-03-01 2026-03-07 America/New_York 7"},
		{"a week to the last day", "", "2026-02-10", "", "2026-02-04 2026-02-10 UTC 7"},
		{"from the first day to today", "2026-03-05", "", " Europe/Paris ", "2026-03-05 2026-03-08 Europe/Paris 4"},
		{"a first day after today", "2026-04-01", "", "", "2026-04-01 2026-04-01 UTC 1"},
		{"one day", "2026-03-04", "2026-03-04", "UTC", "2026-03-04 2026-03-04 UTC 1"},
		{"a leap year", "2024-01-01", "2024-12-31", "Asia/Kolkata", "2024-01-01 2024-12-31 Asia/Kolkata 366"},
	}
	for _, tt := range tests {
		span, err := ParseReportSpan(tt.from, tt.to, tt.tz, now)
		if err != nil {
			t.Errorf("%s: %v", tt.name, err)
			continue
		}
		if got := span.From + " " + span.To + " " + span.Zone.String() + " " + strconv.Itoa(span.Days()); got != tt.want {
			t.Errorf("%s: %q, want %q", tt.name, got, tt.want)
		}
	}
}

func TestParseReportSpanRefuses(t *testing.T) {
	now := at(t, "2026-03-08T03:00:00Z")
	tests := []struct {
		name         string
		from, to, tz string
		fields       []string
	}{
		{"an unknown zone", "", "", "Mars/Olympus_Mons", []string{"tz"}},
		{"the server's zone", "", "", "Local", []string{"tz"}},
		{"a path", "", "", "../../etc/passwd", []string{"tz"}},
		{"a long name", "", "", "Europe/" + string(make([]byte, 100)), []string{"tz"}},
		{"no such day", "2026-02-30", "2026-03-01", "", []string{"from"}},
		{"a day written another way", "2026-03-01", "03/04/2026", "", []string{"to"}},
		{"both days and the zone", "yesterday", "today", "here", []string{"from", "to", "tz"}},
		{"the last day before the first", "2026-03-05", "2026-03-04", "", []string{"to"}},
		{"more than a year", "2025-01-01", "2026-01-02", "", []string{"to"}},
	}
	for _, tt := range tests {
		_, err := ParseReportSpan(tt.from, tt.to, tt.tz, now)
		var verr *ValidationError
		if !errors.As(err, &verr) {
			t.Errorf("%s: error %v, want a *ValidationError", tt.name, err)
			continue
		}
		var got []string
		for f, msg := range verr.Fields {
			got = append(got, f)
			if msg == "" {
				t.Errorf("%s: no message for %s", tt.name, f)
			}
		}
		if diff := cmp.Diff(tt.fields, got, cmpopts.SortSlices(func(a, b string) bool { return a < b })); diff != "" {
			t.Errorf("%s: fields refused (-want +got):\n%s; messages %v", tt.name, diff, verr.Fields)
		}
	}
}
