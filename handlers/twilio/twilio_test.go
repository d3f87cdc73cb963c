package twilio_test

import (
	"crypto/hmac"
	"crypto/sha1"
	"encoding/base64"
	"flag"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"github.com/google/go-cmp/cmp"
	"github.com/twilio/twilio-go/client"

	"github.com/ringdesk/ringdesk/config"
	"github.com/ringdesk/ringdesk/handlers/twilio"
	"github.com/ringdesk/ringdesk/handlers/twiliotest"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

const publicURL = "https://support.example.com"

func testConfig() config.Twilio {
	return config.Twilio{
		AccountSID:  twiliotest.AccountSID,
		AuthToken:   twiliotest.AuthToken,
		APIKey:      twiliotest.APIKey,
		APISecret:   twiliotest.APISecret,
		TwiMLAppSID: twiliotest.TwiMLAppSID,
		CallerID:    twiliotest.CallerID,
	}
}

func newProvider(t testing.TB, public string) *twilio.Provider {
	t.Helper()
	u, err := url.Parse(public)
	if err != nil {
		t.Fatal(err)
	}
	return twilio.New(testConfig(), u)
}

// The vectors from twilio-go's own request_validator_test.go (v1.31.0).
const (
	vectorURL   = "https://mycompany.com/myapp.php?foo=1&bar=2"
	vectorToken = "12345"
)

var vectorParams = url.Values{
	"Digits":                {"1234"},
	"CallSid":               {"CA1234567890ABCDE"},
	"To":                    {"+18005551212"},
	"Caller":                {"+14158675309"},
	"From":                  {"+14158675309"},
	"ReasonConferenceEnded": {"test"},
	"Reason":                {"Participant"},
}

func TestSignMatchesTwilioVectors(t *testing.T) {
	t.Parallel()
	httpURL := strings.Replace(vectorURL, "https", "http", 1)
	tests := []struct {
		name, url, want string
	}{
		{"https", vectorURL, "vOEb5UThFn24KEfnOFLQY2AE5FY="},
		{"http", httpURL, "n2xBNyzSW7rfYStDtOFiFMv7qNo="},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := twiliotest.Sign(vectorToken, tt.url, vectorParams); got != tt.want {
				t.Errorf("Sign(%s) = %q, want %q", tt.url, got, tt.want)
			}
		})
	}

	// twilio-go's vector for parameters sorted wrongly (by name+value, which
	// puts ReasonConferenceEnded before Reason): Sign must not produce it.
	const wrongOrder = "95+Bu0JVPi0r/SsESZCVf0dWAjw="
	var b strings.Builder
	b.WriteString(vectorURL)
	for _, kv := range []string{"CallSid", "Caller", "Digits", "From", "ReasonConferenceEnded", "Reason", "To"} {
		b.WriteString(kv + vectorParams.Get(kv))
	}
	mac := hmac.New(sha1.New, []byte(vectorToken))
	mac.Write([]byte(b.String()))
	if got := base64.StdEncoding.EncodeToString(mac.Sum(nil)); got != wrongOrder {
		t.Fatalf("the wrong-order vector is %q here, want %q: the test misreads twilio-go's vector", got, wrongOrder)
	}
	if got := twiliotest.Sign(vectorToken, vectorURL, vectorParams); got == wrongOrder {
		t.Errorf("Sign sorts parameters by name+value; Twilio sorts by name")
	}

	// Port handling: Twilio signs the URL without a default port, and
	// twilio-go accepts a signature made with or without the port.
	v := client.NewRequestValidator(vectorToken)
	single := map[string]string{}
	for k := range vectorParams {
		single[k] = vectorParams.Get(k)
	}
	for _, tt := range []struct{ validateURL, signURL string }{
		{vectorURL, vectorURL},
		{strings.Replace(vectorURL, ".com", ".com:1234", 1), vectorURL},
		{vectorURL, strings.Replace(vectorURL, ".com", ".com:443", 1)},
		{strings.Replace(httpURL, ".com", ".com:1234", 1), httpURL},
		{httpURL, strings.Replace(httpURL, ".com", ".com:80", 1)},
	} {
		if !v.Validate(tt.validateURL, single, twiliotest.Sign(vectorToken, tt.signURL, vectorParams)) {
			t.Errorf("twilio-go rejects for %s a signature made by Sign for %s", tt.validateURL, tt.signURL)
		}
	}
}

