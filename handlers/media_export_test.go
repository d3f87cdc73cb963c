package handlers

import "time"

// Hooks for the sound-check socket tests in package handlers_test: the
// tokens the provider webhooks would mint, and limits short enough to
// test.

// NewMediaToken mints a sound-check socket token, as the webhooks do.
var NewMediaToken = (*Handler).newMediaToken

// SetSocketLimits replaces the media sockets' cap, idle timeout and
// longest call for sockets opened from now on.
func (h *Handler) SetSocketLimits(maxStreams int, idle, maxLength time.Duration) {
	h.sockets.mu.Lock()
	defer h.sockets.mu.Unlock()
	h.sockets.limits = socketLimits{maxStreams: maxStreams, idle: idle, maxLength: maxLength}
}
