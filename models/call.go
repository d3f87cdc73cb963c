package models

import (
	"sort"
	"time"
)

// CallDirection says who called whom.
type CallDirection string

// Directions: an agent calling a customer's phone, or a customer calling
// support from the browser.
const (
	CallOutbound CallDirection = "outbound"
	CallInbound  CallDirection = "inbound"
)

// CallStatus is one step of a call's progress, in provider-neutral terms.
type CallStatus string

// The statuses a call goes through; Terminal tells those that end it.
// Queued, abandoned and callback are Ringdesk's own, for a customer's
// call in its line: the providers report only the legs it rings.
const (
	CallQueued    CallStatus = "queued" // joined the line
	CallInitiated CallStatus = "initiated"
	CallRinging   CallStatus = "ringing"
	CallAnswered  CallStatus = "answered"
	CallCompleted CallStatus = "completed"
	CallBusy      CallStatus = "busy"
	CallNoAnswer  CallStatus = "no-answer"
	CallFailed    CallStatus = "failed"
	CallCanceled  CallStatus = "canceled"
	CallVoicemail CallStatus = "voicemail"
	CallAbandoned CallStatus = "abandoned" // hung up in the line
	CallCallback  CallStatus = "callback"  // left the line to be called back
)

// rank orders statuses so that events arriving out of order still give
// the right final state: a late "ringing" never undoes "completed".
func (s CallStatus) rank() int {
	switch s {
	case CallQueued, CallInitiated:
		return 1
	case CallRinging:
		return 2
	case CallAnswered:
		return 3
	case CallVoicemail:
		return 5
	case CallCompleted, CallBusy, CallNoAnswer, CallFailed, CallCanceled, CallAbandoned, CallCallback:
		return 4
	}
	return 0
}

// Terminal reports whether the status ends a call.
func (s CallStatus) Terminal() bool { return s.rank() >= 4 }

// CallEvent is one report of call progress from a provider's webhook.
type CallEvent struct {
	Provider  string
	SID       string // the conversation: the browser's call, shared by its legs
	TicketID  *ID
	Direction CallDirection
	From, To  string
	Status    CallStatus
	At        time.Time
	Seq       int // the provider's sequence number, when it sends one
	Duration  int // seconds, on the final event
	HungUpBy  string

	RecordingURL      string
	RecordingDuration int
}

// CallStep is one recorded event in a call's timeline. Identical retries
// of a webhook produce identical steps, which the store keeps once.
type CallStep struct {
	Status   CallStatus `bson:"status" json:"status"`
	At       time.Time  `bson:"at" json:"at"`
	Seq      int        `bson:"seq" json:"seq"`
	Duration int        `bson:"duration,omitempty" json:"duration,omitempty"`
}

// Call is the log of one call: what the providers reported, in any order.
type Call struct {
	ID        ID            `bson:"_id" json:"id"`
	SID       string        `bson:"sid" json:"sid"`
	Provider  string        `bson:"provider" json:"provider"`
	TicketID  *ID           `bson:"ticketId,omitempty" json:"ticketId,omitempty"`
	Direction CallDirection `bson:"direction" json:"direction"`
	From      string        `bson:"from" json:"from"`
	To        string        `bson:"to" json:"to"`
	StartedAt time.Time     `bson:"startedAt" json:"startedAt"`
	Steps     []CallStep    `bson:"steps" json:"steps"`
	HungUpBy  string        `bson:"hungUpBy,omitempty" json:"hungUpBy,omitempty"`

	RecordingURL      string `bson:"recordingUrl,omitempty" json:"recordingUrl,omitempty"`
	RecordingDuration int    `bson:"recordingDuration,omitempty" json:"recordingDuration,omitempty"`
}

// CallSummary is what the dashboard shows of a call.
type CallSummary struct {
	SID        string        `bson:"sid" json:"sid"`
	Direction  CallDirection `bson:"direction" json:"direction"`
	Status     CallStatus    `bson:"status" json:"status"`
	StartedAt  time.Time     `bson:"startedAt" json:"startedAt"`
	AnsweredAt *time.Time    `bson:"answeredAt,omitempty" json:"answeredAt,omitempty"`
	Duration   int           `bson:"duration" json:"duration"` // seconds talking
	Voicemail  bool          `bson:"voicemail,omitempty" json:"voicemail,omitempty"`
	Steps      int           `bson:"steps" json:"-"`
}

// Summary derives the call's outcome from its timeline, whatever order
// the events arrived in.
func (c *Call) Summary() CallSummary {
	steps := append([]CallStep(nil), c.Steps...)
	sort.SliceStable(steps, func(i, j int) bool {
		if ri, rj := steps[i].Status.rank(), steps[j].Status.rank(); ri != rj {
			return ri < rj
		}
		return steps[i].At.Before(steps[j].At)
	})
	s := CallSummary{SID: c.SID, Direction: c.Direction, StartedAt: c.StartedAt, Steps: len(c.Steps), Status: CallInitiated}
	var endedAt time.Time
	for _, st := range steps {
		switch {
		case st.Status == CallAnswered && s.AnsweredAt == nil:
			at := st.At
			s.AnsweredAt = &at
		case st.Status == CallVoicemail:
			s.Voicemail = true
		}
		if st.Status.Terminal() && endedAt.IsZero() {
			endedAt = st.At
		}
		if st.Duration > 0 {
			s.Duration = st.Duration
		}
		s.Status = st.Status
	}
	// "Completed" with no answer and no talk time means nobody picked up;
	// a more specific reason reported on the way (Vonage sends "busy" and
	// then "completed") says why.
	if s.Status == CallCompleted && s.AnsweredAt == nil && s.Duration == 0 {
		s.Status = CallNoAnswer
		for _, st := range steps {
			if st.Status.Terminal() && st.Status != CallCompleted {
				s.Status = st.Status
				break
			}
		}
	}
	if s.Duration == 0 && s.AnsweredAt != nil && !endedAt.IsZero() && endedAt.After(*s.AnsweredAt) {
		s.Duration = int(endedAt.Sub(*s.AnsweredAt) / time.Second)
	}
	if s.Voicemail {
		s.Status = CallVoicemail
		s.Duration = c.RecordingDuration
	}
	return s
}
