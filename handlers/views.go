package handlers

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/ringdesk/ringdesk/models"
	"github.com/ringdesk/ringdesk/voice"
)

// viewData is what every page template receives. Page-specific fields are
// left zero by the pages that do not use them.
type viewData struct {
	Title   string
	Path    string        // request path, to mark the current nav link
	Agent   *models.Agent // nil when nobody is signed in
	Flash   *flash
	Calling bool   // a voice provider is configured
	Voice   string // "twilio", "vonage" or ""
	// LiveSince is the last live event before the page's data was read;
	// the page's event stream starts after it.
	LiveSince string

	// home: the ticket form
	Form      ticketForm
	TicketRef string // signed ref of the ticket this browser just opened, for linking its calls
	// login
	Login loginForm
	// setup: the first agent's sign-up
	Setup setupForm
	// dashboard
	Tickets   []ticketView
	NextPage  string // URL of the next (older) page, "" on the last page
	FirstPage bool   // whether this is the newest page
	// ticket page
	Ticket *ticketView
	// error page
	Status  int
	Message string
}

type flash struct {
	Kind    string // "success" or "error"
	Message string
}

type ticketForm struct {
	Name        string
	PhoneNumber string
	Description string
	Nonce       string
	Errors      map[string]string // keyed by name, phone_number, description
}

type loginForm struct {
	Email string
	Next  string
	Error string
}

type setupForm struct {
	Token  string
	Email  string
	Name   string
	Errors map[string]string // keyed by email, name, password
}

// ticketView is a ticket as the dashboard and ticket page show it.
type ticketView struct {
	ID           string
	Number       int64
	Name         string
	Phone        string // E.164, for data-phone
	PhoneDisplay string // international format
	Description  string
	Status       string // "open" or "closed"
	Open         bool
	Created      timeView
	Voicemail    bool       // opened by a voicemail; may have no phone number
	Calling      bool       // a voice provider is configured (the card's call button)
	Calls        []callView // newest first; the dashboard gets the last few
	MoreCalls    int        // calls not shown on the dashboard
}

// callView is one line of a ticket's call history.
type callView struct {
	Incoming     bool
	Direction    string // "Outgoing call" or "Incoming call"
	Outcome      string // "Answered", "No answer", "Voicemail", ...
	Answered     bool
	Duration     string // talk or message time as m:ss, "" when none
	Started      timeView
	RecordingURL string // voicemail, ticket page only
	HungUpBy     string // "caller" or "callee" where known, ticket page only
}

// timeView is a moment as the pages show it (layout.html, "when"): how
// long ago, and when. The server writes the "when" in UTC, which stays in
// the tooltip; public/js/times.js rewrites it in the reader's own time
// zone, which only the browser knows.
type timeView struct {
	ISO string // RFC 3339 in UTC, for <time datetime>
	UTC string // "21 Nov 2026, 09:41 UTC"
	Rel string // "5 minutes ago"
}

func newTimeView(t, now time.Time) timeView {
	return timeView{
		ISO: t.UTC().Format(time.RFC3339),
		UTC: t.UTC().Format("2 Jan 2006, 15:04 UTC"),
		Rel: relativeTime(t, now),
	}
}

// dashboardCalls is how many calls a dashboard card lists.
const dashboardCalls = 3

var outcomes = map[models.CallStatus]string{
	models.CallInitiated: "Calling…",
	models.CallRinging:   "Ringing…",
	models.CallAnswered:  "In call",
	models.CallCompleted: "Answered",
	models.CallBusy:      "Busy",
	models.CallNoAnswer:  "No answer",
	models.CallFailed:    "Failed",
	models.CallCanceled:  "Cancelled",
	models.CallVoicemail: "Voicemail",
}

// newCallView describes a call as of now; c adds the ticket page's
// details.
func newCallView(s models.CallSummary, c *models.Call, now time.Time) callView {
	v := callView{
		Incoming:  s.Direction == models.CallInbound,
		Direction: "Outgoing call",
		Outcome:   outcomes[s.Status],
		Answered:  s.Status == models.CallCompleted,
		Started:   newTimeView(s.StartedAt, now),
	}
	if v.Incoming {
		v.Direction = "Incoming call"
	}
	if s.Duration > 0 {
		v.Duration = voice.FormatDuration(s.Duration)
	}
	if c != nil {
		v.RecordingURL, v.HungUpBy = c.RecordingURL, c.HungUpBy
	}
	return v
}

