// Command loadtest drives a real Ringdesk on loopback with bounded load and
// faults and checks that nothing acknowledged is lost:
//
//	load    concurrent ticket submissions (JSON with Idempotency-Key, and
//	        form posts with a nonce), some retried: every acknowledged
//	        ticket is stored exactly once
//	crash   the same load while the server is SIGKILLed and restarted
//	outage  the same load on a separate store process that is SIGKILLed
//	        and restarted: answers within 6 s, recovery without a restart
//	storm   signed Twilio /call/status callbacks, duplicated and out of
//	        order: one call log per call with its final status
//
// It builds Ringdesk, starts it as a child process in a temporary
// directory for each scenario, and stops by itself. Usage:
//
//	go run ./cmd/loadtest [-scale small|full] [-only name] [-json]
//
// The exit status is non-zero when any check fails.
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"maps"
	"os"
	"os/signal"
	"runtime"
	"slices"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	results, err := run(ctx, os.Args[1:], os.Stdout)
	if err != nil {
		fmt.Fprintln(os.Stderr, "loadtest:", err)
		os.Exit(2)
	}
	for _, r := range results {
		if !r.OK {
			os.Exit(1)
		}
	}
}

// scale sizes every scenario.
type scale struct {
	Clients, Tickets int
	Calls, Callbacks int
	Outage           time.Duration // how long the store stays down
}

var scales = map[string]scale{
	"small": {Clients: 4, Tickets: 200, Calls: 20, Callbacks: 200, Outage: 6 * time.Second},
	"full":  {Clients: 32, Tickets: 5000, Calls: 100, Callbacks: 1000, Outage: 8 * time.Second},
}

// env is what every scenario gets.
type env struct {
	bin     string // the ringdesk binary
	standin string // the MongoDB stand-in for the outage scenario
	tmp     string // a fresh directory per scenario
	scale   scale
	log     io.Writer // progress lines
}

type scenario struct {
	name string
	run  func(ctx context.Context, e env) result
}

var scenarios = []scenario{
	{"load", runNoLoss},
	{"crash", runCrash},
	{"outage", runOutage},
	{"storm", runStorm},
}

// result is one scenario's figures and checks.
type result struct {
	Name      string   `json:"name"`
	Requests  int      `json:"requests"`
	Acked     int      `json:"acknowledged"`
	Seconds   float64  `json:"seconds"`
	PerSecond float64  `json:"perSecond"`
	P50ms     float64  `json:"p50Ms"`
	P99ms     float64  `json:"p99Ms"`
	MaxMs     float64  `json:"maxMs"`
	Notes     []string `json:"notes,omitempty"`
	Checks    []check  `json:"checks"`
	OK        bool     `json:"ok"`
}

type check struct {
	Name   string `json:"name"`
	OK     bool   `json:"ok"`
	Detail string `json:"detail,omitempty"`
}

func (r *result) check(name string, ok bool, format string, args ...any) {
	r.Checks = append(r.Checks, check{Name: name, OK: ok, Detail: fmt.Sprintf(format, args...)})
}

// checkErr records a step that succeeded when err is nil.
func (r *result) checkErr(name string, err error) {
	if err != nil {
		r.check(name, false, "%v", err)
		return
	}
	r.check(name, true, "done")
}

// fatal records a failure that ends the scenario early.
func (r *result) fatal(err error) result {
	r.check("scenario ran to the end", false, "%v", err)
	return *r
}

func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// fromStats fills the load figures.
func (r *result) fromStats(st *loadStats) {
	for _, n := range st.status {
		r.Requests += n
	}
	r.Requests += st.transport
	r.Acked = len(st.acks)
	r.Seconds = st.elapsed.Seconds()
	if r.Seconds > 0 {
		r.PerSecond = float64(r.Acked) / r.Seconds
	}
	r.P50ms, r.P99ms = ms(percentile(st.latencies, 50)), ms(percentile(st.latencies, 99))
	r.MaxMs = ms(st.maxWait)
	var codes []string
	for _, c := range slices.Sorted(maps.Keys(st.status)) {
		codes = append(codes, fmt.Sprintf("%d×%d", st.status[c], c))
	}
	if st.transport > 0 {
		codes = append(codes, fmt.Sprintf("%d×no answer", st.transport))
	}
	r.Notes = append(r.Notes, "answers: "+strings.Join(codes, " "))
}

