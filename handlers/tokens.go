package handlers

import (
	"errors"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ringdesk/ringdesk/models"
	"github.com/ringdesk/ringdesk/voice"
)

// agentTokenTTL caps the lifetime of an agent's voice token, whatever
// TOKEN_TTL says: an agent's token can call any number, so one copied
// from a browser, or kept after signing out, must not last long. The
// page asks for a new one before it expires; only a live session gets it.
const agentTokenTTL = 15 * time.Minute

// issueToken handles "POST /token": a voice token for this browser. A
// signed-in agent (checked against the database, so a signed-out session
// cannot mint one) gets the agent identity; anyone else is a customer.
func (h *Handler) issueToken(c *gin.Context) {
	c.Header("Cache-Control", "no-store")
	if h.provider == nil {
		h.fail(c, refuse(http.StatusServiceUnavailable, "Calling is not configured on this server.").inJSON())
		return
	}
	identity, incoming, ttl := voice.Customer, false, h.cfg.TokenTTL
	key := "ip:" + addressKey(c.ClientIP())
	if s := sessionFrom(c); s != nil {
		id, _ := models.ParseID(s.Subject)
		a, err := h.agents.Get(c, id)
		switch {
		case err == nil && a.SessionActive(s.ID):
			identity, incoming, ttl = voice.Agent, true, min(ttl, agentTokenTTL)
			key = "agent:" + s.ID
		case err != nil && !errors.Is(err, models.ErrNotFound):
			h.fail(c, err)
			return
		}
	}
	if ok, retry := h.limits.tokens.hit(key, h.now()); !ok {
		h.fail(c, refuse(http.StatusTooManyRequests, "Too many call attempts; please wait a minute.").retryIn(retry).inJSON())
		return
	}
	token, expires, err := h.provider.Token(identity, incoming, ttl, h.now())
	if err != nil {
		h.fail(c, err)
		return
	}
	c.JSON(http.StatusOK, gin.H{
		"token":     token,
		"identity":  identity,
		"provider":  h.provider.Name(),
		"expiresAt": expires.UTC().Format(time.RFC3339),
	})
}
