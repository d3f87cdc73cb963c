package handlers

import (
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"sync"

	"github.com/gin-gonic/gin"

	"github.com/ringdesk/ringdesk/voice"
)

var (
	holdETagOnce sync.Once
	holdETag     string
)

// holdMusic serves the hold music (GET and HEAD /audio/hold.wav) for the
// provider's cloud to play to callers in line; it never changes while
// Ringdesk runs, so the clouds may cache it.
func (h *Handler) holdMusic(c *gin.Context) {
	music := voice.HoldMusic()
	holdETagOnce.Do(func() {
		sum := sha256.Sum256(music)
		holdETag = `"` + hex.EncodeToString(sum[:8]) + `"`
	})
	c.Header("Cache-Control", "public, max-age=86400")
	c.Header("ETag", holdETag)
	if c.GetHeader("If-None-Match") == holdETag {
		c.Status(http.StatusNotModified)
		return
	}
	c.Data(http.StatusOK, "audio/wav", music)
}
