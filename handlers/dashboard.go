package handlers

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/ringdesk/ringdesk/models"
)

// viewCallback is the dashboard's Call back view: the customers who
// asked to be called back, the longest waiting first. It lists callbacks
// rather than tickets, so the handler serves it, not the ticket store.
const viewCallback = "callback"

// showDashboard handles "GET /dashboard": one view of the tickets (open,
// mine, unassigned, pending, closed, all), optionally searched (?q=),
// newest first, paged by cursor (?before=) so each page is one query; or,
// with calling on, the Call back view.
func (h *Handler) showDashboard(c *gin.Context) {
	if c.Query("view") == viewCallback && h.callbacksOn() {
		h.showCallbacks(c)
		return
	}
	view, ok := models.ParseView(c.Query("view"))
	if !ok {
		c.Redirect(http.StatusSeeOther, "/dashboard")
		return
	}
	q := strings.TrimSpace(c.Query("q"))
	if r := []rune(q); len(r) > maxSearchLength {
		q = string(r[:maxSearchLength])
	}
	var after *models.Cursor
	if raw := c.Query("before"); raw != "" {
		cur, err := models.ParseCursor(raw)
		if err != nil {
			c.Redirect(http.StatusSeeOther, dashboardURL(view, q, ""))
			return
		}
		after = &cur
	}
	me := currentAgent(c)
	since := h.live.broker.lastID() // before reading: later changes arrive live
	query := models.Query{View: view, Agent: me.ID, Search: models.ParseSearch(q, h.cfg.PhoneRegion)}
	tickets, next, err := h.tickets.Find(c, query, after, models.PageSize)
	if err != nil {
		h.fail(c, err)
		return
	}
	now := h.now()
	data := viewData{
		Title: "Dashboard", LiveSince: since, FirstPage: after == nil, Tickets: make([]ticketView, len(tickets)),
		View: string(view), Query: q,
	}
	// The Call back tab, and a line above the list, say how many
	// customers wait to be called back.
	if data.Views, data.CallbacksTotal, err = h.viewTabs(c, string(view), q, -1); err != nil {
		h.fail(c, err)
		return
	}
	for i := range tickets {
		data.Tickets[i] = newTicketView(&tickets[i], now, h.voice != "")
	}
	if next != nil {
		data.NextPage = dashboardURL(view, q, next.String())
	}
	c.Header("Cache-Control", "no-store")
	h.render(c, http.StatusOK, "dashboard", data)
}

// callbacksOn reports whether customers can ask to be called back:
// calling is on, with a store for the callbacks.
func (h *Handler) callbacksOn() bool { return h.callbacks != nil && h.voice != "" }

// showCallbacks renders the Call back view: up to
// models.MaxCallbacksShown callbacks, the longest waiting first, each
// with a button that calls the ticket (which makes the callback).
func (h *Handler) showCallbacks(c *gin.Context) {
	since := h.live.broker.lastID()
	pending, total, err := h.callbacks.Pending(c, models.MaxCallbacksShown)
	if err != nil {
		h.fail(c, err)
		return
	}
	now := h.now()
	data := viewData{Title: "Call back", LiveSince: since, FirstPage: true, View: viewCallback, CallbacksTotal: total}
	if data.Views, _, err = h.viewTabs(c, viewCallback, "", total); err != nil {
		h.fail(c, err)
		return
	}
	for _, cb := range pending {
		data.Callbacks = append(data.Callbacks, callbackView{
			TicketID: cb.TicketID.Hex(), TicketNumber: cb.TicketNumber, Name: cb.Name,
			Phone: cb.Number, PhoneDisplay: models.FormatPhone(cb.Number), Asked: newTimeView(cb.RequestedAt, now),
		})
	}
	c.Header("Cache-Control", "no-store")
	h.render(c, http.StatusOK, "dashboard", data)
}

// maxSearchLength bounds the search box.
const maxSearchLength = 200

// dashboardURL is the address of a view, a search and a page.
func dashboardURL(view models.View, q, before string) string {
	v := url.Values{}
	if view != models.ViewOpen {
		v.Set("view", string(view))
	}
	if q != "" {
		v.Set("q", q)
	}
	if before != "" {
		v.Set("before", before)
	}
	if len(v) == 0 {
		return "/dashboard"
	}
	return "/dashboard?" + v.Encode()
}

// dashboardViews are the dashboard's views, in the order the tabs show them.
var dashboardViews = []struct {
	view  models.View
	label string
	count func(models.ViewCounts) int64
}{
	{models.ViewOpen, "Open", func(c models.ViewCounts) int64 { return c.Open }},
	{models.ViewMine, "Mine", func(c models.ViewCounts) int64 { return c.Mine }},
	{models.ViewUnassigned, "Unassigned", func(c models.ViewCounts) int64 { return c.Unassigned }},
	{models.ViewPending, "Pending", func(c models.ViewCounts) int64 { return c.Pending }},
	{models.ViewClosed, "Closed", func(c models.ViewCounts) int64 { return c.Closed }},
	{models.ViewAll, "All", func(c models.ViewCounts) int64 { return c.All }},
}

// viewTabs are the tabs: each view with its count, keeping the search;
// first, with calling on, the Call back view with the callbacks waiting,
// which it counts when callbacks is negative.
func (h *Handler) viewTabs(c *gin.Context, current, q string, callbacks int) ([]viewTab, int, error) {
	counts, err := h.tickets.Counts(c, currentAgent(c).ID)
	if err != nil {
		return nil, 0, err
	}
	var tabs []viewTab
	if h.callbacksOn() {
		if callbacks < 0 {
			if _, callbacks, err = h.callbacks.Pending(c, 1); err != nil {
				return nil, 0, err
			}
		}
		tabs = append(tabs, viewTab{Name: viewCallback, Label: "Call back", Count: int64(callbacks), Current: current == viewCallback, URL: "/dashboard?view=" + viewCallback})
	}
	for _, v := range dashboardViews {
		tabs = append(tabs, viewTab{Name: string(v.view), Label: v.label, Count: v.count(counts), Current: string(v.view) == current, URL: dashboardURL(v.view, q, "")})
	}
	return tabs, max(callbacks, 0), nil
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
