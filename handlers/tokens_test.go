package handlers_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/ringdesk/ringdesk/handlers/twiliotest"
	"github.com/ringdesk/ringdesk/models"
)

// tokenAnswer is the JSON body of POST /token.
type tokenAnswer struct {
	Token     string `json:"token"`
	Identity  string `json:"identity"`
	Provider  string `json:"provider"`
	ExpiresAt string `json:"expiresAt"`
}

// postToken asks for a token as the page's script does: a same-origin
// fetch with an empty body.
func (a *testApp) postToken(t testing.TB, c *http.Client, header ...string) *response {
	t.Helper()
	req := a.newRequest(t, http.MethodPost, "/token", nil, header...)
	return a.do(t, c, req)
}

// checkToken decodes a token answer and its JWT, checks what every token
// must carry, and returns the decoded token.
func checkToken(t testing.TB, resp *response, identity string, ttl time.Duration) *twiliotest.AccessToken {
	t.Helper()
	resp.wantStatus(t, http.StatusOK)
	if cc := resp.Header.Get("Cache-Control"); !strings.Contains(cc, "no-store") {
		t.Errorf("Cache-Control = %q, want no-store", cc)
	}
	for _, secret := range []string{twiliotest.AuthToken, twiliotest.APISecret} {
		if strings.Contains(resp.body, secret) {
			t.Errorf("the token answer contains a secret:\n%s", resp.body)
		}
	}
	var got tokenAnswer
	resp.json(t, &got)
	if got.Identity != identity || got.Provider != "twilio" {
		t.Errorf("identity, provider = %q, %q; want %q, twilio", got.Identity, got.Provider, identity)
	}
	expires, err := time.Parse(time.RFC3339, got.ExpiresAt)
	if err != nil {
		t.Fatalf("expiresAt %q is not RFC 3339: %v", got.ExpiresAt, err)
	}
	tok, err := twiliotest.ParseAccessToken(got.Token, twiliotest.APISecret, twiliotest.APIKey, twiliotest.AccountSID)
	if err != nil {
		t.Fatalf("token does not verify: %v", err)
	}
	c := tok.Claims
	if !c.ExpiresAt.Equal(expires) {
		t.Errorf("exp %v differs from expiresAt %v", c.ExpiresAt.Time, expires)
	}
	if left := time.Until(expires); left > ttl || left < ttl-time.Minute {
		t.Errorf("token lives %v, want TOKEN_TTL %v", left, ttl)
	}
	if c.Grants.Identity != identity {
		t.Errorf("grants.identity = %q, want %q", c.Grants.Identity, identity)
	}
	if v := c.Grants.Voice; v == nil || v.Outgoing == nil || v.Outgoing.ApplicationSID != twiliotest.TwiMLAppSID {
		t.Errorf("grants.voice = %+v, want outgoing to the TwiML App", v)
	}
	return tok
}

func TestTokenWithoutProvider(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	resp := app.postToken(t, app.client(t))
	resp.wantStatus(t, http.StatusServiceUnavailable)
	var body struct{ Error string }
	resp.json(t, &body)
	if body.Error == "" {
		t.Errorf("503 without an error message: %s", resp.body)
	}
}

func TestTokenForCustomer(t *testing.T) {
	eachKit(t, func(t *testing.T, kit callingKit) {
		app := newKitApp(t, kit)
		if kit.token(t, app.postToken(t, app.client(t)), "customer", time.Hour) {
			t.Error("a customer's token receives calls")
		}
	})
}

func TestTokenForAgent(t *testing.T) {
	eachKit(t, func(t *testing.T, kit callingKit) {
		app := newKitApp(t, kit, withEnv("TOKEN_TTL", "5m"))
		c := app.client(t)
		app.signIn(t, c)
		if !kit.token(t, app.postToken(t, c, "Origin", app.srv.URL, "Sec-Fetch-Site", "same-origin"), "support_agent", 5*time.Minute) {
			t.Error("an agent's token does not receive calls")
		}
		// A customer on the same server still gets a customer token.
		kit.token(t, app.postToken(t, app.client(t)), "customer", 5*time.Minute)
	})
}

