package handlers

import (
	"context"
	"time"
)

// Hooks for the security tests in package handlers_test: a clock to move
// past expiries, and a session check short enough to wait for. Set them
// before the first request.

// SetClock replaces the handler's clock.
func (h *Handler) SetClock(now func() time.Time) { h.now = now }

// SetWatchRetry sets the first wait before WatchStore tries again.
func (h *Handler) SetWatchRetry(d time.Duration) { h.watchRetry = d }

// SetSessionCheck sets how often an event stream re-reads its session.
func (h *Handler) SetSessionCheck(d time.Duration) { h.sessionCheck = d }

// FollowTeam runs followTeam, reading the team every `every`.
func (h *Handler) FollowTeam(ctx context.Context, every time.Duration) { h.followTeam(ctx, every) }
