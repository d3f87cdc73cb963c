// Package twilio is Ringdesk's Twilio adapter: it mints Voice access
// tokens, checks X-Twilio-Signature, reads Twilio's webhook parameters and
// writes TwiML. Everything Twilio-shaped stays here; the rest of Ringdesk
// speaks of agents, customers, tickets and calls.
package twilio

import (
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/twilio/twilio-go/client"
	"github.com/twilio/twilio-go/client/jwt"

	"github.com/ringdesk/ringdesk/config"
)

// Provider holds the account settings and the public base URL that
// Twilio signs webhook requests against.
type Provider struct {
	cfg       config.Twilio
	publicURL string // no trailing slash
	validator client.RequestValidator
}

// New returns the adapter for cfg.
func New(cfg config.Twilio, publicURL *url.URL) *Provider {
	return &Provider{
		cfg:       cfg,
		publicURL: strings.TrimRight(publicURL.String(), "/"),
		validator: client.NewRequestValidator(cfg.AuthToken),
	}
}

// Name is the provider name the browser uses to pick its SDK.
func (p *Provider) Name() string { return "twilio" }

// Token mints a Voice access token for identity. Agents get incoming calls
// and the TwiML App for outgoing ones; customers get outgoing only (and the
// TwiML App decides, from their identity, that they can only reach support).
func (p *Provider) Token(identity string, incoming bool, ttl time.Duration, now time.Time) (string, time.Time, error) {
	expires := now.Add(ttl).Truncate(time.Second)
	token := jwt.CreateAccessToken(jwt.AccessTokenParams{
		AccountSid:    p.cfg.AccountSID,
		SigningKeySid: p.cfg.APIKey,
		Secret:        p.cfg.APISecret,
		Identity:      identity,
		// twilio-go floors Ttl at an hour; ValidUntil sets the real expiry.
		Ttl:        ttl.Seconds(),
		ValidUntil: float64(expires.Unix()),
	})
	token.AddGrant(&jwt.VoiceGrant{
		Incoming: jwt.Incoming{Allow: incoming},
		Outgoing: jwt.Outgoing{ApplicationSid: p.cfg.TwiMLAppSID},
	})
	signed, err := token.ToJwt()
	return signed, expires, err
}

// Verify reports whether r carries a valid X-Twilio-Signature. Twilio signs
// the URL it was configured with, so the check uses PUBLIC_URL plus the
// request URI rather than whatever Host the request arrived with (which a
// reverse proxy may have rewritten). r's form must be parsed already.
func (p *Provider) Verify(r *http.Request) bool {
	sig := r.Header.Get("X-Twilio-Signature")
	if sig == "" {
		return false
	}
	params := make(map[string]string, len(r.PostForm))
	for k, v := range r.PostForm {
		if len(v) > 0 {
			params[k] = v[0]
		}
	}
	return p.validator.Validate(p.publicURL+r.URL.RequestURI(), params, sig)
}

// URL builds an absolute URL on this server for Twilio to call back.
func (p *Provider) URL(path string, query url.Values) string {
	u := p.publicURL + path
	if len(query) > 0 {
		u += "?" + query.Encode()
	}
	return u
}

// CallerID is the number calls to phones come from.
func (p *Provider) CallerID() string { return p.cfg.CallerID }
