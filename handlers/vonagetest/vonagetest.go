// Package vonagetest plays Vonage's side of Ringdesk's Vonage webhooks in
// tests: it makes an application key at test time, signs webhooks the way
// Vonage signs them, builds the bodies Vonage sends, decodes Client SDK
// tokens with the public key and reads NCCOs back as JSON trees that
// compare structurally.
//
// It signs with golang-jwt directly, from Vonage's published scheme,
// rather than through the adapter under test: a test that signed with the
// code under test would agree with any mistake that code made.
package vonagetest

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"crypto/x509"
	"encoding/hex"
	"encoding/json"
	"encoding/pem"
	"io"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
)

// Fake but well-formed application settings, the same in every test.
const (
	ApplicationID   = "0b1c2d3e-4f50-4617-8a9b-0c1d2e3f4a5b"
	APIKey          = "a1b2c3d4"
	SignatureSecret = "vonage-signature-secret-0123456789abcdef"
	Number          = "14155550100" // VONAGE_NUMBER, digits as NCCOs carry it
	FallbackNumber  = "14155550199"
)

var (
	keyOnce sync.Once
	key     *rsa.PrivateKey
	keyErr  error
)

// Key returns the application's private key: a 2048-bit RSA key made once
// per test binary, never stored in the repository.
func Key(t testing.TB) *rsa.PrivateKey {
	t.Helper()
	keyOnce.Do(func() { key, keyErr = rsa.GenerateKey(rand.Reader, 2048) })
	if keyErr != nil {
		t.Fatalf("vonagetest: generate key: %v", keyErr)
	}
	return key
}

// WriteKey writes k as a PKCS#8 PEM file ("PRIVATE KEY", what Vonage's
// dashboard downloads) in a temporary directory and returns its path.
func WriteKey(t testing.TB, k *rsa.PrivateKey) string {
	t.Helper()
	der, err := x509.MarshalPKCS8PrivateKey(k)
	if err != nil {
		t.Fatalf("vonagetest: marshal key: %v", err)
	}
	return WritePEM(t, "PRIVATE KEY", der)
}

// WritePEM writes one PEM block to a temporary file and returns its path.
func WritePEM(t testing.TB, blockType string, der []byte) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "private.key")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: blockType, Bytes: der}), 0o600); err != nil {
		t.Fatalf("vonagetest: write key: %v", err)
	}
	return path
}

// Env returns the environment that configures Ringdesk for Vonage with the
// fake application above (its key written to a temporary file), served at
// publicURL, with signed webhooks.
func Env(t testing.TB, publicURL string) map[string]string {
	t.Helper()
	return map[string]string{
		"VOICE_PROVIDER":          "vonage",
		"VONAGE_APPLICATION_ID":   ApplicationID,
		"VONAGE_PRIVATE_KEY":      WriteKey(t, Key(t)),
		"VONAGE_NUMBER":           Number,
		"VONAGE_SIGNATURE_SECRET": SignatureSecret,
		"PUBLIC_URL":              publicURL,
	}
}

// WebhookClaims are the claims of a signed webhook's JWT.
type WebhookClaims struct {
	APIKey        string `json:"api_key"`
	ApplicationID string `json:"application_id"`
	PayloadHash   string `json:"payload_hash,omitempty"`
	jwt.RegisteredClaims
}

// SignWebhook returns the JWT Vonage puts in "Authorization: Bearer" on a
// webhook with body, issued at iat: HS256 with the signature secret, the
// claims iat, jti, iss "Vonage", api_key, application_id and, for a
// request with a body, payload_hash, the hex SHA-256 of the body.
func SignWebhook(secret string, body []byte, iat time.Time) string {
	return SignClaims(jwt.SigningMethodHS256, []byte(secret), Claims(body, iat))
}

// Claims are the claims SignWebhook signs; tests alter them to forge.
func Claims(body []byte, iat time.Time) WebhookClaims {
	c := WebhookClaims{
		APIKey:        APIKey,
		ApplicationID: ApplicationID,
		RegisteredClaims: jwt.RegisteredClaims{
			Issuer:   "Vonage",
			IssuedAt: jwt.NewNumericDate(iat),
			ID:       NewUUID(),
		},
	}
	if len(body) > 0 {
		sum := sha256.Sum256(body)
		c.PayloadHash = hex.EncodeToString(sum[:])
	}
	return c
}

// SignClaims signs claims with any method and key, for forged tokens.
func SignClaims(method jwt.SigningMethod, key any, claims jwt.Claims) string {
	s, err := jwt.NewWithClaims(method, claims).SignedString(key)
	if err != nil {
		panic("vonagetest: sign: " + err.Error())
	}
	return s
}

