package handlers

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
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

// showMetrics handles "GET /metrics" in Prometheus' text format, for a
// scraper that sends METRICS_TOKEN as a bearer token. The figures (ticket
// volume, failed sign-ins, call volume) are not for the public: without
// the setting the route does not exist (404, like any unknown path).
func (h *Handler) showMetrics(c *gin.Context) {
	if h.cfg.MetricsToken == "" {
		h.notFound(c)
		return
	}
	token, ok := strings.CutPrefix(c.GetHeader("Authorization"), "Bearer ")
	// Hashing first makes the comparison constant-time in the length too.
	got, want := sha256.Sum256([]byte(token)), sha256.Sum256([]byte(h.cfg.MetricsToken))
	if !ok || subtle.ConstantTimeCompare(got[:], want[:]) != 1 {
		c.Header("WWW-Authenticate", `Bearer realm="ringdesk metrics"`)
		h.fail(c, refuse(http.StatusUnauthorized, "Send METRICS_TOKEN as a bearer token.").inJSON())
		return
	}
	h.metrics.handler(c)
}

// serveStatic handles "GET /static/*path" from the embedded public files.
// Browsers revalidate each time (a deploy must not leave them on old
// scripts) and get 304 while the content hash in the ETag is unchanged.
// Directories are not listed.
func (h *Handler) serveStatic(c *gin.Context) {
	name := strings.TrimPrefix(path.Clean(c.Param("path")), "/")
	etag, ok := h.etags[name]
	if !ok {
		h.notFound(c)
		return
	}
	c.Header("Cache-Control", "no-cache")
	c.Header("ETag", etag)
	c.FileFromFS(name, http.FS(h.static))
}

// hashFiles computes an ETag for every embedded file once, at start-up.
func hashFiles(fsys fs.FS) (map[string]string, error) {
	etags := map[string]string{}
	err := fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(fsys, p)
		if err != nil {
			return err
		}
		sum := sha256.Sum256(b)
		etags[p] = `"` + hex.EncodeToString(sum[:12]) + `"`
		return nil
	})
	return etags, err
}
