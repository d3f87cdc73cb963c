package models_test

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ringdesk/ringdesk/models"
)

var t0 = time.Date(2026, 3, 4, 9, 0, 0, 0, time.UTC)

// step is a call step s seconds after t0.
func step(status models.CallStatus, s int, duration ...int) models.CallStep {
	st := models.CallStep{Status: status, At: t0.Add(time.Duration(s) * time.Second)}
	if len(duration) > 0 {
		st.Duration = duration[0]
	}
	return st
}

func at(s int) *time.Time {
	v := t0.Add(time.Duration(s) * time.Second)
	return &v
}

func TestCallSummary(t *testing.T) {
	t.Parallel()
	const (
		initiated = models.CallInitiated
		ringing   = models.CallRinging
		answered  = models.CallAnswered
		completed = models.CallCompleted
	)
	tests := []struct {
		name      string
		steps     []models.CallStep
		recording int // RecordingDuration
		want      models.CallSummary
	}{
		{"no events yet", nil, 0, models.CallSummary{Status: initiated}},
		{"in order", []models.CallStep{step(initiated, 0), step(ringing, 1), step(answered, 5), step(completed, 65, 60)}, 0,
			models.CallSummary{Status: completed, AnsweredAt: at(5), Duration: 60, Steps: 4}},
		{"reversed", []models.CallStep{step(completed, 65, 60), step(answered, 5), step(ringing, 1), step(initiated, 0)}, 0,
			models.CallSummary{Status: completed, AnsweredAt: at(5), Duration: 60, Steps: 4}},
		{"completed before ringing", []models.CallStep{step(initiated, 0), step(completed, 65, 60), step(ringing, 1)}, 0,
			models.CallSummary{Status: completed, Duration: 60, Steps: 3}},
		{"a late ringing never undoes completed (same time stamps)", []models.CallStep{step(completed, 5, 3), step(ringing, 5)}, 0,
			models.CallSummary{Status: completed, Duration: 3, Steps: 2}},
		{"duplicates", []models.CallStep{step(ringing, 1), step(ringing, 1), step(answered, 5), step(answered, 5), step(completed, 65, 60), step(completed, 65, 60)}, 0,
			models.CallSummary{Status: completed, AnsweredAt: at(5), Duration: 60, Steps: 6}},
		{"no answered event but talk time", []models.CallStep{step(ringing, 1), step(completed, 50, 42)}, 0,
			models.CallSummary{Status: completed, Duration: 42, Steps: 2}},
		{"answered, duration from the times", []models.CallStep{step(answered, 5), step(completed, 95)}, 0,
			models.CallSummary{Status: completed, AnsweredAt: at(5), Duration: 90, Steps: 2}},
		{"two answered events: the first counts", []models.CallStep{step(answered, 9), step(answered, 5), step(completed, 65)}, 0,
			models.CallSummary{Status: completed, AnsweredAt: at(5), Duration: 60, Steps: 3}},
		{"completed without answer or talk time is no answer", []models.CallStep{step(initiated, 0), step(ringing, 1), step(completed, 31)}, 0,
			models.CallSummary{Status: models.CallNoAnswer, Steps: 3}},
		{"no-answer", []models.CallStep{step(ringing, 1), step(models.CallNoAnswer, 31)}, 0,
			models.CallSummary{Status: models.CallNoAnswer, Steps: 2}},
		{"busy", []models.CallStep{step(initiated, 0), step(models.CallBusy, 2)}, 0,
			models.CallSummary{Status: models.CallBusy, Steps: 2}},
		{"busy, then completed (as Vonage reports it)", []models.CallStep{step(ringing, 1), step(models.CallBusy, 2), step(completed, 3)}, 0,
			models.CallSummary{Status: models.CallBusy, Steps: 3}},
		{"canceled while ringing", []models.CallStep{step(ringing, 1), step(models.CallCanceled, 8)}, 0,
			models.CallSummary{Status: models.CallCanceled, Steps: 2}},
		{"failed", []models.CallStep{step(models.CallFailed, 0)}, 0,
			models.CallSummary{Status: models.CallFailed, Steps: 1}},
		{"still ringing", []models.CallStep{step(initiated, 0), step(ringing, 1)}, 0,
			models.CallSummary{Status: ringing, Steps: 2}},
		{"in call", []models.CallStep{step(ringing, 1), step(answered, 5)}, 0,
			models.CallSummary{Status: answered, AnsweredAt: at(5), Steps: 2}},
		{"voicemail after nobody answered", []models.CallStep{step(ringing, 1), step(completed, 31), step(models.CallVoicemail, 60)}, 17,
			models.CallSummary{Status: models.CallVoicemail, Duration: 17, Voicemail: true, Steps: 3}},
		{"voicemail arriving first", []models.CallStep{step(models.CallVoicemail, 60), step(completed, 31, 20), step(ringing, 1)}, 17,
			models.CallSummary{Status: models.CallVoicemail, Duration: 17, Voicemail: true, Steps: 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := models.Call{SID: "CA1", Direction: models.CallInbound, StartedAt: t0, Steps: tt.steps, RecordingDuration: tt.recording}
			want := tt.want
			want.SID, want.Direction, want.StartedAt = "CA1", models.CallInbound, t0
			if diff := cmp.Diff(want, c.Summary()); diff != "" {
				t.Errorf("Summary (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCallStatusTerminal(t *testing.T) {
	t.Parallel()
	for s, want := range map[models.CallStatus]bool{
		models.CallInitiated: false, models.CallRinging: false, models.CallAnswered: false,
		models.CallCompleted: true, models.CallBusy: true, models.CallNoAnswer: true,
		models.CallFailed: true, models.CallCanceled: true, models.CallVoicemail: true, "exploded": false,
	} {
		if got := s.Terminal(); got != want {
			t.Errorf("%q.Terminal() = %v, want %v", s, got, want)
		}
	}
}
