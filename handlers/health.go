package handlers

import (
	"io/fs"
	"net/http"
	"path"
	"strings"

	"github.com/gin-gonic/gin"
)

// healthz handles "GET /healthz": the process is alive.
func (h *Handler) healthz(c *gin.Context) {
	c.JSON(http.StatusOK, gin.H{"status": "ok"})
}

// readyz handles "GET /readyz": ready when the database answers.
func (h *Handler) readyz(c *gin.Context) {
	if err := h.db.Ping(c); err != nil {
		h.log.Warn("readiness check failed", "err", err)
		c.JSON(http.StatusServiceUnavailable, gin.H{"status": "unavailable", "database": "unreachable"})
		return
	}
	c.JSON(http.StatusOK, gin.H{"status": "ok", "database": "ok"})
}

// showMetrics handles "GET /metrics" in Prometheus' text format.
func (h *Handler) showMetrics(c *gin.Context) { h.metrics.handler(c) }

// serveStatic handles "GET /static/*path" from the embedded public files.
// Directories are not listed.
func (h *Handler) serveStatic(c *gin.Context) {
	name := strings.TrimPrefix(path.Clean(c.Param("path")), "/")
	st, err := fs.Stat(h.static, name)
	if err != nil || st.IsDir() {
		h.notFound(c)
		return
	}
	// Files are embedded in the binary, so they change only with a new
	// release; an hour of caching is safe and revalidation is cheap.
	c.Header("Cache-Control", "public, max-age=3600")
	c.FileFromFS(name, http.FS(h.static))
}
