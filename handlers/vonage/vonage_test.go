package vonage_test

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"flag"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"

	"github.com/ringdesk/ringdesk/config"
	"github.com/ringdesk/ringdesk/handlers/vonage"
	"github.com/ringdesk/ringdesk/handlers/vonagetest"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

const publicURL = "https://support.example.com"

func testConfig(t testing.TB) config.Vonage {
	t.Helper()
	return config.Vonage{
		ApplicationID:   vonagetest.ApplicationID,
		PrivateKeyPath:  "unused: the key is parsed already",
		Key:             vonagetest.Key(t),
		Number:          vonagetest.Number,
		FallbackNumber:  vonagetest.FallbackNumber,
		SignatureSecret: vonagetest.SignatureSecret,
	}
}

func newProvider(t testing.TB, public string) *vonage.Provider {
	t.Helper()
	u, err := url.Parse(public)
	if err != nil {
		t.Fatal(err)
	}
	return vonage.New(testConfig(t), u)
}

// wantPaths are the ACL paths a Client SDK session needs: for agents all
// of in-app voice, for customers only what placing one call needs.
var wantPaths = map[string][]string{
	"support_agent": {
		"/*/applications/**", "/*/conversations/**", "/*/devices/**", "/*/image/**", "/*/knocking/**",
		"/*/legs/**", "/*/media/**", "/*/push/**", "/*/rtc/**", "/*/sessions/**", "/*/users/**",
	},
	"customer": {"/*/conversations/**", "/*/knocking/**", "/*/legs/**", "/*/rtc/**", "/*/sessions/**"},
}

func TestTokenClaims(t *testing.T) {
	t.Parallel()
	p := newProvider(t, publicURL)
	pub := &vonagetest.Key(t).PublicKey
	seen := map[string]bool{}
	for _, identity := range []string{"support_agent", "customer"} {
		for _, ttl := range []time.Duration{3 * time.Minute, time.Hour, vonage.MaxTokenTTL} {
			t.Run(identity+"/"+ttl.String(), func(t *testing.T) {
				now := time.Now()
				token, expires, err := p.Token(identity, identity == "support_agent", ttl, now)
				if err != nil {
					t.Fatalf("Token: %v", err)
				}
				tok, err := vonagetest.ParseToken(token, pub)
				if err != nil {
					t.Fatalf("token does not verify with the application's public key: %v", err)
				}
				if tok.Header["alg"] != "RS256" || tok.Header["typ"] != "JWT" {
					t.Errorf("header %v, want alg RS256, typ JWT", tok.Header)
				}
				c := tok.Claims
				issued := now.Truncate(time.Second)
				if c.ApplicationID != vonagetest.ApplicationID || c.Subject != identity {
					t.Errorf("application_id, sub = %q, %q; want %q, %q", c.ApplicationID, c.Subject, vonagetest.ApplicationID, identity)
				}
				if c.IssuedAt == nil || !c.IssuedAt.Equal(issued) {
					t.Errorf("iat = %v, want %v", c.IssuedAt, issued)
				}
				if c.ExpiresAt == nil || !c.ExpiresAt.Equal(issued.Add(ttl)) || !expires.Equal(c.ExpiresAt.Time) {
					t.Errorf("exp = %v, returned expiry %v; want both %v", c.ExpiresAt, expires, issued.Add(ttl))
				}
				if c.NotBefore != nil && c.NotBefore.After(issued) {
					t.Errorf("nbf %v is after iat %v", c.NotBefore, issued)
				}
				if len(c.ID) != 36 || strings.Count(c.ID, "-") != 4 || seen[c.ID] {
					t.Errorf("jti %q: want a fresh UUID", c.ID)
				}
				seen[c.ID] = true
				if c.ACL == nil {
					t.Fatal("no acl claim")
				}
				var paths []string
				for path, rule := range c.ACL.Paths {
					paths = append(paths, path)
					if len(rule) != 0 {
						t.Errorf("acl path %s has restrictions %v, want {}", path, rule)
					}
				}
				slices.Sort(paths)
				if diff := cmp.Diff(wantPaths[identity], paths); diff != "" {
					t.Errorf("acl paths (-want +got):\n%s", diff)
				}
			})
		}
	}
}

// TestTokenShape checks the raw token: the claims Vonage reads, under
// their exact names, and nothing secret.
func TestTokenShape(t *testing.T) {
	t.Parallel()
	p := newProvider(t, publicURL)
	token, _, err := p.Token("customer", false, time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("token has %d parts", len(parts))
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatal(err)
	}
	var claims map[string]json.RawMessage
	if err := json.Unmarshal(raw, &claims); err != nil {
		t.Fatal(err)
	}
	var names []string
	for k := range claims {
		names = append(names, k)
	}
	slices.Sort(names)
	if diff := cmp.Diff([]string{"acl", "application_id", "exp", "iat", "jti", "sub"}, names); diff != "" {
		t.Errorf("claim names (-want +got):\n%s", diff)
	}
	if strings.Contains(string(raw), vonagetest.SignatureSecret) {
		t.Error("the token carries the signature secret")
	}
}

