package handlers

import (
	"bytes"
	"context"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ringdesk/ringdesk/models"
)

// publishTicket sends a ticket's dashboard card, loaded afresh.
func (h *Handler) publishTicket(ctx context.Context, id models.ID) {
	t, err := h.tickets.Get(ctx, id)
	if err != nil {
		h.log.Warn("live update: load ticket", "ticket", id.Hex(), "err", err)
		return
	}
	h.publishCard(t, false)
}

// publishCard sends a ticket's freshly rendered dashboard card to every
// dashboard: the same template as the page, so a live card and a reloaded
// one are identical, and a browser replaces a card by id (never doubles it).
func (h *Handler) publishCard(t *models.Ticket, created bool) {
	v := newTicketView(t, h.now(), h.voice != "")
	var buf bytes.Buffer
	if err := h.tmpl["dashboard"].ExecuteTemplate(&buf, "ticket-card", v); err != nil {
		h.log.Error("live update: render ticket card", "err", err)
		return
	}
	h.live.broker.publish("ticket", gin.H{
		"id": v.ID, "created": created, "html": buf.String(),
		"createdAt": t.CreatedAt.UTC().Format(time.RFC3339Nano),
	})
	h.refreshCounters()
}
