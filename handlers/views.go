package handlers

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"regexp"
	"sort"
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
	NextPage  string    // URL of the next (older) page, "" on the last page
	FirstPage bool      // whether this is the newest page
	View      string    // the dashboard's view, "open" by default
	Views     []viewTab // the dashboard's views with their counts
	Query     string    // the search box, as typed
	// dashboard: the callbacks customers asked for, oldest first (at
	// most models.MaxCallbacksShown of CallbacksTotal)
	Callbacks      []callbackView
	CallbacksTotal int
	// ticket page
	Ticket      *ticketView
	Timeline    []timelineEntry
	Note        noteForm
	Assignees   []assigneeOption
	History     []ticketView // the customer's other tickets, newest first
	MoreHistory bool
	// delete confirmation: how many open tickets share the number
	SamePhoneOpen int
	// agents: the team, the invite form and a one-time link just made
	Agents     []agentRow
	InviteForm inviteForm
	Link       *oneTimeLink
	// invite: the page a one-time link opens
	Join joinForm
	// account: the signed-in agent's own name and password
	Account accountForm
	// hours: the business hours form; home: whether support takes calls
	// now (SupportClosed) and what the page says of the hours
	Hours         hoursForm
	SupportClosed bool
	HoursNote     string
	// reports: the call figures day by day
	Report reportView
	// wallboard: the queue, the team and today's calls
	Wallboard wallboardView
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

// noteForm is the ticket page's note form, kept when it was refused.
type noteForm struct {
	Body  string
	Error string
}

// viewTab is one of the dashboard's views.
type viewTab struct {
	Name    string // "open", "mine", ...
	Label   string
	Count   int64
	Current bool
	URL     string
}

// assigneeOption is one choice of the ticket page's assignment form.
type assigneeOption struct {
	ID       string
	Name     string
	Selected bool
}

