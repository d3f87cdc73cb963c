package handlers

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

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
	switch {
	case errors.Is(err, models.ErrNotFound):
		status, msg = http.StatusNotFound, msgNotFound
	case errors.Is(err, models.ErrConflict):
		status, msg = http.StatusConflict, "That conflicts with something already saved."
	case errors.As(err, &maxErr):
		status, msg = http.StatusRequestEntityTooLarge, msgTooLarge
	case errors.Is(err, errBadForm):
		status, msg = http.StatusBadRequest, "We couldn't read that form. Please reload the page and try again."
	case models.IsUnavailable(err), errors.Is(err, context.DeadlineExceeded):
		status, msg = http.StatusServiceUnavailable, msgUnavailable
		h.log.Warn("database unavailable", "path", c.Request.URL.Path, "err", err)
	default:
		h.log.Error("request failed", "method", c.Request.Method, "path", c.Request.URL.Path, "err", err)
	}
	h.failWith(c, status, msg)
}

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
