package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/ringdesk/ringdesk/handlers/twiliotest"
	"github.com/ringdesk/ringdesk/models"
)

// stormPath is the status callback URL Ringdesk gives Twilio for an
// agent's call to a phone (the query is signed too).
const stormPath = "/call/status?dir=outbound"

// runStorm is scenario 4: signed status callbacks for many calls at once,
// each call's statuses shuffled and some sent more than once.
func runStorm(ctx context.Context, e env) result {
	var res result
	r, err := newRingdesk(e.bin, e.tmp, nil)
	if err != nil {
		return res.fatal(err)
	}
	for k, v := range twiliotest.Env(r.url) {
		r.env = append(r.env, k+"="+v)
	}
	if err := r.start(ctx); err != nil {
		return res.fatal(err)
	}
	defer r.kill()

	type call struct {
		parent, leg string
		duration    int
	}
	calls := make([]call, e.scale.Calls)
	var bodies []string
	base := time.Now().Add(-time.Hour).UTC().Truncate(time.Second)
	statuses := []string{"initiated", "ringing", "in-progress", "completed"}
	for i := range calls {
		c := call{parent: twiliotest.NewSID("CA"), leg: twiliotest.NewSID("CA"), duration: 10 + i}
		calls[i] = c
		var own []string
		for seq, s := range statuses {
			cb := twiliotest.StatusCallback{
				CallSID: c.leg, ParentCallSID: c.parent, CallStatus: s, Seq: seq,
				Timestamp: base.Add(time.Duration(i*10+seq*3) * time.Second),
				From:      twiliotest.CallerID, To: "+14155550100",
			}
			if s == "completed" {
				cb.Duration = c.duration
			}
			own = append(own, cb.Params().Encode())
		}
		bodies = append(bodies, own...)
	}
	// Fill up to the callback count with duplicates (Twilio's retries).
	for len(bodies) < e.scale.Callbacks {
		bodies = append(bodies, bodies[rand.IntN(len(statuses)*len(calls))])
	}
	rand.Shuffle(len(bodies), func(i, j int) { bodies[i], bodies[j] = bodies[j], bodies[i] })

	client := newClient(e.scale.Clients)
	defer client.CloseIdleConnections()
	var mu sync.Mutex
	st := &loadStats{status: map[int]int{}}
	work := make(chan string)
	var wg sync.WaitGroup
	start := time.Now()
	for range e.scale.Clients {
		wg.Go(func() {
			for body := range work {
				status, took, err := postCallback(ctx, client, r.url, body)
				mu.Lock()
				st.maxWait = max(st.maxWait, took)
				if err != nil {
					st.transport++
				} else {
					st.status[status]++
					st.latencies = append(st.latencies, took)
					if status == http.StatusNoContent {
						st.acks = append(st.acks, ack{})
					}
				}
				mu.Unlock()
			}
		})
	}
	for _, b := range bodies {
		work <- b
	}
	close(work)
	wg.Wait()
	st.elapsed = time.Since(start)
	res.fromStats(st)
	res.Notes = append(res.Notes, fmt.Sprintf("%d callbacks for %d calls from %d senders, %d answered 204",
		len(bodies), len(calls), e.scale.Clients, st.status[http.StatusNoContent]))
	res.check("every callback accepted (204)", len(st.acks) == len(bodies), "%d of %d", len(st.acks), len(bodies))

	if err := r.stop(); err != nil {
		res.check("server stops gracefully on SIGTERM", false, "%v", err)
	}
	store, err := r.openStore(ctx)
	if err != nil {
		return res.fatal(err)
	}
	defer store.Close(context.Background())
	vctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	var logs []models.Call
	err = store.Dump(vctx, func(it models.Item) error {
		if it.Call != nil {
			logs = append(logs, *it.Call)
		}
		return nil
	})
	if err != nil {
		return res.fatal(err)
	}
	bySID := map[string][]models.Call{}
	for _, l := range logs {
		bySID[l.SID] = append(bySID[l.SID], l)
	}
	var missing, dup, wrong, steps []string
	for _, c := range calls {
		got := bySID[c.parent]
		switch {
		case len(got) == 0:
			missing = append(missing, c.parent)
			continue
		case len(got) > 1:
			dup = append(dup, c.parent)
		}
		sum := got[0].Summary()
		if sum.Status != models.CallCompleted || sum.Duration != c.duration {
			wrong = append(wrong, fmt.Sprintf("%s: %s %ds, want completed %ds", c.parent, sum.Status, sum.Duration, c.duration))
		}
		if len(got[0].Steps) != len(statuses) {
			steps = append(steps, fmt.Sprintf("%s: %d steps", c.parent, len(got[0].Steps)))
		}
	}
	res.check("one call log per call", len(missing) == 0 && len(dup) == 0 && len(logs) == len(calls),
		"%d logs for %d calls, %d missing, %d duplicated%s", len(logs), len(calls), len(missing), len(dup), sample(append(missing, dup...)))
	res.check("final status completed with the right duration", len(wrong) == 0, "%d wrong%s", len(wrong), sample(wrong))
	res.check("duplicates add no step (4 per call)", len(steps) == 0, "%d calls with extra or missing steps%s", len(steps), sample(steps))
	return res
}

// postCallback sends one signed status callback, as Twilio does.
func postCallback(ctx context.Context, client *http.Client, base, body string) (int, time.Duration, error) {
	params, _ := url.ParseQuery(body)
	req, _ := http.NewRequestWithContext(ctx, http.MethodPost, base+stormPath, strings.NewReader(body))
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Twilio-Signature", twiliotest.Sign(twiliotest.AuthToken, base+stormPath, params))
	req.Header.Set("User-Agent", "TwilioProxy/1.1")
	began := time.Now()
	resp, err := client.Do(req)
	took := time.Since(began)
	if err != nil {
		return 0, took, err
	}
	resp.Body.Close()
	return resp.StatusCode, took, nil
}
