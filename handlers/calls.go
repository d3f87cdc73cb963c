package handlers

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ringdesk/ringdesk/handlers/twilio"
	"github.com/ringdesk/ringdesk/models"
)

// CallStore is what the call webhooks need from the call log.
type CallStore interface {
	Record(ctx context.Context, ev models.CallEvent) (*models.Call, error)
	ForTicket(ctx context.Context, ticketID models.ID) ([]models.Call, error)
	GetByID(ctx context.Context, id models.ID) (*models.Call, error)
}

// How long a customer's call rings the agents before voicemail, and the
// longest voicemail.
const (
	agentRingSeconds = 30
	voicemailSeconds = 120
)

// Spoken messages. Callers hear these instead of an error tone.
const (
	sayNoTarget        = "There is no ticket or phone number to call. Please choose a ticket and try again."
	sayTicketGone      = "That ticket no longer exists. Please reload the dashboard and try again."
	sayTicketNoPhone   = "This ticket has no phone number to call."
	sayBadNumber       = "That phone number is not valid. Please check it on the ticket and try again."
	sayPremiumNumber   = "That is a premium-rate number. Calls to premium-rate numbers are not allowed."
	saySharedCost      = "That is a shared-cost number. Calls to shared-cost numbers are not allowed."
	sayCountryBlocked  = "Calls to that country are not allowed from here. Please ask your administrator to add it to DIAL_COUNTRIES."
	sayNoCallerID      = "Calling phones is not set up yet: the server has no caller I D. Please ask your administrator to set TWILIO_CALLER_ID."
	sayDatabaseDown    = "Ringdesk can't reach its database right now. Please try again in a minute."
	sayVoicemailPrompt = "Sorry, all of our agents are busy right now. Please leave a message with your name and phone number after the tone, then press the pound key or hang up."
	sayVoicemailThanks = "Thank you. Your message has been recorded, and we will get back to you soon. Goodbye."
	sayGoodbye         = "Thank you for calling. Goodbye."
)

// twilioSigned lets a request through only with a valid X-Twilio-Signature,
// checked before any other work. Twilio routes do not exist when Twilio is
// not the configured provider.
func (h *Handler) twilioSigned(c *gin.Context) {
	if h.twilio == nil {
		h.notFound(c)
		return
	}
	if err := parseForm(c); err != nil {
		h.fail(c, err)
		return
	}
	if !h.twilio.Verify(c.Request) {
		h.log.Warn("rejected Twilio webhook: bad signature", "path", c.Request.URL.Path, "ip", c.ClientIP())
		c.AbortWithStatusJSON(http.StatusForbidden, gin.H{"error": "Invalid Twilio signature."})
		return
	}
	c.Next()
}

// connectCall handles "POST /call/connect", the TwiML App's voice URL. The
// caller's role comes only from Twilio's signed From: the agent may dial a
// ticket's number or a valid number; anyone else reaches the agents, never
// a phone, whatever parameters the browser sent.
func (h *Handler) connectCall(c *gin.Context) {
	f := c.Request.PostForm
	if f.Get("soundCheck") == "1" {
		// Anyone may test their audio: the stream only echoes the caller.
		h.twiml(c, h.twilio.ConnectStream(saySoundCheck, h.twilio.StreamURL("/media"), h.newMediaToken("twilio")))
		return
	}
	if twilio.Caller(f) != identityAgent {
		h.connectCustomer(c, f)
		return
	}
	number, ticketID, say := h.agentTarget(c, f)
	if say != "" {
		h.twiml(c, h.twilio.SayAndHangUp(say))
		return
	}
	if h.twilio.CallerID() == "" {
		h.twiml(c, h.twilio.SayAndHangUp(sayNoCallerID))
		return
	}
	h.twiml(c, h.twilio.DialNumber(number, h.twilio.URL("/call/status", callQuery(models.CallOutbound, ticketID))))
}

// connectCustomer rings the agents' browsers. It touches no database, so
// a customer hears ringing at once; the call log starts with the first
// status callback.
func (h *Handler) connectCustomer(c *gin.Context, f url.Values) {
	ticketID := h.ticketFromRef(f.Get("ticketRef"))
	q := callQuery(models.CallInbound, ticketID)
	h.twiml(c, h.twilio.DialAgent(identityAgent, h.twilio.URL("/call/dial-result", q), h.twilio.URL("/call/status", q), agentRingSeconds))
}

// agentTarget decides which number an agent's call goes to: the ticket's
// stored number when a ticket is named, else the number typed, if valid
// and allowed by the dial policy. say is non-empty when the call cannot
// go ahead and tells the agent why.
func (h *Handler) agentTarget(c *gin.Context, f url.Values) (number string, ticketID *models.ID, say string) {
	if raw := f.Get("ticketId"); raw != "" {
		id, err := models.ParseID(raw)
		if err != nil {
			return "", nil, sayTicketGone
		}
		t, err := h.tickets.Get(c, id)
		switch {
		case errors.Is(err, models.ErrNotFound):
			return "", nil, sayTicketGone
		case err != nil:
			h.log.Warn("connect call: load ticket", "err", err)
			return "", nil, sayDatabaseDown
		case t.PhoneNumber == "":
			return "", nil, sayTicketNoPhone
		}
		if say := h.dialRefusal(h.dialPolicy().CheckStored(t.PhoneNumber)); say != "" {
			return "", nil, say
		}
		return t.PhoneNumber, &t.ID, ""
	}
	raw := f.Get("phoneNumber")
	if raw == "" {
		return "", nil, sayNoTarget
	}
	e164, msg := models.NormalizePhone(raw, h.cfg.PhoneRegion)
	if msg != "" {
		return "", nil, sayBadNumber
	}
	if say := h.dialRefusal(h.dialPolicy().CheckTyped(e164)); say != "" {
		return "", nil, say
	}
	return e164, nil, ""
}

