package handlers_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"go.mongodb.org/mongo-driver/v2/event"

	"github.com/ringdesk/ringdesk/handlers/vonagetest"
	"github.com/ringdesk/ringdesk/models"
	"github.com/ringdesk/ringdesk/models/mongo"
	"github.com/ringdesk/ringdesk/models/sqlite"
	"github.com/ringdesk/ringdesk/models/storetest"
)

// BenchmarkTokenVonage measures a customer's POST /token on Vonage (RS256)
// through the router next to signing the same claims with the same
// *rsa.PrivateKey by golang-jwt directly: RSA-2048 signing is the physical
// limit, so the ratio of the two is the figure. The key file is deleted
// before the loop, so a handler that re-read it per request would fail.
func BenchmarkTokenVonage(b *testing.B) {
	env := vonagetest.Env(b, vonagePublicURL)
	opts := []appOption{withEnv("RATE_LIMIT_SCALE", "10000")}
	for k, v := range env {
		opts = append(opts, withEnv(k, v))
	}
	app := newTestApp(b, opts...)
	router, cfg := app.router, app.cfg
	if err := os.Remove(env["VONAGE_PRIVATE_KEY"]); err != nil {
		b.Fatal(err)
	}

	b.Run("router", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			req := httptest.NewRequest(http.MethodPost, "/token", nil)
			req.RemoteAddr = fmt.Sprintf("10.1.%d.%d:1234", i/256%256, i%256)
			i++
			rec := httptest.NewRecorder()
			router.ServeHTTP(rec, req)
			if rec.Code != http.StatusOK {
				b.Fatalf("status %d: %s", rec.Code, rec.Body)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
	})
	b.Run("bare", func(b *testing.B) {
		type claims struct {
			ApplicationID string `json:"application_id"`
			ACL           struct {
				Paths map[string]struct{} `json:"paths"`
			} `json:"acl"`
			jwt.RegisteredClaims
		}
		b.ReportAllocs()
		for b.Loop() {
			now := time.Now().Truncate(time.Second)
			var c claims
			c.ApplicationID = vonagetest.ApplicationID
			c.ACL.Paths = map[string]struct{}{
				"/*/users/**": {}, "/*/conversations/**": {}, "/*/sessions/**": {}, "/*/devices/**": {},
				"/*/image/**": {}, "/*/media/**": {}, "/*/applications/**": {}, "/*/push/**": {},
				"/*/knocking/**": {}, "/*/legs/**": {}, "/*/rtc/**": {},
			}
			c.RegisteredClaims = jwt.RegisteredClaims{
				Subject: "customer", IssuedAt: jwt.NewNumericDate(now),
				ExpiresAt: jwt.NewNumericDate(now.Add(cfg.TokenTTL)), ID: vonagetest.NewUUID(),
			}
			if _, err := jwt.NewWithClaims(jwt.SigningMethodRS256, c).SignedString(cfg.Vonage.Key); err != nil {
				b.Fatal(err)
			}
		}
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "tokens/s")
	})
}

