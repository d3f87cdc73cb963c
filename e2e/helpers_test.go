package e2e

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/target"
	"github.com/chromedp/chromedp"
)

// Helpers shared by the journeys (journeys_test.go) and the screenshots: a
// second browser for the customer, the live dashboard, and HTTP to the app.
// The providers' side of the webhooks is in providers_test.go.

// customerTab opens a window in a new browser context of the same
// Chromium: its own cookies, so the customer is never the signed-in agent.
// (chromedp.WithNewBrowserContext asks for a tab, which headless Chromium
// refuses in a context with no window yet: "no browser is open".)
func customerTab(t *testing.T, parent context.Context) context.Context {
	t.Helper()
	browserExec := cdp.WithExecutor(parent, chromedp.FromContext(parent).Browser)
	bctx, err := target.CreateBrowserContext().WithDisposeOnDetach(true).Do(browserExec)
	if err != nil {
		t.Fatalf("new browser context: %v", err)
	}
	id, err := target.CreateTarget("about:blank").WithBrowserContextID(bctx).WithNewWindow(true).Do(browserExec)
	if err != nil {
		t.Fatalf("open the customer's window: %v", err)
	}
	ctx, cancel := chromedp.NewContext(parent, chromedp.WithTargetID(id))
	t.Cleanup(func() {
		cancel()
		_ = target.DisposeBrowserContext(bctx).Do(browserExec)
	})
	if err := chromedp.Run(ctx); err != nil {
		t.Fatalf("attach to the customer's window: %v", err)
	}
	return ctx
}

// waitLive waits until the dashboard's live stream (public/js/live.js) is
// connected: the server has subscribed it, so nothing published from now
// on is missed.
func waitLive() chromedp.Action {
	return waitJS("the live stream", `document.getElementById("live-counters")?.dataset.state === "live"`)
}

// markPage tags the current document; pageNotReloaded fails if the tag is
// gone, i.e. the page was reloaded or left since.
func markPage() chromedp.Action {
	return chromedp.Evaluate(`window.__journeyMark = "not reloaded"`, nil)
}

func pageNotReloaded(t *testing.T, ctx context.Context) {
	t.Helper()
	var mark string
	run(t, ctx, chromedp.Evaluate(`window.__journeyMark ?? "reloaded"`, &mark))
	if mark != "not reloaded" {
		t.Error("the dashboard was reloaded; it should have changed by itself")
	}
}

// waitCallOutcome waits until the newest call on ticket id's card (the
// dashboard's card or the ticket page's history) reads want, e.g.
// "Answered · 0:42".
func waitCallOutcome(scope, want string) chromedp.Action {
	sel := scope + " .call-item .call-outcome"
	cond := fmt.Sprintf(`(document.querySelector(%s)?.textContent ?? "").replace(/\s+/g, " ").trim() === %s`,
		strconv.Quote(sel), strconv.Quote(want))
	return chromedp.ActionFunc(func(ctx context.Context) error {
		err := waitJS(fmt.Sprintf("%s to read %q", sel, want), cond).Do(ctx)
		if err == nil {
			return nil
		}
		var shown string
		_ = chromedp.Evaluate(fmt.Sprintf(`(document.querySelector(%s)?.textContent ?? "(no such element)").replace(/\s+/g, " ").trim()`,
			strconv.Quote(scope)), &shown).Do(ctx)
		return fmt.Errorf("%w; %s shows %q", err, scope, shown)
	})
}

// waitCount waits until the header's live counter key (openTickets,
// callsWaiting, agentsOnline) shows n.
func waitCount(key string, n int) chromedp.Action {
	return waitJS(fmt.Sprintf("the %s counter to show %d", key, n),
		fmt.Sprintf(`document.querySelector('#live-counters [data-count=%q]')?.textContent.trim() === %q`, key, strconv.Itoa(n)))
}

// submitTicket fills in and sends the home page's form in ctx, which must
// show the home page, and waits for the success message.
func submitTicket(t *testing.T, ctx context.Context, name, phone, description string) {
	t.Helper()
	run(t, ctx,
		chromedp.WaitVisible(`#name`),
		chromedp.SendKeys(`#name`, name),
		chromedp.SendKeys(`#phone_number`, phone),
		chromedp.SendKeys(`#description`, description),
		chromedp.Click(`form[action="/tickets"] button[type=submit]`),
		pageWith(`.flash-success`),
	)
}

// ---- HTTP -------------------------------------------------------------------

func send(t *testing.T, req *http.Request) (int, []byte) {
	t.Helper()
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatalf("%s %s: read: %v", req.Method, req.URL, err)
	}
	return resp.StatusCode, body
}

// appPath turns an absolute URL the app handed a provider (a callback)
// into a path on a, failing unless it points at a's PUBLIC_URL.
func appPath(t *testing.T, a *app, abs string) string {
	t.Helper()
	path, ok := strings.CutPrefix(abs, a.URL)
	if !ok || !strings.HasPrefix(path, "/") {
		t.Fatalf("callback URL %q is not on the app's PUBLIC_URL %s", abs, a.URL)
	}
	return path
}

// waitReady polls GET /readyz until the app can reach its database again.
func waitReady(t *testing.T, a *app, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		resp, err := http.Get(a.URL + "/readyz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("the app did not reach its database again within %v", within)
		}
		time.Sleep(200 * time.Millisecond)
	}
}
