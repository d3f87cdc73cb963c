package models

import (
	"testing"
	"time"
)

func TestQueueStates(t *testing.T) {
	for _, tt := range []struct {
		state         QueueState
		inLine, valid bool
	}{
		{QueueWaiting, true, true},
		{QueueRinging, true, true},
		{QueueAnswered, false, true},
		{QueueAbandoned, false, true},
		{QueueVoicemail, false, true},
		{"", false, false},
		{"Waiting", false, false},
	} {
		if got := tt.state.InLine(); got != tt.inLine {
			t.Errorf("%q.InLine() = %v, want %v", tt.state, got, tt.inLine)
		}
		if got := tt.state.Valid(); got != tt.valid {
			t.Errorf("%q.Valid() = %v, want %v", tt.state, got, tt.valid)
		}
	}
}

func TestPrepareQueueEntry(t *testing.T) {
	now := time.Date(2026, 3, 4, 9, 0, 0, 0, time.UTC)
	joined := time.Date(2026, 3, 4, 10, 0, 0, 1_500_000, time.FixedZone("CET", 3600))

	e := QueueEntry{SID: "CA1", State: QueueAnswered, JoinedAt: joined}
	if err := PrepareQueueEntry(&e, now); err != nil {
		t.Fatal(err)
	}
	want := time.Date(2026, 3, 4, 9, 0, 0, 1_000_000, time.UTC)
	if e.ID.IsZero() || e.State != QueueWaiting || !e.JoinedAt.Equal(want) || e.JoinedAt.Location() != time.UTC || !e.UpdatedAt.Equal(want) {
		t.Errorf("prepared %+v; want an id, waiting, joined and updated at %v UTC", e, want)
	}

	id := NewID()
	e = QueueEntry{ID: id, SID: "CA2"}
	if err := PrepareQueueEntry(&e, now); err != nil || e.ID != id || !e.JoinedAt.Equal(now) {
		t.Errorf("prepared %+v, %v; want its own id, joined now", e, err)
	}

	if err := PrepareQueueEntry(&QueueEntry{}, now); err == nil {
		t.Error("an entry without a SID was accepted")
	}
}
