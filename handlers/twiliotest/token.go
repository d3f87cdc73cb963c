package twiliotest

import (
	"github.com/golang-jwt/jwt/v5"
)

// AccessToken is a decoded Twilio Voice access token.
type AccessToken struct {
	Header map[string]any
	Claims AccessClaims
}

// AccessClaims are the claims of a Voice access token. Incoming is nil
// when the token does not mention incoming calls at all.
type AccessClaims struct {
	Grants struct {
		Identity string `json:"identity"`
		Voice    *struct {
			Incoming *struct {
				Allow bool `json:"allow"`
			} `json:"incoming,omitempty"`
			Outgoing *struct {
				ApplicationSID string         `json:"application_sid"`
				Params         map[string]any `json:"params,omitempty"`
			} `json:"outgoing,omitempty"`
		} `json:"voice,omitempty"`
	} `json:"grants"`
	jwt.RegisteredClaims
}

// ParseAccessToken verifies token the way Twilio does: HS256 only, signed
// with apiSecret, issued by apiKey for accountSID, with an expiry that is
// present and not past.
func ParseAccessToken(token, apiSecret, apiKey, accountSID string) (*AccessToken, error) {
	var claims AccessClaims
	parsed, err := jwt.ParseWithClaims(token, &claims, func(*jwt.Token) (any, error) { return []byte(apiSecret), nil },
		jwt.WithValidMethods([]string{jwt.SigningMethodHS256.Alg()}),
		jwt.WithExpirationRequired(),
		jwt.WithIssuer(apiKey),
		jwt.WithSubject(accountSID),
	)
	if err != nil {
		return nil, err
	}
	return &AccessToken{Header: parsed.Header, Claims: claims}, nil
}
