package vonage_test

import (
	"bytes"
	"errors"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/ringdesk/ringdesk/handlers/vonage"
	"github.com/ringdesk/ringdesk/handlers/vonagetest"
)

// emptySHA256 is the hex SHA-256 of no bytes.
const emptySHA256 = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"

func TestVerifySignedWebhooks(t *testing.T) {
	t.Parallel()
	p := newProvider(t, publicURL)
	body := vonagetest.Event{ConversationUUID: vonagetest.NewConversation(), Status: "ringing", Timestamp: time.Now()}.Body()
	now := time.Now()
	hs := func(c vonagetest.WebhookClaims) string {
		return vonagetest.SignClaims(jwt.SigningMethodHS256, []byte(vonagetest.SignatureSecret), c)
	}
	claims := func(mutate func(*vonagetest.WebhookClaims)) vonagetest.WebhookClaims {
		c := vonagetest.Claims(body, now)
		mutate(&c)
		return c
	}
	getClaims := vonagetest.Claims(nil, now)
	getClaims.ApplicationID = ""
	tests := []struct {
		name   string
		method string
		auth   string // the whole Authorization header
		body   []byte
		ok     bool
	}{
		{"valid", "POST", "Bearer " + vonagetest.SignWebhook(vonagetest.SignatureSecret, body, now), body, true},
		{"valid, lower-case scheme", "POST", "bearer " + vonagetest.SignWebhook(vonagetest.SignatureSecret, body, now), body, true},
		{"valid GET without a body", "GET", "Bearer " + vonagetest.SignWebhook(vonagetest.SignatureSecret, nil, now), nil, true},
		{"issued 4 minutes ago", "POST", "Bearer " + vonagetest.SignWebhook(vonagetest.SignatureSecret, body, now.Add(-4*time.Minute)), body, true},
		{"issued 10 s ahead (clock skew)", "POST", "Bearer " + vonagetest.SignWebhook(vonagetest.SignatureSecret, body, now.Add(10*time.Second)), body, true},
		{"payload_hash in capitals", "POST", "Bearer " + hs(claims(func(c *vonagetest.WebhookClaims) { c.PayloadHash = strings.ToUpper(c.PayloadHash) })), body, true},
		{"expiry set, still ahead", "POST", "Bearer " + hs(claims(func(c *vonagetest.WebhookClaims) { c.ExpiresAt = jwt.NewNumericDate(now.Add(time.Minute)) })), body, true},
		{"empty POST with the hash of nothing", "POST", "Bearer " + hs(claims(func(c *vonagetest.WebhookClaims) { c.PayloadHash = emptySHA256 })), nil, true},

		{"no application_id claim", "POST", "Bearer " + hs(claims(func(c *vonagetest.WebhookClaims) { c.ApplicationID = "" })), body, false},
		{"GET without application_id", "GET", "Bearer " + hs(getClaims), nil, false},
		{"no jti", "POST", "Bearer " + hs(claims(func(c *vonagetest.WebhookClaims) { c.ID = "" })), body, false},
		{"jti too long", "POST", "Bearer " + hs(claims(func(c *vonagetest.WebhookClaims) { c.ID = strings.Repeat("a", 129) })), body, false},
		{"empty POST without payload_hash", "POST", "Bearer " + vonagetest.SignWebhook(vonagetest.SignatureSecret, nil, now), nil, false},
		{"GET with a body", "GET", "Bearer " + vonagetest.SignWebhook(vonagetest.SignatureSecret, nil, now), body, false},
		{"GET with another payload_hash", "GET", "Bearer " + hs(vonagetest.Claims(body, now)), nil, false},

		{"tampered body", "POST", "Bearer " + vonagetest.SignWebhook(vonagetest.SignatureSecret, body, now), bytes.Replace(body, []byte("ringing"), []byte("answered"), 1), false},
		{"body added to a GET signature", "POST", "Bearer " + vonagetest.SignWebhook(vonagetest.SignatureSecret, nil, now), body, false},
		{"wrong secret", "POST", "Bearer " + vonagetest.SignWebhook("another-signature-secret-0123456789", body, now), body, false},
		{"stale iat", "POST", "Bearer " + vonagetest.SignWebhook(vonagetest.SignatureSecret, body, now.Add(-6*time.Minute)), body, false},
		{"iat a day old", "POST", "Bearer " + vonagetest.SignWebhook(vonagetest.SignatureSecret, body, now.Add(-24*time.Hour)), body, false},
		{"future iat", "POST", "Bearer " + vonagetest.SignWebhook(vonagetest.SignatureSecret, body, now.Add(10*time.Minute)), body, false},
		{"no iat", "POST", "Bearer " + hs(claims(func(c *vonagetest.WebhookClaims) { c.IssuedAt = nil })), body, false},
		{"expired", "POST", "Bearer " + hs(claims(func(c *vonagetest.WebhookClaims) { c.ExpiresAt = jwt.NewNumericDate(now.Add(-time.Minute)) })), body, false},
		{"no payload_hash with a body", "POST", "Bearer " + hs(claims(func(c *vonagetest.WebhookClaims) { c.PayloadHash = "" })), body, false},
		{"another application", "POST", "Bearer " + hs(claims(func(c *vonagetest.WebhookClaims) { c.ApplicationID = "ffffffff-bbbb-cccc-dddd-eeeeeeeeeeee" })), body, false},
		{"missing header", "POST", "", body, false},
		{"token without scheme", "POST", vonagetest.SignWebhook(vonagetest.SignatureSecret, body, now), body, false},
		{"basic auth", "POST", "Basic dXNlcjpwYXNz", body, false},
		{"bearer without token", "POST", "Bearer ", body, false},
		{"garbage token", "POST", "Bearer not.a.jwt", body, false},
		{"alg none", "POST", "Bearer " + vonagetest.SignClaims(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, vonagetest.Claims(body, now)), body, false},
		{"HS384", "POST", "Bearer " + vonagetest.SignClaims(jwt.SigningMethodHS384, []byte(vonagetest.SignatureSecret), vonagetest.Claims(body, now)), body, false},
		{"HS512", "POST", "Bearer " + vonagetest.SignClaims(jwt.SigningMethodHS512, []byte(vonagetest.SignatureSecret), vonagetest.Claims(body, now)), body, false},
		{"RS256 with the application key", "POST", "Bearer " + vonagetest.SignClaims(jwt.SigningMethodRS256, vonagetest.Key(t), vonagetest.Claims(body, now)), body, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req, err := http.NewRequest(tt.method, publicURL+"/webhooks/event", bytes.NewReader(tt.body))
			if err != nil {
				t.Fatal(err)
			}
			if tt.auth != "" {
				req.Header.Set("Authorization", tt.auth)
			}
			w, err := p.Verify(req, tt.body, time.Now())
			switch {
			case tt.ok && err != nil:
				t.Errorf("Verify refused a genuine webhook: %v", err)
			case tt.ok && (w.ID == "" || !w.Until.After(now)):
				t.Errorf("Verify = %+v; want the token's jti and a time ahead", w)
			case !tt.ok && err == nil:
				t.Error("Verify accepted a forged webhook")
			case !tt.ok && !errors.Is(err, vonage.ErrSignature):
				t.Errorf("error %v is not ErrSignature", err)
			}
		})
	}
}

