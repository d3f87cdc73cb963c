package handlers

import (
	"errors"
	"net/http"
	"strings"

	"github.com/gin-gonic/gin"

	"github.com/ringdesk/ringdesk/models"
)

const (
	msgCurrentPasswordMissing = "Please enter your current password to change it."
	msgCurrentPasswordWrong   = "That is not your current password."
)

// accountForm is the account page's form, kept when it was refused.
type accountForm struct {
	Email  string
	Name   string
	Errors map[string]string // keyed by name, current_password, password, password_confirm
}

// showAccount handles "GET /account": the signed-in agent's own name and
// password.
func (h *Handler) showAccount(c *gin.Context) {
	me := currentAgent(c)
	if wantsJSON(c) {
		c.JSON(http.StatusOK, newAgentJSON(me))
		return
	}
	h.render(c, http.StatusOK, "account", viewData{Title: "Your account", Account: accountForm{Email: me.Email, Name: me.Name}})
}

// updateAccount handles "POST /account" (name; current_password,
// password and password_confirm to change the password). A JSON client
// may send only the fields it changes.
func (h *Handler) updateAccount(c *gin.Context) {
	me := currentAgent(c)
	vals, err := postedValues(c)
	if err != nil {
		h.fail(c, err)
		return
	}
	form := accountForm{Email: me.Email, Name: vals.Get("name")}
	current, next, confirm := vals.Get("current_password"), vals.Get("password"), vals.Get("password_confirm")
	byJSON := jsonBody(c)

	fields := map[string]string{}
	name := me.Name
	if !byJSON || vals.Has("name") {
		n, err := models.ValidateName(form.Name)
		addFieldErrors(fields, err)
		if err == nil {
			name = n
		}
	}
	changePassword := current != "" || next != "" || confirm != ""
	if changePassword {
		switch {
		case current == "":
			fields["current_password"] = msgCurrentPasswordMissing
		case len(current) > models.MaxPasswordLen:
			// No stored password is that long: not worth a check.
			fields["current_password"] = msgCurrentPasswordWrong
		}
		if err := models.ValidatePassword(next); err != nil {
			addFieldErrors(fields, err)
		} else if (!byJSON || vals.Has("password_confirm")) && confirm != next {
			fields["password_confirm"] = msgPasswordsDiffer
		}
	}
	if len(fields) > 0 {
		h.refuseAccount(c, http.StatusUnprocessableEntity, form, fields)
		return
	}

	if changePassword && !h.changePassword(c, me, form, current, next) {
		return
	}
	if name != me.Name {
		err := h.agents.SetName(c, me.ID, name)
		var verr *models.ValidationError
		if errors.As(err, &verr) {
			h.refuseAccount(c, http.StatusUnprocessableEntity, form, verr.Fields)
			return
		}
		if err != nil {
			h.fail(c, err)
			return
		}
		h.log.Info("agent renamed", "agent", me.ID.Hex())
	}
	if vals.Has("name") {
		// Tickets keep a copy of their assignee's name. Saving the form
		// again also repairs copies an earlier failed save left behind.
		if err := h.tickets.RenameAgent(c, models.AgentRef{ID: me.ID, Name: name}); err != nil {
			h.fail(c, err)
			return
		}
	}

	if wantsJSON(c) {
		a, err := h.agents.Get(c, me.ID)
		if err != nil {
			h.fail(c, err)
			return
		}
		c.JSON(http.StatusOK, newAgentJSON(a))
		return
	}
	msg := "Your account is up to date."
	switch {
	case changePassword && name != me.Name:
		msg = "Your name and your new password are saved."
	case changePassword:
		msg = "Your new password is saved."
	case name != me.Name:
		msg = "Your name is saved: you are now " + name + "."
	}
	h.setFlash(c, "success", msg)
	c.Redirect(http.StatusSeeOther, "/account")
}

// changePassword replaces me's password if current is right, answering
// the request itself when it is not. Wrong current passwords count
// against the account's sign-in limit: a borrowed session must not
// become a way to guess the password.
func (h *Handler) changePassword(c *gin.Context, me *models.Agent, form accountForm, current, next string) bool {
	account, now := models.NormalizeEmail(me.Email), h.now()
	if ok, retry := h.limits.loginUser.hit(account, now); !ok {
		c.Header("Retry-After", retryAfter(retry))
		h.refuseAccount(c, http.StatusTooManyRequests, form, map[string]string{"current_password": msgLoginThrottled})
		return false
	}
	if !h.limits.hashing.acquire(c, hashingWait) {
		h.limits.loginUser.refund(account, now) // no password was checked
		c.Header("Retry-After", retryAfter(hashingRetry))
		h.refuseAccount(c, http.StatusServiceUnavailable, form, map[string]string{"current_password": msgLoginBusy})
		return false
	}
	err := h.agents.ChangePassword(c, me.ID, current, next)
	h.limits.hashing.release()
	var verr *models.ValidationError
	switch {
	case errors.Is(err, models.ErrInvalidCredentials):
		h.log.Info("password change refused: wrong current password", "agent", me.ID.Hex())
		h.refuseAccount(c, http.StatusUnprocessableEntity, form, map[string]string{"current_password": msgCurrentPasswordWrong})
		return false
	case errors.As(err, &verr):
		h.limits.loginUser.refund(account, now)
		h.refuseAccount(c, http.StatusUnprocessableEntity, form, verr.Fields)
		return false
	case err != nil:
		h.limits.loginUser.refund(account, now)
		h.fail(c, err)
		return false
	}
	h.limits.loginUser.refund(account, now) // the right password is not a guess
	h.log.Info("password changed", "agent", me.ID.Hex())
	return true
}

// refuseAccount answers an account form that was refused, with a
// message per field and the name typed (never a password).
func (h *Handler) refuseAccount(c *gin.Context, status int, form accountForm, fields map[string]string) {
	if wantsJSON(c) {
		refuseFields(c, status, fields)
		return
	}
	form.Name = strings.TrimSpace(form.Name)
	form.Errors = fields
	h.render(c, status, "account", viewData{Title: "Your account", Account: form})
}
