package handlers_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/ringdesk/ringdesk/config"
	"github.com/ringdesk/ringdesk/handlers"
	"github.com/ringdesk/ringdesk/models"
	"github.com/ringdesk/ringdesk/models/storetest"
)

// BenchmarkDashboard measures a signed-in dashboard view through the whole
// middleware stack next to the bare store query for the same page, so the
// page's own cost reads as the difference between the two.
//
// RINGDESK_BENCH_100K=1 adds 100,000 tickets (about a minute to seed,
// seconds per page on the embedded store).
func BenchmarkDashboard(b *testing.B) {
	sizes := []int{1000, 10000}
	if os.Getenv("RINGDESK_BENCH_100K") != "" {
		sizes = append(sizes, 100000)
	}
	for _, n := range sizes {
		store := storetest.New(b)
		seedBenchTickets(b, store, n)
		router := benchRouter(b, store)
		cookie := benchSignIn(b, router, store)

		b.Run(fmt.Sprintf("tickets=%d/page", n), func(b *testing.B) {
			for b.Loop() {
				req := httptest.NewRequest(http.MethodGet, "/dashboard", nil)
				req.AddCookie(cookie)
				rec := httptest.NewRecorder()
				router.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("status %d (at 100,000 tickets the embedded store's page query outlasts the 4 s operation deadline)", rec.Code)
				}
			}
		})
		b.Run(fmt.Sprintf("tickets=%d/store", n), func(b *testing.B) {
			for b.Loop() {
				if _, _, err := store.Tickets.List(context.Background(), nil, models.PageSize); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func benchRouter(b testing.TB, store *models.Store) http.Handler {
	b.Helper()
	cfg, err := config.Load(func(k string) string { return map[string]string{"RATE_LIMIT_SCALE": "10000"}[k] })
	if err != nil {
		b.Fatal(err)
	}
	cfg.SessionSecret = []byte("bench-session-secret-0123456789abcdef")
	h, err := handlers.New(handlers.StoreDeps(cfg, store, slog.New(slog.DiscardHandler)))
	if err != nil {
		b.Fatal(err)
	}
	router, err := h.Routes()
	if err != nil {
		b.Fatal(err)
	}
	return router
}

func benchSignIn(b testing.TB, router http.Handler, store *models.Store) *http.Cookie {
	b.Helper()
	if _, err := store.Agents.Create(context.Background(), models.AgentInput{Email: "bench@example.com", Name: "Bench", Password: "correct horse battery"}); err != nil {
		b.Fatal(err)
	}
	form := url.Values{"email": {"bench@example.com"}, "password": {"correct horse battery"}}
	req := httptest.NewRequest(http.MethodPost, "/login", strings.NewReader(form.Encode()))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	rec := httptest.NewRecorder()
	router.ServeHTTP(rec, req)
	for _, c := range rec.Result().Cookies() {
		if c.Name == "ringdesk_session" {
			return c
		}
	}
	b.Fatalf("sign-in failed: %d", rec.Code)
	return nil
}

// seedBenchTickets inserts n tickets directly, a thousand per call.
func seedBenchTickets(b *testing.B, store *models.Store, n int) {
	b.Helper()
	start := time.Now().UTC().Add(-time.Duration(n) * time.Minute).Truncate(time.Millisecond)
	for done := 0; done < n; {
		batch := make([]any, 0, 1000)
		for ; done < n && len(batch) < 1000; done++ {
			at := start.Add(time.Duration(done) * time.Minute)
			batch = append(batch, models.Ticket{
				ID: bson.NewObjectID(), Number: int64(done + 1), Name: fmt.Sprintf("Customer %d", done),
				PhoneNumber: "+14155552671", Description: "Headset crackles on long calls; please call back.",
				Status: models.StatusOpen, CreatedAt: at, UpdatedAt: at, IdempotencyKey: fmt.Sprintf("bench-%d", done),
			})
		}
		if _, err := store.Collection("tickets").InsertMany(context.Background(), batch); err != nil {
			b.Fatal(err)
		}
	}
}