// TestVerifyWebhookLifetime: the id must be remembered for as long as the
// token would pass, so that a replay is refused until then.
func TestVerifyWebhookLifetime(t *testing.T) {
	t.Parallel()
	p := newProvider(t, publicURL)
	body := []byte(`{"status":"ringing"}`)
	now := time.Now()
	c := vonagetest.Claims(body, now)
	req, _ := http.NewRequest("POST", publicURL+"/webhooks/event", bytes.NewReader(body))
	req.Header.Set("Authorization", "Bearer "+vonagetest.SignClaims(jwt.SigningMethodHS256, []byte(vonagetest.SignatureSecret), c))
	w, err := p.Verify(req, body, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if w.ID != c.ID {
		t.Errorf("ID = %q, want the jti %q", w.ID, c.ID)
	}
	// A token issued now passes for 5 minutes (see "issued 4 minutes ago").
	if w.Until.Before(now.Add(5 * time.Minute)) {
		t.Errorf("Until = %v, less than 5 minutes after iat %v", w.Until, now)
	}
}

func TestVerifyWithoutSecretRefuses(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	cfg.SignatureSecret = ""
	p := vonage.New(cfg, mustURL(t, publicURL))
	if p.Signed() {
		t.Error("Signed() with no secret")
	}
	req, _ := http.NewRequest("GET", publicURL+"/webhooks/answer", nil)
	req.Header.Set("Authorization", "Bearer "+vonagetest.SignWebhook(vonagetest.SignatureSecret, nil, time.Now()))
	if _, err := p.Verify(req, nil, time.Now()); err == nil {
		t.Error("Verify without a secret accepted a token")
	}
}
