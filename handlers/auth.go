package handlers

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ringdesk/ringdesk/models"
)

const (
	msgBadLogin       = "Email or password is incorrect."
	msgLoginThrottled = "Too many failed sign-in attempts. Please wait a few minutes and try again."
)

// showLogin handles "GET /login".
func (h *Handler) showLogin(c *gin.Context) {
	if sessionFrom(c) != nil {
		c.Redirect(http.StatusSeeOther, safeNext(c.Query("next")))
		return
	}
	h.render(c, http.StatusOK, "login", viewData{Title: "Agent sign in", Login: loginForm{Next: c.Query("next")}})
}

// login handles "POST /login". Unknown email and wrong password get the same
// message; failures are counted per address and per account.
func (h *Handler) login(c *gin.Context) {
	if err := parseForm(c); err != nil {
		h.fail(c, err)
		return
	}
	form := loginForm{
		Email: strings.TrimSpace(c.Request.PostForm.Get("email")),
		Next:  c.Request.PostForm.Get("next"),
	}
	password := c.Request.PostForm.Get("password")
	ip, account := c.ClientIP(), strings.ToLower(form.Email)
	now := h.now()

	for _, check := range []struct {
		w   *window
		key string
	}{{h.limits.loginFailIP, ip}, {h.limits.loginFailUser, account}} {
		if blocked, retry := check.w.blocked(check.key, now); blocked {
			c.Header("Retry-After", retryAfter(retry))
			form.Error = msgLoginThrottled
			h.render(c, http.StatusTooManyRequests, "login", viewData{Title: "Agent sign in", Login: form})
			return
		}
	}
	if form.Email == "" || password == "" || len(form.Email) > 254 || len(password) > models.MaxPasswordLen {
		form.Error = msgBadLogin
		h.render(c, http.StatusUnprocessableEntity, "login", viewData{Title: "Agent sign in", Login: form})
		return
	}

	a, err := h.agents.Authenticate(c, form.Email, password)
	if errors.Is(err, models.ErrInvalidCredentials) {
		h.limits.loginFailIP.hit(ip, now)
		h.limits.loginFailUser.hit(account, now)
		h.log.Info("sign-in failed", "ip", ip)
		form.Error = msgBadLogin
		h.render(c, http.StatusUnauthorized, "login", viewData{Title: "Agent sign in", Login: form})
		return
	}
	if err != nil {
		h.fail(c, err)
		return
	}
	h.limits.loginFailUser.reset(account)
	if err := h.startSession(c, a); err != nil {
		h.fail(c, err)
		return
	}
	h.log.Info("agent signed in", "agent", a.ID.Hex())
	c.Redirect(http.StatusSeeOther, safeNext(form.Next))
}

// logout handles "POST /logout": the cookie is cleared and the session is
// recorded as revoked, so a copy of the cookie stops working too.
func (h *Handler) logout(c *gin.Context) {
	if s := sessionFrom(c); s != nil {
		id, _ := models.ParseID(s.Subject)
		if err := h.agents.RevokeSession(c, id, s.ID, s.ExpiresAt.Time); err != nil && !errors.Is(err, models.ErrNotFound) {
			// The cookie is still cleared below; the session would have
			// expired on its own within sessionTTL.
			h.log.Warn("record sign-out", "err", err)
		}
	}
	h.clearCookie(c, sessionCookie)
	h.setFlash(c, "success", "You have signed out.")
	c.Redirect(http.StatusSeeOther, "/login")
}

// retryAfter formats a wait as whole seconds for the Retry-After header.
func retryAfter(d time.Duration) string {
	s := int(d.Round(time.Second) / time.Second)
	if s < 1 {
		s = 1
	}
	return strconv.Itoa(s)
}

// randomToken returns n random bytes, hex-encoded.
func randomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails on supported platforms
	return hex.EncodeToString(b)
}
