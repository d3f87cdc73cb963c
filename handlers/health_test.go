package handlers_test

import (
	"bufio"
	"net/http"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestHealthAndReadiness(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	c := app.client(t)
	tests := []struct {
		path string
		want map[string]string
	}{
		{"/healthz", map[string]string{"status": "ok"}},
		{"/readyz", map[string]string{"status": "ok", "database": "ok"}},
	}
	for _, tt := range tests {
		t.Run(tt.path, func(t *testing.T) {
			resp := app.get(t, c, tt.path)
			resp.wantStatus(t, http.StatusOK)
			var got map[string]string
			resp.json(t, &got)
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("body (-want +got):\n%s", diff)
			}
		})
	}
}

func TestMetrics(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	c := app.client(t)

	// A created ticket, a replayed one (not counted again) and a failed one.
	body := map[string]string{"name": "Ada", "phoneNumber": "+14155552671", "description": "Help"}
	app.postJSON(t, c, "/tickets", body, "Idempotency-Key", "k").wantStatus(t, http.StatusCreated)
	app.postJSON(t, c, "/tickets", body, "Idempotency-Key", "k").wantStatus(t, http.StatusOK)
	app.postForm(t, c, "/tickets", ticketForm("", "", "")).wantStatus(t, http.StatusUnprocessableEntity)

	resp := app.get(t, c, "/metrics", metricsAuth...)
	resp.wantStatus(t, http.StatusOK)
	samples := parseMetrics(t, resp.body)

	if got := samples["ringdesk_tickets_created_total"]; got != 1 {
		t.Errorf("ringdesk_tickets_created_total = %v, want 1", got)
	}
	wantRequests := map[string]float64{
		`ringdesk_http_requests_total{method="POST",route="/tickets",status="201"}`: 1,
		`ringdesk_http_requests_total{method="POST",route="/tickets",status="200"}`: 1,
		`ringdesk_http_requests_total{method="POST",route="/tickets",status="422"}`: 1,
	}
	for k, want := range wantRequests {
		if got, ok := samples[k]; !ok || got != want {
			t.Errorf("%s = %v (present: %v), want %v", k, got, ok, want)
		}
	}
	// Routes are labelled by pattern, so ids never become label values.
	app.get(t, c, "/tickets/0123456789abcdef01234567")
	for k := range parseMetrics(t, app.get(t, c, "/metrics", metricsAuth...).body) {
		if strings.Contains(k, "0123456789abcdef01234567") {
			t.Errorf("metric labelled with a raw path: %s", k)
		}
	}
}

// parseMetrics reads Prometheus text into sample name{labels} -> value.
func parseMetrics(t testing.TB, body string) map[string]float64 {
	t.Helper()
	out := map[string]float64{}
	sc := bufio.NewScanner(strings.NewReader(body))
	for sc.Scan() {
		line := sc.Text()
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		i := strings.LastIndexByte(line, ' ')
		v, err := strconv.ParseFloat(line[i+1:], 64)
		if i < 0 || err != nil {
			t.Fatalf("bad metrics line %q", line)
		}
		out[line[:i]] = v
	}
	return out
}

// Invented methods must not become metric labels: each would be a new
// time series.
func TestMetricsBoundMethodLabels(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	for _, m := range []string{"FROBNICATE", "XYZZY"} {
		app.roundTrip(t, app.newRequest(t, m, "/", nil))
	}
	body := app.get(t, app.client(t), "/metrics", metricsAuth...).body
	if strings.Contains(body, "FROBNICATE") || strings.Contains(body, "XYZZY") {
		t.Error("/metrics lists an invented HTTP method as a label")
	}
	if !strings.Contains(body, `method="OTHER"`) {
		t.Error(`/metrics does not count invented methods as method="OTHER"`)
	}
}
