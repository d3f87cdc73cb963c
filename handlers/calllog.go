package handlers

import (
	"context"

	"github.com/ringdesk/ringdesk/models"
)

// callRecorded updates the dashboards after a call event, logged here by
// the calling domain or by another instance: the call's ticket card and,
// for customers' calls, the "waiting" counter.
func (h *Handler) callRecorded(ctx context.Context, call *models.Call) {
	if call.Direction == models.CallInbound {
		s := call.Summary()
		waiting := s.Status == models.CallInitiated || s.Status == models.CallRinging
		h.live.mu.Lock()
		_, was := h.live.waiting[call.SID]
		changed := was != waiting
		switch {
		case waiting && !was:
			h.live.waiting[call.SID] = call.StartedAt
		case !waiting:
			delete(h.live.waiting, call.SID)
		}
		h.live.mu.Unlock()
		if changed {
			h.refreshCounters()
			if waiting {
				// Off the webhook's path: the provider waits for its answer.
				go h.publishCaller(ctx, call)
			}
		}
	}
	if call.TicketID != nil {
		h.publishTicket(ctx, *call.TicketID)
	}
}
