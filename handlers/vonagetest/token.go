package vonagetest

import (
	"crypto/rsa"

	"github.com/golang-jwt/jwt/v5"
)

// Token is a decoded Client SDK token.
type Token struct {
	Header map[string]any
	Claims TokenClaims
}

// TokenClaims are a Client SDK token's claims.
type TokenClaims struct {
	ApplicationID string `json:"application_id"`
	ACL           *struct {
		Paths map[string]map[string]any `json:"paths"`
	} `json:"acl"`
	jwt.RegisteredClaims
}

// ParseToken verifies token the way Vonage does: RS256 only, signed with
// the application's private key (checked with its public key), with an
// expiry that is present and not past and an issue time not in the
// future.
func ParseToken(token string, pub *rsa.PublicKey) (*Token, error) {
	var claims TokenClaims
	parsed, err := jwt.ParseWithClaims(token, &claims, func(*jwt.Token) (any, error) { return pub, nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodRS256.Alg()}),
		jwt.WithExpirationRequired(),
		jwt.WithIssuedAt(),
	)
	if err != nil {
		return nil, err
	}
	return &Token{Header: parsed.Header, Claims: claims}, nil
}
