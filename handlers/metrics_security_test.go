package handlers_test

import (
	"net/http"
	"strings"
	"testing"
)

// The attack: /metrics was public, and told anyone the ticket volume,
// failed sign-ins and call volume. It needs METRICS_TOKEN as a bearer
// token, and without the setting it does not exist.
func TestMetricsNeedTheToken(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	tests := []struct {
		name   string
		header []string
		want   int
	}{
		{"no token", nil, http.StatusUnauthorized},
		{"wrong token", []string{"Authorization", "Bearer wrong-token-0123456789abc"}, http.StatusUnauthorized},
		{"token with more after it", []string{"Authorization", "Bearer " + testMetricsToken + "x"}, http.StatusUnauthorized},
		{"a prefix of the token", []string{"Authorization", "Bearer " + testMetricsToken[:10]}, http.StatusUnauthorized},
		{"not a bearer token", []string{"Authorization", "Basic " + testMetricsToken}, http.StatusUnauthorized},
		{"token in the query", nil, http.StatusUnauthorized},
		{"right token", metricsAuth, http.StatusOK},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := "/metrics"
			if tt.name == "token in the query" {
				path += "?token=" + testMetricsToken
			}
			resp := app.get(t, app.client(t), path, tt.header...)
			resp.wantStatus(t, tt.want)
			leaked := strings.Contains(resp.body, "ringdesk_http_requests_total")
			if leaked != (tt.want == http.StatusOK) {
				t.Errorf("body shows metrics: %v, want %v", leaked, tt.want == http.StatusOK)
			}
			if tt.want == http.StatusUnauthorized && !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("401 without WWW-Authenticate: Bearer")
			}
		})
	}
}

func TestMetricsClosedWithoutTheSetting(t *testing.T) {
	t.Parallel()
	app := newTestApp(t, withEnv("METRICS_TOKEN", ""))
	for _, header := range [][]string{nil, metricsAuth, {"Authorization", "Bearer "}} {
		resp := app.get(t, app.client(t), "/metrics", header...)
		resp.wantStatus(t, http.StatusNotFound)
		if strings.Contains(resp.body, "ringdesk_") {
			t.Errorf("a closed /metrics shows metrics")
		}
	}
}