// run parses args, builds Ringdesk and runs the chosen scenarios, writing
// the table (or JSON) to out.
func run(ctx context.Context, args []string, out io.Writer) (_ []result, err error) {
	fs := flag.NewFlagSet("loadtest", flag.ContinueOnError)
	scaleName := fs.String("scale", "small", "small (CI) or full")
	only := fs.String("only", "", "run only this scenario: load, crash, outage or storm")
	asJSON := fs.Bool("json", false, "print the results as JSON")
	repo := fs.String("repo", "", "repository root to build Ringdesk from (default: found from the working directory)")
	quiet := fs.Bool("q", false, "no progress lines on stderr")
	clients := fs.Int("clients", 0, "override the scale's number of concurrent clients")
	tickets := fs.Int("tickets", 0, "override the scale's number of tickets per scenario")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	sc, ok := scales[*scaleName]
	if !ok {
		return nil, fmt.Errorf("-scale: %q is neither small nor full", *scaleName)
	}
	if *clients > 0 {
		sc.Clients = *clients
	}
	if *tickets > 0 {
		sc.Tickets = *tickets
	}
	var chosen []scenario
	for _, s := range scenarios {
		if *only == "" || *only == s.name {
			chosen = append(chosen, s)
		}
	}
	if len(chosen) == 0 {
		return nil, fmt.Errorf("-only: no scenario named %q", *only)
	}
	if *repo == "" {
		var err error
		if *repo, err = findRepo(); err != nil {
			return nil, err
		}
	}
	logw := io.Writer(os.Stderr)
	if *quiet {
		logw = io.Discard
	}

	tmp, err := os.MkdirTemp("", "ringdesk-loadtest-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	fmt.Fprintf(logw, "loadtest: building Ringdesk from %s\n", *repo)
	bin, standin, err := buildBinaries(ctx, *repo, tmp)
	if err != nil {
		return nil, err
	}

	var results []result
	for i, s := range chosen {
		dir := fmt.Sprintf("%s/%d-%s", tmp, i, s.name)
		if err := os.Mkdir(dir, 0o700); err != nil {
			return nil, err
		}
		fmt.Fprintf(logw, "loadtest: %s (%s scale)\n", s.name, *scaleName)
		r := s.run(ctx, env{bin: bin, standin: standin, tmp: dir, scale: sc, log: logw})
		r.Name = s.name
		r.OK = len(r.Checks) > 0
		for _, c := range r.Checks {
			r.OK = r.OK && c.OK
		}
		if !r.OK {
			// Keep the server logs of a failed scenario for diagnosis.
			keep, err := os.MkdirTemp("", "ringdesk-loadtest-failed-")
			if err == nil && os.Rename(dir, keep+"/"+s.name) == nil {
				r.Notes = append(r.Notes, "logs kept in "+keep+"/"+s.name)
			}
		}
		results = append(results, r)
		if ctx.Err() != nil {
			break
		}
	}
	defer func() {
		if ctx.Err() != nil && err == nil {
			err = errors.New("interrupted")
		}
	}()
	if *asJSON {
		enc := json.NewEncoder(out)
		enc.SetIndent("", "  ")
		return results, enc.Encode(map[string]any{
			"scale": *scaleName, "clients": sc.Clients, "tickets": sc.Tickets, "cpus": runtime.NumCPU(), "go": runtime.Version(), "results": results,
		})
	}
	printTable(out, fmt.Sprintf("%s scale (%d clients × %d tickets)", *scaleName, sc.Clients, sc.Tickets), results)
	return results, nil
}

func printTable(out io.Writer, what string, results []result) {
	fmt.Fprintf(out, "Ringdesk load and fault tests, %s, %d CPUs\n\n", what, runtime.NumCPU())
	tw := tabwriter.NewWriter(out, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "scenario\trequests\tacknowledged\tseconds\tper second\tp50\tp99\tmax\tresult\t")
	for _, r := range results {
		verdict := "PASS"
		if !r.OK {
			verdict = "FAIL"
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%.1f\t%.0f\t%.1f ms\t%.1f ms\t%.0f ms\t%s\t\n",
			r.Name, r.Requests, r.Acked, r.Seconds, r.PerSecond, r.P50ms, r.P99ms, r.MaxMs, verdict)
	}
	tw.Flush()
	for _, r := range results {
		fmt.Fprintf(out, "\n%s:\n", r.Name)
		for _, n := range r.Notes {
			fmt.Fprintf(out, "  - %s\n", n)
		}
		for _, c := range r.Checks {
			mark := "ok  "
			if !c.OK {
				mark = "FAIL"
			}
			fmt.Fprintf(out, "  %s %s: %s\n", mark, c.Name, c.Detail)
		}
	}
}
