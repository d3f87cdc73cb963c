package main

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"strconv"
	"time"

	"github.com/ringdesk/ringdesk/config"
)

// healthcheckTimeout bounds "ringdesk healthcheck": a container health
// check that hangs is worse than one that fails.
const healthcheckTimeout = 3 * time.Second

// healthcheck implements "ringdesk healthcheck": it asks the server running
// on this machine whether it is ready (GET /readyz: the database answers)
// and fails unless it says 200. The Docker image has no shell and no curl,
// so its HEALTHCHECK runs the binary itself.
func healthcheck(ctx context.Context, cfg *config.Config, stdout io.Writer) error {
	ctx, cancel := context.WithTimeout(ctx, healthcheckTimeout)
	defer cancel()
	url := "http://" + net.JoinHostPort(localAddr(cfg.Host), strconv.Itoa(cfg.Port)) + "/readyz"
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return fmt.Errorf("healthcheck: %w", err)
	}
	client := &http.Client{
		// Straight to the server: a proxy in the environment has no business
		// with a loopback check, and a redirect would mean something else
		// answers on this port.
		Transport: &http.Transport{Proxy: nil, DisableKeepAlives: true},
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("healthcheck: no answer from %s (is Ringdesk running with this PORT?): %w", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 512))
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("healthcheck: %s answered %s: %s", url, resp.Status, bytes.TrimSpace(body))
	}
	fmt.Fprintf(stdout, "ready: %s answered %s\n", url, resp.Status)
	return nil
}

// localAddr is where this machine reaches a server listening on host (the
// HOST setting): loopback when it listens on every interface.
func localAddr(host string) string {
	if host == "" {
		return "127.0.0.1"
	}
	if ip := net.ParseIP(host); ip != nil && ip.IsUnspecified() {
		if ip.To4() == nil {
			return "::1"
		}
		return "127.0.0.1"
	}
	return host
}
