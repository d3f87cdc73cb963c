package handlers_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"strings"
	"testing"

	"github.com/ringdesk/ringdesk/models"
	"github.com/ringdesk/ringdesk/models/storetest"
)

// BenchmarkDashboard measures a signed-in dashboard view through the whole
// middleware stack next to the bare store query for the same page, so the
// page's own cost reads as the difference between the two.
//
// The page should cost the same at 100,000 tickets as at 1,000: one
// indexed query. RINGDESK_BENCH_1M=1 adds 1,000,000 tickets (a few
// minutes to seed).
func BenchmarkDashboard(b *testing.B) {
	sizes := []int{100, 1000, 100000}
	if os.Getenv("RINGDESK_BENCH_1M") != "" {
		sizes = append(sizes, 1000000)
	}
	for _, n := range sizes {
		store := storetest.New(b)
		storetest.SeedTickets(b, store, n)
		router := benchRouter(b, store)
		cookie := benchSignIn(b, router, store)

		b.Run(fmt.Sprintf("tickets=%d/page", n), func(b *testing.B) {
			for b.Loop() {
				req := httptest.NewRequest(http.MethodGet, "/dashboard", nil)
				req.AddCookie(cookie)
				rec := httptest.NewRecorder()
				router.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("status %d", rec.Code)
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
	return newTestApp(b, withStore(store), withEnv("RATE_LIMIT_SCALE", "10000")).router
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
