package handlers

import (
	"context"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ringdesk/ringdesk/models"
)

// setPresence handles "POST /presence": a dashboard says whether its
// phone is registered ("ready"), whether its agent chose Away ("away") and
// whether a call rings or is up on it ("onCall"). The header counts the
// team from these: available, on a call, away.
func (h *Handler) setPresence(c *gin.Context) {
	var req struct {
		Stream string `json:"stream"`
		Ready  *bool  `json:"ready"`
		Away   *bool  `json:"away"`
		OnCall *bool  `json:"onCall"`
	}
	if err := decodeJSON(c, &req); err != nil || req.Stream == "" || (req.Ready == nil && req.Away == nil && req.OnCall == nil) {
		h.fail(c, refuse(http.StatusBadRequest, "Send {\"stream\": id} with any of \"ready\", \"away\" and \"onCall\" (true or false).").inJSON())
		return
	}
	page, ok := h.live.broker.setPresence(req.Stream, currentAgent(c).ID.Hex(), presenceUpdate{Ready: req.Ready, Away: req.Away, OnCall: req.OnCall})
	if !ok {
		h.fail(c, refuse(http.StatusNotFound, "No such event stream; reconnect first.").inJSON())
		return
	}
	h.storePage(c, page)
	if !h.live.broker.open(req.Stream) {
		// The stream ended while the page was stored, and its own
		// drop may have come first: a page must not outlive it.
		h.dropPage(req.Stream)
	}
	h.refreshCounters()
	c.Status(http.StatusNoContent)
}

// presenceTimeout bounds each read and write of the team's presence: a
// customer's call waits on the count, and a database that does not
// answer must not hold it.
const presenceTimeout = time.Second

// team counts the agents with Ringdesk open, on every instance. When the
// database cannot say, it counts this instance's pages: calls still ring
// or wait for the agents this instance can see.
func (h *Handler) team(ctx context.Context) models.TeamPresence {
	if h.presence != nil {
		ctx, cancel := context.WithTimeout(ctx, presenceTimeout)
		defer cancel()
		t, err := h.presence.Team(ctx, h.now())
		if err == nil {
			return t
		}
		h.log.Warn("count the team; counting this instance's pages only", "err", err)
	}
	return h.live.broker.presence()
}

// storePage stores what a page says of its phone, for every instance,
// for models.PresenceTTL. A write that fails is only logged: the page's
// next heartbeat writes it whole again, and meanwhile this instance
// counts it.
func (h *Handler) storePage(ctx context.Context, p models.Presence) {
	if h.presence == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), presenceTimeout)
	defer cancel()
	p.ExpiresAt = h.now().Add(models.PresenceTTL)
	if err := h.presence.Set(ctx, p); err != nil {
		h.log.Warn("store an agent's presence", "agent", p.AgentID.Hex(), "err", err)
	}
}

// dropPage forgets a page that closed, so that its agent stops counting
// at once rather than when it expires.
func (h *Handler) dropPage(stream string) {
	if h.presence == nil {
		return
	}
	ctx, cancel := context.WithTimeout(context.Background(), presenceTimeout)
	defer cancel()
	if err := h.presence.Drop(ctx, stream); err != nil {
		h.log.Warn("forget an agent's page; it stops counting when it expires", "err", err)
	}
}

// callTaken handles "POST /calls/taken": an agent accepted an incoming
// call, so the other dashboards stop ringing and say who took it. The id
// is the one the browser SDK shows for the call; the server only relays it.
func (h *Handler) callTaken(c *gin.Context) {
	var req struct {
		Call string `json:"call"`
	}
	if err := decodeJSON(c, &req); err != nil || req.Call == "" || len(req.Call) > 128 {
		h.fail(c, refuse(http.StatusBadRequest, "Send {\"call\": id}.").inJSON())
		return
	}
	agent := currentAgent(c)
	h.live.broker.publish("taken", gin.H{"call": req.Call, "agent": agent.Name, "agentId": agent.ID.Hex()})
	c.Status(http.StatusNoContent)
}
