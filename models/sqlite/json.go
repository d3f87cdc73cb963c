package sqlite

import (
	"encoding/json"
	"fmt"

	"github.com/ringdesk/ringdesk/models"
)

// The JSON columns have their own shapes rather than the models' json
// tags: those hide CallSummary.Steps (which Record compares) and write
// times as text, where the store keeps milliseconds.

// summaryDoc is one entry of tickets.calls.
type summaryDoc struct {
	SID        string `json:"sid"`
	Direction  string `json:"direction"`
	Status     string `json:"status"`
	StartedAt  int64  `json:"startedAt"`
	AnsweredAt *int64 `json:"answeredAt,omitempty"`
	Duration   int    `json:"duration"`
	Voicemail  bool   `json:"voicemail,omitempty"`
	Steps      int    `json:"steps"`
}

// stepDoc is one entry of calls.steps.
type stepDoc struct {
	Status   string `json:"status"`
	At       int64  `json:"at"`
	Seq      int    `json:"seq"`
	Duration int    `json:"duration,omitempty"`
}

func toSummaryDoc(s models.CallSummary) summaryDoc {
	d := summaryDoc{SID: s.SID, Direction: string(s.Direction), Status: string(s.Status), StartedAt: ms(s.StartedAt),
		Duration: s.Duration, Voicemail: s.Voicemail, Steps: s.Steps}
	if s.AnsweredAt != nil {
		at := ms(*s.AnsweredAt)
		d.AnsweredAt = &at
	}
	return d
}

func (d summaryDoc) summary() models.CallSummary {
	s := models.CallSummary{SID: d.SID, Direction: models.CallDirection(d.Direction), Status: models.CallStatus(d.Status),
		StartedAt: fromMS(d.StartedAt), Duration: d.Duration, Voicemail: d.Voicemail, Steps: d.Steps}
	if d.AnsweredAt != nil {
		at := fromMS(*d.AnsweredAt)
		s.AnsweredAt = &at
	}
	return s
}

// encodeSummaries writes a ticket's call summaries; none is "{}".
func encodeSummaries(m map[string]models.CallSummary) (string, error) {
	if len(m) == 0 {
		return "{}", nil
	}
	docs := make(map[string]summaryDoc, len(m))
	for k, s := range m {
		docs[k] = toSummaryDoc(s)
	}
	b, err := json.Marshal(docs)
	return string(b), err
}

// decodeSummaries reads them back; "{}" is nil, as a ticket that never
// had a call reads back from MongoDB.
func decodeSummaries(s string) (map[string]models.CallSummary, error) {
	docs, err := decodeSummaryDocs(s)
	if err != nil || len(docs) == 0 {
		return nil, err
	}
	out := make(map[string]models.CallSummary, len(docs))
	for k, d := range docs {
		out[k] = d.summary()
	}
	return out, nil
}

func decodeSummaryDocs(s string) (map[string]summaryDoc, error) {
	if s == "" || s == "{}" {
		return nil, nil
	}
	var docs map[string]summaryDoc
	if err := json.Unmarshal([]byte(s), &docs); err != nil {
		return nil, fmt.Errorf("bad call summaries: %w", err)
	}
	return docs, nil
}

func encodeSteps(steps []models.CallStep) (string, error) {
	docs := make([]stepDoc, len(steps))
	for i, st := range steps {
		docs[i] = stepDoc{Status: string(st.Status), At: ms(st.At), Seq: st.Seq, Duration: st.Duration}
	}
	b, err := json.Marshal(docs)
	return string(b), err
}

func decodeSteps(s string) ([]models.CallStep, error) {
	var docs []stepDoc
	if err := json.Unmarshal([]byte(s), &docs); err != nil {
		return nil, fmt.Errorf("bad call steps: %w", err)
	}
	steps := make([]models.CallStep, len(docs))
	for i, d := range docs {
		steps[i] = models.CallStep{Status: models.CallStatus(d.Status), At: fromMS(d.At), Seq: d.Seq, Duration: d.Duration}
	}
	return steps, nil
}
