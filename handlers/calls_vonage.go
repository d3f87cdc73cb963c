package handlers

import (
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"

	"github.com/gin-gonic/gin"

	"github.com/ringdesk/ringdesk/handlers/vonage"
	"github.com/ringdesk/ringdesk/models"
)

// Spoken messages on Vonage calls, besides the ones Twilio calls share.
const (
	sayTransferring   = "Thank you for calling support. Transferring you now."
	sayFallback       = "All of our agents are busy. Please hold while we put you through to our support line."
	sayNoVonageNumber = "Calling phones is not set up yet: the server has no Vonage number. Please ask your administrator to set VONAGE_NUMBER."
)

// Where a customer's call is when the endpoint it was connected to was
// not reached; carried in the event URL of each synchronous connect.
const (
	stageAgents   = "agents"   // ringing the agents' browsers
	stageFallback = "fallback" // ringing VONAGE_FALLBACK_NUMBER
)

// vonageBodyKey holds the webhook's body, read once by vonageSigned.
const vonageBodyKey = "vonage.body"

// webhookIDPrefix keeps the ids of used webhook tokens apart from those
// of sound-check tokens in the one-time-use records they share.
const webhookIDPrefix = "jti:"

// vonageSigned reads the webhook's body and, when VONAGE_SIGNATURE_SECRET
// is set, lets the request through only with Vonage's valid signature,
// checked before any other work, on a token never presented before: its
// id is recorded in the database, so a token copied from one request
// cannot be replayed, on this instance or another. Vonage routes do not
// exist when Vonage is not the configured provider.
func (h *Handler) vonageSigned(c *gin.Context) {
	if h.vonage == nil {
		h.notFound(c)
		return
	}
	body, err := io.ReadAll(c.Request.Body) // capped by limitBody
	if err != nil {
		h.fail(c, err)
		return
	}
	if h.vonage.Signed() {
		w, err := h.vonage.Verify(c.Request, body)
		if err == nil {
			err = h.media.Use(c, webhookIDPrefix+w.ID, w.Until)
		}
		switch {
		case errors.Is(err, models.ErrConflict):
			err = fmt.Errorf("%w: token %s presented again", vonage.ErrSignature, w.ID)
		case err != nil && !errors.Is(err, vonage.ErrSignature):
			h.fail(c, err) // the database could not say whether it is a replay
			return
		}
		if err != nil {
			h.log.Warn("rejected Vonage webhook", "path", c.Request.URL.Path, "ip", c.ClientIP(), "err", err)
			c.AbortWithStatusJSON(http.StatusUnauthorized, gin.H{"error": "Invalid Vonage signature."})
			return
		}
	}
	c.Set(vonageBodyKey, body)
	c.Next()
}

func vonageBody(c *gin.Context) []byte {
	b, _ := c.Get(vonageBodyKey)
	body, _ := b.([]byte)
	return body
}

// answerCall handles "GET|POST /webhooks/answer", the Vonage application's
// answer URL. The caller's role comes only from Vonage's from_user (the
// sub of the token the browser signed in with): the agent may dial a
// ticket's number or a valid number; anyone else reaches the agents, never
// a phone, whatever context the browser sent.
func (h *Handler) answerCall(c *gin.Context) {
	a, err := vonage.ParseAnswer(c.Request, vonageBody(c))
	if err != nil {
		h.log.Warn("answer webhook: unreadable body; treating the caller as a customer", "err", err)
	}
	if a.SoundCheck {
		h.ncco(c, h.vonage.SoundCheck(saySoundCheck, h.vonage.SocketURL(h.newMediaToken("vonage"))))
		return
	}
	if a.Caller != identityAgent {
		h.answerCustomer(c, a)
		return
	}
	number, ticketID, say := h.agentTarget(c, url.Values{"ticketId": {a.TicketID}, "phoneNumber": {a.To}})
	if say != "" {
		h.ncco(c, h.vonage.Say(say))
		return
	}
	if h.vonage.Number() == "" {
		h.ncco(c, h.vonage.Say(sayNoVonageNumber))
		return
	}
	h.ncco(c, h.vonage.ConnectPhone(number, h.vonage.URL("/webhooks/event", callQuery(models.CallOutbound, ticketID))))
}

