package handlers

import (
	"errors"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/ringdesk/ringdesk/models"
)

const msgBadSetupLink = "This set-up link is invalid, has expired or has already been used. Restart Ringdesk with no agents to get a new one, or ask an agent to add you with `ringdesk agent add`."

// showSetup handles "GET /setup": the first agent's sign-up form, reachable
// only with the one-time token printed in the log at first start.
func (h *Handler) showSetup(c *gin.Context) {
	token := c.Query("token")
	if !h.checkSetupToken(c, token) {
		return
	}
	h.render(c, http.StatusOK, "setup", viewData{Title: "Create the first agent", Setup: setupForm{Token: token}})
}

// createFirstAgent handles "POST /setup".
func (h *Handler) createFirstAgent(c *gin.Context) {
	if err := parseForm(c); err != nil {
		h.fail(c, err)
		return
	}
	f := c.Request.PostForm
	form := setupForm{Token: f.Get("token"), Email: strings.TrimSpace(f.Get("email")), Name: strings.TrimSpace(f.Get("name"))}
	in := models.AgentInput{Email: form.Email, Name: form.Name, Password: f.Get("password")}

	if !h.checkSetupToken(c, form.Token) {
		return
	}
	if _, _, err := in.Validate(); err != nil {
		var verr *models.ValidationError
		errors.As(err, &verr)
		form.Errors = verr.Fields
		h.render(c, http.StatusUnprocessableEntity, "setup", viewData{Title: "Create the first agent", Setup: form})
		return
	}
	// Consume the token before creating the agent: of two racing
	// submissions only one gets through.
	if used, err := h.setup.Use(c, form.Token, h.now()); err != nil || !used {
		if err != nil {
			h.fail(c, err)
			return
		}
		h.fail(c, refuse(http.StatusNotFound, msgBadSetupLink))
		return
	}
	a, err := h.agents.Create(c, in)
	if err != nil {
		h.reissueSetupToken(c)
		h.fail(c, err)
		return
	}
	h.log.Info("first agent created", "agent", a.ID.Hex())
	if err := h.startSession(c, a); err != nil {
		h.fail(c, err)
		return
	}
	h.setFlash(c, "success", "Welcome to Ringdesk, "+a.Name+". New tickets appear here.")
	c.Redirect(http.StatusSeeOther, "/dashboard")
}

// checkSetupToken answers 404 itself unless token is the current set-up
// token.
func (h *Handler) checkSetupToken(c *gin.Context, token string) bool {
	ok, err := h.setup.Check(c, token, h.now())
	if err != nil {
		h.fail(c, err)
		return false
	}
	if !ok {
		h.fail(c, refuse(http.StatusNotFound, msgBadSetupLink))
	}
	return ok
}

// reissueSetupToken logs a fresh set-up link when creating the first agent
// failed after its token was used, so the team is never locked out.
func (h *Handler) reissueSetupToken(c *gin.Context) {
	token, err := h.setup.NewToken(c)
	if err != nil {
		h.log.Error("reissue set-up link", "err", err)
		return
	}
	h.log.Warn("creating the first agent failed; use this new set-up link", "url", h.cfg.PublicURL.String()+"/setup?token="+token)
}
