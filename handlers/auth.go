package handlers

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"net/http"
	"strings"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/ringdesk/ringdesk/models"
)

const (
	msgBadLogin       = "Email or password is incorrect."
	msgLoginThrottled = "Too many failed sign-in attempts. Please wait a few minutes and try again."
	msgLoginBusy      = "Ringdesk is busy checking other sign-ins. Please try again in a few seconds."
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
// message. Each attempt is counted, per address and per account, before
// its password is checked: a burst of simultaneous guesses tests no more
// passwords than the limits allow.
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
	if form.Email == "" || password == "" || len(form.Email) > 254 || len(password) > models.MaxPasswordLen {
		h.showLoginAgain(c, form, refuse(http.StatusUnprocessableEntity, msgBadLogin))
		return
	}
	ip, account := addressKey(c.ClientIP()), models.NormalizeEmail(form.Email)
	now := h.now()
	refund := func() {
		h.limits.loginIP.refund(ip, now)
		h.limits.loginUser.refund(account, now)
	}
	if ok, retry := h.limits.loginIP.hit(ip, now); !ok {
		h.showLoginAgain(c, form, refuse(http.StatusTooManyRequests, msgLoginThrottled).retryIn(retry))
		return
	}
	if ok, retry := h.limits.loginUser.hit(account, now); !ok {
		h.limits.loginIP.refund(ip, now)
		h.showLoginAgain(c, form, refuse(http.StatusTooManyRequests, msgLoginThrottled).retryIn(retry))
		return
	}

	if !h.limits.hashing.acquire(c, hashingWait) {
		refund() // no password was checked
		h.log.Warn("sign-in refused: password checks are saturated", "ip", ip)
		h.showLoginAgain(c, form, refuse(http.StatusServiceUnavailable, msgLoginBusy).retryIn(hashingRetry))
		return
	}
	a, err := h.agents.Authenticate(c, form.Email, password)
	h.limits.hashing.release()
	if errors.Is(err, models.ErrInvalidCredentials) {
		h.log.Info("sign-in failed", "ip", ip)
		h.showLoginAgain(c, form, refuse(http.StatusUnauthorized, msgBadLogin))
		return
	}
	if err != nil {
		refund()
		h.fail(c, err)
		return
	}
	refund() // the right password is not a guess
	if err := h.startSession(c, a); err != nil {
		h.fail(c, err)
		return
	}
	h.log.Info("agent signed in", "agent", a.ID.Hex())
	c.Redirect(http.StatusSeeOther, safeNext(form.Next))
}

// How long a sign-in waits for a password check to run, and when a
// refused one should try again.
const (
	hashingWait  = 2 * time.Second
	hashingRetry = 5 * time.Second
)

// showLoginAgain shows the sign-in form again, with the email typed,
// refused with e: its status, its message above the form, and its
// Retry-After.
func (h *Handler) showLoginAgain(c *gin.Context, form loginForm, e httpError) {
	e.setRetryAfter(c)
	form.Error = e.msg
	h.render(c, e.status, "login", viewData{Title: "Agent sign in", Login: form})
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
		// After the revocation, so a reconnecting stream is refused.
		// This instance's streams end now, other instances' at their
		// next check of the session (sessionCheckEvery).
		h.live.broker.endSession(s.ID)
	}
	h.clearCookie(c, sessionCookie)
	h.setFlash(c, "success", "You have signed out.")
	c.Redirect(http.StatusSeeOther, "/login")
}

// randomToken returns n random bytes, hex-encoded.
func randomToken(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails on supported platforms
	return hex.EncodeToString(b)
}