// answerCustomer rings the agents' browsers. It touches no database, so
// a customer hears the greeting at once; if no agent answers, the event
// webhook decides what comes next (see nextForCustomer).
func (h *Handler) answerCustomer(c *gin.Context, a vonage.Answer) {
	ticketID := h.ticketFromRef(a.TicketRef)
	h.ncco(c, h.vonage.ConnectAgent(sayTransferring, identityAgent, agentRingSeconds, h.eventURL(ticketID, stageAgents)))
}

// eventURL is where a customer call's synchronous connect reports.
func (h *Handler) eventURL(ticketID *models.ID, stage string) string {
	q := callQuery(models.CallInbound, ticketID)
	q.Set("stage", stage)
	return h.vonage.URL("/webhooks/event", q)
}

// recordCallEvent handles "POST /webhooks/event" (and "/webhooks/events"):
// call progress into the call log. Retries and out-of-order events are
// harmless (see CallStore). When a customer's call did not reach the
// agents (or the fallback phone), the answer is the call's next NCCO.
//
// Only events from the event URLs Ringdesk's NCCOs name are logged: they
// carry the direction and ticket. The application-wide event URL also
// reports the browser's own leg, untagged; logging it could create the
// call's record without its direction, so it is acknowledged and left out.
func (h *Handler) recordCallEvent(c *gin.Context) {
	ev, err := vonage.ParseEvent(c.Request, vonageBody(c), h.now())
	if err != nil {
		c.JSON(http.StatusBadRequest, gin.H{"error": "Unreadable call event: missing or malformed conversation_uuid or body."})
		return
	}
	if !ev.Known || c.Query("dir") == "" {
		c.Status(http.StatusNoContent)
		return
	}
	ev.Call.Direction, ev.Call.TicketID = callContext(c)
	_, recErr := h.recordCall(c, ev.Call)
	if next := h.nextForCustomer(c, ev); next != nil {
		// The caller is waiting on this answer: the call goes on even if
		// the log could not be written.
		if recErr != nil {
			h.log.Error("record call event", "call", ev.Call.SID, "err", recErr)
		}
		h.ncco(c, next)
		return
	}
	if recErr != nil {
		h.fail(c, recErr)
		return
	}
	c.Status(http.StatusNoContent)
}

// nextForCustomer is what a customer's call does when the agents were not
// reached: the fallback phone if one is set, else voicemail; and voicemail
// when the fallback phone was not reached either. nil means the call goes
// on as it is.
func (h *Handler) nextForCustomer(c *gin.Context, ev vonage.Event) []byte {
	if !ev.Unreached {
		return nil
	}
	_, ticketID := callContext(c)
	stage := c.Query("stage")
	switch {
	case stage == stageAgents && h.vonage.FallbackNumber() != "":
		return h.vonage.FallbackTo(sayFallback, agentRingSeconds, h.eventURL(ticketID, stageFallback))
	case stage == stageAgents, stage == stageFallback:
		return h.vonage.Voicemail(sayVoicemailPrompt, sayVoicemailThanks,
			h.vonage.URL("/webhooks/recording", callQuery(models.CallInbound, ticketID)), voicemailSeconds)
	}
	return nil
}

// saveRecording handles "POST /webhooks/recording", the voicemail record
// action's event URL: the message is attached to the caller's ticket, or
// to a new ticket when the caller had not opened one.
func (h *Handler) saveRecording(c *gin.Context) {
	sid, recording, seconds, ok := vonage.Recording(c.Request, vonageBody(c))
	switch {
	case !ok:
		c.JSON(http.StatusBadRequest, gin.H{"error": "Unusable recording: missing conversation_uuid or a Vonage https recording_url."})
		return
	case seconds == 0:
		c.Status(http.StatusNoContent) // nothing was said
		return
	}
	_, ticketID := callContext(c)
	if err := h.attachVoicemail(c, "vonage", identityCustomer, sid, ticketID, recording, seconds); err != nil {
		// The recording stays in Vonage; the log keeps its address, and a
		// failed answer lets Vonage try again.
		h.log.Error("save voicemail", "call", sid, "recording", recording, "err", err)
		h.fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// ncco writes an NCCO answer.
func (h *Handler) ncco(c *gin.Context, body []byte) {
	c.Data(http.StatusOK, "application/json", body)
}