func TestTokenLifetimeBounds(t *testing.T) {
	t.Parallel()
	p := newProvider(t, publicURL)
	for _, ttl := range []time.Duration{0, -time.Minute, vonage.MaxTokenTTL + time.Second, 48 * time.Hour} {
		if token, _, err := p.Token("customer", false, ttl, time.Now()); err == nil {
			t.Errorf("Token with lifetime %s = %q, want an error", ttl, token)
		}
	}
}

func TestTokenWithoutKey(t *testing.T) {
	t.Parallel()
	cfg := testConfig(t)
	cfg.Key = nil
	u, _ := url.Parse(publicURL)
	if _, _, err := vonage.New(cfg, u).Token("customer", false, time.Hour, time.Now()); err == nil {
		t.Error("Token without a key succeeded")
	}
}

// TestTokenForgeries checks that the verifier the tests rely on (and
// Vonage) refuses forged tokens: the classic algorithm confusion (HS256
// keyed with the public key's bytes), alg none, another key, an altered
// payload and an expired token.
func TestTokenForgeries(t *testing.T) {
	t.Parallel()
	p := newProvider(t, publicURL)
	pub := &vonagetest.Key(t).PublicKey
	token, _, err := p.Token("customer", false, time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	tok, err := vonagetest.ParseToken(token, pub)
	if err != nil {
		t.Fatal(err)
	}
	agentClaims := tok.Claims
	agentClaims.Subject = "support_agent"

	pubDER, err := x509.MarshalPKIXPublicKey(pub)
	if err != nil {
		t.Fatal(err)
	}
	pubPEM := pem.EncodeToMemory(&pem.Block{Type: "PUBLIC KEY", Bytes: pubDER})
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	parts := strings.Split(token, ".")
	payload, _ := json.Marshal(agentClaims)
	expired := tok.Claims
	expired.ExpiresAt = jwt.NewNumericDate(time.Now().Add(-time.Minute))

	forged := map[string]string{
		"HS256 keyed with the public key PEM": vonagetest.SignClaims(jwt.SigningMethodHS256, pubPEM, agentClaims),
		"HS256 keyed with the public key DER": vonagetest.SignClaims(jwt.SigningMethodHS256, pubDER, agentClaims),
		"alg none":                            vonagetest.SignClaims(jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, agentClaims),
		"signed with another key":             vonagetest.SignClaims(jwt.SigningMethodRS256, other, agentClaims),
		"RS512 with the right key":            vonagetest.SignClaims(jwt.SigningMethodRS512, vonagetest.Key(t), agentClaims),
		"payload swapped, signature kept":     parts[0] + "." + base64.RawURLEncoding.EncodeToString(payload) + "." + parts[2],
		"expired":                             vonagetest.SignClaims(jwt.SigningMethodRS256, vonagetest.Key(t), expired),
	}
	for name, f := range forged {
		t.Run(name, func(t *testing.T) {
			if got, err := vonagetest.ParseToken(f, pub); err == nil {
				t.Errorf("forged token accepted: %+v", got.Claims)
			}
		})
	}
}

func TestURLs(t *testing.T) {
	t.Parallel()
	tests := []struct {
		public, event, socket string
	}{
		{"https://support.example.com", "https://support.example.com/webhooks/event?dir=inbound&ticketId=a%26b", "wss://support.example.com/socket?token=t.k%2B%2F"},
		{"http://localhost:3000", "http://localhost:3000/webhooks/event?dir=inbound&ticketId=a%26b", "ws://localhost:3000/socket?token=t.k%2B%2F"},
		{"https://example.com:8443/desk/", "https://example.com:8443/desk/webhooks/event?dir=inbound&ticketId=a%26b", "wss://example.com:8443/desk/socket?token=t.k%2B%2F"},
	}
	for _, tt := range tests {
		p := newProvider(t, tt.public)
		if got := p.URL("/webhooks/event", url.Values{"dir": {"inbound"}, "ticketId": {"a&b"}}); got != tt.event {
			t.Errorf("%s: URL = %q, want %q", tt.public, got, tt.event)
		}
		if got := p.SocketURL("t.k+/"); got != tt.socket {
			t.Errorf("%s: SocketURL = %q, want %q", tt.public, got, tt.socket)
		}
	}
}

func mustURL(t testing.TB, s string) *url.URL {
	t.Helper()
	u, err := url.Parse(s)
	if err != nil {
		t.Fatal(err)
	}
	return u
}
