package handlers

import (
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ringdesk/ringdesk/models"
)

const (
	msgBadInviteLink    = "This link is no longer valid: it has expired, has already been used, or a newer link replaced it. Please ask an admin for a new one."
	msgInviteEmailTaken = "An agent with this email already exists. Sign in instead, or ask an admin to reset your password."
	msgPasswordsDiffer  = "The two passwords don't match."
	msgDisabledAfterSet = "Your new password is saved, but your account is disabled. Ask an admin to enable it, then sign in."
)

// maxInviteToken bounds a token before it reaches the store: real ones
// are 43 characters.
const maxInviteToken = 128

// joinForm is the page a one-time link opens: an invited agent's name
// and password, or a new password after a reset.
type joinForm struct {
	Token  string
	Reset  bool
	Email  string
	Name   string
	Errors map[string]string // keyed by name, password, password_confirm
}

// inviteJSON is a one-time link as its JSON clients see it.
type inviteJSON struct {
	Kind      models.InviteKind `json:"kind"`
	Email     string            `json:"email"`
	Name      string            `json:"name"`
	ExpiresAt string            `json:"expiresAt"`
}

// showInvite handles "GET /invite?token=": the set-password page of an
// invitation or a password reset.
func (h *Handler) showInvite(c *gin.Context) {
	token := c.Query("token")
	inv, ok := h.inviteFromToken(c, token)
	if !ok {
		return
	}
	c.Header("Cache-Control", "no-store")
	if wantsJSON(c) {
		c.JSON(http.StatusOK, inviteJSON{Kind: inv.Kind, Email: inv.Email, Name: inv.Name, ExpiresAt: inv.ExpiresAt.UTC().Format(time.RFC3339)})
		return
	}
	form := joinForm{Token: token, Reset: inv.Kind == models.KindReset, Email: inv.Email, Name: inv.Name}
	h.render(c, http.StatusOK, "invite", viewData{Title: joinTitle(form), Join: form})
}

// acceptInvite handles "POST /invite" (token, name, password): it creates
// the invited agent or sets the new password, then signs the agent in.
func (h *Handler) acceptInvite(c *gin.Context) {
	vals, err := postedValues(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	form := joinForm{Token: vals.Get("token"), Name: strings.TrimSpace(vals.Get("name"))}
	password, confirm := vals.Get("password"), vals.Get("password_confirm")
	inv, ok := h.inviteFromToken(c, form.Token)
	if !ok {
		return
	}
	form.Reset, form.Email = inv.Kind == models.KindReset, inv.Email

	fields := map[string]string{}
	if !form.Reset {
		if _, err := models.ValidateName(inv.AgentInput(form.Name, password).Name); err != nil {
			addFieldErrors(fields, err)
		}
	}
	if err := models.ValidatePassword(password); err != nil {
		addFieldErrors(fields, err)
	} else if (!jsonBody(c) || vals.Has("password_confirm")) && confirm != password {
		// A form asks twice against typing mistakes; a JSON client may
		// send the password once.
		fields["password_confirm"] = msgPasswordsDiffer
	}
	if len(fields) > 0 {
		h.refuseJoin(c, http.StatusUnprocessableEntity, form, fields)
		return
	}

	if !h.limits.hashing.acquire(c, hashingWait) {
		h.refuseJoin(c, http.StatusServiceUnavailable, form, map[string]string{"password": msgLoginBusy})
		return
	}
	a, err := h.agents.UseInvite(c, form.Token, form.Name, password, h.now())
	h.limits.hashing.release()
	var verr *models.ValidationError
	switch {
	case errors.As(err, &verr):
		h.refuseJoin(c, http.StatusUnprocessableEntity, form, verr.Fields)
		return
	case errors.Is(err, models.ErrNotFound):
		// Used or replaced since it was checked above.
		h.fail(c, refuse(http.StatusNotFound, msgBadInviteLink))
		return
	case errors.Is(err, models.ErrConflict):
		h.fail(c, refuse(http.StatusConflict, msgInviteEmailTaken))
		return
	case err != nil:
		h.fail(c, err)
		return
	}

	if a.Disabled {
		h.log.Info("password reset by a disabled agent", "agent", a.ID.Hex())
		if wantsJSON(c) {
			h.fail(c, refuse(http.StatusForbidden, msgDisabledAfterSet))
			return
		}
		h.setFlash(c, "error", msgDisabledAfterSet)
		c.Redirect(http.StatusSeeOther, "/login")
		return
	}
	if err := h.startSession(c, a); err != nil {
		h.fail(c, err)
		return
	}
	welcome := "Welcome to Ringdesk, " + a.Name + ". New tickets appear here."
	if form.Reset {
		h.log.Info("password reset", "agent", a.ID.Hex())
		welcome = "Your new password is saved. Welcome back, " + a.Name + "."
	} else {
		h.log.Info("invited agent joined", "agent", a.ID.Hex())
	}
	if wantsJSON(c) {
		c.JSON(http.StatusOK, newAgentJSON(a))
		return
	}
	h.setFlash(c, "success", welcome)
	c.Redirect(http.StatusSeeOther, "/dashboard")
}

// inviteFromToken returns the invite token opens, answering 404 itself
// when the link is unknown, used, replaced or expired.
func (h *Handler) inviteFromToken(c *gin.Context, token string) (*models.Invite, bool) {
	if token == "" || len(token) > maxInviteToken {
		h.fail(c, refuse(http.StatusNotFound, msgBadInviteLink))
		return nil, false
	}
	inv, err := h.agents.CheckInvite(c, token, h.now())
	if errors.Is(err, models.ErrNotFound) {
		h.fail(c, refuse(http.StatusNotFound, msgBadInviteLink))
		return nil, false
	}
	if err != nil {
		h.fail(c, err)
		return nil, false
	}
	return inv, true
}

// refuseJoin answers a set-password form that was refused, with a
// message per field and the name typed (never the password).
func (h *Handler) refuseJoin(c *gin.Context, status int, form joinForm, fields map[string]string) {
	if status == http.StatusServiceUnavailable {
		c.Header("Retry-After", retryAfter(hashingRetry))
	}
	if wantsJSON(c) {
		refuseFields(c, status, fields)
		return
	}
	form.Errors = fields
	h.render(c, status, "invite", viewData{Title: joinTitle(form), Join: form})
}

func joinTitle(form joinForm) string {
	if form.Reset {
		return "Choose a new password"
	}
	return "Join Ringdesk"
}

// addFieldErrors copies a validation error's messages into fields; other
// errors never come from the validators it is given.
func addFieldErrors(fields map[string]string, err error) {
	var verr *models.ValidationError
	if errors.As(err, &verr) {
		for k, v := range verr.Fields {
			fields[k] = v
		}
	}
}