func TestSignRepeatedParams(t *testing.T) {
	t.Parallel()
	// A name posted twice contributes each distinct value, in sorted
	// order, which is what twilio-node does.
	got := twiliotest.Sign("tok", "https://x.example/p", url.Values{"b": {"2"}, "a": {"z", "y", "z"}})
	mac := hmac.New(sha1.New, []byte("tok"))
	mac.Write([]byte("https://x.example/paya" + "zb2"))
	if want := base64.StdEncoding.EncodeToString(mac.Sum(nil)); got != want {
		t.Errorf("Sign = %q, want %q", got, want)
	}
}

func TestVerify(t *testing.T) {
	t.Parallel()
	const server = "http://127.0.0.1:8080" // where the request really arrives
	params := twiliotest.Connect("customer", twiliotest.NewSID("CA"), url.Values{"phoneNumber": {"+14155552671"}})

	type req struct {
		public string // the provider's PUBLIC_URL
		path   string // path and query posted to the server
		sign   func(r *http.Request)
	}
	signed := func(token, signURL string, p url.Values) func(r *http.Request) {
		return func(r *http.Request) { r.Header.Set("X-Twilio-Signature", twiliotest.Sign(token, signURL, p)) }
	}
	tests := []struct {
		name string
		req
		want bool
	}{
		{"signed for PUBLIC_URL + path", req{publicURL, "/call/connect", nil}, true},
		{"with a query string", req{publicURL, "/call/status?dir=outbound&ticketId=0123456789abcdef01234567", nil}, true},
		{"PUBLIC_URL with a trailing slash", req{publicURL + "/", "/call/connect", signed(twiliotest.AuthToken, publicURL+"/call/connect", params)}, true},
		{"behind a proxy under /help", req{publicURL + "/help", "/call/connect", signed(twiliotest.AuthToken, publicURL+"/help/call/connect", params)}, true},
		{"a default port in the signed URL", req{publicURL, "/call/connect", signed(twiliotest.AuthToken, "https://support.example.com:443/call/connect", params)}, true},

		{"no header", req{publicURL, "/call/connect", func(r *http.Request) { r.Header.Del("X-Twilio-Signature") }}, false},
		{"empty header", req{publicURL, "/call/connect", func(r *http.Request) { r.Header.Set("X-Twilio-Signature", "") }}, false},
		{"garbage", req{publicURL, "/call/connect", func(r *http.Request) { r.Header.Set("X-Twilio-Signature", "not base64 at all") }}, false},
		{"wrong auth token", req{publicURL, "/call/connect", signed("fedcba9876543210fedcba9876543210", publicURL+"/call/connect", params)}, false},
		{"a param with another value", req{publicURL, "/call/connect", signed(twiliotest.AuthToken, publicURL+"/call/connect", with(params, "From", "client:support_agent"))}, false},
		{"a param added", req{publicURL, "/call/connect", signed(twiliotest.AuthToken, publicURL+"/call/connect", without(params, "phoneNumber"))}, false},
		{"another path", req{publicURL, "/call/connect", signed(twiliotest.AuthToken, publicURL+"/call/status", params)}, false},
		{"query dropped", req{publicURL, "/call/status?dir=inbound", signed(twiliotest.AuthToken, publicURL+"/call/status", params)}, false},
		{"another query", req{publicURL, "/call/status?dir=inbound", signed(twiliotest.AuthToken, publicURL+"/call/status?dir=outbound", params)}, false},
		{"http vs https", req{publicURL, "/call/connect", signed(twiliotest.AuthToken, "http://support.example.com/call/connect", params)}, false},
		{"another host", req{publicURL, "/call/connect", signed(twiliotest.AuthToken, "https://evil.example/call/connect", params)}, false},
		{"signed for the address it arrived at", req{publicURL, "/call/connect", signed(twiliotest.AuthToken, server+"/call/connect", params)}, false},
		{"proxy prefix left out", req{publicURL + "/help", "/call/connect", signed(twiliotest.AuthToken, publicURL+"/call/connect", params)}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := twiliotest.NewRequest(t, twiliotest.AuthToken, strings.TrimRight(tt.public, "/"), server, tt.path, params)
			if tt.sign != nil {
				tt.sign(r)
			}
			if err := r.ParseForm(); err != nil {
				t.Fatal(err)
			}
			if got := newProvider(t, tt.public).Verify(r); got != tt.want {
				t.Errorf("Verify = %v, want %v", got, tt.want)
			}
		})
	}
}

