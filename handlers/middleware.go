package handlers

import (
	"errors"
	"net/http"
	"runtime/debug"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"
)

// maxBodyBytes caps every request body. It sits well above the ticket
// limits (a 5,000-character description is at most 20 kB of UTF-8) so an
// over-long field gets a field message, while a flood gets a 413.
const maxBodyBytes = 64 << 10

// limitBody stops reading a body past n bytes; the handler that reads it
// sees *http.MaxBytesError and answers 413.
func limitBody(n int64) gin.HandlerFunc {
	return func(c *gin.Context) {
		if c.Request.ContentLength > n {
			c.Header("Connection", "close")
			refuse(http.StatusRequestEntityTooLarge, msgTooLarge).writeJSON(c)
			return
		}
		c.Request.Body = http.MaxBytesReader(c.Writer, c.Request.Body, n)
		c.Next()
	}
}

// voiceConnectSrc lists, per provider, where its browser SDK connects for
// signalling and call-quality events. Call audio itself is WebRTC, which
// CSP does not govern.
var voiceConnectSrc = map[string]string{
	"twilio": " wss://*.twilio.com https://*.twilio.com",
	// @vonage/client-sdk 2.x: api-*.vonage.com (REST), ws-*.vonage.com
	// (socket.io signalling) and hlg.tokbox.com (its logging).
	"vonage": " https://*.vonage.com wss://*.vonage.com https://hlg.tokbox.com",
}

// contentSecurityPolicy allows only our own scripts and styles (pages have
// no inline script or style at all) and, for connections, only this site
// and the configured voice provider.
func contentSecurityPolicy(voice string) string {
	return "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; " +
		"connect-src 'self'" + voiceConnectSrc[voice] + "; media-src 'self' blob:; object-src 'none'; " +
		"base-uri 'none'; form-action 'self'; frame-ancestors 'none'"
}

func securityHeaders(https bool, csp string) gin.HandlerFunc {
	return func(c *gin.Context) {
		h := c.Writer.Header()
		h.Set("Content-Security-Policy", csp)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		h.Set("Permissions-Policy", "microphone=(self), speaker-selection=(self), camera=(), geolocation=()")
		if https {
			h.Set("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
		}
		c.Next()
	}
}

// recoverPanic turns a panic into a logged 500 with a safe message.
func (h *Handler) recoverPanic(c *gin.Context) {
	defer func() {
		if v := recover(); v != nil {
			if err, ok := v.(error); ok && errors.Is(err, http.ErrAbortHandler) {
				panic(v)
			}
			h.log.Error("panic", "path", c.Request.URL.Path, "value", v, "stack", string(debug.Stack()))
			if !c.Writer.Written() {
				h.fail(c, refuse(http.StatusInternalServerError, msgInternal))
			}
		}
	}()
	c.Next()
}

// observe records request metrics by route pattern (never by raw path, so
// ids do not explode the label set) and logs slow or failed requests.
func (h *Handler) observe(c *gin.Context) {
	start := h.now()
	c.Next()
	route := c.FullPath()
	if route == "" {
		route = "unmatched"
	}
	elapsed := h.now().Sub(start)
	status := c.Writer.Status()
	method := metricMethod(c.Request.Method)
	h.metrics.requests.WithLabelValues(method, route, strconv.Itoa(status)).Inc()
	if status == http.StatusSwitchingProtocols || route == "/events" {
		return // a socket or event stream lasts as long as it is open: neither latency nor slow
	}
	h.metrics.latency.WithLabelValues(method, route).Observe(elapsed.Seconds())
	if status >= 500 || elapsed > 2*time.Second {
		h.log.Warn("request", "method", c.Request.Method, "route", route, "status", status, "elapsed", elapsed)
	}
}

// metricMethod keeps the method label to the methods HTTP defines, so a
// client inventing methods cannot grow the metrics without bound.
func metricMethod(m string) string {
	switch m {
	case http.MethodGet, http.MethodHead, http.MethodPost, http.MethodPut, http.MethodPatch,
		http.MethodDelete, http.MethodOptions, http.MethodConnect, http.MethodTrace:
		return m
	}
	return "OTHER"
}
