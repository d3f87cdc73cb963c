package e2e

import (
	"context"
	"strings"
	"testing"

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
		chromedp.SendKeys(`#name`, "Grace Hopper"),
		chromedp.SendKeys(`#phone_number`, "12345"),
		chromedp.SendKeys(`#description`, "My <b>headset</b> crackles during calls."),
		chromedp.Click(`form[action="/tickets"] button[type=submit]`),
		chromedp.WaitVisible(`#phone_number-error`),
		chromedp.Text(`#phone_number-error`, &phoneErr),
		chromedp.Value(`#name`, &nameVal),
		chromedp.Value(`#description`, &descVal),
	)
	if !strings.Contains(phoneErr, "valid phone number") {
		t.Errorf("phone error = %q", phoneErr)
	}
	if nameVal != "Grace Hopper" || descVal != "My <b>headset</b> crackles during calls." {
		t.Errorf("typed values lost: name=%q description=%q", nameVal, descVal)
	}

	var flash string
	run(t, ctx,
		chromedp.SetValue(`#phone_number`, "+1 415 555 2671"),
		chromedp.Click(`form[action="/tickets"] button[type=submit]`),
		chromedp.WaitVisible(`.flash-success`),
		chromedp.Text(`.flash-success`, &flash),
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
		chromedp.WaitVisible(`#email`),
		chromedp.SendKeys(`#email`, "ada@example.com"),
		chromedp.SendKeys(`#password`, "correct horse battery"),
		chromedp.Submit(`#password`),
		chromedp.WaitVisible(`article.ticket`),
		chromedp.Text(`article.ticket`, &card),
	)
	for _, want := range []string{"#1", "Grace Hopper", "+1 415-555-2671", "My <b>headset</b> crackles"} {
		if !strings.Contains(card, want) {
			t.Errorf("dashboard card lacks %q:\n%s", want, card)
		}
	}
}