func with(v url.Values, k, val string) url.Values {
	c := url.Values{}
	for kk, vv := range v {
		c[kk] = append([]string(nil), vv...)
	}
	c.Set(k, val)
	return c
}

func without(v url.Values, k string) url.Values {
	c := with(v, k, "")
	c.Del(k)
	return c
}

func TestURL(t *testing.T) {
	t.Parallel()
	tests := []struct {
		public, path string
		query        url.Values
		want         string
	}{
		{publicURL, "/call/status", nil, publicURL + "/call/status"},
		{publicURL + "/", "/call/status", url.Values{"dir": {"inbound"}}, publicURL + "/call/status?dir=inbound"},
		{publicURL + "/help", "/call/voicemail", url.Values{"dir": {"inbound"}, "ticketId": {"abc"}}, publicURL + "/help/call/voicemail?dir=inbound&ticketId=abc"},
	}
	for _, tt := range tests {
		if got := newProvider(t, tt.public).URL(tt.path, tt.query); got != tt.want {
			t.Errorf("URL(%q, %v) with PUBLIC_URL %s = %q, want %q", tt.path, tt.query, tt.public, got, tt.want)
		}
	}
}

func TestToken(t *testing.T) {
	t.Parallel()
	p := newProvider(t, publicURL)
	for _, ttl := range []time.Duration{3 * time.Minute, time.Hour, 24 * time.Hour} {
		for _, who := range []struct {
			identity string
			incoming bool
		}{{"support_agent", true}, {"customer", false}} {
			t.Run(who.identity+"/"+ttl.String(), func(t *testing.T) {
				t.Parallel()
				now := time.Now()
				token, expires, err := p.Token(who.identity, who.incoming, ttl, now)
				if err != nil {
					t.Fatalf("Token: %v", err)
				}
				got, err := twiliotest.ParseAccessToken(token, twiliotest.APISecret, twiliotest.APIKey, twiliotest.AccountSID)
				if err != nil {
					t.Fatalf("decode token: %v", err)
				}
				// twilio-go sets exactly these headers: no kid, since the
				// issuer (the API key) already names the signing key.
				wantHeader := map[string]any{"alg": "HS256", "typ": "JWT", "cty": "twilio-fpa;v=1"}
				if diff := cmp.Diff(wantHeader, got.Header); diff != "" {
					t.Errorf("header (-want +got):\n%s", diff)
				}
				c := got.Claims
				if c.Issuer != twiliotest.APIKey || c.Subject != twiliotest.AccountSID {
					t.Errorf("iss, sub = %q, %q; want the API key and the account SID", c.Issuer, c.Subject)
				}
				if !strings.HasPrefix(c.ID, twiliotest.APIKey+"-") {
					t.Errorf("jti = %q, want %s-<time>", c.ID, twiliotest.APIKey)
				}
				if c.ExpiresAt == nil || !c.ExpiresAt.Equal(expires) {
					t.Errorf("exp = %v, want the returned expiry %v", c.ExpiresAt, expires)
				}
				if left := expires.Sub(now); left > ttl || left <= ttl-time.Second {
					t.Errorf("token lives %v, want %v (twilio-go's one-hour floor must not apply)", left, ttl)
				}
				if c.NotBefore == nil || c.NotBefore.After(time.Now()) {
					t.Errorf("nbf = %v, want now or earlier", c.NotBefore)
				}
				if c.Grants.Identity != who.identity {
					t.Errorf("grants.identity = %q, want %q", c.Grants.Identity, who.identity)
				}
				v := c.Grants.Voice
				if v == nil || v.Outgoing == nil || v.Outgoing.ApplicationSID != twiliotest.TwiMLAppSID {
					t.Fatalf("grants.voice = %+v, want outgoing.application_sid %s", v, twiliotest.TwiMLAppSID)
				}
				if len(v.Outgoing.Params) != 0 {
					t.Errorf("outgoing params %v, want none", v.Outgoing.Params)
				}
				switch {
				case who.incoming && (v.Incoming == nil || !v.Incoming.Allow):
					t.Errorf("agent token: incoming = %+v, want allow true", v.Incoming)
				case !who.incoming && v.Incoming != nil:
					t.Errorf("customer token: incoming = %+v, want no incoming grant", v.Incoming)
				}
			})
		}
	}
}

