package main

import (
	"bytes"
	"testing"
)

// TestSmallScale runs every scenario at the small scale, as CI does: a
// real Ringdesk (built from this repository) under load, a SIGKILL, a
// database outage and a webhook storm, each checked against the store.
func TestSmallScale(t *testing.T) {
	if testing.Short() {
		t.Skip("starts Ringdesk several times; skipped with -short")
	}
	var out bytes.Buffer
	results, err := run(t.Context(), []string{"-scale", "small", "-q"}, &out)
	t.Log("\n" + out.String())
	if err != nil {
		t.Fatal(err)
	}
	if len(results) != len(scenarios) {
		t.Fatalf("%d results for %d scenarios", len(results), len(scenarios))
	}
	for _, r := range results {
		for _, c := range r.Checks {
			if !c.OK {
				t.Errorf("%s: %s: %s", r.Name, c.Name, c.Detail)
			}
		}
	}
}