// NewRequest returns Vonage's request to url: a JSON body (POST) or none
// (GET, parameters in url), signed now with secret; an empty secret sends
// it unsigned.
func NewRequest(t testing.TB, secret, method, url string, body []byte) *http.Request {
	t.Helper()
	return NewRequestAt(t, secret, method, url, body, time.Now())
}

// NewRequestAt is NewRequest signed at iat: Vonage's clock, for a test
// that runs the server on its own.
func NewRequestAt(t testing.TB, secret, method, url string, body []byte, iat time.Time) *http.Request {
	t.Helper()
	var r io.Reader
	if body != nil {
		r = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(t.Context(), method, url, r)
	if err != nil {
		t.Fatalf("vonagetest: new request: %v", err)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	if secret != "" {
		req.Header.Set("Authorization", "Bearer "+SignWebhook(secret, body, iat))
	}
	req.Header.Set("User-Agent", "Vonage/1.0")
	return req
}

// NewUUID returns a random UUID, the form of Vonage's leg ids.
func NewUUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b)
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// NewConversation returns a random conversation id: "CON-" and a UUID.
func NewConversation() string { return "CON-" + NewUUID() }

// Answer is the answer webhook for a Client SDK serverCall(context) made
// by the user FromUser ("" for a phone calling the Vonage number, which
// sets From instead). Vonage moves context.to to the top-level to and
// sends the rest as custom_data, a JSON object encoded as a string.
type Answer struct {
	FromUser         string
	From             string
	To               string
	UUID             string
	ConversationUUID string
	Context          map[string]string // everything but to
	Extra            map[string]string // more top-level fields, e.g. a forged one
}

func (a Answer) fields() map[string]string {
	f := map[string]string{
		"uuid":              a.UUID,
		"conversation_uuid": a.ConversationUUID,
		"region_url":        "https://api-us-3.vonage.com",
	}
	if f["uuid"] == "" {
		f["uuid"] = NewUUID()
	}
	if f["conversation_uuid"] == "" {
		f["conversation_uuid"] = NewConversation()
	}
	for k, v := range map[string]string{"from_user": a.FromUser, "from": a.From, "to": a.To} {
		if v != "" {
			f[k] = v
		}
	}
	if len(a.Context) > 0 {
		b, _ := json.Marshal(a.Context)
		f["custom_data"] = string(b)
	}
	for k, v := range a.Extra {
		f[k] = v
	}
	return f
}

// Body is the JSON body Vonage posts when the answer method is POST.
func (a Answer) Body() []byte {
	b, _ := json.Marshal(a.fields())
	return b
}

// Query is the query Vonage sends when the answer method is GET.
func (a Answer) Query() url.Values {
	q := url.Values{}
	for k, v := range a.fields() {
		q.Set(k, v)
	}
	return q
}

// Event is one call event as Vonage posts it to an event URL.
type Event struct {
	UUID             string // the leg
	ConversationUUID string
	Status           string // started, ringing, answered, completed, busy, timeout, unanswered, rejected, failed, cancelled
	From, To         string
	Direction        string // outbound for a leg Vonage places
	Timestamp        time.Time
	Duration         int // seconds, sent on completed
}

// Body is the JSON body; like Vonage, numbers such as duration are strings.
func (e Event) Body() []byte {
	f := map[string]string{
		"uuid":              e.UUID,
		"conversation_uuid": e.ConversationUUID,
		"status":            e.Status,
		"from":              e.From,
		"to":                e.To,
		"direction":         e.Direction,
	}
	if f["uuid"] == "" {
		f["uuid"] = NewUUID()
	}
	if f["direction"] == "" {
		f["direction"] = "outbound"
	}
	if !e.Timestamp.IsZero() {
		f["timestamp"] = e.Timestamp.UTC().Format("2006-01-02T15:04:05.000Z")
	}
	if e.Status == "completed" {
		f["duration"] = strconv.Itoa(e.Duration)
		f["rate"] = "0.00450000"
		f["price"] = "0.00015000"
		f["network"] = "US-FIXED"
		f["start_time"] = e.Timestamp.Add(-time.Duration(e.Duration) * time.Second).UTC().Format(time.RFC3339)
		f["end_time"] = e.Timestamp.UTC().Format(time.RFC3339)
	}
	b, _ := json.Marshal(f)
	return b
}

// Recording is the body a record action posts to its event URL.
func Recording(conversation, recordingURL string, start time.Time, seconds int) []byte {
	b, _ := json.Marshal(map[string]any{
		"start_time":        start.UTC().Format(time.RFC3339),
		"end_time":          start.Add(time.Duration(seconds) * time.Second).UTC().Format(time.RFC3339),
		"recording_url":     recordingURL,
		"size":              12345,
		"recording_uuid":    NewUUID(),
		"conversation_uuid": conversation,
		"timestamp":         start.Add(time.Duration(seconds) * time.Second).UTC().Format("2006-01-02T15:04:05.000Z"),
	})
	return b
}
