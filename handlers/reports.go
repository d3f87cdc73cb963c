package handlers

import (
	"cmp"
	"context"
	"encoding/csv"
	"errors"
	"maps"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ringdesk/ringdesk/models"
)

// reportForm is the span as typed, kept when it is refused.
type reportForm struct {
	From, To, TZ string
	Errors       map[string]string // keyed by from, to, tz
}

// reportView is a report as the page shows it.
type reportView struct {
	Form          reportForm
	From, To      string // the span, YYYY-MM-DD
	Zone          string
	TargetSeconds int
	Days          []dayRow // nil when the form was refused
	Total         dayRow
	CSV           string // the download of the same span
}

// dayRow is one line of the table.
type dayRow struct {
	models.DayFigures
	Label        string // "Sat 7 Mar 2026", "" for the total
	AvgWait      string
	Talk         string
	ServiceLevel string
}

// reportJSON is GET /reports for JSON clients.
type reportJSON struct {
	From          string              `json:"from"`
	To            string              `json:"to"`
	Zone          string              `json:"zone"`
	TargetSeconds int                 `json:"targetSeconds"`
	Days          []models.DayFigures `json:"days"`
	Total         models.DayFigures   `json:"total"`
}

// showReports handles "GET /reports": the call log's figures day by day
// over ?from= to ?to= (YYYY-MM-DD, both included; a week ending today by
// default) in ?tz= (an IANA zone; by default the business hours' zone,
// else UTC), as a page or JSON.
func (h *Handler) showReports(c *gin.Context) {
	form := reportForm{From: c.Query("from"), To: c.Query("to"), TZ: c.Query("tz")}
	span, err := models.ParseReportSpan(form.From, form.To, h.reportZone(c, form.TZ), h.now())
	var verr *models.ValidationError
	if errors.As(err, &verr) {
		h.refuseReport(c, form, verr.Fields)
		return
	}
	report, err := h.dailyReport(c, span)
	if err != nil {
		h.fail(c, err)
		return
	}
	c.Header("Cache-Control", "no-store")
	target := int(report.Target / time.Second)
	if wantsJSON(c) {
		c.JSON(http.StatusOK, reportJSON{
			From: span.From, To: span.To, Zone: span.Zone.String(), TargetSeconds: target,
			Days: report.Days, Total: report.Total,
		})
		return
	}
	v := reportView{
		// The form shows the span the table shows, defaults filled in.
		Form: reportForm{From: span.From, To: span.To, TZ: span.Zone.String()},
		From: span.From, To: span.To, Zone: span.Zone.String(), TargetSeconds: target,
		Days: make([]dayRow, len(report.Days)), Total: newDayRow(report.Total),
		CSV: "/reports/calls.csv?" + url.Values{"from": {span.From}, "to": {span.To}, "tz": {span.Zone.String()}}.Encode(),
	}
	for i, d := range report.Days {
		v.Days[i] = newDayRow(d)
	}
	h.renderReports(c, http.StatusOK, v)
}

// refuseReport answers a span that cannot be used: 422 with a message
// per field, on the page with what was typed, or as JSON.
func (h *Handler) refuseReport(c *gin.Context, form reportForm, fields map[string]string) {
	if wantsJSON(c) {
		refuseFields(c, http.StatusUnprocessableEntity, fields)
		return
	}
	form.Errors = fields
	h.renderReports(c, http.StatusUnprocessableEntity, reportView{Form: form, TargetSeconds: int(models.ReportTarget / time.Second)})
}

// renderReports renders the reports page.
func (h *Handler) renderReports(c *gin.Context, status int, v reportView) {
	h.render(c, status, "reports", viewData{Title: "Reports", Report: v})
}

func newDayRow(d models.DayFigures) dayRow {
	r := dayRow{DayFigures: d, AvgWait: "—", Talk: formatTalk(d.TalkSeconds), ServiceLevel: "—"}
	if day, err := time.Parse("2006-01-02", d.Date); err == nil {
		r.Label = day.Format("Mon 2 Jan 2006")
	}
	if d.Answered > 0 {
		r.AvgWait = strconv.FormatFloat(d.AvgWaitSeconds, 'f', 1, 64) + " s"
	}
	if d.ServiceLevel != nil {
		r.ServiceLevel = strconv.FormatFloat(*d.ServiceLevel, 'f', 1, 64) + "%"
	}
	return r
}

