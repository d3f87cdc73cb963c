package handlers

import (
	"context"
	"net/netip"
	"runtime"
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

// refund gives back one event that hit counted, e.g. a sign-in attempt
// that turned out to be the right password, or a request another limit
// refused.
func (w *window) refund(key string, now time.Time) {
	w.mu.Lock()
	defer w.mu.Unlock()
	if e, ok := w.entries[key]; ok && now.Sub(e.start) < w.period && e.count > 0 {
		e.count--
	}
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

// limits are the rate limits the design asks for. scale raises the
// per-address limits and the ticket ceiling (never the per-account one)
// for load tests from one address.
type limits struct {
	ticketsPerIP *window  // ticket submissions per address (IPv6: per /64)
	ticketsAll   *ceiling // ticket submissions from everyone together
	loginIP      *window  // sign-in attempts per address
	loginUser    *window  // sign-in attempts per account
	tokens       *window  // voice tokens per agent session or address
	hashing      slots    // password checks running now
}

func newLimits(scale, ticketsPerMinute int) *limits {
	if scale < 1 {
		scale = 1
	}
	return &limits{
		ticketsPerIP: newWindow(10*scale, 10*time.Minute),
		ticketsAll:   &ceiling{w: newWindow(ticketsPerMinute*scale, time.Minute)},
		loginIP:      newWindow(20*scale, 15*time.Minute),
		loginUser:    newWindow(5, 15*time.Minute),
		// A page fetches one token per call and one per refresh; thirty a
		// minute leaves room for retries and stops bulk minting.
		tokens: newWindow(30*scale, time.Minute),
		// bcrypt is CPU-bound: more at once than there are CPUs only
		// makes every request (sign-ins included) slower.
		hashing: make(slots, runtime.GOMAXPROCS(0)),
	}
}

// addressKey is the key per-address limits count under: the address for
// IPv4, the /64 for IPv6, since one customer line gets a whole /64 and can
// pick any address in it.
func addressKey(ip string) string {
	a, err := netip.ParseAddr(ip)
	if err != nil {
		return ip
	}
	a = a.Unmap().WithZone("")
	if a.Is4() {
		return a.String()
	}
	p, err := a.Prefix(64)
	if err != nil {
		return a.String()
	}
	return p.String()
}

// ceiling is one window shared by every client, for what must stay
// bounded however many addresses a flood comes from.
type ceiling struct {
	w *window

	mu       sync.Mutex
	notedEnd time.Time // end of the last window whose tripping was reported
}

// hit counts one event; first is true for the first refusal in a window,
// so the caller logs a flood once, not once per request.
func (c *ceiling) hit(now time.Time) (ok bool, retry time.Duration, first bool) {
	ok, retry = c.w.hit("", now)
	if ok {
		return true, 0, false
	}
	end := now.Add(retry)
	c.mu.Lock()
	defer c.mu.Unlock()
	if end.Equal(c.notedEnd) {
		return false, retry, false
	}
	c.notedEnd = end
	return false, retry, true
}

// slots is a semaphore: a buffered channel holding one token per task
// running now.
type slots chan struct{}

// acquire waits for a slot until ctx ends or wait has passed, and
// reports whether it got one; release gives it back.
func (s slots) acquire(ctx context.Context, wait time.Duration) bool {
	select {
	case s <- struct{}{}:
		return true
	default:
	}
	t := time.NewTimer(wait)
	defer t.Stop()
	select {
	case s <- struct{}{}:
		return true
	case <-ctx.Done():
		return false
	case <-t.C:
		return false
	}
}

func (s slots) release() { <-s }
