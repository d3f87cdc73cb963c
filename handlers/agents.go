package handlers

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ringdesk/ringdesk/models"
)

const (
	msgAdminsOnly = "Only admins can manage agents. Ask an admin if you need a change."
	msgLastAdmin  = "Ringdesk needs at least one active admin: make another agent an admin first."
	msgEmailTaken = "An agent with this email already exists."
)

// agentJSON is an agent as JSON clients of /agents and /account see it.
type agentJSON struct {
	ID     string      `json:"id"`
	Email  string      `json:"email"`
	Name   string      `json:"name"`
	Role   models.Role `json:"role"`
	Active bool        `json:"active"`
}

func newAgentJSON(a *models.Agent) agentJSON {
	return agentJSON{ID: a.ID.Hex(), Email: a.Email, Name: a.Name, Role: a.Role, Active: !a.Disabled}
}

// agentRow is one line of the agents page.
type agentRow struct {
	ID      string
	Email   string
	Name    string
	Admin   bool
	Active  bool
	Self    bool // the admin looking at the page
	Created timeView
}

// inviteForm is the agents page's invite form, kept when it was refused.
type inviteForm struct {
	Email  string
	Name   string
	Role   string
	Errors map[string]string // keyed by email, name, role
}

// oneTimeLink is a link just made for an admin to pass on.
type oneTimeLink struct {
	URL     string
	Reset   bool   // a password reset rather than an invitation
	For     string // whose it is: the email
	Expires timeView
}

// linkJSON is a one-time link as JSON clients get it.
type linkJSON struct {
	Link      string `json:"link"`
	ExpiresAt string `json:"expiresAt"`
}

// requireAdmin lets only admins through; it runs after requireAgent, so
// the agent was just read from the store and a demotion applies at once.
func (h *Handler) requireAdmin(c *gin.Context) {
	if a := currentAgent(c); a == nil || !a.IsAdmin() {
		h.fail(c, refuse(http.StatusForbidden, msgAdminsOnly))
		return
	}
	c.Next()
}

// listAgents handles "GET /agents": the team, or the team as JSON.
func (h *Handler) listAgents(c *gin.Context) {
	if wantsJSON(c) {
		agents, err := h.agents.List(c)
		if err != nil {
			h.fail(c, err)
			return
		}
		out := make([]agentJSON, len(agents))
		for i := range agents {
			out[i] = newAgentJSON(&agents[i])
		}
		c.JSON(http.StatusOK, out)
		return
	}
	h.showAgents(c, http.StatusOK, inviteForm{}, nil)
}

