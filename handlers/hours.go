package handlers

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ringdesk/ringdesk/models"
)

// hoursForm is the business-hours page's form, as typed.
type hoursForm struct {
	Always   bool // no hours: open all the time
	Zone     string
	Days     []hoursDay // Monday first, as a week reads
	Holidays string     // one per line: "2026-12-25 Christmas Day"
	Errors   map[string]string
	Status   string // open or closed now, and until when
}

// hoursDay is one day's row of the form.
type hoursDay struct {
	Index       int // in models.Hours.Week: Sunday is 0
	Name        string
	Open, Close string
}

// hoursJSON is the hours as JSON clients read and send them.
type hoursJSON struct {
	Always   bool              `json:"always"`
	Zone     string            `json:"zone"`
	Week     []models.DayHours `json:"week"` // Sunday first
	Holidays []models.Holiday  `json:"holidays"`
	OpenNow  bool              `json:"openNow"`
	NextOpen *time.Time        `json:"nextOpen,omitempty"` // when closed now
}

// weekOrder lists Week's indexes Monday first.
var weekOrder = []int{1, 2, 3, 4, 5, 6, 0}

// newHoursForm fills the form from stored hours.
func newHoursForm(h models.Hours) hoursForm {
	f := hoursForm{Always: h.Always(), Zone: h.Zone, Holidays: models.FormatHolidays(h.Holidays)}
	for _, i := range weekOrder {
		d := hoursDay{Index: i, Name: models.Weekdays[i]}
		if !h.Always() {
			d.Open, d.Close = h.Week[i].Open, h.Week[i].Close
		}
		f.Days = append(f.Days, d)
	}
	return f
}

// hoursStatus says whether support is open at now, as the home page and
// the settings page put it.
func hoursStatus(h models.Hours, now time.Time) (open bool, text string) {
	if h.Always() {
		return true, ""
	}
	zone := strings.ReplaceAll(h.Location().String(), "_", " ")
	if closes, ok := h.ClosesAt(now); ok {
		return true, "Support is open now, until " + closes.Format("3:04 PM") + " (" + zone + " time)."
	}
	if next, ok := h.NextOpen(now); ok {
		return false, "Support is closed now. We open again " + models.When(next, now) + " (" + zone + " time)."
	}
	return false, "Support is closed until further notice."
}

// showHours handles "GET /settings/hours".
func (h *Handler) showHours(c *gin.Context) {
	hours, err := h.settings.Hours(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	if wantsJSON(c) {
		c.JSON(http.StatusOK, h.hoursAnswer(hours))
		return
	}
	form := newHoursForm(hours)
	_, form.Status = hoursStatus(hours, h.now())
	h.render(c, http.StatusOK, "hours", viewData{Title: "Business hours", Hours: form})
}

func (h *Handler) hoursAnswer(hours models.Hours) hoursJSON {
	now := h.now()
	out := hoursJSON{Always: hours.Always(), Zone: hours.Zone, Week: hours.Week, Holidays: hours.Holidays, OpenNow: hours.OpenAt(now)}
	if out.Week == nil {
		out.Week = []models.DayHours{}
	}
	if out.Holidays == nil {
		out.Holidays = []models.Holiday{}
	}
	if !out.OpenNow {
		if next, ok := hours.NextOpen(now); ok {
			out.NextOpen = &next
		}
	}
	return out
}

// saveHours handles "POST /settings/hours": the form (zone, open-N and
// close-N for each day N, Sunday 0, holidays, always), or the JSON that
// GET answers. Every instance reads the hours from the store, so the next
// call anywhere follows them.
func (h *Handler) saveHours(c *gin.Context) {
	var in hoursJSON
	form := hoursForm{}
	if jsonBody(c) {
		if err := decodeJSON(c, &in); err != nil {
			h.fail(c, err)
			return
		}
		form = newHoursForm(models.Hours{Zone: in.Zone, Week: in.Week, Holidays: in.Holidays})
	} else {
		if err := parseForm(c); err != nil {
			h.fail(c, err)
			return
		}
		f := c.Request.PostForm
		in.Always = f.Get("always") != ""
		in.Zone = f.Get("zone")
		in.Week = make([]models.DayHours, 7)
		form = hoursForm{Always: in.Always, Zone: in.Zone, Holidays: f.Get("holidays")}
		for _, i := range weekOrder {
			d := models.DayHours{Open: f.Get(fmt.Sprintf("open-%d", i)), Close: f.Get(fmt.Sprintf("close-%d", i))}
			in.Week[i] = d
			form.Days = append(form.Days, hoursDay{Index: i, Name: models.Weekdays[i], Open: d.Open, Close: d.Close})
		}
		in.Holidays = models.ParseHolidays(form.Holidays)
	}

	hours := models.Hours{}
	if !in.Always {
		var errs map[string]string
		hours, errs = models.ValidateHours(models.Hours{Zone: in.Zone, Week: in.Week, Holidays: in.Holidays})
		if errs != nil {
			h.refuseHours(c, form, errs)
			return
		}
	}
	if err := h.settings.SetHours(c, hours); err != nil {
		h.fail(c, err)
		return
	}
	me := currentAgent(c)
	h.log.Info("business hours saved", "agent", me.ID.Hex(), "always", hours.Always(), "zone", hours.Zone)
	if wantsJSON(c) {
		c.JSON(http.StatusOK, h.hoursAnswer(hours))
		return
	}
	msg := "Business hours saved: calls are taken at any time."
	if _, status := hoursStatus(hours, h.now()); status != "" {
		msg = "Business hours saved. " + status
	}
	h.setFlash(c, "success", msg)
	c.Redirect(http.StatusSeeOther, "/settings/hours")
}

// refuseHours answers hours that were refused with a message per field
// and everything typed kept.
func (h *Handler) refuseHours(c *gin.Context, form hoursForm, errs map[string]string) {
	if wantsJSON(c) {
		refuseFields(c, http.StatusUnprocessableEntity, errs)
		return
	}
	form.Errors = errs
	h.render(c, http.StatusUnprocessableEntity, "hours", viewData{Title: "Business hours", Hours: form})
}

// hoursReadTimeout bounds the read of the hours for the home page: a
// page whose database is slow or down must still answer within seconds,
// and the ticket form it shows again after a failed save has already
// waited for the database once.
const hoursReadTimeout = 500 * time.Millisecond

// homeHours is what the home page says of the hours: nothing when
// support is always open; the call button shows only when it is open.
// Hours that cannot be read leave the button on, as the calls themselves
// then ring the agents.
func (h *Handler) homeHours(c *gin.Context) (open bool, text string) {
	if h.settings == nil {
		return true, ""
	}
	ctx, cancel := context.WithTimeout(c, hoursReadTimeout)
	defer cancel()
	hours, err := h.settings.Hours(ctx)
	if err != nil {
		h.log.Warn("read business hours for the home page", "err", err)
		return true, ""
	}
	return hoursStatus(hours, h.now())
}