// timelineEntry is one line of a ticket's history.
type timelineEntry struct {
	ID       string // a note's id, for its anchor
	Kind     string // created, call, note, assigned, unassigned, status
	At       timeView
	Actor    string // the agent, "" for the customer or the system
	Body     string // a note's text
	Status   string // the new status's label
	Assignee string
	Call     *callView
	sortAt   time.Time
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

// callbackView is a callback on the dashboard's Call back list.
type callbackView struct {
	TicketID     string
	TicketNumber int64
	Name         string
	Phone        string // E.164, for data-phone
	PhoneDisplay string
	Asked        timeView
}

// ticketView is a ticket as the dashboard and ticket page show it.
type ticketView struct {
	ID           string
	Number       int64
	Name         string
	Phone        string // E.164, for data-phone
	PhoneDisplay string // international format
	Description  string
	Status       string // "open", "pending" or "closed"
	StatusLabel  string // "Open", "Waiting on customer", "Closed"
	Open         bool   // not closed
	Pending      bool
	AssigneeID   string // "" when unassigned
	AssigneeName string
	Created      timeView
	// Order is the ticket's place in every list (newest first, ties by
	// id, as the stores page), as a string that sorts the same way, for
	// a live card that joins a list.
	Order     string
	Voicemail bool       // opened by a voicemail; may have no phone number
	Calling   bool       // a voice provider is configured (the card's call button)
	Calls     []callView // newest first; the dashboard gets the last few
	MoreCalls int        // calls not shown on the dashboard
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
	models.CallQueued:    "Waiting in line…",
	models.CallInitiated: "Calling…",
	models.CallRinging:   "Ringing…",
	models.CallAnswered:  "In call",
	models.CallCompleted: "Answered",
	models.CallBusy:      "Busy",
	models.CallNoAnswer:  "No answer",
	models.CallFailed:    "Failed",
	models.CallCanceled:  "Cancelled",
	models.CallVoicemail: "Voicemail",
	models.CallAbandoned: "Hung up in line",
	models.CallCallback:  "Asked for a call back",
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
		StatusLabel:  statusLabels[t.Status],
		Open:         t.Status != models.StatusClosed,
		Pending:      t.Status == models.StatusPending,
		Created:      newTimeView(t.CreatedAt, now),
		Order:        fmt.Sprintf("%015d-%s", t.CreatedAt.UnixMilli(), t.ID.Hex()),
		Voicemail:    t.Source == "voicemail",
		Calling:      calling,
	}
	if t.Assignee != nil {
		v.AssigneeID, v.AssigneeName = t.Assignee.ID.Hex(), t.Assignee.Name
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

// statusLabels are the statuses as agents read them.
var statusLabels = map[models.TicketStatus]string{
	models.StatusOpen:    "Open",
	models.StatusPending: "Waiting on customer",
	models.StatusClosed:  "Closed",
}

// newTimeline merges a ticket's history, oldest first: its creation, its
// calls and its activities (notes, assignments, status changes).
func newTimeline(t *models.Ticket, calls []models.Call, activities []models.Activity, now time.Time) []timelineEntry {
	out := make([]timelineEntry, 0, 1+len(calls)+len(activities))
	out = append(out, timelineEntry{Kind: "created", At: newTimeView(t.CreatedAt, now), sortAt: t.CreatedAt})
	for i := range calls {
		cv := newCallView(calls[i].Summary(), &calls[i], now)
		out = append(out, timelineEntry{Kind: "call", At: cv.Started, Call: &cv, sortAt: calls[i].StartedAt})
	}
	for _, a := range activities {
		e := timelineEntry{ID: a.ID.Hex(), Kind: string(a.Kind), At: newTimeView(a.At, now), Actor: a.Actor.Name, sortAt: a.At}
		switch a.Kind {
		case models.ActivityNote:
			e.Body = a.Body
		case models.ActivityStatus:
			e.Status = statusLabels[a.Status]
		case models.ActivityAssigned:
			if a.Assignee != nil {
				e.Assignee = a.Assignee.Name
			}
		}
		out = append(out, e)
	}
	sort.SliceStable(out, func(i, j int) bool { return out[i].sortAt.Before(out[j].sortAt) })
	return out
}

// assigneeOptions lists the active agents to assign a ticket to, with the
// current assignee selected (and listed even if since disabled).
func assigneeOptions(agents []models.Agent, current *models.AgentRef) []assigneeOption {
	var out []assigneeOption
	for _, a := range agents {
		selected := current != nil && current.ID == a.ID
		if a.Disabled && !selected {
			continue
		}
		out = append(out, assigneeOption{ID: a.ID.Hex(), Name: a.Name, Selected: selected})
	}
	return out
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

var pages = []string{"home", "login", "setup", "dashboard", "ticket", "delete", "agents", "invite", "account", "hours", "reports", "wallboard", "error"}

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
var templateFuncs = template.FuncMap{"codeSpans": codeSpans, "linkify": linkify, "wait": waitText, "percent": percentText}

// waitText shows a wait in seconds as the wallboard does (public/js/live.js
// writes the same): "0:42", "12:05".
func waitText(seconds float64) string {
	s := int(seconds + 0.5)
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

// percentText shows a share as the wallboard does: "95%", or "–" when
// there is nothing to share out.
func percentText(p *float64) string {
	if p == nil {
		return "–"
	}
	return fmt.Sprintf("%.0f%%", *p)
}

// webLink finds http and https addresses in a note.
var webLink = regexp.MustCompile(`https?://[^\s<>"']+`)

// linkify shows a note with its web addresses as links. Every part is
// escaped; only http and https addresses become links, opened without
// giving the target page this one (noopener, noreferrer), and trailing
// punctuation stays text ("see https://x.example/a." links without the
// dot).
func linkify(text string) template.HTML {
	var b strings.Builder
	last := 0
	for _, m := range webLink.FindAllStringIndex(text, -1) {
		start, end := m[0], m[1]
		for end > start && strings.ContainsRune(".,;:!?)]}", rune(text[end-1])) {
			end--
		}
		b.WriteString(template.HTMLEscapeString(text[last:start]))
		u := template.HTMLEscapeString(text[start:end])
		b.WriteString(`<a href="` + u + `" rel="noopener noreferrer nofollow" target="_blank">` + u + `</a>`)
		last = end
	}
	b.WriteString(template.HTMLEscapeString(text[last:]))
	return template.HTML(b.String())
}

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
