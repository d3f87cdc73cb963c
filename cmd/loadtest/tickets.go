package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/ringdesk/ringdesk/models"
)

// unavailableText is part of the message Ringdesk shows while its database
// is unreachable (handlers.msgUnavailable).
const unavailableText = "temporarily unavailable"

// load describes one run of ticket submissions.
type load struct {
	clients, tickets int
	// Every retryEvery-th ticket is sent a second time with the same key
	// or nonce once acknowledged, and the ticket after the middle of each
	// such run is sent twice at once (a double-click).
	retryEvery int
	// Every formEvery-th ticket is a form post with a nonce; the others
	// are JSON with an Idempotency-Key.
	formEvery int
	// persist keeps retrying a ticket with the same key until it is
	// acknowledged, for this long; zero means one attempt.
	persist time.Duration
	// onAck is called after each acknowledgement with the running count.
	onAck func(n int64)
}

// ack is one ticket the server acknowledged.
type ack struct {
	nonce string
	id    string // from JSON answers; forms redirect without one
	form  bool
	at    time.Time
}

// loadStats is what a load run observed.
type loadStats struct {
	mu        sync.Mutex
	acks      []ack
	latencies []time.Duration // every answered request
	status    map[int]int     // answers by status code
	transport int             // requests that got no answer at all
	slow      int             // answers (or failures) after more than slowAfter
	noMessage int             // 503s without the clear message
	replayBad []string        // retries that did not return the first ticket
	failed    int             // tickets never acknowledged
	maxWait   time.Duration
	elapsed   time.Duration
}

// slowAfter is the longest a request may take, database down or not.
const slowAfter = 6 * time.Second