// TestTokenAgentIsShortLived: an agent's token can call any number, so a
// copied one, or one kept after signing out, lasts at most 15 minutes
// whatever TOKEN_TTL says; customers keep TOKEN_TTL.
func TestTokenAgentIsShortLived(t *testing.T) {
	eachKit(t, func(t *testing.T, kit callingKit) {
		for _, ttl := range []string{"24h", "1h", "16m"} {
			app := newKitApp(t, kit, withEnv("TOKEN_TTL", ttl))
			want, _ := time.ParseDuration(ttl)
			c := app.client(t)
			app.signIn(t, c)
			kit.token(t, app.postToken(t, c), "support_agent", 15*time.Minute)
			kit.token(t, app.postToken(t, app.client(t)), "customer", want)
		}
	})
}

func TestTokenNeverAgentWithoutLiveSession(t *testing.T) {
	eachKit(t, func(t *testing.T, kit callingKit) {
		app := newKitApp(t, kit)
		c := app.client(t)
		app.signIn(t, c)
		old := app.sessionCookie(t, c)
		app.postForm(t, c, "/logout", nil).wantRedirect(t, "/login")
		// Genuinely signed, but for an agent that does not exist.
		ghost, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
			"name": "Ghost", "iss": "ringdesk", "sub": models.NewID().Hex(), "jti": "0123456789abcdef",
			"iat": time.Now().Unix(), "exp": time.Now().Add(time.Hour).Unix(),
		}).SignedString([]byte(testSecret))
		if err != nil {
			t.Fatal(err)
		}

		tests := []struct {
			name   string
			cookie string
		}{
			{"signed-out session replayed", old},
			{"session of a removed agent", ghost},
			{"forged session", "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIwMTIzNDU2Nzg5YWJjZGVmMDEyMzQ1NjciLCJpc3MiOiJyaW5nZGVzayIsImp0aSI6IngiLCJleHAiOjQxMDI0NDQ4MDB9.c2lnbmF0dXJl"},
			{"session of another key", strings.Split(old, ".")[0] + "." + strings.Split(old, ".")[1] + ".AAAA"},
			{"garbage", "not-a-session"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				resp := app.postToken(t, app.client(t), "Cookie", "ringdesk_session="+tt.cookie)
				if kit.token(t, resp, "customer", time.Hour) {
					t.Errorf("a token that receives calls without a live session")
				}
			})
		}
	})
}

func TestTokenRateLimit(t *testing.T) {
	t.Parallel()
	app := newTwilioApp(t, withRealRateLimits())
	c := app.client(t)
	for i := range 30 {
		if resp := app.postToken(t, c); resp.StatusCode != http.StatusOK {
			t.Fatalf("token %d: status %d, want 200", i+1, resp.StatusCode)
		}
	}
	resp := app.postToken(t, c)
	resp.wantStatus(t, http.StatusTooManyRequests)
	wantRetryAfter(t, resp)
	if strings.Contains(resp.body, `"token"`) {
		t.Errorf("a refused request carries a token: %s", resp.body)
	}
	// A signed-in agent counts per session, not per address.
	agent := app.client(t)
	app.signIn(t, agent)
	checkToken(t, app.postToken(t, agent), "support_agent", 15*time.Minute) // agents: at most 15 minutes
}

func TestTokenCrossSite(t *testing.T) {
	t.Parallel()
	app := newTwilioApp(t)
	c := app.client(t)
	app.signIn(t, c)
	for _, h := range [][]string{
		{"Origin", "https://evil.example"},
		{"Sec-Fetch-Site", "cross-site"},
		{"Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site"},
	} {
		resp := app.postToken(t, c, h...)
		resp.wantStatus(t, http.StatusForbidden)
		if strings.Contains(resp.body, "token") && strings.Contains(resp.body, "support_agent") {
			t.Errorf("%v: a cross-site request got a token: %s", h, resp.body)
		}
	}
}
