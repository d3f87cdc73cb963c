package sqlite

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"
	"time"

	"github.com/ringdesk/ringdesk/models"
)

// The benchmarks' figures go in the README; nothing here asserts a time.
// Each read benchmark runs the repository beside the bare SQL query that
// returns the same rows, so the difference is the store's own cost.

// benchRoot holds the seeded databases, shared by the benchmarks of one
// run and removed by TestMain.
var (
	benchRoot string
	seedMu    sync.Mutex
	seeded    = map[int]string{}
)

func TestMain(m *testing.M) {
	code := m.Run()
	if benchRoot != "" {
		os.RemoveAll(benchRoot)
	}
	os.Exit(code)
}

// benchSizes are the ticket counts the read benchmarks run at.
func benchSizes() []int {
	sizes := []int{1000, 100_000}
	if os.Getenv("RINGDESK_BENCH_1M") == "1" {
		sizes = append(sizes, 1_000_000)
	}
	return sizes
}

// seededDir returns a data directory holding n tickets, seeding it (in
// one transaction, straight into the tables) on first use.
func seededDir(b *testing.B, n int) string {
	b.Helper()
	seedMu.Lock()
	defer seedMu.Unlock()
	if dir, ok := seeded[n]; ok {
		return dir
	}
	if benchRoot == "" {
		var err error
		if benchRoot, err = os.MkdirTemp("", "ringdesk-bench-"); err != nil {
			b.Fatal(err)
		}
	}
	dir := filepath.Join(benchRoot, fmt.Sprint(n))
	start := time.Now()
	e, err := open(context.Background(), Options{Dir: dir}, -1)
	if err != nil {
		b.Fatal(err)
	}
	seedTickets(b, e, n)
	if err := e.Close(context.Background()); err != nil {
		b.Fatal(err)
	}
	b.Logf("seeded %d tickets in %v", n, time.Since(start).Round(time.Millisecond))
	seeded[n] = dir
	return dir
}

// benchEngine opens a store on a seeded directory for one benchmark.
func benchEngine(b *testing.B, n int) *engine {
	b.Helper()
	e, err := open(context.Background(), Options{Dir: seededDir(b, n)}, -1)
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { e.Close(context.Background()) })
	return e
}

// sampleIDs returns ids of k random seeded tickets.
func sampleIDs(b *testing.B, e *engine, n, k int) []models.ID {
	b.Helper()
	ids := make([]models.ID, k)
	for i := range ids {
		var hex string
		if err := e.r.QueryRow(`SELECT id FROM tickets WHERE number = ?`, 1+rand.IntN(n)).Scan(&hex); err != nil {
			b.Fatal(err)
		}
		ids[i], _ = models.ParseID(hex)
	}
	return ids
}

// bareRows runs query and reads every column of every row without
// decoding, as the least any caller must do.
func bareRows(b *testing.B, e *engine, query string, args ...any) int {
	rows, err := e.r.Query(query, args...)
	if err != nil {
		b.Fatal(err)
	}
	defer rows.Close()
	var (
		number, created, updated                     int64
		id, name, phone, desc, status, source, calls string
	)
	n := 0
	for rows.Next() {
		if err := rows.Scan(&number, &id, &name, &phone, &desc, &status, &source, &created, &updated, &calls); err != nil {
			b.Fatal(err)
		}
		n++
	}
	if err := rows.Err(); err != nil {
		b.Fatal(err)
	}
	return n
}

func BenchmarkList(b *testing.B) {
	ctx := context.Background()
	for _, n := range benchSizes() {
		b.Run(fmt.Sprintf("tickets=%d", n), func(b *testing.B) {
			e := benchEngine(b, n)
			s := e.store()
			// A page from the middle of the list, as an agent paging back.
			mid := models.Cursor{CreatedAt: seedStart.Add(time.Duration(n/2) * time.Second), ID: models.ID{}}
			for _, page := range []struct {
				name  string
				after *models.Cursor
			}{{"first", nil}, {"middle", &mid}} {
				b.Run("store/"+page.name, func(b *testing.B) {
					for b.Loop() {
						if got, _, err := s.Tickets.List(ctx, page.after, models.PageSize); err != nil || len(got) != models.PageSize {
							b.Fatalf("List = %d tickets, %v", len(got), err)
						}
					}
				})
				b.Run("bare/"+page.name, func(b *testing.B) {
					at, id := int64(math.MaxInt64), ""
					if page.after != nil {
						at, id = ms(page.after.CreatedAt), page.after.ID.Hex()
					}
					for b.Loop() {
						if got := bareRows(b, e, qListTickets, at, id, models.PageSize+1); got != models.PageSize+1 {
							b.Fatalf("bare list = %d rows", got)
						}
					}
				})
			}
		})
	}
}

