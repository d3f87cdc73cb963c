package handlers

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"
	"unicode"

	"github.com/gin-gonic/gin"

	"github.com/ringdesk/ringdesk/models"
)

const (
	msgTicketThrottled = "You've sent several tickets in a short time. Please wait a few minutes before sending another — your text is still here."
	msgTicketsBusy     = "We're receiving an unusual number of tickets right now. Please try again in a minute — your text is still here."
)

// showHome handles "GET /": the ticket form, with a fresh one-time nonce
// so that a double-click or a retried post cannot create two tickets.
func (h *Handler) showHome(c *gin.Context) {
	c.Header("Cache-Control", "no-store")
	data := viewData{Title: "Support", Form: ticketForm{Nonce: randomToken(16)}}
	if ref, err := c.Cookie(ticketRefCookie); err == nil && h.ticketFromRef(ref) != nil {
		data.TicketRef = ref
	}
	open, note := h.homeHours(c)
	data.SupportClosed, data.HoursNote = !open, note
	h.render(c, http.StatusOK, "home", data)
}

// ticketRequest is the JSON body of "POST /tickets". Both spellings of the
// phone field are accepted: the design's form name and the JSON style.
type ticketRequest struct {
	Name             string `json:"name"`
	PhoneNumber      string `json:"phone_number"`
	PhoneNumberCamel string `json:"phoneNumber"`
	Description      string `json:"description"`
}

// createTicket handles "POST /tickets" for forms (303 or 422 with the typed
// values kept) and JSON clients (201 or 422 with field errors).
func (h *Handler) createTicket(c *gin.Context) {
	isJSON := strings.HasPrefix(c.ContentType(), "application/json")
	var in models.TicketInput
	var key string
	if isJSON {
		var req ticketRequest
		if err := decodeJSON(c, &req); err != nil {
			h.fail(c, err)
			return
		}
		in = models.TicketInput{Name: req.Name, PhoneNumber: req.PhoneNumber, Description: req.Description}
		if in.PhoneNumber == "" {
			in.PhoneNumber = req.PhoneNumberCamel
		}
		if k := c.GetHeader("Idempotency-Key"); k != "" {
			if !validKey(k) {
				refuseFields(c, http.StatusUnprocessableEntity, map[string]string{"idempotencyKey": "Idempotency-Key must be 1 to 255 visible ASCII characters."})
				return
			}
			key = "api:" + k
		}
	} else {
		if err := parseForm(c); err != nil {
			h.fail(c, err)
			return
		}
		f := c.Request.PostForm
		in = models.TicketInput{Name: f.Get("name"), PhoneNumber: f.Get("phone_number"), Description: f.Get("description")}
		if n := f.Get("nonce"); len(n) == 32 && validKey(n) {
			key = "form:" + n
		}
	}
	// What the customer typed, to put back in the form on any failure.
	form := ticketForm{Name: in.Name, PhoneNumber: in.PhoneNumber, Description: in.Description, Nonce: strings.TrimPrefix(key, "form:")}
	if form.Nonce == "" {
		form.Nonce = randomToken(16)
	}

	t, err := in.Validate(h.cfg.PhoneRegion)
	if err != nil {
		var verr *models.ValidationError
		errors.As(err, &verr)
		if isJSON {
			refuseFields(c, http.StatusUnprocessableEntity, jsonFieldErrors(verr.Fields))
			return
		}
		form.Errors = verr.Fields
		h.showTicketFormAgain(c, form, refuse(http.StatusUnprocessableEntity, ""))
		return
	}

	if ok, retry, msg := h.allowTicket(c); !ok {
		limited := refuse(http.StatusTooManyRequests, msg).retryIn(retry)
		if isJSON {
			h.fail(c, limited.inJSON())
			return
		}
		h.showTicketFormAgain(c, form, limited)
		return
	}

	t.IdempotencyKey = key
	created, err := h.tickets.Create(c, &t)
	if errors.Is(err, models.ErrConflict) && !isJSON {
		// A form nonce reused for different text means the customer went
		// back and wrote a new ticket: that is a new ticket, not a retry.
		t.IdempotencyKey = ""
		created, err = h.tickets.Create(c, &t)
	}
	switch {
	case errors.Is(err, models.ErrConflict):
		refuseFields(c, http.StatusConflict, map[string]string{"idempotencyKey": "This Idempotency-Key was already used for a different ticket."})
		return
	case err != nil && !isJSON && models.IsUnavailable(err) && !clientGone(c):
		h.log.Warn("database unavailable", "path", c.Request.URL.Path, "err", err)
		h.showTicketFormAgain(c, form, refuse(http.StatusServiceUnavailable, msgUnavailable))
		return
	case err != nil:
		h.fail(c, err)
		return
	}
	if created {
		h.metrics.ticketsCreated.Inc()
		h.log.Info("ticket created", "ticket", t.ID.Hex(), "number", t.Number)
		h.publishCard(&t, true)
	}

	if isJSON {
		status := http.StatusCreated
		if !created {
			status = http.StatusOK
			c.Header("Idempotent-Replayed", "true")
		}
		c.JSON(status, t)
		return
	}
	h.setCookie(c, ticketRefCookie, h.ticketRef(t.ID), ticketRefMaxAge)
	h.setFlash(c, "success", "Thanks, "+t.Name+" — we've received your ticket #"+itoa(t.Number)+". An agent will call you at "+t.PhoneDisplay()+".")
	c.Redirect(http.StatusSeeOther, "/")
}