func TestTokenRejectedWhenTampered(t *testing.T) {
	t.Parallel()
	p := newProvider(t, publicURL)
	token, _, err := p.Token("customer", false, time.Hour, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	var claims jwt.MapClaims
	if _, _, err := jwt.NewParser().ParseUnverified(token, &claims); err != nil {
		t.Fatal(err)
	}
	resign := func(t *testing.T, m jwt.SigningMethod, key any, c jwt.MapClaims) string {
		t.Helper()
		s, err := jwt.NewWithClaims(m, c).SignedString(key)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	agentClaims := jwt.MapClaims{}
	for k, v := range claims {
		agentClaims[k] = v
	}
	agentClaims["grants"] = map[string]any{"identity": "support_agent", "voice": map[string]any{"incoming": map[string]any{"allow": true}}}
	parts := strings.Split(token, ".")
	forgedPayload := strings.Split(resign(t, jwt.SigningMethodHS256, []byte("x"), agentClaims), ".")[1]

	tests := []struct {
		name  string
		token func(t *testing.T) string
		ok    bool
	}{
		{"as minted (control)", func(*testing.T) string { return token }, true},
		{"another secret", func(t *testing.T) string {
			return resign(t, jwt.SigningMethodHS256, []byte("another-secret-0123456789abcdef"), claims)
		}, false},
		{"HS384", func(t *testing.T) string {
			return resign(t, jwt.SigningMethodHS384, []byte(twiliotest.APISecret), claims)
		}, false},
		{"HS512", func(t *testing.T) string {
			return resign(t, jwt.SigningMethodHS512, []byte(twiliotest.APISecret), claims)
		}, false},
		{"alg none", func(t *testing.T) string {
			return resign(t, jwt.SigningMethodNone, jwt.UnsafeAllowNoneSignatureType, claims)
		}, false},
		{"payload swapped for an agent's", func(*testing.T) string { return parts[0] + "." + forgedPayload + "." + parts[2] }, false},
		{"expired", func(t *testing.T) string {
			s, _, err := p.Token("customer", false, time.Hour, time.Now().Add(-2*time.Hour))
			if err != nil {
				t.Fatal(err)
			}
			return s
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := twiliotest.ParseAccessToken(tt.token(t), twiliotest.APISecret, twiliotest.APIKey, twiliotest.AccountSID)
			if (err == nil) != tt.ok {
				t.Errorf("decode error = %v, want ok = %v", err, tt.ok)
			}
		})
	}
}
