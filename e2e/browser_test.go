// Package e2e drives the real Ringdesk app in headless Chromium: pages,
// scripts, server and database are all the real thing.
package e2e

import (
	"context"
	"fmt"
	"log/slog"
	"net/http/httptest"
	"os"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ringdesk/ringdesk/config"
	"github.com/ringdesk/ringdesk/handlers"
	"github.com/ringdesk/ringdesk/models"
	"github.com/ringdesk/ringdesk/models/storetest"
)

// app is a running Ringdesk on a fresh database.
type app struct {
	URL   string
	Store *models.Store
	// Server lets a test cut its clients' connections.
	Server *httptest.Server
}

func startApp(t *testing.T, env map[string]string, opts ...appOption) *app {
	t.Helper()
	var o appOptions
	for _, opt := range opts {
		opt(&o)
	}
	store := o.store
	if store == nil {
		store = storetest.New(t)
	}
	// The listener comes first, so PUBLIC_URL can name the address the
	// test's webhooks are signed for.
	srv := httptest.NewUnstartedServer(nil)
	t.Cleanup(srv.Close)
	url := "http://" + srv.Listener.Addr().String()
	if o.publicURL {
		withURL := map[string]string{"PUBLIC_URL": url}
		for k, v := range env {
			if k != "PUBLIC_URL" {
				withURL[k] = v
			}
		}
		env = withURL
	}
	cfg, err := config.Load(func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	cfg.SessionSecret = []byte("e2e-session-secret-0123456789abcdef")
	cfg.RateLimitScale = 100
	h, err := handlers.New(handlers.StoreDeps(cfg, store, slog.New(slog.DiscardHandler)))
	if err != nil {
		t.Fatal(err)
	}
	router, err := h.Routes()
	if err != nil {
		t.Fatal(err)
	}
	srv.Config.Handler = router
	srv.Start()
	return &app{URL: srv.URL, Store: store, Server: srv}
}

// appOptions are startApp's optional settings.
type appOptions struct {
	publicURL bool
	store     *models.Store
}

type appOption func(*appOptions)

// withPublicURL sets PUBLIC_URL to the app's own address, so webhooks
// signed for it (as the providers sign them) are accepted.
func withPublicURL() appOption { return func(o *appOptions) { o.publicURL = true } }

// withStore runs the app on s instead of a fresh test database.
func withStore(s *models.Store) appOption { return func(o *appOptions) { o.store = s } }

// chromiumPath is the browser the journeys drive: $CHROMIUM, else
// Debian's.
func chromiumPath() string {
	if p := os.Getenv("CHROMIUM"); p != "" {
		return p
	}
	return "/usr/bin/chromium"
}

// noBrowser says why the browser journeys cannot run here, or "" when
// they can.
func noBrowser() string {
	if _, err := exec.LookPath(chromiumPath()); err != nil {
		return "no Chromium at " + chromiumPath()
	}
	return ""
}

// inCI reports a CI run (CI=true, as CI services and .ci/run set it),
// where a journey that cannot run is a failure, not a skip.
func inCI() bool {
	ci := strings.ToLower(os.Getenv("CI"))
	return ci != "" && ci != "false" && ci != "0"
}

// TestMain says once, before any test, that the browser journeys will not
// run and why: `go test` shows a skip only with -v, so they would vanish
// from a passing run. In CI they must run.
func TestMain(m *testing.M) {
	if why := noBrowser(); why != "" {
		if inCI() {
			fmt.Fprintf(os.Stderr, "e2e: FAIL: %s; CI must run the browser journeys (.ci/run installs chromium)\n", why)
			os.Exit(1)
		}
		fmt.Fprintf(os.Stderr, "e2e: browser journeys SKIPPED: %s (apt-get install chromium, or set CHROMIUM to its path)\n", why)
	}
	os.Exit(m.Run())
}

// browser starts headless Chromium with the flags this environment needs
// (no sandbox as root, no background traffic to the closed network);
// extra adds to them, e.g. chromedp.Env for another time zone.
func browser(t *testing.T, extra ...chromedp.ExecAllocatorOption) context.Context {
	t.Helper()
	if why := noBrowser(); why != "" {
		t.Skipf("%s; .ci/run installs it", why) // TestMain said so, and fails in CI
	}
	path := chromiumPath()
	// Chromium may still be writing its profile as the test ends, which
	// t.TempDir's strict clean-up would report; remove it after it exits.
	profile, err := os.MkdirTemp("", "ringdesk-chromium-")
	if err != nil {
		t.Fatal(err)
	}
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(path),
		chromedp.Headless,
		chromedp.NoSandbox,
		chromedp.DisableGPU,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		// Nothing in a browser test may reach beyond this machine.
		chromedp.Flag("host-resolver-rules", "MAP * ~NOTFOUND, EXCLUDE 127.0.0.1"),
		chromedp.UserDataDir(profile),
		chromedp.WindowSize(1280, 900),
	}
	opts = append(opts, extra...)
	allocCtx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	ctx, cancel := chromedp.NewContext(allocCtx)
	ctx, cancelTimeout := context.WithTimeout(ctx, 90*time.Second)
	t.Cleanup(func() {
		_ = chromedp.Cancel(ctx) // closes the browser and waits for it
		cancelTimeout()
		cancel()
		cancelAlloc()
		_ = os.RemoveAll(profile)
	})
	if err := chromedp.Run(ctx); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	return ctx
}

// run executes actions and fails the test with a screenshot on error.
func run(t *testing.T, ctx context.Context, actions ...chromedp.Action) {
	t.Helper()
	if err := chromedp.Run(ctx, actions...); err != nil {
		var png []byte
		shotCtx, cancel := context.WithTimeout(ctx, 5*time.Second)
		defer cancel()
		if chromedp.Run(shotCtx, chromedp.FullScreenshot(&png, 80)) == nil {
			dir := "../screenshots-failed"
			_ = os.MkdirAll(dir, 0o755)
			name := dir + "/" + strings.ReplaceAll(t.Name(), "/", "_") + ".png" // subtests' names hold a slash
			_ = os.WriteFile(name, png, 0o644)
			t.Logf("screenshot saved to %s", name)
		}
		t.Fatal(err)
	}
}
