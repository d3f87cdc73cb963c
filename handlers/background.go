package handlers

import (
	"context"
	"sync"
	"time"
)

// mediaTokenSweep is how often expired media-token records are deleted.
const mediaTokenSweep = 10 * time.Minute

// Background runs the handlers' periodic work until ctx ends: relaying
// other instances' changes to the live dashboards, and deleting expired
// media-token records (the embedded store has no TTL indexes to do it).
func (h *Handler) Background(ctx context.Context) {
	var wg sync.WaitGroup
	if h.changes != nil {
		wg.Go(func() { h.WatchStore(ctx, h.changes) })
	}
	wg.Go(func() { h.sweepMediaTokens(ctx) })
	wg.Wait()
}

func (h *Handler) sweepMediaTokens(ctx context.Context) {
	tick := time.NewTicker(mediaTokenSweep)
	defer tick.Stop()
	for {
		n, err := h.media.DeleteExpired(ctx, h.now())
		switch {
		case err != nil && ctx.Err() == nil:
			h.log.Warn("delete expired media tokens", "err", err)
		case n > 0:
			h.log.Debug("deleted expired media tokens", "count", n)
		}
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
		}
	}
}
