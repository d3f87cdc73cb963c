package handlers_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

// A request whose client disconnected is not a database outage: it is
// neither logged as one nor answered as 503.
func TestClientCancelIsNotAnOutage(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // the client has gone before the store is asked
	form := url.Values{"name": {"Gone Away"}, "phone_number": {"+14155552671"}, "description": {"Closed the tab"}}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, app.srv.URL+"/tickets", strings.NewReader(form.Encode()))
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	// Served in-process so that the handler sees the cancelled context.
	router, err := app.h.Routes()
	if err != nil {
		t.Fatal(err)
	}
	req.RemoteAddr = "192.0.2.7:1234"
	req.Header.Set("Origin", app.srv.URL)
	rec := httptest.NewRecorder()
	router.ServeHTTP(rec, req)
	if rec.Code == http.StatusServiceUnavailable || rec.Code == http.StatusInternalServerError {
		t.Errorf("status %d for a request whose client went away", rec.Code)
	}
	if logs := app.logs.String(); strings.Contains(logs, "database unavailable") || strings.Contains(logs, "request failed") {
		t.Errorf("a client cancel was logged as a failure:\n%s", logs)
	}
}
