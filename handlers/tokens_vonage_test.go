package handlers_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ringdesk/ringdesk/handlers/vonagetest"
)

// checkVonageToken decodes a token answer and its JWT (with the
// application's public key, RS256 only), checks what every Vonage token
// must carry, and returns the decoded token.
func checkVonageToken(t testing.TB, resp *response, identity string, ttl time.Duration) *vonagetest.Token {
	t.Helper()
	resp.wantStatus(t, http.StatusOK)
	if cc := resp.Header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
		t.Errorf("Cache-Control = %q, want no-store", cc)
	}
	if strings.Contains(resp.body, vonagetest.SignatureSecret) || strings.Contains(resp.body, "PRIVATE KEY") {
		t.Errorf("the token answer contains a secret:\n%s", resp.body)
	}
	var got tokenAnswer
	resp.json(t, &got)
	if got.Identity != identity || got.Provider != "vonage" {
		t.Errorf("identity, provider = %q, %q; want %q, vonage", got.Identity, got.Provider, identity)
	}
	expires, err := time.Parse(time.RFC3339, got.ExpiresAt)
	if err != nil {
		t.Fatalf("expiresAt %q is not RFC 3339: %v", got.ExpiresAt, err)
	}
	tok, err := vonagetest.ParseToken(got.Token, &vonagetest.Key(t).PublicKey)
	if err != nil {
		t.Fatalf("token does not verify with the application's public key: %v", err)
	}
	c := tok.Claims
	if c.Subject != identity || c.ApplicationID != vonagetest.ApplicationID {
		t.Errorf("sub, application_id = %q, %q; want %q, %q", c.Subject, c.ApplicationID, identity, vonagetest.ApplicationID)
	}
	if !c.ExpiresAt.Equal(expires) {
		t.Errorf("exp %v differs from expiresAt %v", c.ExpiresAt.Time, expires)
	}
	if left := time.Until(expires); left > ttl || left < ttl-time.Minute {
		t.Errorf("token lives %v, want TOKEN_TTL %v", left, ttl)
	}
	if c.ID == "" || c.ACL == nil || len(c.ACL.Paths) == 0 {
		t.Errorf("token without jti or acl: %+v", c)
	}
	return tok
}

// TestVonageCustomerTokenACL: a customer's token may place one call, not
// read or change Vonage users (support_agent among them) or register for
// push; the agent's keeps the Client SDK's full set.
func TestVonageCustomerTokenACL(t *testing.T) {
	t.Parallel()
	app := newVonageApp(t)
	paths := func(tok *vonagetest.Token) []string {
		var out []string
		for p := range tok.Claims.ACL.Paths {
			out = append(out, p)
		}
		slices.Sort(out)
		return out
	}
	customer := paths(checkVonageToken(t, app.postToken(t, app.client(t)), "customer", time.Hour))
	if diff := cmp.Diff([]string{"/*/conversations/**", "/*/knocking/**", "/*/legs/**", "/*/rtc/**", "/*/sessions/**"}, customer); diff != "" {
		t.Errorf("customer acl paths (-want +got):\n%s", diff)
	}
	c := app.client(t)
	app.signIn(t, c)
	agent := paths(checkVonageToken(t, app.postToken(t, c), "support_agent", 15*time.Minute))
	for _, p := range []string{"/*/users/**", "/*/sessions/**", "/*/knocking/**", "/*/conversations/**", "/*/push/**"} {
		if !slices.Contains(agent, p) {
			t.Errorf("agent acl paths %v lack %s", agent, p)
		}
	}
}

func TestVonageTokenLongestLifetime(t *testing.T) {
	t.Parallel()
	app := newVonageApp(t, withEnv("TOKEN_TTL", "24h"))
	checkVonageToken(t, app.postToken(t, app.client(t)), "customer", 24*time.Hour)
}