// dialPolicy is DIAL_COUNTRIES as a models.DialPolicy.
func (h *Handler) dialPolicy() models.DialPolicy {
	return models.DialPolicy{Countries: h.cfg.DialCountries}
}

// dialRefusal words a dial policy's refusal for the agent; "" when the
// number may be dialled.
func (h *Handler) dialRefusal(err error) string {
	if err == nil {
		return ""
	}
	h.log.Info("refused an agent's call", "reason", err)
	switch {
	case errors.Is(err, models.ErrPremiumNumber):
		return sayPremiumNumber
	case errors.Is(err, models.ErrSharedCostNumber):
		return saySharedCost
	case errors.Is(err, models.ErrCountryNotAllowed):
		return sayCountryBlocked
	}
	return sayBadNumber
}

// callQuery carries what Ringdesk knows about a call into the callback
// URLs. Twilio signs the full URL, so the values come back unaltered.
func callQuery(dir models.CallDirection, ticketID *models.ID) url.Values {
	q := url.Values{"dir": {string(dir)}}
	if ticketID != nil {
		q.Set("ticketId", ticketID.Hex())
	}
	return q
}

// callContext reads callQuery back from a signed callback URL.
func callContext(c *gin.Context) (models.CallDirection, *models.ID) {
	dir := models.CallOutbound
	if c.Query("dir") == string(models.CallInbound) {
		dir = models.CallInbound
	}
	if id, err := models.ParseID(c.Query("ticketId")); err == nil {
		return dir, &id
	}
	return dir, nil
}

// recordCallStatus handles "POST /call/status": call progress into the call
// log. Retries and out-of-order callbacks are harmless (see CallStore).
func (h *Handler) recordCallStatus(c *gin.Context) {
	ev, ok := twilio.StatusEvent(c.Request.PostForm, h.now())
	if !ok {
		c.JSON(http.StatusBadRequest, gin.H{"error": "Missing or unknown CallSid or CallStatus."})
		return
	}
	ev.Direction, ev.TicketID = callContext(c)
	if _, err := h.recordCall(c, ev); err != nil {
		h.fail(c, err)
		return
	}
	c.Status(http.StatusNoContent)
}

// dialResult handles "POST /call/dial-result", Twilio's question after the
// agents' browsers rang: done if someone answered, else offer voicemail.
func (h *Handler) dialResult(c *gin.Context) {
	switch twilio.DialStatus(c.Request.PostForm) {
	case "completed", "answered":
		h.twiml(c, h.twilio.HangUp())
		return
	}
	_, ticketID := callContext(c)
	h.twiml(c, h.twilio.Voicemail(sayVoicemailPrompt,
		h.twilio.URL("/call/voicemail", callQuery(models.CallInbound, ticketID)), voicemailSeconds))
}

// saveVoicemail handles "POST /call/voicemail", the <Record> action: the
// message is attached to the caller's ticket, or to a new ticket when the
// caller had not opened one.
func (h *Handler) saveVoicemail(c *gin.Context) {
	sid, recording, seconds, ok := twilio.Recording(c.Request.PostForm)
	if !ok || seconds == 0 {
		h.twiml(c, h.twilio.SayAndHangUp(sayGoodbye))
		return
	}
	_, ticketID := callContext(c)
	if err := h.attachVoicemail(c, "twilio", "client:"+identityCustomer, sid, ticketID, recording, seconds); err != nil {
		// The recording stays in Twilio; the log keeps its address so
		// nothing is lost while the database is away.
		h.log.Error("save voicemail", "call", sid, "recording", recording, "err", err)
	}
	h.twiml(c, h.twilio.SayAndHangUp(sayVoicemailThanks))
}

// attachVoicemail logs provider's voicemail recording on the caller's
// ticket, or on a new "Website caller" ticket; from is the caller as the
// provider names it. A retried webhook finds the same ticket again.
func (h *Handler) attachVoicemail(ctx context.Context, provider, from, sid string, ticketID *models.ID, recording string, seconds int) error {
	if ticketID == nil {
		t := models.Ticket{
			Name:           "Website caller",
			Description:    "Voicemail left from the website after no agent answered (" + formatDuration(seconds) + "). The caller did not open a ticket first, so there is no number to call back: listen for one in the message.",
			Source:         "voicemail",
			IdempotencyKey: "voicemail:" + sid, // a retried callback finds this ticket again
		}
		created, err := h.tickets.Create(ctx, &t)
		if err != nil {
			return err
		}
		if created {
			h.metrics.ticketsCreated.Inc()
			h.publishCard(&t, true)
		}
		ticketID = &t.ID
	}
	_, err := h.recordCall(ctx, models.CallEvent{
		Provider: provider, SID: sid, TicketID: ticketID, Direction: models.CallInbound, From: from,
		Status: models.CallVoicemail, At: h.now(), RecordingURL: recording, RecordingDuration: seconds,
	})
	return err
}

// twiml writes a TwiML answer.
func (h *Handler) twiml(c *gin.Context, body []byte) {
	c.Data(http.StatusOK, "text/xml; charset=utf-8", body)
}

// formatDuration writes seconds as m:ss.
func formatDuration(seconds int) string {
	d := time.Duration(seconds) * time.Second
	m, s := int(d/time.Minute), int(d%time.Minute/time.Second)
	if s < 10 {
		return strconv.Itoa(m) + ":0" + strconv.Itoa(s)
	}
	return strconv.Itoa(m) + ":" + strconv.Itoa(s)
}