func newClient(conns int) *http.Client {
	return &http.Client{
		Timeout: 15 * time.Second, // well above slowAfter: a hang is measured, not cut short
		Transport: &http.Transport{
			MaxIdleConns:        conns * 2,
			MaxIdleConnsPerHost: conns * 2,
			IdleConnTimeout:     30 * time.Second,
		},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// runLoad submits l.tickets tickets from l.clients concurrent clients.
func runLoad(ctx context.Context, baseURL string, l load) *loadStats {
	st := &loadStats{status: map[int]int{}}
	client := newClient(l.clients)
	defer client.CloseIdleConnections()
	tag := randomHex(4)
	var next, acked atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range l.clients {
		wg.Go(func() {
			for ctx.Err() == nil {
				i := int(next.Add(1)) - 1
				if i >= l.tickets {
					return
				}
				// 32 characters, as the form's nonce must be.
				nonce := fmt.Sprintf("%s%024x", tag, i)
				form := l.formEvery > 0 && i%l.formEvery == l.formEvery-1
				sub := submission{client: client, base: baseURL, nonce: nonce, form: form, persist: l.persist, st: st}
				var a ack
				var ok bool
				if l.retryEvery > 0 && i%l.retryEvery == l.retryEvery/2 {
					// Double-click: two identical posts at once.
					var a2 ack
					var ok2 bool
					var inner sync.WaitGroup
					inner.Go(func() { a2, ok2 = sub.send(ctx) })
					a, ok = sub.send(ctx)
					inner.Wait()
					if ok && ok2 && a.id != a2.id {
						st.badReplay(nonce, a.id, a2.id)
					}
					if !ok && ok2 {
						a, ok = a2, true
					}
				} else {
					a, ok = sub.send(ctx)
					if ok && l.retryEvery > 0 && i%l.retryEvery == 0 {
						// A retry after the acknowledgement was lost.
						if again, ok := sub.send(ctx); ok && again.id != a.id {
							st.badReplay(nonce, a.id, again.id)
						}
					}
				}
				if !ok {
					st.mu.Lock()
					st.failed++
					st.mu.Unlock()
					continue
				}
				st.mu.Lock()
				st.acks = append(st.acks, a)
				st.mu.Unlock()
				if n := acked.Add(1); l.onAck != nil {
					l.onAck(n)
				}
			}
		})
	}
	wg.Wait()
	st.elapsed = time.Since(start)
	return st
}

func (st *loadStats) badReplay(nonce, first, second string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.replayBad = append(st.replayBad, fmt.Sprintf("%s: %s then %s", nonce, first, second))
}

// submission is one ticket, sent until acknowledged (or given up).
type submission struct {
	client  *http.Client
	base    string
	nonce   string
	form    bool
	persist time.Duration
	st      *loadStats
}

func (s submission) send(ctx context.Context) (ack, bool) {
	deadline := time.Now().Add(s.persist)
	for {
		a, ok, retry := s.attempt(ctx)
		if ok {
			return a, true
		}
		if !retry || time.Now().After(deadline) || ctx.Err() != nil {
			return ack{}, false
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// attempt posts the ticket once. retry reports an answer that a client
// should retry (503, or no answer at all).
func (s submission) attempt(ctx context.Context) (a ack, ok, retry bool) {
	desc := "Load test ticket " + s.nonce + ": the line drops after a few minutes."
	var req *http.Request
	if s.form {
		body := url.Values{"name": {"Load Tester"}, "phone_number": {"+14155550100"}, "description": {desc}, "nonce": {s.nonce}}
		req, _ = http.NewRequestWithContext(ctx, http.MethodPost, s.base+"/tickets", strings.NewReader(body.Encode()))
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	} else {
		body, _ := json.Marshal(map[string]string{"name": "Load Tester", "phoneNumber": "+14155550100", "description": desc})
		req, _ = http.NewRequestWithContext(ctx, http.MethodPost, s.base+"/tickets", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		req.Header.Set("Accept", "application/json")
		req.Header.Set("Idempotency-Key", "lt-"+s.nonce)
	}
	began := time.Now()
	resp, err := s.client.Do(req)
	var raw []byte
	if err == nil {
		raw, err = io.ReadAll(resp.Body)
		resp.Body.Close()
	}
	took := time.Since(began)

	st := s.st
	st.mu.Lock()
	defer st.mu.Unlock()
	st.maxWait = max(st.maxWait, took)
	if took > slowAfter {
		st.slow++
	}
	if err != nil {
		st.transport++
		return ack{}, false, true
	}
	st.latencies = append(st.latencies, took)
	st.status[resp.StatusCode]++
	switch {
	case s.form && resp.StatusCode == http.StatusSeeOther:
		return ack{nonce: s.nonce, form: true, at: time.Now()}, true, false
	case !s.form && (resp.StatusCode == http.StatusCreated || resp.StatusCode == http.StatusOK):
		var t struct {
			ID string `json:"id"`
		}
		if json.Unmarshal(raw, &t) != nil || t.ID == "" {
			return ack{}, false, false
		}
		return ack{nonce: s.nonce, id: t.ID, at: time.Now()}, true, false
	case resp.StatusCode == http.StatusServiceUnavailable:
		if !bytes.Contains(raw, []byte(unavailableText)) {
			st.noMessage++
		}
		return ack{}, false, true
	case resp.StatusCode >= 500:
		// Never acceptable (a check says so), but with an idempotency
		// key a careful client retries it safely.
		return ack{}, false, true
	}
	return ack{}, false, false
}

// percentile returns the p-th percentile (0..100) of d.
func percentile(d []time.Duration, p float64) time.Duration {
	if len(d) == 0 {
		return 0
	}
	s := slices.Clone(d)
	slices.Sort(s)
	i := int(float64(len(s)-1) * p / 100)
	return s[i]
}

// verifyTickets checks the store against the acknowledgements: every
// acknowledged ticket is there exactly once, under the key it was sent
// with, and no submission (retried or not) left a second ticket.
func verifyTickets(ctx context.Context, store *models.Store, acks []ack) []check {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	type row struct {
		ID          models.ID
		Key         string
		Description string
	}
	var stored []row
	err := store.Dump(ctx, func(it models.Item) error {
		if t := it.Ticket; t != nil {
			stored = append(stored, row{ID: t.ID, Key: t.IdempotencyKey, Description: t.Description})
		}
		return nil
	})
	if err != nil {
		return []check{{Name: "read tickets from the store", Detail: err.Error()}}
	}
	type seen struct {
		n   int
		id  string
		key string
	}
	byNonce := map[string]*seen{}
	for _, t := range stored {
		nonce, ok := strings.CutPrefix(t.Description, "Load test ticket ")
		if !ok || len(nonce) < 32 {
			continue
		}
		nonce = nonce[:32]
		s := byNonce[nonce]
		if s == nil {
			s = &seen{}
			byNonce[nonce] = s
		}
		s.n++
		s.id, s.key = t.ID.Hex(), t.Key
	}
	var missing, dup, wrong []string
	for _, a := range acks {
		s := byNonce[a.nonce]
		wantKey := "api:lt-" + a.nonce
		if a.form {
			wantKey = "form:" + a.nonce
		}
		switch {
		case s == nil:
			missing = append(missing, a.nonce)
		case s.n > 1:
			dup = append(dup, a.nonce)
		case s.key != wantKey || (a.id != "" && a.id != s.id):
			wrong = append(wrong, a.nonce)
		}
	}
	// Submissions never acknowledged (given up) may or may not be stored,
	// but never twice.
	for nonce, s := range byNonce {
		if s.n > 1 && !slices.Contains(dup, nonce) {
			dup = append(dup, nonce)
		}
	}
	return []check{
		{Name: "every acknowledged ticket is in the store", OK: len(missing) == 0,
			Detail: fmt.Sprintf("%d acknowledged, %d missing%s", len(acks), len(missing), sample(missing))},
		{Name: "no ticket stored twice (retries and double posts included)", OK: len(dup) == 0,
			Detail: fmt.Sprintf("%d tickets in the store, %d duplicated%s", len(stored), len(dup), sample(dup))},
		{Name: "stored under the key it was sent with, with the acknowledged id", OK: len(wrong) == 0,
			Detail: fmt.Sprintf("%d mismatched%s", len(wrong), sample(wrong))},
	}
}

func sample(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return " (e.g. " + strings.Join(s[:min(3, len(s))], ", ") + ")"
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}
