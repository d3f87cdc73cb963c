package handlers

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
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

// fail is the one error exit for handlers: it maps domain errors to a
// status, logs only the unexpected ones, and answers in the client's format.
func (h *Handler) fail(c *gin.Context, err error) {
	status, msg := http.StatusInternalServerError, msgInternal
	var maxErr *http.MaxBytesError
	// A client that went away (a closed tab, a load generator stopping)
	// cut its own request short: nothing failed on our side, and the
	// database is not down. It is counted under statusClientGone in the
	// request metrics and logged only at debug level.
	if clientGone(c) {
		h.log.Debug("client went away", "method", c.Request.Method, "path", c.Request.URL.Path)
		c.AbortWithStatus(statusClientGone)
		return
	}
	switch {
	case errors.Is(err, models.ErrNotFound):
		status, msg = http.StatusNotFound, msgNotFound
	case errors.Is(err, models.ErrConflict):
		status, msg = http.StatusConflict, "That conflicts with something already saved."
	case errors.As(err, &maxErr):
		status, msg = http.StatusRequestEntityTooLarge, msgTooLarge
	case errors.Is(err, errBadForm):
		status, msg = http.StatusBadRequest, "We couldn't read that form. Please reload the page and try again."
	case errors.As(err, new(badJSON)):
		status, msg = http.StatusBadRequest, err.Error()
	case models.IsUnavailable(err), errors.Is(err, context.DeadlineExceeded):
		status, msg = http.StatusServiceUnavailable, msgUnavailable
		h.log.Warn("database unavailable", "path", c.Request.URL.Path, "err", err)
	default:
		h.log.Error("request failed", "method", c.Request.Method, "path", c.Request.URL.Path, "err", err)
	}
	h.failWith(c, status, msg)
}

// clientGone reports whether the client disconnected before the answer.
func clientGone(c *gin.Context) bool {
	return errors.Is(c.Request.Context().Err(), context.Canceled)
}

// statusClientGone is recorded for requests whose client disconnected
// before the answer (nginx's 499; nobody receives it).
const statusClientGone = 499

// failWith answers with a status and a safe message.
func (h *Handler) failWith(c *gin.Context, status int, msg string) {
	if status == http.StatusServiceUnavailable {
		c.Header("Retry-After", "30")
	}
	if wantsJSON(c) {
		c.AbortWithStatusJSON(status, gin.H{"error": msg})
		return
	}
	h.render(c, status, "error", viewData{Title: http.StatusText(status), Status: status, Message: msg})
	c.Abort()
}

func (h *Handler) notFound(c *gin.Context) { h.failWith(c, http.StatusNotFound, msgNotFound) }

func (h *Handler) methodNotAllowed(c *gin.Context) {
	h.failWith(c, http.StatusMethodNotAllowed, "That action isn't available here.")
}

// errBadForm marks a posted body that does not decode as a form: the
// client's mistake (400), not an unexpected error (500).
var errBadForm = errors.New("malformed form body")

// parseForm reads a posted form, marking decoding errors with errBadForm;
// an over-long body stays a *http.MaxBytesError (413).
func parseForm(c *gin.Context) error {
	err := c.Request.ParseForm()
	var maxErr *http.MaxBytesError
	if err != nil && !errors.As(err, &maxErr) {
		return fmt.Errorf("%w: %v", errBadForm, err)
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

// badJSON is a JSON body refused before any field is looked at; its text
// is the message for the client.
type badJSON string

func (e badJSON) Error() string { return string(e) }

// decodeJSON reads the whole body into v. It refuses what encoding/json
// lets through: invalid UTF-8, which it would silently turn into U+FFFD
// (the form path refuses it), and anything after the first value, which
// it would never read. An over-long body stays a *http.MaxBytesError.
func decodeJSON(c *gin.Context, v any) error {
	body, err := io.ReadAll(c.Request.Body)
	if err != nil {
		return err
	}
	if !utf8.Valid(body) {
		return badJSON("The request body is not valid UTF-8.")
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	if err := dec.Decode(v); err != nil {
		return badJSON("The request body is not valid JSON.")
	}
	if _, err := dec.Token(); err != io.EOF {
		return badJSON("The request body must be one JSON object with nothing after it.")
	}
	return nil
}
