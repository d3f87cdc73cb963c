package handlers

import (
	"net/http"

	"github.com/gin-gonic/gin"
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
	if !h.live.broker.setPresence(req.Stream, currentAgent(c).ID.Hex(), presenceUpdate{Ready: req.Ready, Away: req.Away, OnCall: req.OnCall}) {
		h.fail(c, refuse(http.StatusNotFound, "No such event stream; reconnect first.").inJSON())
		return
	}
	h.refreshCounters()
	c.Status(http.StatusNoContent)
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
