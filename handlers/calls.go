package handlers

import (
	"context"
	"errors"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ringdesk/ringdesk/models"
	"github.com/ringdesk/ringdesk/voice"
)

// CallStore is what the call webhooks and pages need from the call log.
type CallStore interface {
	Record(ctx context.Context, ev models.CallEvent) (*models.Call, error)
	ForTicket(ctx context.Context, ticketID models.ID) ([]models.Call, error)
	GetByID(ctx context.Context, id models.ID) (*models.Call, error)
	Each(ctx context.Context, from, to time.Time, fn func(*models.Call) error) error
}

// newCalling is the calling domain, wired to this handler's stores,
// clock and dashboards.
func (h *Handler) newCalling(p Provider) *voice.Service {
	return &voice.Service{
		Provider:  p.Name(),
		Line:      p.Line(),
		Tickets:   h.tickets,
		Calls:     h.calls,
		Dial:      models.DialPolicy{Countries: h.cfg.DialCountries},
		Region:    h.cfg.PhoneRegion,
		Now:       func() time.Time { return h.now() },
		Settings:  h.settings,
		Queue:     h.queue,
		Callbacks: h.callbacks,
		// The header and the wallboard count the line.
		LineChanged: h.refreshCounters,
		MaxWait:     h.cfg.QueueMaxWait,
		Team: func(ctx context.Context) (available, present int) {
			t := h.team(ctx)
			return t.Available, t.Present()
		},
		Log:             h.log,
		TicketFromRef:   h.ticketFromRef,
		SoundCheckToken: func() string { return h.newMediaToken(p.Name()) },
		Recorded:        h.callRecorded,
		Created: func(t *models.Ticket) {
			h.metrics.ticketsCreated.Inc()
			h.publishCard(t, true)
		},
	}
}

// bodyKey holds a webhook's body, read once by signedWebhook.
const bodyKey = "webhook.body"

// webhookIDPrefix keeps the ids of used webhook tokens apart from those
// of sound-check tokens in the one-time-use records they share.
const webhookIDPrefix = "jti:"

// signedWebhook lets a provider's request through only when the provider
// vouches for it (its signature, on a token never presented before where
// its tokens are single-use, recorded in the database so that no
// instance accepts it twice), checked before any other work.
func (h *Handler) signedWebhook(c *gin.Context) {
	useOnce := func(id string, until time.Time) error { return h.media.Use(c, webhookIDPrefix+id, until) }
	body, err := h.provider.Authenticate(c.Request, h.now(), useOnce)
	if err != nil {
		h.webhookFail(c, err)
		return
	}
	c.Set(bodyKey, body)
	c.Next()
}

func webhookBody(c *gin.Context) []byte {
	body, _ := c.MustGet(bodyKey).([]byte)
	return body
}

// webhookFail answers a webhook that cannot be used, always in JSON: the
// provider's refusal (a bad signature) as it says, after logging it; an
// unusable body as 400 with its reason; anything else as fail does.
func (h *Handler) webhookFail(c *gin.Context, err error) {
	if r, ok := errors.AsType[refusal](err); ok {
		h.log.Warn("rejected "+h.provider.Name()+" webhook", "path", c.Request.URL.Path, "ip", c.ClientIP(), "err", err)
		err = refuse(r.Status(), r.Message()).inJSON()
	} else if m, ok := errors.AsType[voice.Malformed](err); ok {
		err = refuse(http.StatusBadRequest, string(m)).inJSON()
	}
	h.fail(c, err)
}

// plan writes a call's plan in the provider's format.
func (h *Handler) plan(c *gin.Context, p voice.Plan) {
	contentType, body := h.provider.Render(p)
	c.Data(http.StatusOK, contentType, body)
}

// answerCall handles the provider's answer URL ("POST /call/connect",
// "GET|POST /webhooks/answer"): what a new call does.
func (h *Handler) answerCall(c *gin.Context) {
	req, err := h.provider.ParseCall(c.Request, webhookBody(c))
	if err != nil {
		h.log.Warn("answer webhook: unreadable request; treating the caller as a customer", "err", err)
	}
	h.plan(c, h.calling.Answer(c, req))
}

// callEvent handles a call's progress ("POST /call/status",
// "/call/dial-result", "POST /webhooks/event"): into the call log, and,
// when the call waits on the answer, what it does next.
func (h *Handler) callEvent(c *gin.Context) {
	ev, err := h.provider.ParseEvent(c.Request, webhookBody(c), h.now())
	if err != nil {
		h.webhookFail(c, err)
		return
	}
	next, err := h.calling.Event(c, ev)
	switch {
	case next != nil:
		// The caller is waiting on this answer: the call goes on even if
		// the log could not be written.
		if err != nil {
			h.log.Error("record call event", "call", ev.Call.SID, "err", err)
		}
		h.plan(c, *next)
	case err != nil:
		h.fail(c, err)
	default:
		c.Status(http.StatusNoContent)
	}
}

// holdCall handles a call on hold asking what next ("POST /call/queue",
// "POST /webhooks/queue"): ring the agents, hold on, or voicemail.
func (h *Handler) holdCall(c *gin.Context) {
	p, err := h.provider.ParseQueue(c.Request, webhookBody(c))
	if err != nil {
		h.webhookFail(c, err)
		return
	}
	h.plan(c, h.calling.Poll(c, p))
}

// saveRecording handles a voicemail ("POST /call/voicemail", "POST
// /webhooks/recording"): the message joins the caller's ticket, or a new
// ticket when the caller had not opened one.
func (h *Handler) saveRecording(c *gin.Context) {
	rec, err := h.provider.ParseRecording(c.Request, webhookBody(c))
	if err != nil {
		h.webhookFail(c, err)
		return
	}
	next, err := h.calling.Voicemail(c, rec)
	switch {
	case rec.Waiting:
		// The recording stays with the provider and the log keeps its
		// address: the caller hears the end of the call either way.
		h.plan(c, next)
	case err != nil:
		h.fail(c, err) // the provider tries again
	default:
		c.Status(http.StatusNoContent)
	}
}
