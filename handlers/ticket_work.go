package handlers

import (
	"errors"
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/ringdesk/ringdesk/models"
)

// agentRef names the signed-in agent on what they change.
func agentRef(a *models.Agent) models.AgentRef { return models.AgentRef{ID: a.ID, Name: a.Name} }

// ticketIDFromPath reads :id, answering 404 itself when it is malformed.
func (h *Handler) ticketIDFromPath(c *gin.Context) (models.ID, bool) {
	id, err := models.ParseID(c.Param("id"))
	if err != nil {
		h.fail(c, models.ErrNotFound)
		return models.ID{}, false
	}
	return id, true
}

// postedForm parses the posted form, answering itself when it cannot.
func (h *Handler) postedForm(c *gin.Context) bool {
	if err := parseForm(c); err != nil {
		h.fail(c, err)
		return false
	}
	return true
}

// ticketChanged tells every dashboard and answers the agent: the ticket
// as JSON, or back where they were with a flash.
func (h *Handler) ticketChanged(c *gin.Context, id models.ID, msg string) {
	h.publishTicket(c, id)
	if wantsJSON(c) {
		t, err := h.tickets.Get(c, id)
		if err != nil {
			h.fail(c, err)
			return
		}
		c.JSON(http.StatusOK, t)
		return
	}
	h.setFlash(c, "success", msg)
	c.Redirect(http.StatusSeeOther, backTo(c, "/dashboard")+"#ticket-"+id.Hex())
}

// refuseField answers a form value that cannot be used: 422 with the
// field's message for JSON clients, else back where the agent was with
// the message as a flash.
func (h *Handler) refuseField(c *gin.Context, field, msg string) {
	if wantsJSON(c) {
		refuseFields(c, http.StatusUnprocessableEntity, map[string]string{field: msg})
		return
	}
	h.setFlash(c, "error", msg)
	c.Redirect(http.StatusSeeOther, backTo(c, "/dashboard"))
}

// assignTicket handles "POST /tickets/:id/assign": agent = an agent's id,
// "me", or empty to unassign. Only an active agent can be assigned.
func (h *Handler) assignTicket(c *gin.Context) {
	id, ok := h.ticketIDFromPath(c)
	if !ok || !h.postedForm(c) {
		return
	}
	me := currentAgent(c)
	var to *models.AgentRef
	switch raw := c.Request.PostForm.Get("agent"); raw {
	case "":
	case "me":
		ref := agentRef(me)
		to = &ref
	default:
		aid, err := models.ParseID(raw)
		var a *models.Agent
		if err == nil {
			a, err = h.agents.Get(c, aid)
		}
		switch {
		case err == nil && a.Disabled:
			h.refuseField(c, "agent", a.Name+" is disabled and cannot take tickets.")
			return
		case err == nil:
			ref := agentRef(a)
			to = &ref
		case errors.Is(err, models.ErrNotFound) || errors.Is(err, models.ErrBadID):
			h.refuseField(c, "agent", "Choose an agent from the list.")
			return
		default:
			h.fail(c, err)
			return
		}
	}
	if err := h.tickets.Assign(c, id, to, agentRef(me)); err != nil {
		h.fail(c, err)
		return
	}
	msg := "Ticket unassigned."
	switch {
	case to != nil && to.ID == me.ID:
		msg = "Ticket assigned to you."
	case to != nil:
		msg = "Ticket assigned to " + to.Name + "."
	}
	h.ticketChanged(c, id, msg)
}

// addNote handles "POST /tickets/:id/notes": an internal note, never
// shown to customers. A note that cannot be saved comes back in the form.
func (h *Handler) addNote(c *gin.Context) {
	id, ok := h.ticketIDFromPath(c)
	if !ok || !h.postedForm(c) {
		return
	}
	raw := c.Request.PostForm.Get("body")
	body, msg := models.ValidateNote(raw)
	if msg != "" {
		if wantsJSON(c) {
			refuseFields(c, http.StatusUnprocessableEntity, map[string]string{"body": msg})
			return
		}
		h.showTicketPage(c, id, http.StatusUnprocessableEntity, noteForm{Body: raw, Error: msg})
		return
	}
	note, err := h.tickets.AddNote(c, id, agentRef(currentAgent(c)), body)
	if err != nil {
		h.fail(c, err)
		return
	}
	h.publishTicket(c, id)
	if wantsJSON(c) {
		c.JSON(http.StatusCreated, note.Note())
		return
	}
	h.setFlash(c, "success", "Note added.")
	c.Redirect(http.StatusSeeOther, "/tickets/"+id.Hex()+"#note-"+note.ID.Hex())
}

// confirmDelete handles "GET /tickets/:id/delete": the confirmation step
// before a ticket, or every open ticket from its number, is deleted.
func (h *Handler) confirmDelete(c *gin.Context) {
	t, ok := h.ticketFromPath(c)
	if !ok {
		return
	}
	v := newTicketView(t, h.now(), h.voice != "")
	data := viewData{Title: "Delete ticket #" + itoa(t.Number), Ticket: &v}
	if t.PhoneNumber != "" {
		others, err := h.tickets.ForPhone(c, t.PhoneNumber, models.PageSize)
		if err != nil {
			h.fail(c, err)
			return
		}
		for _, o := range others {
			if o.Status != models.StatusClosed {
				data.SamePhoneOpen++
			}
		}
	}
	c.Header("Cache-Control", "no-store")
	h.render(c, http.StatusOK, "delete", data)
}

// deleteTicket handles "POST /tickets/:id/delete": the ticket, or with
// scope=phone every open ticket with the same number (spam), is deleted
// and the deletion logged with who did it.
func (h *Handler) deleteTicket(c *gin.Context) {
	t, ok := h.ticketFromPath(c)
	if !ok || !h.postedForm(c) {
		return
	}
	by := agentRef(currentAgent(c))
	var n int64 = 1
	var err error
	switch scope := c.Request.PostForm.Get("scope"); {
	case scope == "phone" && t.PhoneNumber != "":
		n, err = h.tickets.DeleteOpenByPhone(c, t.PhoneNumber, by)
		h.log.Info("deleted open tickets by phone", "phone", t.PhoneNumber, "count", n, "by", by.ID.Hex())
	case scope == "" || scope == "ticket":
		err = h.tickets.Delete(c, t.ID, by)
		h.log.Info("deleted ticket", "ticket", t.Number, "by", by.ID.Hex())
	default:
		h.refuseField(c, "scope", "Choose whether to delete this ticket or every open ticket from its number.")
		return
	}
	if err != nil {
		h.fail(c, err)
		return
	}
	// Dashboards drop the card, or, for a number, every open card with it.
	gone := gin.H{"id": t.ID.Hex()}
	if c.Request.PostForm.Get("scope") == "phone" {
		gone["phone"] = t.PhoneNumber
	}
	h.live.broker.publish("deleted", gone)
	h.refreshCounters()
	if wantsJSON(c) {
		c.JSON(http.StatusOK, gin.H{"deleted": n})
		return
	}
	msg := "Ticket #" + itoa(t.Number) + " deleted."
	if c.Request.PostForm.Get("scope") == "phone" {
		msg = "Deleted " + itoa(n) + " open tickets from " + t.PhoneDisplay() + "."
		if n == 1 {
			msg = "Deleted 1 open ticket from " + t.PhoneDisplay() + "."
		}
	}
	h.setFlash(c, "success", msg)
	c.Redirect(http.StatusSeeOther, "/dashboard")
}