// showAgents renders the agents page with the invite form as given and,
// when one was just made, a one-time link.
func (h *Handler) showAgents(c *gin.Context, status int, form inviteForm, link *oneTimeLink) {
	agents, err := h.agents.List(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	me, now := currentAgent(c), h.now()
	rows := make([]agentRow, len(agents))
	for i, a := range agents {
		rows[i] = agentRow{
			ID: a.ID.Hex(), Email: a.Email, Name: a.Name,
			Admin: a.Role == models.RoleAdmin, Active: !a.Disabled, Self: a.ID == me.ID,
			Created: newTimeView(a.CreatedAt, now),
		}
	}
	// The page may carry a one-time link: no cache may keep it.
	c.Header("Cache-Control", "no-store")
	h.render(c, status, "agents", viewData{Title: "Agents", Agents: rows, InviteForm: form, Link: link})
}

// inviteAgent handles "POST /agents/invite" (email, name, role): it
// answers with the link itself, not a redirect, since the link is shown
// once and must not travel in a cookie or a URL.
func (h *Handler) inviteAgent(c *gin.Context) {
	vals, err := postedValues(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	form := inviteForm{Email: strings.TrimSpace(vals.Get("email")), Name: strings.TrimSpace(vals.Get("name")), Role: vals.Get("role")}
	in := models.InviteInput{Kind: models.KindInvite, Email: form.Email, Name: form.Name, Role: models.Role(form.Role), By: currentAgent(c).ID}
	token, err := h.agents.CreateInvite(c, in, h.now())
	var verr *models.ValidationError
	switch {
	case errors.As(err, &verr):
		h.refuseInvite(c, http.StatusUnprocessableEntity, form, verr.Fields)
		return
	case errors.Is(err, models.ErrConflict):
		h.refuseInvite(c, http.StatusConflict, form, map[string]string{"email": msgEmailTaken})
		return
	case err != nil:
		h.fail(c, err)
		return
	}
	h.log.Info("agent invited", "by", currentAgent(c).ID.Hex())
	h.showLink(c, token)
}

// refuseInvite answers an invite form that was refused, with a message
// per field and the values typed.
func (h *Handler) refuseInvite(c *gin.Context, status int, form inviteForm, fields map[string]string) {
	if wantsJSON(c) {
		refuseFields(c, status, fields)
		return
	}
	form.Errors = fields
	h.showAgents(c, status, form, nil)
}

// resetPassword handles "POST /agents/:id/reset": a one-time link with
// which the agent chooses a new password.
func (h *Handler) resetPassword(c *gin.Context) {
	a, ok := h.agentFromPath(c)
	if !ok {
		return
	}
	token, err := h.agents.CreateInvite(c, models.InviteInput{Kind: models.KindReset, AgentID: a.ID, By: currentAgent(c).ID}, h.now())
	if err != nil {
		h.fail(c, err)
		return
	}
	h.log.Info("password reset link made", "agent", a.ID.Hex(), "by", currentAgent(c).ID.Hex())
	h.showLink(c, token)
}

// showLink answers with the one-time link token opens: JSON, or the
// agents page showing it.
func (h *Handler) showLink(c *gin.Context, token string) {
	// Read back rather than recomputed, so the expiry shown is the one
	// stored.
	inv, err := h.agents.CheckInvite(c, token, h.now())
	if err != nil {
		h.fail(c, err)
		return
	}
	link := h.cfg.PublicURL.String() + "/invite?token=" + url.QueryEscape(token)
	if wantsJSON(c) {
		c.Header("Cache-Control", "no-store")
		c.JSON(http.StatusCreated, linkJSON{Link: link, ExpiresAt: inv.ExpiresAt.UTC().Format(time.RFC3339)})
		return
	}
	h.showAgents(c, http.StatusOK, inviteForm{}, &oneTimeLink{
		URL: link, Reset: inv.Kind == models.KindReset, For: inv.Email, Expires: newTimeView(inv.ExpiresAt, h.now()),
	})
}

// disableAgent handles "POST /agents/:id/disable": the agent can no
// longer sign in, and their sessions end at once.
func (h *Handler) disableAgent(c *gin.Context) { h.setAgentDisabled(c, true) }

// enableAgent handles "POST /agents/:id/enable".
func (h *Handler) enableAgent(c *gin.Context) { h.setAgentDisabled(c, false) }

func (h *Handler) setAgentDisabled(c *gin.Context, disabled bool) {
	a, ok := h.agentFromPath(c)
	if !ok {
		return
	}
	err := h.agents.SetDisabled(c, a.ID, disabled)
	if errors.Is(err, models.ErrLastAdmin) {
		h.refuseAgentChange(c, "agent", msgLastAdmin)
		return
	}
	if err != nil {
		h.fail(c, err)
		return
	}
	if !disabled {
		h.log.Info("agent enabled", "agent", a.ID.Hex(), "by", currentAgent(c).ID.Hex())
		h.agentChanged(c, a.ID, a.Name+" can sign in again.", "/agents")
		return
	}
	// Requests are refused from now on, since requireAgent reads the
	// agent each time; open event streams are ended here. Other
	// instances end theirs at their next check of the session.
	h.live.broker.endAgent(a.ID.Hex())
	h.log.Info("agent disabled", "agent", a.ID.Hex(), "by", currentAgent(c).ID.Hex())
	if a.ID == currentAgent(c).ID && !wantsJSON(c) {
		h.clearCookie(c, sessionCookie)
		h.setFlash(c, "success", "Your account is disabled and you have been signed out.")
		c.Redirect(http.StatusSeeOther, "/login")
		return
	}
	h.agentChanged(c, a.ID, a.Name+" is disabled and has been signed out everywhere.", "/agents")
}

// setAgentRole handles "POST /agents/:id/role" (role=admin|agent).
func (h *Handler) setAgentRole(c *gin.Context) {
	a, ok := h.agentFromPath(c)
	if !ok {
		return
	}
	vals, err := postedValues(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	role, err := models.ValidateRole(models.Role(vals.Get("role")))
	var verr *models.ValidationError
	if errors.As(err, &verr) {
		h.refuseAgentChange(c, "role", verr.Fields["role"])
		return
	}
	err = h.agents.SetRole(c, a.ID, role)
	switch {
	case errors.Is(err, models.ErrLastAdmin):
		h.refuseAgentChange(c, "role", msgLastAdmin)
		return
	case errors.As(err, &verr):
		h.refuseAgentChange(c, "role", verr.Fields["role"])
		return
	case err != nil:
		h.fail(c, err)
		return
	}
	h.log.Info("agent role changed", "agent", a.ID.Hex(), "role", string(role), "by", currentAgent(c).ID.Hex())
	msg, back := a.Name+" is now an agent.", "/agents"
	if role == models.RoleAdmin {
		msg = a.Name + " is now an admin."
	}
	if a.ID == currentAgent(c).ID && role != models.RoleAdmin {
		// The agents page is closed to them from now on.
		msg, back = "You are now an agent: admins manage the team.", "/dashboard"
	}
	h.agentChanged(c, a.ID, msg, back)
}

// agentFromPath loads the agent named by :id, answering 404 itself when
// the id is malformed or unknown.
func (h *Handler) agentFromPath(c *gin.Context) (*models.Agent, bool) {
	id, err := models.ParseID(c.Param("id"))
	if err != nil {
		h.fail(c, models.ErrNotFound)
		return nil, false
	}
	a, err := h.agents.Get(c, id)
	if err != nil {
		h.fail(c, err)
		return nil, false
	}
	return a, true
}

// agentChanged answers a change to agent id: the agent as it now is, or
// msg on the page back.
func (h *Handler) agentChanged(c *gin.Context, id models.ID, msg, back string) {
	if wantsJSON(c) {
		a, err := h.agents.Get(c, id)
		if err != nil {
			h.fail(c, err)
			return
		}
		c.JSON(http.StatusOK, newAgentJSON(a))
		return
	}
	h.setFlash(c, "success", msg)
	c.Redirect(http.StatusSeeOther, back)
}

// refuseAgentChange answers a change to an agent that was refused:
// {"errors": {field: msg}} with 422, or msg on the agents page.
func (h *Handler) refuseAgentChange(c *gin.Context, field, msg string) {
	if wantsJSON(c) {
		refuseFields(c, http.StatusUnprocessableEntity, map[string]string{field: msg})
		return
	}
	h.setFlash(c, "error", msg)
	c.Redirect(http.StatusSeeOther, "/agents")
}

// postedValues reads a posted form, or a JSON object of strings, so that
// one handler serves browsers and JSON clients alike.
func postedValues(c *gin.Context) (url.Values, error) {
	if !jsonBody(c) {
		if err := parseForm(c); err != nil {
			return nil, err
		}
		return c.Request.PostForm, nil
	}
	var m map[string]string
	if err := decodeJSON(c, &m); err != nil {
		return nil, err
	}
	vals := url.Values{}
	for k, v := range m {
		vals.Set(k, v)
	}
	return vals, nil
}

// jsonBody reports whether the request's body is JSON rather than a form.
func jsonBody(c *gin.Context) bool { return strings.HasPrefix(c.ContentType(), "application/json") }