// BenchmarkCreateTicket measures a signed-out customer's POST /tickets
// (form and JSON) through the router next to a raw driver InsertOne of an
// equivalent document on the same store. Every request carries its own
// nonce or Idempotency-Key, so each creates a ticket.
func BenchmarkCreateTicket(b *testing.B) {
	store := storetest.New(b)
	router := benchRouter(b, store)
	const (
		name  = "Benchmark Customer"
		phone = "+14155552671"
		desc  = "The headset does not ring when a customer calls; please call back."
	)
	nonce := func() string {
		k := make([]byte, 16)
		_, _ = rand.Read(k)
		return hex.EncodeToString(k)
	}
	send := func(b *testing.B, i int, req *http.Request, want int) {
		req.RemoteAddr = fmt.Sprintf("10.2.%d.%d:1234", i/256%256, i%256)
		rec := httptest.NewRecorder()
		router.ServeHTTP(rec, req)
		if rec.Code != want {
			b.Fatalf("status %d, want %d: %s", rec.Code, want, rec.Body)
		}
	}

	b.Run("form", func(b *testing.B) {
		b.ReportAllocs()
		i := 0
		for b.Loop() {
			form := url.Values{"name": {name}, "phone_number": {phone}, "description": {desc}, "nonce": {nonce()}}
			req := httptest.NewRequest(http.MethodPost, "/tickets", strings.NewReader(form.Encode()))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			send(b, i, req, http.StatusSeeOther)
			i++
		}
	})
	b.Run("json", func(b *testing.B) {
		b.ReportAllocs()
		body, _ := json.Marshal(map[string]string{"name": name, "phoneNumber": phone, "description": desc})
		i := 0
		for b.Loop() {
			req := httptest.NewRequest(http.MethodPost, "/tickets", strings.NewReader(string(body)))
			req.Header.Set("Content-Type", "application/json")
			req.Header.Set("Idempotency-Key", nonce())
			send(b, i, req, http.StatusCreated)
			i++
		}
	})
	// store is the repository call alone, with the same content: what
	// the handler adds on top (form parsing, validation, phone parsing,
	// rate limit, the answer) is the difference.
	b.Run("store", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			t := models.Ticket{Name: name, PhoneNumber: phone, Description: desc, IdempotencyKey: "api:" + nonce()}
			if _, err := store.Tickets.Create(context.Background(), &t); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestDashboardRunsOneListQuery counts the queries one signed-in
// dashboard view sends, on both stores: exactly one query on tickets (the
// page and one row more), no count, no per-row lookups, and only the
// agent's own lookup (with its revoked sessions) besides.
func TestDashboardRunsOneListQuery(t *testing.T) {
	var (
		mu        sync.Mutex
		recording bool
		seen      []string
	)
	record := func(what string) {
		mu.Lock()
		defer mu.Unlock()
		if recording {
			seen = append(seen, what)
		}
	}
	view := func(t *testing.T, store *models.Store) []string {
		storetest.SeedTickets(t, store, 2*models.PageSize+7)
		router := benchRouter(t, store)
		cookie := benchSignIn(t, router, store)
		mu.Lock()
		recording, seen = true, nil
		mu.Unlock()
		req := httptest.NewRequest(http.MethodGet, "/dashboard", nil)
		req.AddCookie(cookie)
		rec := httptest.NewRecorder()
		router.ServeHTTP(rec, req)
		mu.Lock()
		recording = false
		got := append([]string(nil), seen...)
		mu.Unlock()
		t.Logf("queries during GET /dashboard: %q", got)
		if rec.Code != http.StatusOK {
			t.Fatalf("GET /dashboard = %d", rec.Code)
		}
		if n := strings.Count(rec.Body.String(), `href="/tickets/`); n < models.PageSize {
			t.Fatalf("dashboard shows %d ticket links, want a full page of %d", n, models.PageSize)
		}
		return got
	}

	t.Run("mongo", func(t *testing.T) {
		monitor := &event.CommandMonitor{Started: func(_ context.Context, e *event.CommandStartedEvent) {
			coll := ""
			if v, err := e.Command.LookupErr(e.CommandName); err == nil {
				coll, _ = v.StringValueOK()
			}
			record(e.CommandName + " " + coll)
		}}
		counts := map[string]int{}
		got := view(t, storetest.NewMongoWith(t, mongo.Options{Monitor: monitor}))
		for _, c := range got {
			counts[c]++
		}
		if counts["find tickets"] != 1 {
			t.Errorf("find on tickets ran %d times, want exactly 1; commands: %q", counts["find tickets"], got)
		}
		for c, n := range counts {
			switch {
			case c == "find tickets":
			case c == "find agents" && n == 1: // the signed-in agent, by _id
			default:
				t.Errorf("unexpected command %q × %d (a count, or a per-row or extra query); commands: %q", c, n, got)
			}
		}
	})
	t.Run("sqlite", func(t *testing.T) {
		got := view(t, storetest.NewSQLite(t, sqlite.Options{Trace: record}))
		tickets, other := 0, 0
		for _, q := range got {
			switch {
			case strings.Contains(q, "FROM tickets"):
				tickets++
			case strings.Contains(q, "count("):
				t.Errorf("dashboard counted: %q", q)
			default:
				other++
			}
		}
		if tickets != 1 {
			t.Errorf("%d queries on tickets, want exactly 1: %q", tickets, got)
		}
		if other > 2 { // the agent, and its revoked sessions
			t.Errorf("%d other queries, want at most 2 (the signed-in agent): %q", other, got)
		}
	})
}
