package handlers

import (
	"context"
	"errors"
	"time"

	"github.com/ringdesk/ringdesk/models"
)

// ChangeWatcher reports tickets and calls written by any instance.
type ChangeWatcher interface {
	WatchChanges(ctx context.Context, fn func(models.Change)) error
}

// WatchStore relays changes made by other instances to this instance's
// dashboards, so several Ringdesk instances behind a load balancer show
// the same live dashboard. Where the database has no change streams (the
// embedded store, a standalone MongoDB) it logs that live updates stay on
// this instance and returns; otherwise it runs until ctx ends, resuming
// after database outages. A change this instance made arrives twice,
// which is harmless: a card is replaced by id, never added again.
func (h *Handler) WatchStore(ctx context.Context, w ChangeWatcher) {
	delay, refused := h.watchRetry, false
	for {
		started := h.now()
		err := w.WatchChanges(ctx, func(ch models.Change) { h.relayChange(ctx, ch) })
		if h.now().Sub(started) > time.Minute {
			delay = h.watchRetry // it ran for a while: start the backoff again
		}
		switch {
		case ctx.Err() != nil:
			return
		case errors.Is(err, models.ErrOneProcess):
			h.log.Info("live dashboard: updates reach this process's dashboards (the embedded store has one process)")
			return
		case errors.Is(err, models.ErrNoChangeStreams):
			// A standalone MongoDB never offers them, but a replica set
			// in an election, or one being converted, refuses for a
			// while: keep asking, and say so once.
			if !refused {
				h.log.Warn("live dashboard: the database refuses change streams, so updates reach this instance's dashboards only; retrying (use a MongoDB replica set to run several instances)", "err", err)
			}
			refused = true
		case err != nil:
			h.log.Warn("live dashboard: change stream interrupted, retrying", "in", delay, "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-time.After(delay):
		}
		delay = min(2*delay, maxWatchRetry)
	}
}

// maxWatchRetry caps the wait between attempts to follow other instances.
const maxWatchRetry = 2 * time.Minute

func (h *Handler) relayChange(ctx context.Context, ch models.Change) {
	switch ch.Collection {
	case "tickets":
		h.publishTicket(ctx, ch.ID)
	case "calls":
		call, err := h.calls.GetByID(ctx, ch.ID)
		if err != nil {
			h.log.Warn("live dashboard: load changed call", "err", err)
			return
		}
		h.callRecorded(ctx, call)
	case "presence":
		h.refreshCounters() // the header's available / on a call / away
	}
}
