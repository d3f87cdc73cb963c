package handlers

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/coder/websocket"
	"github.com/gin-gonic/gin"

	"github.com/ringdesk/ringdesk/handlers/twilio"
)

// twilioReadLimit caps one Media Streams message: a 20 ms media message
// is under 500 bytes, a start message a few kilobytes.
const twilioReadLimit = 64 << 10

// saySoundCheck is what a caller hears before their own voice.
const saySoundCheck = "This is a sound check. Speak and you will hear yourself."

// twilioMedia handles "GET /media", the WebSocket Twilio opens for the
// sound check's <Connect><Stream>. The upgrade needs Twilio's signature;
// the stream needs the one-time token from the TwiML, which Twilio hands
// back in the start message. Each inbound media message is then played
// back on the stream.
func (h *Handler) twilioMedia(c *gin.Context) {
	if h.twilio == nil {
		h.notFound(c)
		return
	}
	h.serveSocket(c, twilioReadLimit, h.twilioStreamSigned, h.echoTwilio)
}

// twilioStreamSigned lets the upgrade through only with a valid
// X-Twilio-Signature for the stream URL.
func (h *Handler) twilioStreamSigned(c *gin.Context) bool {
	if !h.twilio.VerifyStream(c.Request) {
		h.log.Warn("rejected Twilio media stream: bad signature", "ip", c.ClientIP())
		c.AbortWithStatusJSON(http.StatusForbidden, gin.H{"error": "Invalid Twilio signature."})
		return false
	}
	return true
}

// Why a Twilio stream is refused or ends.
var (
	endRefused   = socketEnd{websocket.StatusPolicyViolation, "stream refused"}
	endTryLater  = socketEnd{websocket.StatusTryAgainLater, "try again later"}
	endBadFormat = socketEnd{websocket.StatusUnsupportedData, "not a media streams message"}
	endStopped   = socketEnd{websocket.StatusNormalClosure, ""}
)

// echoTwilio speaks Media Streams: connected, then start (which must carry
// an unused token), then media to play back, until stop.
func (h *Handler) echoTwilio(ms *mediaSocket) error {
	var (
		msg    twilio.StreamMessage
		out    []byte
		writer *twilio.MediaWriter // set by a valid start
	)
	for {
		typ, b, err := ms.read()
		if err != nil {
			return err
		}
		if typ != websocket.MessageText || msg.Decode(b) != nil {
			return endBadFormat
		}
		switch {
		case msg.Event == twilio.EventConnected && writer == nil:
		case msg.Event == twilio.EventStart && writer == nil:
			if err := h.startTwilioStream(&msg); err != nil {
				return err
			}
			w := twilio.NewMediaWriter(msg.SID())
			writer = &w
		case writer == nil:
			// Nothing is played back before the stream has shown its token.
			h.log.Warn("rejected Twilio media stream: no start", "event", msg.Event)
			return endRefused
		case msg.Event == twilio.EventMedia && msg.Inbound():
			out = writer.Append(out[:0], msg.Media.Payload)
			if err := ms.write(websocket.MessageText, out); err != nil {
				return err
			}
		case msg.Event == twilio.EventStop:
			return endStopped
		}
		// Marks (Twilio confirming playback of marks we never send), DTMF
		// and events added later need no answer.
	}
}

// startTwilioStream consumes the start message's one-time token.
func (h *Handler) startTwilioStream(msg *twilio.StreamMessage) error {
	if msg.SID() == "" {
		h.log.Warn("rejected Twilio media stream: start without a streamSid")
		return endRefused
	}
	ctx, cancel := context.WithTimeout(h.sockets.shutdown, 5*time.Second)
	defer cancel()
	err := h.useMediaToken(ctx, msg.Token(), "twilio")
	switch {
	case errors.Is(err, errMediaToken):
		h.log.Warn("rejected Twilio media stream: bad token", "stream", msg.SID(), "call", msg.Start.CallSID)
		return endRefused
	case err != nil:
		h.log.Warn("Twilio media stream: check token", "stream", msg.SID(), "err", err)
		return endTryLater
	}
	h.log.Debug("Twilio media stream started", "stream", msg.SID(), "call", msg.Start.CallSID)
	return nil
}
