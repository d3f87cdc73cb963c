package e2e

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ringdesk/ringdesk/models"
)

// TestTicketJourney: a customer submits a ticket with a bad number, sees
// the error beside the field with everything else kept, fixes it and gets
// the success message; an agent signs in and finds the ticket.
func TestTicketJourney(t *testing.T) {
	a := startApp(t, nil)
	ctx := browser(t)

	var nameVal, descVal, phoneErr string
	run(t, ctx,
		chromedp.Navigate(a.URL+"/"),
		chromedp.SendKeys(`#name`, "Grace Hopper", chromedp.ByQuery),
		chromedp.SendKeys(`#phone_number`, "12345", chromedp.ByQuery),
		chromedp.SendKeys(`#description`, "My <b>headset</b> crackles during calls.", chromedp.ByQuery),
		chromedp.Click(`form[action="/tickets"] button[type=submit]`, chromedp.ByQuery),
		pageWith(`#phone_number-error`),
		chromedp.Text(`#phone_number-error`, &phoneErr, chromedp.ByQuery),
		chromedp.Value(`#name`, &nameVal, chromedp.ByQuery),
		chromedp.Value(`#description`, &descVal, chromedp.ByQuery),
	)
	if !strings.Contains(phoneErr, "valid phone number") {
		t.Errorf("phone error = %q", phoneErr)
	}
	if nameVal != "Grace Hopper" || descVal != "My <b>headset</b> crackles during calls." {
		t.Errorf("typed values lost: name=%q description=%q", nameVal, descVal)
	}

	var flash string
	run(t, ctx,
		chromedp.SetValue(`#phone_number`, "+1 415 555 2671", chromedp.ByQuery),
		chromedp.Click(`form[action="/tickets"] button[type=submit]`, chromedp.ByQuery),
		pageWith(`.flash-success`),
		chromedp.Text(`.flash-success`, &flash, chromedp.ByQuery),
	)
	if !strings.Contains(flash, "Grace Hopper") || !strings.Contains(flash, "#1") {
		t.Errorf("success flash = %q", flash)
	}

	if _, err := a.Store.Agents.Create(context.Background(), models.AgentInput{Email: "ada@example.com", Name: "Ada", Password: "correct horse battery"}); err != nil {
		t.Fatal(err)
	}
	var card string
	run(t, ctx,
		chromedp.Navigate(a.URL+"/dashboard"),
		pageWith(`#email`),
		chromedp.SendKeys(`#email`, "ada@example.com", chromedp.ByQuery),
		chromedp.SendKeys(`#password`, "correct horse battery", chromedp.ByQuery),
		chromedp.Submit(`#password`, chromedp.ByQuery),
		pageWith(`article.ticket`),
		chromedp.Text(`article.ticket`, &card, chromedp.ByQuery),
	)
	for _, want := range []string{"#1", "Grace Hopper", "+1 415-555-2671", "My <b>headset</b> crackles"} {
		if !strings.Contains(card, want) {
			t.Errorf("dashboard card lacks %q:\n%s", want, card)
		}
	}
}

// pageWith waits until a page that has sel has finished loading. It asks
// the page again and again, ignoring the errors a navigation in progress
// causes, because a form post replaces the page under any query.
func pageWith(sel string) chromedp.Action {
	cond := `document.readyState === "complete" && document.querySelector(` + strconv.Quote(sel) + `) !== null`
	return chromedp.ActionFunc(func(ctx context.Context) error {
		deadline := time.Now().Add(10 * time.Second)
		for {
			var ok bool
			if err := chromedp.Evaluate(cond, &ok).Do(ctx); err == nil && ok {
				return nil
			}
			if time.Now().After(deadline) {
				return fmt.Errorf("no loaded page with %s after 10 s", sel)
			}
			select {
			case <-ctx.Done():
				return ctx.Err()
			case <-time.After(50 * time.Millisecond):
			}
		}
	})
}
