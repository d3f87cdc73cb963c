package handlers

import (
	"context"
	"net/http"
	"strings"
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
	loc := h.teamZone(c)
	today, err := h.todayFigures(c, loc)
	if err != nil {
		h.fail(c, err)
		return
	}
	counters.Today = today
	if counters.Line, err = h.wallboardLine(c); err != nil {
		h.fail(c, err)
		return
	}
	if wantsJSON(c) {
		c.JSON(http.StatusOK, counters)
		return
	}
	h.render(c, http.StatusOK, "wallboard", viewData{Title: "Wallboard", Wallboard: wallboardView{
		Counters: counters, Zone: loc.String(), Date: h.now().In(loc).Format("Monday 2 January"),
		TargetSeconds: int(models.ReportTarget / time.Second),
	}})
}

// teamZone is the team's time zone: the business hours', else UTC.
func (h *Handler) teamZone(ctx context.Context) *time.Location {
	zone := h.reportZone(ctx, "")
	loc, err := time.LoadLocation(zone)
	if err != nil || zone == "" {
		return time.UTC
	}
	return loc
}

// todayFigures counts today's calls, today being the calendar day in loc.
func (h *Handler) todayFigures(ctx context.Context, loc *time.Location) (*models.DayFigures, error) {
	now := h.now()
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

// wallboardLineShown is how many callers in line the wallboard lists.
const wallboardLineShown = 10

// lineCaller is one caller in line as the wallboard lists them, with no
// more than a wall screen should show of a customer: their ticket's
// number, or the last digits of the phone they call from.
type lineCaller struct {
	Place   int    `json:"place"`
	Label   string `json:"label"`
	Since   int64  `json:"since"` // when they joined, in ms since 1970
	Ringing bool   `json:"ringing"`
}

// wallboardLine lists the first callers in line, in order.
func (h *Handler) wallboardLine(ctx context.Context) ([]lineCaller, error) {
	line := []lineCaller{}
	if h.queue == nil || h.calling == nil {
		return line, nil
	}
	entries, err := h.queue.Line(ctx, wallboardLineShown)
	if err != nil {
		return nil, err
	}
	for i, e := range entries {
		line = append(line, lineCaller{
			Place: i + 1, Label: h.callerLabel(ctx, e), Since: e.JoinedAt.UnixMilli(), Ringing: e.State == models.QueueRinging,
		})
	}
	return line, nil
}

// callerLabel names a caller in line for the wallboard.
func (h *Handler) callerLabel(ctx context.Context, e models.QueueEntry) string {
	if e.TicketID != nil {
		if t, err := h.tickets.Get(ctx, *e.TicketID); err == nil {
			return "#" + itoa(t.Number)
		}
	}
	if digits := strings.TrimPrefix(e.Caller, "+"); len(digits) > 4 && digits != e.Caller {
		return "Phone ···" + digits[len(digits)-4:]
	}
	return "Website caller"
}
