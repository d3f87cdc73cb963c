// Package vonage is Ringdesk's Vonage adapter: it mints Client SDK tokens,
// checks Vonage's signed webhooks, reads the answer, event and recording
// webhooks and writes NCCOs. Everything Vonage-shaped stays here; the rest
// of Ringdesk speaks of agents, customers, tickets and calls.
package vonage

import (
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/ringdesk/ringdesk/config"
)

// MaxTokenTTL is the longest lifetime Vonage accepts for a Client SDK token.
const MaxTokenTTL = 24 * time.Hour

// agentPaths are the API paths a Client SDK session uses for in-app voice
// (sessions, users, conversations, legs, RTC and media, devices and push,
// knocking, applications, images), as Vonage's Client SDK guides list
// them. Agents' tokens carry them all: agents receive calls and may need
// any of the SDK's features.
var agentPaths = []string{
	"/*/users/**",
	"/*/conversations/**",
	"/*/sessions/**",
	"/*/devices/**",
	"/*/image/**",
	"/*/media/**",
	"/*/applications/**",
	"/*/push/**",
	"/*/knocking/**",
	"/*/legs/**",
	"/*/rtc/**",
}

// customerPaths are the least a customer's Client SDK session needs to
// place one call with serverCall and take part in it, read from the SDK's
// requests (@vonage/client-sdk 2.x): sessions (create and refresh the
// session), knocking (serverCall, and cancelling it), legs (the browser's
// WebRTC leg), conversations (the call's conversation: its members, which
// is how hanging up works, and its events, which carry mute and DTMF) and
// rtc (the SDK's connection metrics). Left out: users (a customer could
// otherwise list or change Vonage users, support_agent included),
// devices, push and applications (push notifications for incoming calls,
// which customers never receive), image and media (uploads).
var customerPaths = []string{
	"/*/sessions/**",
	"/*/knocking/**",
	"/*/legs/**",
	"/*/conversations/**",
	"/*/rtc/**",
}

// Provider holds the application's settings and the public base URL that
// webhooks, callbacks and the sound-check socket are built on.
type Provider struct {
	cfg       config.Vonage
	secret    []byte
	publicURL *url.URL // no trailing slash in Path
}

// New returns the adapter for cfg, whose Key was parsed at start-up.
func New(cfg config.Vonage, publicURL *url.URL) *Provider {
	u := *publicURL
	u.Path = strings.TrimRight(u.Path, "/")
	return &Provider{cfg: cfg, secret: []byte(cfg.SignatureSecret), publicURL: &u}
}

// Name is the provider name the browser uses to pick its SDK.
func (p *Provider) Name() string { return "vonage" }

// tokenClaims are a Client SDK token's claims.
type tokenClaims struct {
	ApplicationID string `json:"application_id"`
	ACL           acl    `json:"acl"`
	jwt.RegisteredClaims
}

type acl struct {
	Paths map[string]struct{} `json:"paths"`
}

// Token mints a Client SDK token (RS256, signed with the application's
// private key) for the Vonage user identity, valid for ttl from now.
//
// Vonage tokens have no switch for incoming calls: who may be called, and
// who may reach a phone, is decided by the answer webhook from the
// caller's from_user (which Vonage takes from this token's sub). A
// customer's token can place calls, and every call lands on the agents;
// only support_agent is ever connected to. What incoming does decide is
// the ACL: a token that receives calls is an agent's and gets the SDK's
// full set of paths, any other only what placing one call needs.
func (p *Provider) Token(identity string, incoming bool, ttl time.Duration, now time.Time) (string, time.Time, error) {
	if p.cfg.Key == nil {
		return "", time.Time{}, errors.New("vonage: no private key")
	}
	if ttl <= 0 || ttl > MaxTokenTTL {
		return "", time.Time{}, fmt.Errorf("vonage: token lifetime %s is outside (0, %s]", ttl, MaxTokenTTL)
	}
	issued := now.Truncate(time.Second)
	expires := issued.Add(ttl)
	allowed := customerPaths
	if incoming {
		allowed = agentPaths
	}
	paths := make(map[string]struct{}, len(allowed))
	for _, path := range allowed {
		paths[path] = struct{}{}
	}
	token := jwt.NewWithClaims(jwt.SigningMethodRS256, tokenClaims{
		ApplicationID: p.cfg.ApplicationID,
		ACL:           acl{Paths: paths},
		RegisteredClaims: jwt.RegisteredClaims{
			Subject:   identity,
			IssuedAt:  jwt.NewNumericDate(issued),
			ExpiresAt: jwt.NewNumericDate(expires),
			ID:        newUUID(),
		},
	})
	signed, err := token.SignedString(p.cfg.Key)
	return signed, expires, err
}

// Signed reports whether webhooks must carry Vonage's signature, that is
// whether VONAGE_SIGNATURE_SECRET is set.
func (p *Provider) Signed() bool { return len(p.secret) > 0 }

// URL builds an absolute URL on this server for Vonage to call back.
func (p *Provider) URL(path string, query url.Values) string {
	u := *p.publicURL
	u.Path += path
	u.RawQuery = query.Encode()
	return u.String()
}

// SocketURL is the sound-check socket's address: PUBLIC_URL with https
// made wss (http made ws), the path /socket and the one-time token.
func (p *Provider) SocketURL(token string) string {
	u := *p.publicURL
	u.Scheme = "wss"
	if p.publicURL.Scheme == "http" {
		u.Scheme = "ws"
	}
	u.Path += "/socket"
	u.RawQuery = url.Values{"token": {token}}.Encode()
	return u.String()
}

// newUUID returns a random (version 4) UUID, the form Vonage's own tools
// use for jti.
func newUUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
