package handlers

import (
	"sync"
	"time"
)

// window is a fixed-window counter per key. Limits are per instance, which
// the design allows: losing a window on restart is harmless.
type window struct {
	max    int
	period time.Duration

	mu      sync.Mutex
	entries map[string]*windowEntry
	sweeps  int
}

type windowEntry struct {
	count int
	start time.Time
}

func newWindow(max int, period time.Duration) *window {
	return &window{max: max, period: period, entries: map[string]*windowEntry{}}
}

// hit counts one event for key and reports whether it is within the limit;
// when it is not, retry says how long until the window resets.
func (w *window) hit(key string, now time.Time) (ok bool, retry time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	e := w.current(key, now)
	if e.count >= w.max {
		return false, e.start.Add(w.period).Sub(now)
	}
	e.count++
	return true, 0
}

// blocked reports, without counting, whether key has used up its window.
func (w *window) blocked(key string, now time.Time) (bool, time.Duration) {
	w.mu.Lock()
	defer w.mu.Unlock()
	e, ok := w.entries[key]
	if !ok || now.Sub(e.start) >= w.period || e.count < w.max {
		return false, 0
	}
	return true, e.start.Add(w.period).Sub(now)
}

// reset forgets key, e.g. an account's failures after a good sign-in.
func (w *window) reset(key string) {
	w.mu.Lock()
	delete(w.entries, key)
	w.mu.Unlock()
}

// current returns key's entry in the present window. Every 1,000 calls it
// drops expired entries, so memory stays bounded by recent traffic.
func (w *window) current(key string, now time.Time) *windowEntry {
	if w.sweeps++; w.sweeps >= 1000 {
		w.sweeps = 0
		for k, e := range w.entries {
			if now.Sub(e.start) >= w.period {
				delete(w.entries, k)
			}
		}
	}
	e, ok := w.entries[key]
	if !ok || now.Sub(e.start) >= w.period {
		e = &windowEntry{start: now}
		w.entries[key] = e
	}
	return e
}

// limits are the rate limits the design asks for. scale raises the per-IP
// limits (never the per-account one) for load tests from one address.
type limits struct {
	ticketsPerIP  *window // ticket submissions
	loginFailIP   *window // failed sign-ins per address
	loginFailUser *window // failed sign-ins per account
	tokens        *window // voice tokens per agent session or address
}

func newLimits(scale int) *limits {
	if scale < 1 {
		scale = 1
	}
	return &limits{
		ticketsPerIP:  newWindow(10*scale, 10*time.Minute),
		loginFailIP:   newWindow(20*scale, 15*time.Minute),
		loginFailUser: newWindow(5, 15*time.Minute),
		// A page fetches one token per call and one per refresh; thirty a
		// minute leaves room for retries and stops bulk minting.
		tokens: newWindow(30*scale, time.Minute),
	}
}
