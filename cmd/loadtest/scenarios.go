package main

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/ringdesk/ringdesk/models/mongo"
)

// ticketLoad is the submission mix every ticket scenario uses: one ticket
// in five is a form post, and one in ten is retried.
func ticketLoad(sc scale) load {
	return load{clients: sc.Clients, tickets: sc.Tickets, retryEvery: 10, formEvery: 5}
}

// checkNo500 fails the scenario on any internal error: overload or an
// outage must show as 503 with the clear message, never as a 500.
func checkNo500(res *result, st *loadStats) {
	n := 0
	for code, c := range st.status {
		if code >= 500 && code != http.StatusServiceUnavailable {
			n += c
		}
	}
	res.check("no internal errors (5xx other than 503)", n == 0, "%d", n)
}

// verifyStopped stops r gracefully, opens its data directory as the next
// start would, and checks the acknowledged tickets against it.
func verifyStopped(ctx context.Context, r *ringdesk, res *result, acks []ack) {
	if err := r.stop(); err != nil {
		res.check("server stops gracefully on SIGTERM", false, "%v", err)
	}
	store, err := r.openStore(ctx)
	if err != nil {
		res.check("open the data directory after the run", false, "%v", err)
		return
	}
	defer store.Close(context.Background())
	res.Checks = append(res.Checks, verifyTickets(ctx, store, acks)...)
}

// runNoLoss is scenario 1: concurrent clients, some retries, no fault.
func runNoLoss(ctx context.Context, e env) result {
	var res result
	r, err := newRingdesk(e.bin, e.tmp, nil)
	if err != nil {
		return res.fatal(err)
	}
	if err := r.start(ctx); err != nil {
		return res.fatal(err)
	}
	defer r.kill()
	st := runLoad(ctx, r.url, ticketLoad(e.scale))
	res.fromStats(st)
	res.Notes = append(res.Notes, fmt.Sprintf("%d clients, %d tickets (1 in 5 a form post, 1 in 10 retried, 1 in 10 double-posted)", e.scale.Clients, e.scale.Tickets))
	res.check("every submission acknowledged (no 503 without a fault)", st.failed == 0 && len(st.acks) == e.scale.Tickets,
		"%d of %d", len(st.acks), e.scale.Tickets)
	res.check("retries return the first ticket", len(st.replayBad) == 0, "%d mismatched%s", len(st.replayBad), sample(st.replayBad))
	checkNo500(&res, st)
	verifyStopped(ctx, r, &res, st.acks)
	return res
}

