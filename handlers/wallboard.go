package handlers

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ringdesk/ringdesk/models"
)

// wallboardView is what /wallboard shows before its stream takes over.
type wallboardView struct {
	Counters      liveCounters
	Zone          string
	Date          string // today, in Zone
	TargetSeconds int
}

// showWallboard handles "GET /wallboard": the queue and the team at a
// glance, for a screen on the wall. The page's event stream asks for
// today's figures too (/events?wallboard=1) and keeps every tile live.
func (h *Handler) showWallboard(c *gin.Context) {
	counters := h.currentCounters(c)
	today, err := h.todayFigures(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	counters.Today = today
	if wantsJSON(c) {
		c.JSON(http.StatusOK, counters)
		return
	}
	zone := h.reportZone(c, "")
	loc, _ := time.LoadLocation(zone) // reportZone names a valid zone or ""
	if loc == nil {
		loc = time.UTC
	}
	h.render(c, http.StatusOK, "wallboard", viewData{Title: "Wallboard", Wallboard: wallboardView{
		Counters: counters, Zone: loc.String(), Date: h.now().In(loc).Format("Monday 2 January"),
		TargetSeconds: int(models.ReportTarget / time.Second),
	}})
}

// todayFigures counts today's calls, today being the calendar day in the
// team's zone (the business hours', else UTC).
func (h *Handler) todayFigures(ctx context.Context) (*models.DayFigures, error) {
	now := h.now()
	zone := h.reportZone(ctx, "")
	loc, err := time.LoadLocation(zone)
	if err != nil || zone == "" {
		loc = time.UTC
	}
	day := now.In(loc).Format(time.DateOnly)
	span, err := models.ParseReportSpan(day, day, loc.String(), now)
	if err != nil {
		return nil, err
	}
	report, err := h.dailyReport(ctx, span)
	if err != nil {
		return nil, err
	}
	return &report.Total, nil
}
