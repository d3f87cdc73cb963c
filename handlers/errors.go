package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/gin-gonic/gin"

	"github.com/ringdesk/ringdesk/models"
)

// Messages shown to users. They never contain err.Error(): internal
// details go to the log only.
const (
	msgUnavailable = "Ringdesk is temporarily unavailable: we can't reach the database. Nothing you typed was lost — please try again in a minute."
	msgNotFound    = "We couldn't find that page."
	msgInternal    = "Something went wrong on our side. Please try again."
	msgTooLarge    = "That request is too large."
)

// fail is the one error exit for handlers: it answers a refusal (refuse)
// as it says, maps domain errors to a status, logs only the unexpected
// ones, and answers in the client's format.
func (h *Handler) fail(c *gin.Context, err error) {
	// A client that went away (a closed tab, a load generator stopping)
	// cut its own request short: nothing failed on our side, and the
	// database is not down. It is counted under statusClientGone in the
	// request metrics and logged only at debug level.
	if clientGone(c) {
		h.log.Debug("client went away", "method", c.Request.Method, "path", c.Request.URL.Path)
		c.AbortWithStatus(statusClientGone)
		return
	}
	var refused httpError
	if errors.As(err, &refused) {
		h.answer(c, refused)
		return
	}
	status, msg := http.StatusInternalServerError, msgInternal
	var maxErr *http.MaxBytesError
	switch {
	case errors.Is(err, models.ErrNotFound):
		status, msg = http.StatusNotFound, msgNotFound
	case errors.Is(err, models.ErrConflict):
		status, msg = http.StatusConflict, "That conflicts with something already saved."
	case errors.As(err, &maxErr):
		status, msg = http.StatusRequestEntityTooLarge, msgTooLarge
	case models.IsUnavailable(err), errors.Is(err, context.DeadlineExceeded):
		status, msg = http.StatusServiceUnavailable, msgUnavailable
		h.log.Warn("database unavailable", "path", c.Request.URL.Path, "err", err)
	default:
		h.log.Error("request failed", "method", c.Request.Method, "path", c.Request.URL.Path, "err", err)
	}
	h.answer(c, refuse(status, msg))
}

// clientGone reports whether the client disconnected before the answer.
func clientGone(c *gin.Context) bool {
	return errors.Is(c.Request.Context().Err(), context.Canceled)
}

// statusClientGone is recorded for requests whose client disconnected
// before the answer (nginx's 499; nobody receives it).
const statusClientGone = 499

// httpError is a request refused on purpose (a bad body, a limit, no
// session): a status and a message safe to show, unlike the internal
// errors fail maps and logs. Handlers return it through fail.
type httpError struct {
	status     int
	msg        string
	retryAfter string // the Retry-After header; "" leaves it to the status
	json       bool   // answer JSON whatever the client asked for
}

// refuse is a refusal with status and msg, answered in the client's format.
func refuse(status int, msg string) httpError { return httpError{status: status, msg: msg} }

func (e httpError) Error() string { return e.msg }

// retryIn tells the client when it may try again (Retry-After).
func (e httpError) retryIn(d time.Duration) httpError {
	e.retryAfter = retryAfter(d)
	return e
}

// inJSON answers JSON even to a client that did not ask for it: the
// callers of API routes (fetch(), EventSource, a metrics scraper) never
// read an HTML page.
func (e httpError) inJSON() httpError {
	e.json = true
	return e
}

// setRetryAfter sets the Retry-After header e calls for: its own, or 30
// seconds for an outage (503).
func (e httpError) setRetryAfter(c *gin.Context) {
	switch {
	case e.retryAfter != "":
		c.Header("Retry-After", e.retryAfter)
	case e.status == http.StatusServiceUnavailable:
		c.Header("Retry-After", "30")
	}
}

// writeJSON answers e as {"error": msg}. Only middleware that has no
// Handler calls it directly; handlers go through fail.
func (e httpError) writeJSON(c *gin.Context) {
	e.setRetryAfter(c)
	c.AbortWithStatusJSON(e.status, gin.H{"error": e.msg})
}

// answer sends a refusal: JSON {"error": msg}, or the error page.
func (h *Handler) answer(c *gin.Context, e httpError) {
	if e.json || wantsJSON(c) {
		e.writeJSON(c)
		return
	}
	e.setRetryAfter(c)
	h.render(c, e.status, "error", viewData{Title: http.StatusText(e.status), Status: e.status, Message: e.msg})
	c.Abort()
}

// refuseFields answers a JSON client whose fields were refused, with a
// message per field: {"errors": {field: message}}.
func refuseFields(c *gin.Context, status int, fields map[string]string) {
	c.AbortWithStatusJSON(status, gin.H{"errors": fields})
}

// retryAfter formats a wait as whole seconds for the Retry-After header.
func retryAfter(d time.Duration) string {
	s := int(d.Round(time.Second) / time.Second)
	if s < 1 {
		s = 1
	}
	return strconv.Itoa(s)
}

func (h *Handler) notFound(c *gin.Context) { h.fail(c, refuse(http.StatusNotFound, msgNotFound)) }

func (h *Handler) methodNotAllowed(c *gin.Context) {
	h.fail(c, refuse(http.StatusMethodNotAllowed, "That action isn't available here."))
}

// parseForm reads a posted form. A body that does not decode as a form
// is the client's mistake, refused with 400 (not an unexpected 500); an
// over-long body stays a *http.MaxBytesError (413).
func parseForm(c *gin.Context) error {
	err := c.Request.ParseForm()
	var maxErr *http.MaxBytesError
	if err != nil && !errors.As(err, &maxErr) {
		return refuse(http.StatusBadRequest, "We couldn't read that form. Please reload the page and try again.")
	}
	return err
}

// wantsJSON reports whether the client asked for JSON rather than a page.
func wantsJSON(c *gin.Context) bool {
	accept := c.GetHeader("Accept")
	if strings.Contains(accept, "application/json") && !strings.Contains(accept, "text/html") {
		return true
	}
	// curl and fetch() send "*/*": a JSON body then asks for JSON back.
	return (accept == "" || accept == "*/*") && strings.HasPrefix(c.ContentType(), "application/json")
}

// decodeJSON reads the whole body into v, refusing with 400 a body it
// cannot use. It refuses what encoding/json lets through: invalid UTF-8,
// which it would silently turn into U+FFFD (the form path refuses it),
// and anything after the first value, which it would never read. An
// over-long body stays a *http.MaxBytesError.
func decodeJSON(c *gin.Context, v any) error {
	body, err := io.ReadAll(c.Request.Body)
	if err != nil {
		return err
	}
	if !utf8.Valid(body) {
		return refuse(http.StatusBadRequest, "The request body is not valid UTF-8.")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(v); err != nil {
		return refuse(http.StatusBadRequest, "The request body is not valid JSON.")
	}
	if _, err := dec.Token(); err != io.EOF {
		return refuse(http.StatusBadRequest, "The request body must be one JSON object with nothing after it.")
	}
	return nil
}