// runCrash is scenario 2: the same load while the server is SIGKILLed at
// 40% and restarted on the same data directory. Clients retry with the
// same key until acknowledged, as a careful client would.
func runCrash(ctx context.Context, e env) result {
	var res result
	r, err := newRingdesk(e.bin, e.tmp, nil)
	if err != nil {
		return res.fatal(err)
	}
	if err := r.start(ctx); err != nil {
		return res.fatal(err)
	}
	defer r.kill()

	l := ticketLoad(e.scale)
	// The separate store is FerretDB on SQLite reached as if it were
	// MongoDB, so Ringdesk does not queue its writes; on two cores more
	// than a handful of concurrent writers overload it, which says nothing
	// about the outage being tested (a real MongoDB is not the bottleneck).
	l.clients = min(l.clients, outageClients)
	l.persist = 90 * time.Second
	var once sync.Once
	var killedAt time.Time
	var lockReleased bool
	var lockErr, restartErr error
	var downtime time.Duration
	crashed := make(chan struct{})
	l.onAck = func(n int64) {
		if n < int64(e.scale.Tickets*4/10) {
			return
		}
		once.Do(func() {
			go func() {
				defer close(crashed)
				killedAt = time.Now()
				r.kill()
				lockReleased, lockErr = lockFree(r.dataDir)
				restartErr = r.start(ctx)
				downtime = time.Since(killedAt)
			}()
		})
	}
	st := runLoad(ctx, r.url, l)
	select {
	case <-crashed:
	case <-time.After(90 * time.Second):
		return res.fatal(fmt.Errorf("the kill and restart did not finish"))
	}
	res.fromStats(st)
	if killedAt.IsZero() {
		return res.fatal(fmt.Errorf("the server was never killed"))
	}
	var before []ack
	for _, a := range st.acks {
		if a.at.Before(killedAt) {
			before = append(before, a)
		}
	}
	res.Notes = append(res.Notes, fmt.Sprintf("SIGKILL after %d acknowledgements; down %.1f s until /readyz answered again", len(before), downtime.Seconds()))
	switch {
	case lockErr != nil:
		res.check("SIGKILL releases the data directory's lock", false, "%v", lockErr)
	default:
		res.check("SIGKILL releases the data directory's lock", lockReleased, "lock free after the kill: %v", lockReleased)
	}
	res.checkErr("restart on the same data directory", restartErr)
	res.check("every submission acknowledged in the end (same key retried)", st.failed == 0 && len(st.acks) == e.scale.Tickets,
		"%d of %d", len(st.acks), e.scale.Tickets)
	res.check("retries return the first ticket", len(st.replayBad) == 0, "%d mismatched%s", len(st.replayBad), sample(st.replayBad))
	checkNo500(&res, st)
	// The acknowledgements from before the kill are the point; the
	// store check below covers them and the later ones.
	res.check("tickets acknowledged before the kill", len(before) > 0, "%d", len(before))
	verifyStopped(ctx, r, &res, st.acks)
	return res
}

// outageClients caps the outage scenario's concurrent clients (see runOutage).
const outageClients = 8

