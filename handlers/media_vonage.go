package handlers

import (
	"encoding/json"
	"errors"
	"net/http"

	"github.com/coder/websocket"
	"github.com/gin-gonic/gin"
)

// vonageReadLimit caps one message from Vonage: audio comes in 640-byte
// frames (20 ms of 16-bit 16 kHz mono), events as small JSON texts.
const vonageReadLimit = 8 << 10

// vonageSocket handles "GET /socket", the WebSocket endpoint of the
// Vonage sound check's NCCO. The upgrade needs the one-time token the
// NCCO put in the URL. Vonage's first text message announces the audio
// format; every binary audio frame after it is sent straight back.
func (h *Handler) vonageSocket(c *gin.Context) {
	h.serveSocket(c, vonageReadLimit, h.vonageSocketToken, h.echoVonage)
}

// vonageSocketToken consumes the token in the upgrade's query string.
func (h *Handler) vonageSocketToken(c *gin.Context) bool {
	err := h.useMediaToken(c, c.Query("token"), "vonage")
	switch {
	case errors.Is(err, errMediaToken):
		h.log.Warn("rejected Vonage socket: bad token", "ip", c.ClientIP())
		c.AbortWithStatusJSON(http.StatusForbidden, gin.H{"error": "This sound check link is not valid."})
		return false
	case err != nil:
		h.fail(c, err)
		return false
	}
	return true
}

// echoVonage plays every binary frame back, byte for byte. Text messages
// (websocket:connected, DTMF and other events) are read, never echoed.
func (h *Handler) echoVonage(ms *mediaSocket) error {
	first := true
	for {
		typ, b, err := ms.read()
		if err != nil {
			return err
		}
		if typ == websocket.MessageBinary {
			if err := ms.write(websocket.MessageBinary, b); err != nil {
				return err
			}
			continue
		}
		if first {
			var hello struct {
				Event       string `json:"event"`
				ContentType string `json:"content-type"`
			}
			_ = json.Unmarshal(b, &hello)
			h.log.Debug("Vonage socket connected", "event", hello.Event, "content-type", hello.ContentType)
			first = false
		}
	}
}
