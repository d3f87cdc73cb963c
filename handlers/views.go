package handlers

import (
	"bytes"
	"fmt"
	"html/template"
	"io/fs"
	"net/http"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
	"github.com/ringdesk/ringdesk/models"
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

	// home: the ticket form
	Form ticketForm
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
	CreatedISO   string // RFC 3339, for <time datetime>
	CreatedAbs   string // "21 Nov 2026, 09:41 UTC"
	CreatedRel   string // "5 minutes ago"
}

func newTicketView(t *models.Ticket, now time.Time) ticketView {
	return ticketView{
		ID:           t.ID.Hex(),
		Number:       t.Number,
		Name:         t.Name,
		Phone:        t.PhoneNumber,
		PhoneDisplay: t.PhoneDisplay(),
		Description:  t.Description,
		Status:       string(t.Status),
		Open:         t.Status == models.StatusOpen,
		CreatedISO:   t.CreatedAt.UTC().Format(time.RFC3339),
		CreatedAbs:   t.CreatedAt.UTC().Format("2 Jan 2006, 15:04 UTC"),
		CreatedRel:   relativeTime(t.CreatedAt, now),
	}
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
		t, err := template.New("layout.html").ParseFS(fsys, "layout.html", p+".html")
		if err != nil {
			return nil, fmt.Errorf("parse template %s: %w", p, err)
		}
		ts[p] = t
	}
	return ts, nil
}

// render executes a page into a buffer first, so a template error becomes
// a clean 500 instead of half a page.
func (h *Handler) render(c *gin.Context, status int, page string, data viewData) {
	data.Path = c.Request.URL.Path
	if data.Agent == nil {
		data.Agent = currentAgent(c)
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