func newTicketView(t *models.Ticket, now time.Time, calling bool) ticketView {
	v := ticketView{
		ID:           t.ID.Hex(),
		Number:       t.Number,
		Name:         t.Name,
		Phone:        t.PhoneNumber,
		PhoneDisplay: t.PhoneDisplay(),
		Description:  t.Description,
		Status:       string(t.Status),
		Open:         t.Status == models.StatusOpen,
		Created:      newTimeView(t.CreatedAt, now),
		Voicemail:    t.Source == "voicemail",
		Calling:      calling,
	}
	calls := t.RecentCalls()
	if len(calls) > dashboardCalls {
		v.MoreCalls = len(calls) - dashboardCalls
		calls = calls[:dashboardCalls]
	}
	v.Calls = make([]callView, len(calls))
	for i, c := range calls {
		v.Calls[i] = newCallView(c, nil, now)
	}
	return v
}

// relativeTime says how long ago t was, the way people say it.
func relativeTime(t, now time.Time) string {
	d := now.Sub(t)
	plural := func(n int, unit string) string {
		if n == 1 {
			return "1 " + unit + " ago"
		}
		return strconv.Itoa(n) + " " + unit + "s ago"
	}
	switch {
	case d < time.Minute:
		return "just now"
	case d < time.Hour:
		return plural(int(d/time.Minute), "minute")
	case d < 24*time.Hour:
		return plural(int(d/time.Hour), "hour")
	case d < 30*24*time.Hour:
		return plural(int(d/(24*time.Hour)), "day")
	case d < 365*24*time.Hour:
		return plural(int(d/(30*24*time.Hour)), "month")
	}
	return plural(int(d/(365*24*time.Hour)), "year")
}

// templates holds one parsed set per page: the layout plus that page, so
// pages cannot clash over block names.
type templates map[string]*template.Template

var pages = []string{"home", "login", "setup", "dashboard", "ticket", "error"}

func parseTemplates(fsys fs.FS) (templates, error) {
	ts := templates{}
	for _, p := range pages {
		t, err := template.New("layout.html").Funcs(templateFuncs).ParseFS(fsys, "layout.html", p+".html")
		if err != nil {
			return nil, fmt.Errorf("parse template %s: %w", p, err)
		}
		ts[p] = t
	}
	return ts, nil
}

// templateFuncs are the helpers the page templates call.
var templateFuncs = template.FuncMap{"codeSpans": codeSpans}

// codeSpans shows a message whose `backticked` parts are commands, as the
// messages write them, with those parts in <code> rather than between
// literal backticks. Every part is escaped; a message with an unmatched
// backtick is shown as it is.
func codeSpans(msg string) template.HTML {
	parts := strings.Split(msg, "`")
	if len(parts)%2 == 0 {
		return template.HTML(template.HTMLEscapeString(msg))
	}
	var b strings.Builder
	for i, p := range parts {
		if i%2 == 1 {
			b.WriteString("<code>" + template.HTMLEscapeString(p) + "</code>")
		} else {
			b.WriteString(template.HTMLEscapeString(p))
		}
	}
	return template.HTML(b.String())
}

// render executes a page into a buffer first, so a template error becomes
// a clean 500 instead of half a page.
func (h *Handler) render(c *gin.Context, status int, page string, data viewData) {
	data.Path = c.Request.URL.Path
	if data.Agent == nil {
		data.Agent = currentAgent(c)
	}
	if data.LiveSince == "" {
		data.LiveSince = h.live.broker.lastID()
	}
	data.Calling = h.voice != ""
	data.Voice = h.voice
	if data.Flash == nil {
		data.Flash = h.takeFlash(c)
	}
	var buf bytes.Buffer
	if err := h.tmpl[page].ExecuteTemplate(&buf, "layout.html", data); err != nil {
		h.log.Error("render page", "page", page, "err", err)
		c.String(http.StatusInternalServerError, "Something went wrong on our side. Please try again.")
		return
	}
	c.Data(status, "text/html; charset=utf-8", buf.Bytes())
}
