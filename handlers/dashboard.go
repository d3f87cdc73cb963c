package handlers

import (
	"net/http"
	"strconv"

	"github.com/gin-gonic/gin"

	"github.com/ringdesk/ringdesk/models"
)

// showDashboard handles "GET /dashboard": tickets newest first, one page
// per view, paged by cursor (?before=) so each view is a single query.
func (h *Handler) showDashboard(c *gin.Context) {
	var after *models.Cursor
	if raw := c.Query("before"); raw != "" {
		cur, err := models.ParseCursor(raw)
		if err != nil {
			c.Redirect(http.StatusSeeOther, "/dashboard")
			return
		}
		after = &cur
	}
	since := h.live.broker.lastID() // before reading: later changes arrive live
	tickets, next, err := h.tickets.List(c, after, models.PageSize)
	if err != nil {
		h.fail(c, err)
		return
	}
	now := h.now()
	data := viewData{Title: "Dashboard", LiveSince: since, FirstPage: after == nil, Tickets: make([]ticketView, len(tickets))}
	for i := range tickets {
		data.Tickets[i] = newTicketView(&tickets[i], now, h.voice != "")
	}
	if next != nil {
		data.NextPage = "/dashboard?before=" + next.String()
	}
	c.Header("Cache-Control", "no-store")
	h.render(c, http.StatusOK, "dashboard", data)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
