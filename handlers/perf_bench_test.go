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
// dashboard page sends, on both stores, for every view and each kind of
// search: exactly one query on tickets (the page and one row more), no
// per-row lookups, the view counts read from their counters (SQLite: one
// query on the counts tables; MongoDB: one indexed count per view, the
// agent's own and All derived), and only the agent's own lookup (with its
// revoked sessions) besides.
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
	pages := []struct {
		url      string
		fullPage bool
		words    bool
	}{
		{"/dashboard", true, false},
		{"/dashboard?view=all", true, false},
		{"/dashboard?view=mine", false, false},
		{"/dashboard?view=unassigned", true, false},
		{"/dashboard?view=pending", false, false},
		{"/dashboard?view=closed", false, false},
		{"/dashboard?view=all&q=%2312", false, false},
		{"/dashboard?q=%2B1+415+555+2671", true, false},
		{"/dashboard?view=all&q=headset+crackles", true, true},
	}
	run := func(t *testing.T, store *models.Store, words bool, check func(t *testing.T, url string, got []string)) {
		storetest.SeedTickets(t, store, 2*models.PageSize+7)
		router := benchRouter(t, store)
		cookie := benchSignIn(t, router, store)
		for _, page := range pages {
			if page.words && !words {
				continue
			}
			mu.Lock()
			recording, seen = true, nil
			mu.Unlock()
			req := httptest.NewRequest(http.MethodGet, page.url, nil)
			req.AddCookie(cookie)
			rec := httptest.NewRecorder()
			router.ServeHTTP(rec, req)
			mu.Lock()
			recording = false
			got := append([]string(nil), seen...)
			mu.Unlock()
			t.Logf("queries during GET %s: %q", page.url, got)
			if rec.Code != http.StatusOK {
				t.Fatalf("GET %s = %d", page.url, rec.Code)
			}
			if n := strings.Count(rec.Body.String(), `href="/tickets/`); page.fullPage && n < models.PageSize {
				t.Fatalf("GET %s shows %d ticket links, want a full page of %d", page.url, n, models.PageSize)
			}
			check(t, page.url, got)
		}
	}

	t.Run("mongo", func(t *testing.T) {
		monitor := &event.CommandMonitor{Started: func(_ context.Context, e *event.CommandStartedEvent) {
			coll := ""
			if v, err := e.Command.LookupErr(e.CommandName); err == nil {
				coll, _ = v.StringValueOK()
			}
			record(e.CommandName + " " + coll)
		}}
		// Word searches need a text index, which FerretDB (the tests'
		// stand-in) cannot build; MONGODB_TEST_URI runs them too.
		words := os.Getenv("MONGODB_TEST_URI") != ""
		run(t, storetest.NewMongoWith(t, mongo.Options{Monitor: monitor}), words, func(t *testing.T, url string, got []string) {
			counts := map[string]int{}
			for _, c := range got {
				counts[c]++
			}
			if counts["find tickets"] != 1 {
				t.Errorf("GET %s: find on tickets ran %d times, want exactly 1; commands: %q", url, counts["find tickets"], got)
			}
			for c, n := range counts {
				switch {
				case c == "find tickets":
				case c == "find agents" && n == 1: // the signed-in agent, by _id
				case c == "aggregate tickets" && n <= 5: // the view counts
				default:
					t.Errorf("GET %s: unexpected command %q × %d (a per-row or extra query); commands: %q", url, c, n, got)
				}
			}
		})
	})
	t.Run("sqlite", func(t *testing.T) {
		run(t, storetest.NewSQLite(t, sqlite.Options{Trace: record}), true, func(t *testing.T, url string, got []string) {
			tickets, counts, other := 0, 0, 0
			for _, q := range got {
				switch {
				case strings.Contains(q, "FROM tickets"):
					tickets++
				case strings.Contains(q, "FROM ticket_counts"):
					counts++
				case strings.Contains(q, "count("):
					t.Errorf("GET %s counted rows: %q", url, q)
				default:
					other++
				}
			}
			if tickets != 1 {
				t.Errorf("GET %s: %d queries on tickets, want exactly 1: %q", url, tickets, got)
			}
			if counts != 1 {
				t.Errorf("GET %s: %d queries on the counts, want exactly 1: %q", url, counts, got)
			}
			if other > 2 { // the agent, and its revoked sessions
				t.Errorf("GET %s: %d other queries, want at most 2 (the signed-in agent): %q", url, other, got)
			}
		})
	})
}
