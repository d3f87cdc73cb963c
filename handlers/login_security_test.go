package handlers_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"
)

// burst posts the forms to /login all at once and returns the statuses,
// and the Retry-After of each 429 and 503.
func burst(t testing.TB, app *testApp, forms []url.Values) (statuses map[int]int, retryAfter []string) {
	t.Helper()
	var (
		mu    sync.Mutex
		wg    sync.WaitGroup
		start = make(chan struct{})
	)
	statuses = map[int]int{}
	for _, form := range forms {
		wg.Go(func() {
			req := app.newRequest(t, http.MethodPost, "/login", strings.NewReader(form.Encode()),
				"Content-Type", "application/x-www-form-urlencoded")
			<-start
			resp := app.roundTrip(t, req)
			mu.Lock()
			defer mu.Unlock()
			statuses[resp.StatusCode]++
			if resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode == http.StatusServiceUnavailable {
				retryAfter = append(retryAfter, resp.Header.Get("Retry-After"))
			}
		})
	}
	close(start)
	wg.Wait()
	return statuses, retryAfter
}

// The attack: 60 simultaneous guesses for one account all passed the
// "too many failures?" check before any failure was counted, so all 60
// were tried against the password. Counted first, at most the account's
// 5 attempts are checked; the rest are refused unchecked.
func TestLoginBurstChecksAtMostTheAccountLimit(t *testing.T) {
	t.Parallel()
	app := newTestApp(t, withRealRateLimits())
	agent := app.newAgent(t)

	forms := make([]url.Values, 60)
	for i := range forms {
		forms[i] = url.Values{"email": {agent.Email}, "password": {fmt.Sprintf("guess number %d", i)}}
	}
	statuses, retries := burst(t, app, forms)
	if checked := statuses[http.StatusUnauthorized]; checked > 5 {
		t.Errorf("%d of 60 simultaneous guesses were checked against the password, want at most 5 (statuses %v)", checked, statuses)
	}
	if statuses[http.StatusUnauthorized]+statuses[http.StatusTooManyRequests]+statuses[http.StatusServiceUnavailable] != 60 {
		t.Errorf("statuses %v, want only 401, 429 and 503", statuses)
	}
	for _, ra := range retries {
		if ra == "" {
			t.Errorf("a refusal without Retry-After")
			break
		}
	}

	// The right password now: it counts as the sixth check unless a
	// guess was refused unchecked (503 on a slow machine), and past five
	// it is refused too.
	resp := app.postForm(t, app.client(t), "/login", url.Values{"email": {agent.Email}, "password": {testPassword}})
	switch resp.StatusCode {
	case http.StatusSeeOther:
		if statuses[http.StatusUnauthorized] >= 5 {
			t.Errorf("the right password got in after %d checked guesses", statuses[http.StatusUnauthorized])
		}
	case http.StatusTooManyRequests:
		if resp.cookie("ringdesk_session") != nil {
			t.Errorf("a refused sign-in got a session")
		}
	default:
		resp.wantStatus(t, http.StatusTooManyRequests)
	}
}

// The attack: 300 sign-ins at once (each for another account, so no
// per-account limit applies) ran 300 bcrypt comparisons at once, and an
// unrelated customer waited seconds. Password checks now run at most one
// per CPU; a sign-in that cannot get a turn within 2 s gets 503 with
// Retry-After, and everyone else keeps getting answers.
func TestLoginBurstDoesNotStarveOtherRequests(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	forms := make([]url.Values, 300)
	for i := range forms {
		forms[i] = url.Values{"email": {fmt.Sprintf("nobody%d@example.com", i)}, "password": {"wrong password"}}
	}
	done := make(chan struct{})
	var (
		statuses map[int]int
		retries  []string
	)
	go func() {
		defer close(done)
		statuses, retries = burst(t, app, forms)
	}()

	time.Sleep(300 * time.Millisecond) // let the burst pile up
	customer := app.client(t)
	var slowest time.Duration
	for i := 0; ; i++ {
		start := time.Now()
		body := map[string]string{"name": "Ada", "phoneNumber": "+14155552671", "description": fmt.Sprintf("during the burst %d", i)}
		app.postJSON(t, customer, "/tickets", body).wantStatus(t, http.StatusCreated)
		slowest = max(slowest, time.Since(start))
		select {
		case <-done:
		case <-time.After(100 * time.Millisecond):
			continue
		}
		break
	}
	if slowest > time.Second {
		t.Errorf("a customer's ticket took %v during a sign-in burst, want well under a second", slowest)
	}
	if n := statuses[http.StatusUnauthorized] + statuses[http.StatusServiceUnavailable]; n != len(forms) {
		t.Errorf("statuses %v, want only 401 and 503", statuses)
	}
	for _, ra := range retries {
		if ra == "" {
			t.Errorf("a 503 without Retry-After")
			break
		}
	}
	t.Logf("burst statuses %v; slowest ticket %v", statuses, slowest)
}
