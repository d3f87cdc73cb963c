package vonage

import (
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// How old a signed webhook may be, and how far ahead of this server's
// clock Vonage's may run.
const (
	maxWebhookAge = 5 * time.Minute
	clockSkew     = 30 * time.Second
)

// ErrSignature is any reason a webhook's signature is refused; the wrapped
// detail is for the log, never for the caller.
var ErrSignature = errors.New("vonage: invalid webhook signature")

// webhookClaims are the claims of Vonage's signed-webhook JWT.
type webhookClaims struct {
	PayloadHash   string `json:"payload_hash"`
	ApplicationID string `json:"application_id"`
	APIKey        string `json:"api_key"`
	jwt.RegisteredClaims
}

// Webhook is what a verified webhook's token says about itself: its id
// (jti) and until when it would pass Verify. The caller records the id so
// that the same token is refused when presented again before then.
type Webhook struct {
	ID    string
	Until time.Time
}

// maxJTILen bounds the id Ringdesk stores for each webhook; Vonage's are
// UUIDs.
const maxJTILen = 128

// Verify checks a signed webhook at time now: Vonage sends "Authorization: Bearer
// <JWT>", HS256 with the account's signature secret, issued now (iat),
// with an id (jti), for this application (application_id), and for a
// request with a body the hex SHA-256 of the body as payload_hash. Only
// HS256 is accepted, so a token signed with "none", with another HMAC
// size or with an RSA key is refused.
//
// Every request but a GET without a body must carry payload_hash, even an
// empty POST: a token taken from a GET (which has none) would otherwise
// pass for any POST with no body. A GET's query is not covered by the
// signature; what binds it is the token's freshness and single use (the
// caller's job, with Webhook.ID), and README tells to configure the answer
// URL as POST so that the body is bound too.
func (p *Provider) Verify(r *http.Request, body []byte, now time.Time) (Webhook, error) {
	if len(p.secret) == 0 {
		return Webhook{}, fmt.Errorf("%w: no signature secret configured", ErrSignature)
	}
	scheme, token, ok := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return Webhook{}, fmt.Errorf("%w: no bearer token", ErrSignature)
	}
	var claims webhookClaims
	_, err := jwt.ParseWithClaims(strings.TrimSpace(token), &claims,
		func(*jwt.Token) (any, error) { return p.secret, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithIssuedAt(), // iat in the future (beyond the leeway) fails
		jwt.WithLeeway(clockSkew),
		jwt.WithTimeFunc(func() time.Time { return now }),
	)
	switch {
	case err != nil:
		return Webhook{}, fmt.Errorf("%w: %v", ErrSignature, err)
	case claims.IssuedAt == nil:
		return Webhook{}, fmt.Errorf("%w: no iat", ErrSignature)
	case now.Sub(claims.IssuedAt.Time) > maxWebhookAge:
		return Webhook{}, fmt.Errorf("%w: issued %s ago", ErrSignature, now.Sub(claims.IssuedAt.Time).Round(time.Second))
	case claims.ApplicationID != p.cfg.ApplicationID:
		// The secret belongs to the account; a webhook for another of its
		// applications, or for none, is not ours.
		return Webhook{}, fmt.Errorf("%w: for application %q", ErrSignature, claims.ApplicationID)
	case claims.ID == "" || len(claims.ID) > maxJTILen:
		return Webhook{}, fmt.Errorf("%w: no usable jti", ErrSignature)
	}
	if claims.PayloadHash != "" || len(body) > 0 || r.Method != http.MethodGet {
		sum := sha256.Sum256(body)
		if claims.PayloadHash == "" {
			return Webhook{}, fmt.Errorf("%w: no payload_hash on a %s", ErrSignature, r.Method)
		}
		if !hmac.Equal([]byte(strings.ToLower(claims.PayloadHash)), []byte(hex.EncodeToString(sum[:]))) {
			return Webhook{}, fmt.Errorf("%w: payload_hash does not match the body", ErrSignature)
		}
	}
	// The token passes until maxWebhookAge after iat (an expiry set
	// earlier only shortens that); remembering it that long is enough.
	return Webhook{ID: claims.ID, Until: claims.IssuedAt.Add(maxWebhookAge + time.Second)}, nil
}