func BenchmarkCountOpen(b *testing.B) {
	ctx := context.Background()
	for _, n := range benchSizes() {
		b.Run(fmt.Sprintf("tickets=%d", n), func(b *testing.B) {
			e := benchEngine(b, n)
			s := e.store()
			want := int64(n - n/10)
			b.Run("store", func(b *testing.B) {
				for b.Loop() {
					if got, err := s.Tickets.CountOpen(ctx); err != nil || got != want {
						b.Fatalf("CountOpen = %d, %v; want %d", got, err, want)
					}
				}
			})
			b.Run("bare", func(b *testing.B) {
				for b.Loop() {
					var got int64
					if err := e.r.QueryRow(qCountOpen).Scan(&got); err != nil || got != want {
						b.Fatalf("bare count = %d, %v", got, err)
					}
				}
			})
			// What the counts table saves: counting the index instead.
			b.Run("bare-count(*)", func(b *testing.B) {
				for b.Loop() {
					var got int64
					if err := e.r.QueryRow(`SELECT count(*) FROM tickets WHERE status = 'open'`).Scan(&got); err != nil || got != want {
						b.Fatalf("count(*) = %d, %v", got, err)
					}
				}
			})
		})
	}
}

func BenchmarkGet(b *testing.B) {
	ctx := context.Background()
	for _, n := range benchSizes() {
		b.Run(fmt.Sprintf("tickets=%d", n), func(b *testing.B) {
			e := benchEngine(b, n)
			s := e.store()
			ids := sampleIDs(b, e, n, 1000)
			b.Run("store", func(b *testing.B) {
				i := 0
				for b.Loop() {
					if _, err := s.Tickets.Get(ctx, ids[i%len(ids)]); err != nil {
						b.Fatal(err)
					}
					i++
				}
			})
			b.Run("bare", func(b *testing.B) {
				i := 0
				query := `SELECT ` + ticketCols + ` FROM tickets WHERE id = ?`
				for b.Loop() {
					if got := bareRows(b, e, query, ids[i%len(ids)].Hex()); got != 1 {
						b.Fatalf("bare get = %d rows", got)
					}
					i++
				}
			})
		})
	}
}

// newBenchTicket is a valid ticket as the form would submit it.
func newBenchTicket(b *testing.B) models.Ticket {
	b.Helper()
	tk, err := models.TicketInput{Name: "Ada Lovelace", PhoneNumber: "+14155552671",
		Description: "Headset crackles on long calls; please call back."}.Validate("US")
	if err != nil {
		b.Fatal(err)
	}
	return tk
}

func BenchmarkCreateTicket(b *testing.B) {
	e := openEngine(b, Options{})
	s := e.store()
	tmpl := newBenchTicket(b)
	for b.Loop() {
		tk := tmpl
		if _, err := s.Tickets.Create(context.Background(), &tk); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkBareInsert is Create's work by hand: the same row and counter
// update in one transaction, on the same connection and pragmas.
func BenchmarkBareInsert(b *testing.B) {
	e := openEngine(b, Options{})
	ctx := context.Background()
	tmpl := newBenchTicket(b)
	for b.Loop() {
		tk := tmpl
		models.PrepareTicket(&tk, models.Now())
		tx, err := e.w.BeginTx(ctx, nil)
		if err != nil {
			b.Fatal(err)
		}
		var num int64
		if err := tx.QueryRow(`INSERT INTO counters (name, value) VALUES ('tickets', 1)
			ON CONFLICT (name) DO UPDATE SET value = value + 1 RETURNING value`).Scan(&num); err != nil {
			b.Fatal(err)
		}
		if _, err := tx.Exec(qRestoreTicket, num, tk.ID.Hex(), tk.Name, tk.PhoneNumber, tk.Description,
			string(tk.Status), tk.Source, tk.IdempotencyKey, ms(tk.CreatedAt), ms(tk.UpdatedAt), "{}"); err != nil {
			b.Fatal(err)
		}
		if err := tx.Commit(); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkCreateTicketParallel has 32 goroutines creating at once, as a
// burst of form submissions would.
func BenchmarkCreateTicketParallel(b *testing.B) {
	e := openEngine(b, Options{})
	s := e.store()
	tmpl := newBenchTicket(b)
	procs := runtime.GOMAXPROCS(0)
	b.SetParallelism((32 + procs - 1) / procs)
	start := time.Now()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			tk := tmpl
			if _, err := s.Tickets.Create(context.Background(), &tk); err != nil {
				b.Error(err)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)/time.Since(start).Seconds(), "tickets/s")
}

// BenchmarkOpen100k is a restart: Open (no migration due) and Close of
// a database of 100,000 tickets.
func BenchmarkOpen100k(b *testing.B) {
	dir := seededDir(b, 100_000)
	for b.Loop() {
		e, err := open(context.Background(), Options{Dir: dir}, -1)
		if err != nil {
			b.Fatal(err)
		}
		if err := e.Close(context.Background()); err != nil {
			b.Fatal(err)
		}
	}
}