// formatTalk writes a talk time as h:mm:ss: a day's can run to hours.
func formatTalk(seconds int) string {
	d := time.Duration(seconds) * time.Second
	h, m, s := int(d/time.Hour), int(d%time.Hour/time.Minute), int(d%time.Minute/time.Second)
	return strconv.Itoa(h) + ":" + twoDigits(m) + ":" + twoDigits(s)
}

func twoDigits(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}

// csvFlushRows is how often a download is pushed to the client: often
// enough that a long one shows progress, seldom enough to cost nothing.
const csvFlushRows = 256

// csvHeader names the download's columns.
var csvHeader = []string{"started", "answered", "ended", "direction", "caller", "callee", "ticket_id", "wait_seconds", "talk_seconds", "outcome"}

// downloadCallsCSV handles "GET /reports/calls.csv": every call that
// started in the span /reports takes, a line each, in order of start,
// written as the store reads it, so a year of calls needs no more memory
// than a day's.
func (h *Handler) downloadCallsCSV(c *gin.Context) {
	span, err := models.ParseReportSpan(c.Query("from"), c.Query("to"), h.reportZone(c, c.Query("tz")), h.now())
	var verr *models.ValidationError
	if errors.As(err, &verr) {
		// What asked for a file (a script, a saved link) reads text:
		// one problem a line, first day first.
		c.Header("Cache-Control", "no-store")
		c.Data(http.StatusUnprocessableEntity, "text/plain; charset=utf-8", []byte(fieldLines(verr.Fields, "from", "to", "tz")))
		return
	}
	out := &csvStream{c: c, span: span, rc: http.NewResponseController(c.Writer)}
	out.w = csv.NewWriter(deadlineWriter{out})
	err = h.calls.Each(c, span.Start(), span.End(), out.write)
	if err == nil {
		err = out.finish()
	}
	var werr writeError
	switch {
	case err == nil:
	case !out.started:
		// Nothing sent yet: the client gets a proper answer (a 503).
		h.fail(c, err)
	case errors.As(err, &werr) || clientGone(c):
		h.log.Debug("calls download: client went away", "rows", out.rows, "err", err)
	default:
		// The status is long sent. Ending the response without its last
		// chunk tells the client the file is cut short, where a clean end
		// would pass a partial file off as complete.
		h.log.Error("calls download failed part way", "rows", out.rows, "err", err)
		panic(http.ErrAbortHandler)
	}
}

// csvStream writes the download, starting the response at the first row
// (or at the end, for a span without calls), so that a failure before
// then still gets a status of its own.
type csvStream struct {
	c       *gin.Context
	span    models.ReportSpan
	rc      *http.ResponseController
	w       *csv.Writer
	rec     [10]string
	started bool
	rows    int
}

// writeError is the client's side failing: a write that did not go out.
type writeError struct{ err error }

func (e writeError) Error() string { return "write to client: " + e.err.Error() }
func (e writeError) Unwrap() error { return e.err }

func (s *csvStream) start() error {
	s.started = true
	filename := "ringdesk-calls-" + s.span.From + "-to-" + s.span.To + ".csv"
	h := s.c.Writer.Header()
	h.Set("Content-Type", "text/csv; charset=utf-8")
	h.Set("Content-Disposition", mime.FormatMediaType("attachment", map[string]string{"filename": filename}))
	h.Set("Cache-Control", "no-store")
	s.c.Status(http.StatusOK)
	return s.put(csvHeader)
}

func (s *csvStream) write(call *models.Call) error {
	if !s.started {
		if err := s.start(); err != nil {
			return err
		}
	}
	r, zone := models.NewCallRow(call), s.span.Zone
	ticket := ""
	if r.TicketID != nil {
		ticket = r.TicketID.Hex()
	}
	s.rec = [10]string{
		csvTime(r.Started, zone), csvTime(r.Answered, zone), csvTime(r.Ended, zone),
		csvSafe(string(r.Direction)), csvParty(r.Caller), csvParty(r.Callee), ticket,
		strconv.Itoa(r.WaitSeconds()), strconv.Itoa(r.TalkSeconds), string(r.Outcome),
	}
	if err := s.put(s.rec[:]); err != nil {
		return err
	}
	s.rows++
	if s.rows%csvFlushRows == 0 {
		return s.flush()
	}
	return nil
}