// showTicketFormAgain shows the ticket form again with what the customer
// typed, refused with e: its status, its Retry-After, and its message
// above the form; a refusal without one has its messages under the
// fields (form.Errors).
func (h *Handler) showTicketFormAgain(c *gin.Context, form ticketForm, e httpError) {
	e.setRetryAfter(c)
	data := viewData{Title: "Support", Form: form}
	open, note := h.homeHours(c)
	data.SupportClosed, data.HoursNote = !open, note
	if e.msg != "" {
		data.Flash = &flash{Kind: "error", Message: e.msg}
	}
	h.render(c, e.status, "home", data)
}

// allowTicket applies the limits on anonymous tickets: per address (an
// IPv6 client by its /64), then all addresses together, so a flood from
// thousands of addresses is bounded too. It says why when it refuses.
func (h *Handler) allowTicket(c *gin.Context) (ok bool, retry time.Duration, msg string) {
	key, now := addressKey(c.ClientIP()), h.now()
	if ok, retry := h.limits.ticketsPerIP.hit(key, now); !ok {
		return false, retry, msgTicketThrottled
	}
	ok, retry, first := h.limits.ticketsAll.hit(now)
	if ok {
		return true, 0, ""
	}
	h.limits.ticketsPerIP.refund(key, now) // this customer did not get a ticket
	if first {
		h.log.Warn("ticket ceiling reached: refusing new tickets from everyone until the minute is over (TICKET_RATE_LIMIT)",
			"perMinute", h.limits.ticketsAll.w.max, "retryAfter", retry.Round(time.Second))
	}
	return false, retry, msgTicketsBusy
}

// jsonFieldErrors renames form fields to the JSON spelling.
func jsonFieldErrors(fields map[string]string) map[string]string {
	out := make(map[string]string, len(fields))
	for k, v := range fields {
		if k == "phone_number" {
			k = "phoneNumber"
		}
		out[k] = v
	}
	return out
}

// validKey accepts idempotency keys of visible ASCII, as HTTP headers carry.
func validKey(k string) bool {
	if len(k) == 0 || len(k) > 255 {
		return false
	}
	for _, r := range k {
		if r > unicode.MaxASCII || !unicode.IsGraphic(r) || r == ' ' {
			return false
		}
	}
	return true
}

// showTicket handles "GET /tickets/:id": the page, or the ticket with its
// notes as JSON.
func (h *Handler) showTicket(c *gin.Context) {
	id, ok := h.ticketIDFromPath(c)
	if !ok {
		return
	}
	if wantsJSON(c) {
		t, err := h.tickets.Get(c, id)
		if err != nil {
			h.fail(c, err)
			return
		}
		timeline, err := h.tickets.Timeline(c, id)
		if err != nil {
			h.fail(c, err)
			return
		}
		notes := []models.Note{}
		for _, a := range timeline {
			if a.Kind == models.ActivityNote {
				notes = append(notes, a.Note())
			}
		}
		c.JSON(http.StatusOK, ticketJSON{Ticket: t, Notes: notes})
		return
	}
	h.showTicketPage(c, id, http.StatusOK, noteForm{})
}

