package sqlite

import (
	"context"
	"database/sql"
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
// List, CountOpen and Get run the repository beside the bare SQL query
// that returns the same rows, so the difference is the store's own cost;
// Find, Counts and ForPhone, which share List's code, run the repository
// alone, for how each view and search scales.

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
		assigneeID, assigneeName                     sql.NullString
	)
	n := 0
	for rows.Next() {
		if err := rows.Scan(&number, &id, &name, &phone, &desc, &status, &source, &created, &updated, &calls,
			&assigneeID, &assigneeName); err != nil {
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
					if err := e.r.QueryRow(`SELECT count(*) FROM tickets WHERE status <> 'closed'`).Scan(&got); err != nil || got != want {
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

// BenchmarkFind reads the first page and a page from the middle of each
// view as agent 1 sees it, and searches views open and all by ticket
// number, by a customer's phone, by a common phrase, and by the phrase
// with a customer's name (a name shares its first word with every other
// and its number with few). The middle ticket's number, n/2+1, ends in 1,
// so it is not closed and is in both views.
func BenchmarkFind(b *testing.B) {
	ctx := context.Background()
	for _, n := range benchSizes() {
		b.Run(fmt.Sprintf("tickets=%d", n), func(b *testing.B) {
			e := benchEngine(b, n)
			s := e.store()
			agent := seedAgentID(1)
			counts, err := s.Tickets.Counts(ctx, agent)
			if err != nil {
				b.Fatal(err)
			}
			mid := &models.Cursor{CreatedAt: seedStart.Add(time.Duration(n/2) * time.Second)}
			for _, v := range models.Views {
				q := models.Query{View: v, Agent: agent}
				full := int(min(counts.Of(v), models.PageSize))
				b.Run("view="+string(v)+"/first", func(b *testing.B) { benchFind(b, s, q, nil, full, full) })
				b.Run("view="+string(v)+"/middle", func(b *testing.B) { benchFind(b, s, q, mid, 1, models.PageSize) })
			}

			middle := n/2 + 1
			// The customer of the newest ticket with no dial tone before
			// the middle one, so that the search's terms are as common
			// at every size.
			var name string
			if err := e.r.QueryRow(`SELECT name FROM tickets WHERE number <= ? AND description = ? AND status <> 'closed'
				ORDER BY number DESC LIMIT 1`, middle, seedComplaints[3]).Scan(&name); err != nil {
				b.Fatal(err)
			}
			searches := []struct {
				name   string
				raw    string
				lo, hi int
			}{
				{"number", fmt.Sprint(middle), 1, 1},
				{"phone", seedPhone(seedCustomer(middle)), 1, models.PageSize},
				{"words", "dial tone", models.PageSize, models.PageSize},
				{"words-rare", name + " dial tone", 1, models.PageSize},
			}
			for _, v := range []models.View{models.ViewOpen, models.ViewAll} {
				for _, sr := range searches {
					q := models.Query{View: v, Search: models.ParseSearch(sr.raw, "US")}
					b.Run("view="+string(v)+"/search="+sr.name, func(b *testing.B) { benchFind(b, s, q, nil, sr.lo, sr.hi) })
				}
			}
		})
	}
}

// benchFind runs Find, failing unless each page holds lo to hi tickets.
func benchFind(b *testing.B, s *models.Store, q models.Query, after *models.Cursor, lo, hi int) {
	ctx := context.Background()
	for b.Loop() {
		got, _, err := s.Tickets.Find(ctx, q, after, models.PageSize)
		if err != nil || len(got) < lo || len(got) > hi {
			b.Fatalf("Find(%+v) = %d tickets, %v; want %d to %d", q, len(got), err, lo, hi)
		}
	}
}

// BenchmarkCounts reads the count of every view, as each dashboard page
// does for its tabs.
func BenchmarkCounts(b *testing.B) {
	ctx := context.Background()
	for _, n := range benchSizes() {
		b.Run(fmt.Sprintf("tickets=%d", n), func(b *testing.B) {
			s := benchEngine(b, n).store()
			agent := seedAgentID(1)
			for b.Loop() {
				c, err := s.Tickets.Counts(ctx, agent)
				if err != nil || c.Open != int64(n-n/10) || c.All != int64(n) || c.Mine == 0 {
					b.Fatalf("Counts = %+v, %v", c, err)
				}
			}
		})
	}
}

// BenchmarkForPhone reads a customer's history, as a ticket's page and an
// incoming call do.
func BenchmarkForPhone(b *testing.B) {
	ctx := context.Background()
	for _, n := range benchSizes() {
		b.Run(fmt.Sprintf("tickets=%d", n), func(b *testing.B) {
			e := benchEngine(b, n)
			s := e.store()
			phone := seedPhone(seedCustomer(n/2 + 1))
			var want int
			if err := e.r.QueryRow(`SELECT count(*) FROM tickets WHERE phone = ?`, phone).Scan(&want); err != nil || want == 0 {
				b.Fatalf("%d tickets from %s, %v", want, phone, err)
			}
			want = min(want, models.PageSize)
			for b.Loop() {
				if got, err := s.Tickets.ForPhone(ctx, phone, models.PageSize); err != nil || len(got) != want {
					b.Fatalf("ForPhone = %d tickets, %v; want %d", len(got), err, want)
				}
			}
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

// BenchmarkQueue is a customer's call joining a line of n callers and
// asking its place, and a call in line asking its place again: the
// line's partial index keeps both one lookup and one count over the
// calls ahead, however many calls the table has seen.
func BenchmarkQueue(b *testing.B) {
	ctx := context.Background()
	for _, n := range []int{10, 1000} {
		b.Run(fmt.Sprintf("line=%d", n), func(b *testing.B) {
			e := openEngine(b, Options{})
			q := e.store().Queue
			start := models.Now().Add(-time.Hour)
			// 20,000 calls that have left the line, and n in it.
			const left = 20_000
			for i := range left + n {
				sid := fmt.Sprintf("CA%032d", i)
				if _, err := q.Join(ctx, models.QueueEntry{SID: sid, JoinedAt: start.Add(time.Duration(i) * time.Millisecond)}); err != nil {
					b.Fatal(err)
				}
				if i < left {
					if err := q.SetState(ctx, sid, models.QueueAnswered, start); err != nil {
						b.Fatal(err)
					}
				}
			}
			last := fmt.Sprintf("CA%032d", left+n-1)
			b.Run("join+position", func(b *testing.B) {
				i := 0
				for b.Loop() {
					sid := fmt.Sprintf("CB%032d", i)
					if _, err := q.Join(ctx, models.QueueEntry{SID: sid}); err != nil {
						b.Fatal(err)
					}
					if p, err := q.Position(ctx, sid); err != nil || p != n+1 {
						b.Fatalf("Position = %d, %v", p, err)
					}
					if err := q.SetState(ctx, sid, models.QueueAnswered, start); err != nil {
						b.Fatal(err)
					}
					i++
				}
			})
			b.Run("position", func(b *testing.B) {
				for b.Loop() {
					if p, err := q.Position(ctx, last); err != nil || p != n {
						b.Fatalf("Position = %d, %v; want %d", p, err, n)
					}
				}
			})
		})
	}
}