func (s *csvStream) put(rec []string) error {
	if err := s.w.Write(rec); err != nil {
		return writeError{err}
	}
	return nil
}

// finish ends the file; one with no calls still has its header row.
func (s *csvStream) finish() error {
	if !s.started {
		if err := s.start(); err != nil {
			return err
		}
	}
	return s.flush()
}

func (s *csvStream) flush() error {
	s.w.Flush()
	if err := s.w.Error(); err != nil {
		return writeError{err}
	}
	// A client that cannot take a flush is gone; a writer that cannot
	// flush at all (none in the server) sends at the end instead.
	if err := s.rc.Flush(); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return writeError{err}
	}
	return nil
}

// deadlineWriter gives each write to the client its own deadline: a
// download runs as long as its client keeps reading (the server's write
// timeout would cut a long one), and no longer once it stops.
type deadlineWriter struct{ s *csvStream }

func (d deadlineWriter) Write(p []byte) (int, error) {
	// Wall-clock time: the deadline is the network's, not the handler's
	// (possibly simulated) clock.
	_ = d.s.rc.SetWriteDeadline(time.Now().Add(streamWriteTimeout))
	return d.s.c.Writer.Write(p)
}

// csvTime writes a moment in the report's zone, "" for none.
func csvTime(t time.Time, zone *time.Location) string {
	if t.IsZero() {
		return ""
	}
	return t.In(zone).Format(time.RFC3339)
}

// csvSafe keeps a spreadsheet from running a cell as a formula: text
// that starts with = + - @, a tab or a carriage return gets a leading
// quote, which spreadsheets show as text.
func csvSafe(s string) string {
	if s != "" && strings.IndexByte("=+-@\t\r", s[0]) >= 0 {
		return "'" + s
	}
	return s
}

// csvParty writes a caller or callee. Phone numbers start with "+", so
// the guard would mangle every one of them: a number in E.164
// (^\+[0-9]{7,15}$) or a browser identity (^client:[A-Za-z0-9_]+$) is
// written as it is; anything else (a SIP address, whatever a provider
// sent) is guarded.
func csvParty(s string) string {
	if isE164(s) || isClientIdentity(s) {
		return s
	}
	return csvSafe(s)
}

func isE164(s string) bool {
	digits, ok := strings.CutPrefix(s, "+")
	return ok && len(digits) >= 7 && len(digits) <= 15 && onlyBytes(digits, func(b byte) bool { return b >= '0' && b <= '9' })
}

func isClientIdentity(s string) bool {
	id, ok := strings.CutPrefix(s, "client:")
	return ok && id != "" && onlyBytes(id, func(b byte) bool {
		return b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z' || b == '_'
	})
}

func onlyBytes(s string, ok func(byte) bool) bool {
	for i := 0; i < len(s); i++ {
		if !ok(s[i]) {
			return false
		}
	}
	return true
}

// fieldLines writes field problems as text, one a line, the fields in
// order first (any other after them, so no problem goes unsaid).
func fieldLines(fields map[string]string, order ...string) string {
	rank := func(f string) int {
		if i := slices.Index(order, f); i >= 0 {
			return i
		}
		return len(order)
	}
	keys := slices.Collect(maps.Keys(fields))
	slices.SortFunc(keys, func(a, b string) int { return cmp.Or(rank(a)-rank(b), strings.Compare(a, b)) })
	var b strings.Builder
	for _, f := range keys {
		b.WriteString(f + ": " + fields[f] + "\n")
	}
	return b.String()
}

// reportZone is the zone a report asked for, or else the team's: the one
// its business hours are in, when they were set (UTC otherwise).
func (h *Handler) reportZone(c context.Context, tz string) string {
	if strings.TrimSpace(tz) != "" || h.settings == nil {
		return tz
	}
	hours, err := h.settings.Hours(c)
	if err != nil || hours.Always() {
		return tz
	}
	return hours.Zone
}

// dailyReport counts the span's calls from the call log, day by day, in
// one walk of its started-at index.
func (h *Handler) dailyReport(ctx context.Context, span models.ReportSpan) (*models.DailyReport, error) {
	report := models.NewDailyReport(span, models.ReportTarget)
	err := h.calls.Each(ctx, span.Start(), span.End(), func(call *models.Call) error {
		report.Add(models.NewCallRow(call))
		return nil
	})
	return report, err
}
