package config_test

import (
	"bytes"
	"encoding/json"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ringdesk/ringdesk/config"
)

func TestLoadMetricsTokenAndTicketRateLimit(t *testing.T) {
	c := load(t, env{})
	if c.MetricsToken != "" || c.TicketRateLimit != 120 {
		t.Errorf("defaults: MetricsToken = %q, TicketRateLimit = %d; want empty (closed) and 120", c.MetricsToken, c.TicketRateLimit)
	}
	token := "0123456789abcdef0123456789abcdef"
	c = load(t, env{"METRICS_TOKEN": " " + token + " ", "TICKET_RATE_LIMIT": "30"})
	if c.MetricsToken != token || c.TicketRateLimit != 30 {
		t.Errorf("MetricsToken = %q, TicketRateLimit = %d; want %q and 30", c.MetricsToken, c.TicketRateLimit, token)
	}

	for name, e := range map[string]env{
		"METRICS_TOKEN too short":       {"METRICS_TOKEN": "short"},
		"METRICS_TOKEN with a space":    {"METRICS_TOKEN": "0123456789 abcdef0123"},
		"METRICS_TOKEN not ASCII":       {"METRICS_TOKEN": "0123456789abcdef€"},
		"TICKET_RATE_LIMIT zero":        {"TICKET_RATE_LIMIT": "0"},
		"TICKET_RATE_LIMIT not integer": {"TICKET_RATE_LIMIT": "lots"},
	} {
		variable, _, _ := strings.Cut(name, " ")
		_, err := config.Load(e.get)
		if err == nil || !strings.HasPrefix(err.Error(), variable+":") || strings.Contains(err.Error(), "\n") {
			t.Errorf("%s: Load error = %v, want one line naming %s", name, err, variable)
		}
	}

	var buf bytes.Buffer
	slog.New(slog.NewJSONHandler(&buf, nil)).Info("starting", "config", load(t, env{"METRICS_TOKEN": token}))
	if strings.Contains(buf.String(), token) {
		t.Errorf("the log shows METRICS_TOKEN:\n%s", buf.String())
	}
	var line struct {
		Config map[string]any `json:"config"`
	}
	if err := json.Unmarshal(buf.Bytes(), &line); err != nil || line.Config["metricsToken"] != "***" {
		t.Errorf("config.metricsToken = %v (%v), want ***", line.Config["metricsToken"], err)
	}
}

// A session key that other users can read lets them sign in as any
// agent: a key file found with a loose mode (a copied DATA_DIR, a volume
// made by hand) is made 0600, whether it is kept or replaced.
func TestEnsureSessionSecretMakesKeyFilePrivate(t *testing.T) {
	for name, content := range map[string]string{
		"kept":     strings.Repeat("k", 64) + "\n",
		"replaced": "short\n",
	} {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			path := filepath.Join(dir, "session.key")
			if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Chmod(path, 0o644); err != nil { // whatever the umask
				t.Fatal(err)
			}
			c := load(t, env{"DATA_DIR": dir})
			if err := c.EnsureSessionSecret(); err != nil {
				t.Fatalf("EnsureSessionSecret: %v", err)
			}
			fi, err := os.Stat(path)
			if err != nil {
				t.Fatal(err)
			}
			if mode := fi.Mode().Perm(); mode != 0o600 {
				t.Errorf("session.key mode = %o, want 600", mode)
			}
			if name == "kept" && string(c.SessionSecret) != strings.TrimSpace(content) {
				t.Errorf("the existing key was not kept")
			}
		})
	}
}
