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

// Verify checks a signed webhook: Vonage sends "Authorization: Bearer
// <JWT>", HS256 with the account's signature secret, issued now (iat), and
// for a request with a body the hex SHA-256 of the body as payload_hash.
// Only HS256 is accepted, so a token signed with "none", with another
// HMAC size or with an RSA key is refused.
//
// A GET carries its parameters in the query, which the signature does not
// cover byte for byte; configure the answer URL as POST so that the body
// is bound to the signature (see README).
func (p *Provider) Verify(r *http.Request, body []byte) error {
	return p.verify(r, body, time.Now())
}

func (p *Provider) verify(r *http.Request, body []byte, now time.Time) error {
	if len(p.secret) == 0 {
		return fmt.Errorf("%w: no signature secret configured", ErrSignature)
	}
	scheme, token, ok := strings.Cut(strings.TrimSpace(r.Header.Get("Authorization")), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") || strings.TrimSpace(token) == "" {
		return fmt.Errorf("%w: no bearer token", ErrSignature)
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
		return fmt.Errorf("%w: %v", ErrSignature, err)
	case claims.IssuedAt == nil:
		return fmt.Errorf("%w: no iat", ErrSignature)
	case now.Sub(claims.IssuedAt.Time) > maxWebhookAge:
		return fmt.Errorf("%w: issued %s ago", ErrSignature, now.Sub(claims.IssuedAt.Time).Round(time.Second))
	case claims.ApplicationID != "" && claims.ApplicationID != p.cfg.ApplicationID:
		// The secret belongs to the account; a webhook for another of its
		// applications is not ours.
		return fmt.Errorf("%w: for application %q", ErrSignature, claims.ApplicationID)
	}
	if len(body) > 0 {
		sum := sha256.Sum256(body)
		if !hmac.Equal([]byte(strings.ToLower(claims.PayloadHash)), []byte(hex.EncodeToString(sum[:]))) {
			return fmt.Errorf("%w: payload_hash does not match the body", ErrSignature)
		}
	}
	return nil
}
