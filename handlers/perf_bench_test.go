package handlers_test

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/event"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/ringdesk/ringdesk/config"
	"github.com/ringdesk/ringdesk/handlers"
	"github.com/ringdesk/ringdesk/handlers/vonagetest"
	"github.com/ringdesk/ringdesk/models"
	"github.com/ringdesk/ringdesk/models/storetest"
)

// BenchmarkTokenVonage measures a customer's POST /token on Vonage (RS256)
// through the router next to signing the same claims with the same
// *rsa.PrivateKey by golang-jwt directly: RSA-2048 signing is the physical
// limit, so the ratio of the two is the figure. The key file is deleted
// before the loop, so a handler that re-read it per request would fail.
func BenchmarkTokenVonage(b *testing.B) {
	env := vonagetest.Env(b, vonagePublicURL)
	env["SESSION_SECRET"] = "bench-session-secret-0123456789abcdef"
	env["RATE_LIMIT_SCALE"] = "10000"
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		b.Fatal(err)
	}
	h, err := handlers.New(handlers.StoreDeps(cfg, storetest.New(b), slog.New(slog.DiscardHandler)))
	if err != nil {
		b.Fatal(err)
	}
	router, err := h.Routes()
	if err != nil {
		b.Fatal(err)
	}
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
	rawNumber := int64(0) // across runs: numbers are unique in the store
	b.Run("raw", func(b *testing.B) {
		b.ReportAllocs()
		coll := store.Collection("tickets")
		for b.Loop() {
			rawNumber++
			i := rawNumber
			now := time.Now().UTC().Truncate(time.Millisecond)
			t := models.Ticket{
				ID: bson.NewObjectID(), Number: 1_000_000_000 + i, Name: name, PhoneNumber: phone, Description: desc,
				Status: models.StatusOpen, CreatedAt: now, UpdatedAt: now, IdempotencyKey: "api:" + nonce(),
			}
			if _, err := coll.InsertOne(context.Background(), &t); err != nil {
				b.Fatal(err)
			}
		}
	})
	// raw+counter is raw with the store's other round trip in front: the
	// counter's $inc that draws the ticket number.
	b.Run("raw+counter", func(b *testing.B) {
		b.ReportAllocs()
		coll, counters := store.Collection("tickets"), store.Collection("counters")
		for b.Loop() {
			var seq struct {
				Seq int64 `bson:"seq"`
			}
			err := counters.FindOneAndUpdate(context.Background(), bson.M{"_id": "bench"}, bson.M{"$inc": bson.M{"seq": int64(1)}},
				options.FindOneAndUpdate().SetUpsert(true).SetReturnDocument(options.After)).Decode(&seq)
			if err != nil {
				b.Fatal(err)
			}
			now := time.Now().UTC().Truncate(time.Millisecond)
			t := models.Ticket{
				ID: bson.NewObjectID(), Number: 2_000_000_000 + seq.Seq, Name: name, PhoneNumber: phone, Description: desc,
				Status: models.StatusOpen, CreatedAt: now, UpdatedAt: now, IdempotencyKey: "api:" + nonce(),
			}
			if _, err := coll.InsertOne(context.Background(), &t); err != nil {
				b.Fatal(err)
			}
		}
	})
}

// TestDashboardRunsOneListQuery counts the commands one signed-in
// dashboard view sends: exactly one find on tickets (the page and one row
// more), no count or aggregate, no per-row lookups, and only the agent's
// own _id lookup besides.
func TestDashboardRunsOneListQuery(t *testing.T) {
	var (
		mu        sync.Mutex
		recording bool
		seen      []string // "command collection"
	)
	monitor := &event.CommandMonitor{Started: func(_ context.Context, e *event.CommandStartedEvent) {
		mu.Lock()
		defer mu.Unlock()
		if !recording {
			return
		}
		coll := ""
		if v, err := e.Command.LookupErr(e.CommandName); err == nil {
			coll, _ = v.StringValueOK()
		}
		seen = append(seen, e.CommandName+" "+coll)
	}}
	b := make([]byte, 6)
	_, _ = rand.Read(b)
	store, err := models.Connect(t.Context(), storetest.URI(t), "test_"+hex.EncodeToString(b), models.WithMonitor(monitor))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = store.Drop(ctx)
		_ = store.Close(ctx)
	})
	if err := store.EnsureIndexes(t.Context()); err != nil {
		t.Fatal(err)
	}
	seedTickets(t, store, 2*models.PageSize+7)
	router := benchRouter(t, store)
	cookie := benchSignIn(t, router, store)

	mu.Lock()
	recording = true
	mu.Unlock()
	req := httptest.NewRequest(http.MethodGet, "/dashboard", nil)
	req.AddCookie(cookie)
	rec := httptest.NewRecorder()
	router.ServeHTTP(rec, req)
	mu.Lock()
	recording = false
	got := append([]string(nil), seen...)
	mu.Unlock()

	t.Logf("commands during GET /dashboard: %q", got)
	if rec.Code != http.StatusOK {
		t.Fatalf("GET /dashboard = %d", rec.Code)
	}
	if n := strings.Count(rec.Body.String(), `href="/tickets/`); n < models.PageSize {
		t.Fatalf("dashboard shows %d ticket links, want a full page of %d", n, models.PageSize)
	}
	counts := map[string]int{}
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
		case strings.HasPrefix(c, "count ") || strings.HasPrefix(c, "aggregate ") || strings.HasPrefix(c, "countDocuments "):
			t.Errorf("dashboard ran %d × %q; a page must never count", n, c)
		default:
			t.Errorf("unexpected command %q × %d (per-row or extra query); commands: %q", c, n, got)
		}
	}
}

// seedTickets inserts n tickets directly, one minute apart.
func seedTickets(t testing.TB, store *models.Store, n int) {
	t.Helper()
	start := time.Now().UTC().Add(-time.Duration(n) * time.Minute).Truncate(time.Millisecond)
	docs := make([]any, n)
	for i := range n {
		at := start.Add(time.Duration(i) * time.Minute)
		docs[i] = models.Ticket{
			ID: bson.NewObjectID(), Number: int64(i + 1), Name: fmt.Sprintf("Customer %d", i),
			PhoneNumber: "+14155552671", Description: "Headset crackles on long calls; please call back.",
			Status: models.StatusOpen, CreatedAt: at, UpdatedAt: at, IdempotencyKey: fmt.Sprintf("seed-%d", i),
		}
	}
	if _, err := store.Collection("tickets").InsertMany(context.Background(), docs); err != nil {
		t.Fatal(err)
	}
}