// runOutage is scenario 3: Ringdesk on a separate store process that is
// SIGKILLed under load and restarted on the same files and address.
func runOutage(ctx context.Context, e env) result {
	var res result
	store, err := newStoreProc(e.standin, e.tmp)
	if err != nil {
		return res.fatal(err)
	}
	if err := store.start(); err != nil {
		return res.fatal(err)
	}
	defer store.kill()
	r, err := newRingdesk(e.bin, e.tmp, map[string]string{"MONGODB_URI": store.uri()})
	if err != nil {
		return res.fatal(err)
	}
	if err := r.start(ctx); err != nil {
		return res.fatal(err)
	}
	defer r.kill()

	l := ticketLoad(e.scale)
	// The separate store is FerretDB on SQLite reached as if it were
	// MongoDB, so Ringdesk does not queue its writes; on two cores more
	// than a handful of concurrent writers overload it, which says nothing
	// about the outage being tested (a real MongoDB is not the bottleneck).
	l.clients = min(l.clients, outageClients)
	l.persist = 90 * time.Second
	var once sync.Once
	var downAt, upAt time.Time
	var restartErr error
	var probes []probe
	var firstAckAfter time.Time
	var mu sync.Mutex
	done := make(chan struct{})
	l.onAck = func(n int64) {
		mu.Lock()
		if !upAt.IsZero() && firstAckAfter.IsZero() {
			firstAckAfter = time.Now()
		}
		mu.Unlock()
		if n < int64(e.scale.Tickets*3/10) {
			return
		}
		once.Do(func() {
			go func() {
				defer close(done)
				mu.Lock()
				downAt = time.Now()
				mu.Unlock()
				store.kill()
				probes = probeDuring(ctx, r.url, e.scale.Outage)
				restartErr = store.start()
				mu.Lock()
				upAt = time.Now()
				mu.Unlock()
			}()
		})
	}
	st := runLoad(ctx, r.url, l)
	select {
	case <-done:
	case <-time.After(90 * time.Second):
		return res.fatal(fmt.Errorf("the store outage did not finish"))
	}
	res.fromStats(st)
	if downAt.IsZero() {
		return res.fatal(fmt.Errorf("the store was never stopped"))
	}
	recovery := time.Duration(-1)
	if !firstAckAfter.IsZero() {
		recovery = firstAckAfter.Sub(upAt)
	}
	res.Notes = append(res.Notes, fmt.Sprintf("store SIGKILLed after %d acknowledgements, down %.1f s; first ticket after restart %.1f s later",
		e.scale.Tickets*3/10, upAt.Sub(downAt).Seconds(), recovery.Seconds()))
	res.checkErr("store restarts on the same files and address", restartErr)
	res.check("every ticket post answered within 6 s", st.slow == 0 && st.transport == 0,
		"%d slower, %d without an answer; slowest %.1f s", st.slow, st.transport, st.maxWait.Seconds())
	res.check("posts during the outage get 503 with the clear message", st.status[http.StatusServiceUnavailable] > 0 && st.noMessage == 0,
		"%d × 503, %d without the message", st.status[http.StatusServiceUnavailable], st.noMessage)
	slowProbes, badProbes := 0, 0
	for _, p := range probes {
		if p.took > slowAfter || p.err != nil {
			slowProbes++
		}
		if p.want != 0 && p.status != p.want && p.status != 0 {
			badProbes++
		}
	}
	res.check("other pages answer within 6 s during the outage (readyz, home, agent JSON)", slowProbes == 0 && len(probes) > 0,
		"%d probes, %d slow or unanswered", len(probes), slowProbes)
	res.check("readyz reports the outage", badProbes == 0, "%d probes with an unexpected status", badProbes)
	res.check("recovers without a restart of its own (tickets succeed within 20 s)", recovery >= 0 && recovery <= 20*time.Second,
		"%.1f s", recovery.Seconds())
	res.check("every submission acknowledged in the end (same key retried)", st.failed == 0 && len(st.acks) == e.scale.Tickets,
		"%d of %d", len(st.acks), e.scale.Tickets)
	res.check("retries return the first ticket", len(st.replayBad) == 0, "%d mismatched%s", len(st.replayBad), sample(st.replayBad))
	checkNo500(&res, st)

	if err := r.stop(); err != nil {
		res.check("server stops gracefully on SIGTERM", false, "%v", err)
	}
	vctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	s, err := mongo.Open(vctx, mongo.Options{URI: store.uri(), Database: "ringdesk"})
	if err != nil {
		return res.fatal(err)
	}
	res.Checks = append(res.Checks, verifyTickets(ctx, s, st.acks)...)
	_ = s.Close(context.Background())
	if err := store.stop(); err != nil {
		res.check("store stops gracefully on SIGTERM", false, "%v", err)
	}
	return res
}

// probe is one request made while the database is down.
type probe struct {
	path   string
	want   int // expected status, 0 when any answer will do
	status int
	took   time.Duration
	err    error
}

// probeDuring requests pages that need the database (and one that does
// not) for d, one after another, recording how long each takes.
func probeDuring(ctx context.Context, base string, d time.Duration) []probe {
	client := newClient(1)
	defer client.CloseIdleConnections()
	targets := []probe{
		{path: "/readyz", want: http.StatusServiceUnavailable},
		{path: "/"},
		{path: "/healthz", want: http.StatusOK},
		// No session: 401 without touching the database, but it must
		// still answer at once.
		{path: "/tickets/000000000000000000000000", want: http.StatusUnauthorized},
	}
	var out []probe
	end := time.Now().Add(d)
	// The driver notices a dead server within its heartbeat; probe after
	// that, so that readyz can be expected to say so.
	time.Sleep(2500 * time.Millisecond)
	for i := 0; time.Now().Before(end) && ctx.Err() == nil; i++ {
		p := targets[i%len(targets)]
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, base+p.path, nil)
		if p.path != "/" {
			req.Header.Set("Accept", "application/json")
		}
		began := time.Now()
		resp, err := client.Do(req)
		p.took, p.err = time.Since(began), err
		if err == nil {
			p.status = resp.StatusCode
			resp.Body.Close()
		}
		out = append(out, p)
		time.Sleep(200 * time.Millisecond)
	}
	return out
}