// ticketJSON is a ticket with its notes, as "GET /tickets/:id" answers.
type ticketJSON struct {
	*models.Ticket
	Notes []models.Note `json:"notes"`
}

// showTicketPage renders the ticket page: the ticket, its timeline (calls,
// notes, assignments and status changes, oldest first), the customer's
// other tickets, and the note form as given (kept when it was refused).
func (h *Handler) showTicketPage(c *gin.Context, id models.ID, status int, note noteForm) {
	since := h.live.broker.lastID() // before reading: later changes arrive live
	t, err := h.tickets.Get(c, id)
	if err != nil {
		h.fail(c, err)
		return
	}
	calls, err := h.calls.ForTicket(c, t.ID)
	if err != nil {
		h.fail(c, err)
		return
	}
	activities, err := h.tickets.Timeline(c, t.ID)
	if err != nil {
		h.fail(c, err)
		return
	}
	var history []models.Ticket
	if t.PhoneNumber != "" {
		if history, err = h.tickets.ForPhone(c, t.PhoneNumber, historySize+1); err != nil {
			h.fail(c, err)
			return
		}
	}
	agents, err := h.agents.List(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	now := h.now()
	v := newTicketView(t, now, h.voice != "")
	v.Calls = make([]callView, len(calls))
	for i := range calls {
		v.Calls[i] = newCallView(calls[i].Summary(), &calls[i], now)
	}
	data := viewData{
		Title: "Ticket #" + itoa(t.Number), Ticket: &v, LiveSince: since, Note: note,
		Timeline:  newTimeline(t, calls, activities, now),
		Assignees: assigneeOptions(agents, t.Assignee),
	}
	for i := range history {
		if history[i].ID == t.ID {
			continue
		}
		if len(data.History) == historySize {
			data.MoreHistory = true
			break
		}
		data.History = append(data.History, newTicketView(&history[i], now, h.voice != ""))
	}
	c.Header("Cache-Control", "no-store")
	h.render(c, status, "ticket", data)
}

// historySize is how many of the customer's other tickets the page lists.
const historySize = 10

// setTicketStatus handles "POST /tickets/:id/status" (status=open,
// pending or closed).
func (h *Handler) setTicketStatus(c *gin.Context) {
	id, ok := h.ticketIDFromPath(c)
	if !ok || !h.postedForm(c) {
		return
	}
	status, ok := models.ParseStatus(c.Request.PostForm.Get("status"))
	if !ok {
		h.refuseField(c, "status", "Status must be open, pending or closed.")
		return
	}
	if err := h.tickets.SetStatus(c, id, status, agentRef(currentAgent(c))); err != nil {
		h.fail(c, err)
		return
	}
	h.ticketChanged(c, id, statusChanged[status])
}

// statusChanged is the flash after a status change.
var statusChanged = map[models.TicketStatus]string{
	models.StatusOpen:    "Ticket reopened.",
	models.StatusPending: "Ticket marked as waiting on the customer.",
	models.StatusClosed:  "Ticket closed.",
}

// ticketFromPath loads the ticket named by :id, answering 404 itself when
// the id is malformed or unknown.
func (h *Handler) ticketFromPath(c *gin.Context) (*models.Ticket, bool) {
	id, err := models.ParseID(c.Param("id"))
	if err != nil {
		h.fail(c, models.ErrNotFound)
		return nil, false
	}
	t, err := h.tickets.Get(c, id)
	if err != nil {
		h.fail(c, err)
		return nil, false
	}
	return t, true
}

// backTo returns the same-site page the request came from, so closing a
// ticket keeps the agent where they were; otherwise fallback.
func backTo(c *gin.Context, fallback string) string {
	ref, err := url.Parse(c.GetHeader("Referer"))
	if err != nil || ref.Host != c.Request.Host || (ref.Path != "/dashboard" && !strings.HasPrefix(ref.Path, "/tickets/")) {
		return fallback
	}
	if ref.RawQuery != "" {
		return ref.Path + "?" + ref.RawQuery
	}
	return ref.Path
}
