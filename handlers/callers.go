package handlers

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ringdesk/ringdesk/models"
	"github.com/ringdesk/ringdesk/voice"
)

// callerTicket is a ticket as the ringing banner names it.
type callerTicket struct {
	ID     string `json:"id"`
	Number int64  `json:"number"`
	Name   string `json:"name"`
	Status string `json:"status"`
}

func newCallerTicket(t *models.Ticket) callerTicket {
	return callerTicket{ID: t.ID.Hex(), Number: t.Number, Name: t.Name, Status: statusLabels[t.Status]}
}

// publishCaller tells the dashboards who is on a customer's call that has
// started ringing the agents: the banner of the browser that rings shows
// it. from is the caller as the provider named them, which the browser's
// SDK shows too; the browser matches the two.
func (h *Handler) publishCaller(ctx context.Context, call *models.Call) {
	if h.calling == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 3*time.Second)
	defer cancel()
	who, err := h.calling.Identify(ctx, call)
	if err != nil {
		h.log.Warn("caller identification", "call", call.SID, "err", err)
	}
	ev := gin.H{"call": call.SID, "from": call.From, "number": who.Number, "numberDisplay": models.FormatPhone(who.Number)}
	if who.Ticket != nil {
		ev["ticket"] = newCallerTicket(who.Ticket)
	}
	matches := make([]callerTicket, len(who.Matches))
	for i := range who.Matches {
		matches[i] = newCallerTicket(&who.Matches[i])
	}
	ev["matches"] = matches
	h.live.broker.publish("caller", ev)
}

// openCallerTicket handles "POST /calls/caller-ticket": the ringing
// banner's "Open a ticket for this caller", for a phone caller Ringdesk
// does not know. The agent lands on the new ticket to take notes.
func (h *Handler) openCallerTicket(c *gin.Context) {
	if !h.postedForm(c) {
		return
	}
	raw := c.Request.PostForm.Get("phone")
	e164, msg := models.NormalizePhone(raw, h.cfg.PhoneRegion)
	if msg != "" || voice.PhoneOf(e164) == "" {
		h.refuseField(c, "phone", "That is not a phone number Ringdesk can open a ticket for.")
		return
	}
	me := currentAgent(c)
	in := models.TicketInput{
		Name:        "Caller " + models.FormatPhone(e164),
		PhoneNumber: e164,
		Description: "Opened by " + me.Name + " for a phone call from " + models.FormatPhone(e164) + ".",
	}
	t, err := in.Validate(h.cfg.PhoneRegion)
	if err != nil {
		h.fail(c, err)
		return
	}
	t.Source = "call"
	if _, err := h.tickets.Create(c, &t); err != nil {
		h.fail(c, err)
		return
	}
	h.metrics.ticketsCreated.Inc()
	h.publishCard(&t, true)
	if wantsJSON(c) {
		c.JSON(http.StatusCreated, t)
		return
	}
	c.Redirect(http.StatusSeeOther, "/tickets/"+t.ID.Hex())
}
