package handlers

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"net/http"
	"net/url"
	"path"
	"strings"
	"time"
	"unicode"

	"github.com/gin-gonic/gin"
	"github.com/golang-jwt/jwt/v5"

	"github.com/ringdesk/ringdesk/models"
)

const (
	sessionCookie = "ringdesk_session"
	flashCookie   = "ringdesk_flash"
	sessionTTL    = 12 * time.Hour // one working day
	sessionIssuer = "ringdesk"
	ctxAgent      = "agent"
	ctxSession    = "session"
)

// sessionClaims are what an agent's cookie proves. The name rides along so
// public pages can greet the agent without a database read.
type sessionClaims struct {
	Name string `json:"name"`
	jwt.RegisteredClaims
}

// startSession signs a session for a and sets it as a cookie.
func (h *Handler) startSession(c *gin.Context, a *models.Agent) error {
	now := h.now()
	claims := sessionClaims{
		Name: a.Name,
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:    sessionIssuer,
			Subject:   a.ID.Hex(),
			ID:        randomToken(16),
			IssuedAt:  jwt.NewNumericDate(now),
			ExpiresAt: jwt.NewNumericDate(now.Add(sessionTTL)),
		},
	}
	signed, err := jwt.NewWithClaims(jwt.SigningMethodHS256, claims).SignedString(h.cfg.SessionSecret)
	if err != nil {
		return err
	}
	h.setCookie(c, sessionCookie, signed, int(sessionTTL/time.Second))
	return nil
}

// parseSession verifies a session cookie: HS256 only, our issuer, and an
// expiry that must be present and in the future.
func (h *Handler) parseSession(raw string) (*sessionClaims, error) {
	var claims sessionClaims
	_, err := jwt.ParseWithClaims(raw, &claims, func(*jwt.Token) (any, error) {
		return h.cfg.SessionSecret, nil
	},
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithExpirationRequired(),
		jwt.WithIssuer(sessionIssuer),
		jwt.WithTimeFunc(h.now),
	)
	if err != nil {
		return nil, err
	}
	if _, err := models.ParseID(claims.Subject); err != nil || claims.ID == "" {
		return nil, errors.New("session without agent or id")
	}
	return &claims, nil
}

// loadSession reads the session cookie, if any, without touching the
// database, so public pages keep working while the database is down.
func (h *Handler) loadSession(c *gin.Context) {
	if raw, err := c.Cookie(sessionCookie); err == nil && raw != "" {
		if claims, err := h.parseSession(raw); err == nil {
			c.Set(ctxSession, claims)
		}
	}
	c.Next()
}

// requireAgent lets only signed-in agents through: pages redirect to the
// sign-in form, JSON clients get 401. The agent is re-read on every request
// so that a signed-out session or a removed agent stops working at once.
func (h *Handler) requireAgent(c *gin.Context) {
	claims := sessionFrom(c)
	if claims == nil {
		h.denyAnonymous(c)
		return
	}
	id, _ := models.ParseID(claims.Subject)
	a, err := h.agents.Get(c, id)
	if errors.Is(err, models.ErrNotFound) || (err == nil && !a.SessionActive(claims.ID)) {
		h.clearCookie(c, sessionCookie)
		h.denyAnonymous(c)
		return
	}
	if err != nil {
		h.fail(c, err)
		return
	}
	c.Set(ctxAgent, a)
	c.Next()
}

func (h *Handler) denyAnonymous(c *gin.Context) {
	// An EventSource cannot follow a redirect to a page: it gets 401.
	if wantsJSON(c) || strings.Contains(c.GetHeader("Accept"), "text/event-stream") {
		h.fail(c, refuse(http.StatusUnauthorized, "Please sign in.").inJSON())
		return
	}
	target := "/login"
	if c.Request.Method == http.MethodGet {
		target += "?next=" + url.QueryEscape(c.Request.URL.RequestURI())
	}
	c.Redirect(http.StatusSeeOther, target)
	c.Abort()
}

func sessionFrom(c *gin.Context) *sessionClaims {
	v, _ := c.Get(ctxSession)
	s, _ := v.(*sessionClaims)
	return s
}

