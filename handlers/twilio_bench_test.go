package handlers_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/ringdesk/ringdesk/config"
	"github.com/ringdesk/ringdesk/handlers/twilio"
	"github.com/ringdesk/ringdesk/handlers/twiliotest"
)

// twilioBenchConfig is the Twilio test account at twilioPublicURL.
func twilioBenchConfig(b *testing.B) *config.Config {
	b.Helper()
	env := twiliotest.Env(twilioPublicURL)
	env["SESSION_SECRET"] = "bench-session-secret-0123456789abcdef"
	env["RATE_LIMIT_SCALE"] = "10000"
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		b.Fatal(err)
	}
	return cfg
}

func twilioBenchRouter(b *testing.B) http.Handler {
	b.Helper()
	return newTestApp(b, withTwilio(twilioPublicURL), withEnv("RATE_LIMIT_SCALE", "10000")).router
}

// BenchmarkConnectCall measures Twilio's voice webhook through the whole
// router (signature check, form parsing, TwiML) next to a bare net/http
// handler that writes the same answer, so the webhook's own cost reads as
// the difference between the two.
func BenchmarkConnectCall(b *testing.B) {
	router := twilioBenchRouter(b)
	cases := []struct {
		name   string
		params url.Values
	}{
		{"customer", twiliotest.Connect("customer", twiliotest.NewSID("CA"), nil)},
		{"agent+phoneNumber", twiliotest.Connect("support_agent", twiliotest.NewSID("CA"), url.Values{"phoneNumber": {"+1 415 555 2671"}})},
	}
	for _, c := range cases {
		body := c.params.Encode()
		sig := twiliotest.Sign(twiliotest.AuthToken, twilioPublicURL+"/call/connect", c.params)
		send := func(b *testing.B, h http.Handler) *httptest.ResponseRecorder {
			req := httptest.NewRequest(http.MethodPost, "/call/connect", strings.NewReader(body))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("X-Twilio-Signature", sig)
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				b.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
			return rec
		}
		doc := send(b, router).Body.Bytes()
		if !strings.Contains(string(doc), "<Dial") {
			b.Fatalf("%s: no <Dial> in\n%s", c.name, doc)
		}
		bare := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if err := r.ParseForm(); err != nil {
				http.Error(w, err.Error(), http.StatusBadRequest)
				return
			}
			w.Header().Set("Content-Type", "text/xml; charset=utf-8")
			_, _ = w.Write(doc)
		})

		b.Run(c.name+"/router", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				send(b, router)
			}
		})
		b.Run(c.name+"/bare", func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				send(b, bare)
			}
		})
	}
}

// BenchmarkToken measures a customer's POST /token through the router.
// Requests come from 256 addresses so that the per-address rate limit
// (raised, as for load tests) never answers instead of the handler.
func BenchmarkToken(b *testing.B) {
	router := twilioBenchRouter(b)
	b.ReportAllocs()
	i := 0
	for b.Loop() {
		req := httptest.NewRequest(http.MethodPost, "/token", nil)
		req.RemoteAddr = fmt.Sprintf("10.0.%d.%d:1234", i/256%256, i%256)
		i++
		rec := httptest.NewRecorder()
		router.ServeHTTP(rec, req)
		if rec.Code != http.StatusOK {
			b.Fatalf("status %d: %s", rec.Code, rec.Body)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
}

// BenchmarkTokenMint measures minting and signing one token, without HTTP.
func BenchmarkTokenMint(b *testing.B) {
	cfg := twilioBenchConfig(b)
	p := twilio.New(cfg.Twilio, cfg.PublicURL)
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := p.Token("customer", false, time.Hour, time.Now()); err != nil {
			b.Fatal(err)
		}
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
}
