package models

import "context"

// writeGate lets one write at a time into the embedded store. SQLite has a
// single writer anyway; without the gate, concurrent writes queue inside
// SQLite until their statements time out (measured: with 32 concurrent
// ticket posts most failed), while in line here each waits only as long as
// its own deadline allows and then answers 503. A nil gate (a real
// MongoDB, which handles concurrent writes itself) never waits.
type writeGate chan struct{}

// enter waits for the gate or for ctx to end; the returned func leaves.
func (g writeGate) enter(ctx context.Context) (leave func(), err error) {
	if g == nil {
		return func() {}, nil
	}
	select {
	case g <- struct{}{}:
		return func() { <-g }, nil
	case <-ctx.Done():
		return nil, storeErr("wait for the store's writer", ctx.Err())
	}
}

// setWriteGate makes the repositories that write on hot paths share g.
func (s *Store) setWriteGate(g writeGate) {
	s.Tickets.gate, s.Calls.gate, s.Media.gate = g, g, g
}