// currentAgent is the signed-in agent: the full record on agent routes,
// or the identity from the cookie on public pages.
func currentAgent(c *gin.Context) *models.Agent {
	if v, ok := c.Get(ctxAgent); ok {
		return v.(*models.Agent)
	}
	if s := sessionFrom(c); s != nil {
		id, _ := models.ParseID(s.Subject)
		return &models.Agent{ID: id, Name: s.Name}
	}
	return nil
}

func (h *Handler) setCookie(c *gin.Context, name, value string, maxAge int) {
	http.SetCookie(c.Writer, &http.Cookie{
		Name:     name,
		Value:    value,
		Path:     "/",
		MaxAge:   maxAge,
		HttpOnly: true,
		Secure:   h.cfg.Secure(),
		SameSite: http.SameSiteLaxMode,
	})
}

func (h *Handler) clearCookie(c *gin.Context, name string) { h.setCookie(c, name, "", -1) }

// setFlash leaves a one-time message for the next page. It is signed so
// that nobody can plant text that appears to come from Ringdesk.
func (h *Handler) setFlash(c *gin.Context, kind, msg string) {
	payload := base64.RawURLEncoding.EncodeToString([]byte(kind + "|" + msg))
	h.setCookie(c, flashCookie, payload+"."+h.mac("flash", payload), 60)
}

// takeFlash returns and clears the pending flash message, if any.
func (h *Handler) takeFlash(c *gin.Context) *flash {
	raw, err := c.Cookie(flashCookie)
	if err != nil || raw == "" {
		return nil
	}
	h.clearCookie(c, flashCookie)
	payload, sig, ok := strings.Cut(raw, ".")
	if !ok || !hmac.Equal([]byte(sig), []byte(h.mac("flash", payload))) {
		return nil
	}
	b, err := base64.RawURLEncoding.DecodeString(payload)
	if err != nil {
		return nil
	}
	kind, msg, _ := strings.Cut(string(b), "|")
	if kind != "success" && kind != "error" {
		return nil
	}
	return &flash{Kind: kind, Message: msg}
}

// mac signs s for one purpose, so a value signed for one use (a flash
// message) is never accepted for another (a ticket reference).
func (h *Handler) mac(purpose, s string) string {
	m := hmac.New(sha256.New, h.cfg.SessionSecret)
	m.Write([]byte(purpose + ":" + s))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// ticketRefCookie remembers, in the customer's browser, the ticket it just
// opened, so a call or voicemail from that browser joins the ticket.
const (
	ticketRefCookie = "ringdesk_ticket"
	ticketRefMaxAge = 7 * 24 * 60 * 60
)

// ticketRef signs a ticket id for the customer's browser to hand back.
func (h *Handler) ticketRef(id models.ID) string {
	return id.Hex() + "." + h.mac("ticket", id.Hex())
}

// ticketFromRef returns the ticket a reference names, or nil when the
// reference is missing or forged: it is a request, checked, never trusted.
func (h *Handler) ticketFromRef(ref string) *models.ID {
	hexID, sig, ok := strings.Cut(ref, ".")
	if !ok || !hmac.Equal([]byte(sig), []byte(h.mac("ticket", hexID))) {
		return nil
	}
	id, err := models.ParseID(hexID)
	if err != nil {
		return nil
	}
	return &id
}

// safeNext keeps post-sign-in redirects on this site. The decision is
// made on the value the browser will get: http.Redirect cleans the path
// (it would turn "/./\evil.example" into "/\evil.example"), so the path
// is cleaned here the same way first, and the result is checked. Only a
// local path that starts with exactly one "/" passes: never "//host",
// which browsers treat as another origin, and no backslash or control
// character anywhere, since browsers read "\" as "/" and drop tabs and
// newlines ("/<tab>/host" would become "//host").
func safeNext(next string) string {
	const fallback = "/dashboard"
	if next == "" || next[0] != '/' || strings.ContainsRune(next, '\\') || strings.IndexFunc(next, unicode.IsControl) >= 0 {
		return fallback
	}
	p, query := next, ""
	if i := strings.IndexByte(next, '?'); i >= 0 {
		p, query = next[:i], next[i:]
	}
	cleaned := path.Clean(p)
	if strings.HasSuffix(p, "/") && cleaned != "/" {
		cleaned += "/"
	}
	final := cleaned + query
	u, err := url.Parse(final)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" ||
		!strings.HasPrefix(final, "/") || strings.HasPrefix(final, "//") || strings.HasPrefix(p, "//") {
		return fallback
	}
	return final
}
