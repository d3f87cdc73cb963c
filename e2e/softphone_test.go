package e2e

import (
	"context"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
	"github.com/google/go-cmp/cmp"

	"github.com/ringdesk/ringdesk/models"
)

// fakeTwilio replaces the Twilio Voice SDK at the page edge; see the file.
//
//go:embed testdata/fake-twilio.js
var fakeTwilio string

// twilioEnv configures Twilio with well-formed fake credentials: calling is
// on and /token mints real tokens, but nothing ever reaches Twilio.
var twilioEnv = map[string]string{
	"TWILIO_ACCOUNT_SID":   "AC0123456789abcdef0123456789abcdef",
	"TWILIO_AUTH_TOKEN":    "0123456789abcdef0123456789abcdef",
	"TWILIO_API_KEY":       "SK0123456789abcdef0123456789abcdef",
	"TWILIO_API_SECRET":    "e2e-api-secret-0123456789abcdefg",
	"TWILIO_TWIML_APP_SID": "AP0123456789abcdef0123456789abcdef",
	"TWILIO_CALLER_ID":     "+15005550006",
}

// TestSoftphoneCallCustomer: the agent's device registers with a token from
// /token; "Call Customer" dials the ticket; the panel walks Connecting,
// Ringing, In call (timer running) and Call ended; mute and keypad reach
// the call.
func TestSoftphoneCallCustomer(t *testing.T) {
	a := startApp(t, twilioEnv)
	seedTickets(t, a.Store)
	ticket := newestTicket(t, a.Store)
	ctx := browser(t)
	signIn(t, ctx, a)

	var firstToken string
	run(t, ctx,
		waitJS("the device to register", `window.__fake.registers === 1 && document.querySelector(".device-status").dataset.state === "ready"`),
		chromedp.Evaluate(`window.__fake.tokens[0]`, &firstToken),
	)
	if got := tokenIdentity(t, firstToken); got != "support_agent" {
		t.Errorf("device token identity = %q, want support_agent", got)
	}
	var opts map[string]any
	run(t, ctx, chromedp.Evaluate(`window.__fake.options[0]`, &opts))
	if opts["closeProtection"] != true || opts["allowIncomingWhileBusy"] != false {
		t.Errorf("Device options = %v, want closeProtection true and allowIncomingWhileBusy false", opts)
	}
	if got := textOf(t, ctx, ".device-status"); got != "Ready for calls" {
		t.Errorf("device status = %q", got)
	}

	// Call the newest ticket's customer.
	var params []map[string]string
	run(t, ctx,
		chromedp.Click(`#ticket-`+ticket.ID.Hex()+` .call-customer`),
		waitJS("connect", `window.__fake.connects.length === 1`),
		chromedp.Evaluate(`window.__fake.connects`, &params),
		waitJS("the call panel", `!document.querySelector(".call-panel").hidden`),
	)
	want := []map[string]string{{"ticketId": ticket.ID.Hex(), "phoneNumber": ticket.PhoneNumber}}
	if diff := cmp.Diff(want, params); diff != "" {
		t.Errorf("connect params (-want +got):\n%s", diff)
	}
	for sel, want := range map[string]string{
		".call-panel-who":    "Margaret Okafor",
		".call-panel-number": "+44 20 7946 0958",
		".call-panel-ticket": "Ticket #1044",
		".call-state-text":   "Connecting…",
	} {
		if got := textOf(t, ctx, sel); got != want {
			t.Errorf("%s = %q, want %q", sel, got, want)
		}
	}
	var othersDisabled bool
	run(t, ctx, chromedp.Evaluate(`[...document.querySelectorAll(".call-customer")].every((b) => b.disabled)`, &othersDisabled))
	if !othersDisabled {
		t.Error("Call Customer buttons stay enabled during a call")
	}

	// Ringing, then answered: the timer runs.
	var t1, t2 string
	run(t, ctx,
		chromedp.Evaluate(`window.__fake.lastCall.emit("ringing")`, nil),
		waitText(".call-state-text", "Ringing…"),
		chromedp.Evaluate(`window.__fake.lastCall.emit("accept")`, nil),
		waitText(".call-state-text", "In call"),
		chromedp.Evaluate(`document.querySelector(".call-panel-state .call-timer").textContent`, &t1),
		chromedp.Sleep(1500*time.Millisecond),
		chromedp.Evaluate(`document.querySelector(".call-panel-state .call-timer").textContent`, &t2),
	)
	if t1 != "00:00" || t2 == t1 || !strings.HasPrefix(t2, "00:0") {
		t.Errorf("timer went %q -> %q, want 00:00 -> 00:01 or so", t1, t2)
	}

	// Mute, unmute, and DTMF from a click and from the keyboard.
	var mutes []bool
	var pressed string
	var digits []string
	run(t, ctx,
		chromedp.Click(`.call-mute`),
		chromedp.AttributeValue(`.call-mute`, "aria-pressed", &pressed, nil),
		waitJS("the muted note", `!document.querySelector(".call-panel-muted").hidden`),
		chromedp.Click(`.call-mute`),
		chromedp.Evaluate(`window.__fake.lastCall.muteCalls`, &mutes),
		chromedp.Click(`.call-keypad-toggle`),
		waitJS("the keypad", `!document.querySelector(".keypad").hidden`),
		chromedp.Click(`.keypad-key[data-digit="5"]`),
		chromedp.KeyEvent("#"),
		chromedp.Evaluate(`window.__fake.lastCall.digits`, &digits),
	)
	if pressed != "true" {
		t.Errorf("mute button aria-pressed = %q after muting", pressed)
	}
	if diff := cmp.Diff([]bool{true, false}, mutes); diff != "" {
		t.Errorf("call.mute calls (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"5", "#"}, digits); diff != "" {
		t.Errorf("sendDigits calls (-want +got):\n%s", diff)
	}
	if got := textOf(t, ctx, ".keypad-display"); got != "5#" {
		t.Errorf("keypad display = %q", got)
	}

	// Speaker and microphone choices reach the SDK.
	var outputs, inputs []string
	run(t, ctx,
		chromedp.Click(`.call-audio summary`),
		chromedp.SetValue(`#call-speaker`, "headset"), // fires "change"
		chromedp.SetValue(`#call-microphone`, "headset-mic"),
		chromedp.Evaluate(`window.__fake.device.audio.outputChoices`, &outputs),
		chromedp.Evaluate(`window.__fake.device.audio.inputChoices`, &inputs),
	)
	if diff := cmp.Diff([]string{"headset"}, outputs); diff != "" {
		t.Errorf("speaker choices (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"headset-mic"}, inputs); diff != "" {
		t.Errorf("microphone choices (-want +got):\n%s", diff)
	}

	// The customer hangs up.
	var ended string
	var enabled bool
	run(t, ctx,
		chromedp.Evaluate(`window.__fake.lastCall.emit("disconnect")`, nil),
		waitJS("the call to end", `document.querySelector(".call-state-text").textContent.startsWith("Call ended (")`),
		chromedp.Text(`.call-state-text`, &ended),
		chromedp.Evaluate(`!document.querySelector("#ticket-`+ticket.ID.Hex()+` .call-customer").disabled`, &enabled),
	)
	if !regexp.MustCompile(`^Call ended \(00:0[1-9]\)$`).MatchString(ended) {
		t.Errorf("ended state = %q", ended)
	}
	if !enabled {
		t.Error("Call Customer stays disabled after the call")
	}

	// Our own hang-up goes to the SDK.
	var disconnected int
	run(t, ctx,
		chromedp.Click(`#ticket-`+ticket.ID.Hex()+` .call-customer`),
		waitJS("the second call", `window.__fake.connects.length === 2`),
		chromedp.Click(`.call-hangup`),
		chromedp.Evaluate(`window.__fake.lastCall.disconnected`, &disconnected),
		waitText(".call-state-text", "Call ended"),
	)
	if disconnected != 1 {
		t.Errorf("call.disconnect called %d times, want 1", disconnected)
	}
}

// TestSoftphoneIncomingCall: a customer's call rings with Accept/Reject;
// accepting answers it, rejecting refuses the next, and a caller who gives
// up leaves a missed-call notice.
func TestSoftphoneIncomingCall(t *testing.T) {
	a := startApp(t, twilioEnv)
	ctx := browser(t)
	signIn(t, ctx, a)

	var banner string
	var accepted int
	run(t, ctx,
		waitJS("the device to register", `document.querySelector(".device-status").dataset.state === "ready"`),
		chromedp.Evaluate(`window.__fake.ring({})`, nil),
		chromedp.WaitVisible(`.incoming-call`),
		chromedp.Evaluate(`document.querySelector(".incoming-call").textContent.replace(/\s+/g, " ").trim()`, &banner),
		chromedp.Click(`.incoming-accept`),
		waitText(".call-state-text", "In call"),
		chromedp.Evaluate(`window.__fake.lastCall.accepted`, &accepted),
	)
	if !strings.Contains(banner, "Incoming call") || !strings.Contains(banner, "Customer on the website") {
		t.Errorf("ringing banner = %q", banner)
	}
	if accepted != 1 {
		t.Errorf("call.accept called %d times, want 1", accepted)
	}
	if got := textOf(t, ctx, ".call-panel-who"); got != "Customer" {
		t.Errorf("panel shows %q, want Customer", got)
	}
	var role string
	run(t, ctx, chromedp.AttributeValue(`.incoming-call`, "role", &role, nil))
	if role != "alert" {
		t.Errorf("banner role = %q, want alert", role)
	}

	// Second call: rejected.
	var rejected int
	run(t, ctx,
		chromedp.Evaluate(`window.__fake.lastCall.emit("disconnect")`, nil),
		waitJS("the call to end", `document.querySelector(".call-state-text").textContent.startsWith("Call ended")`),
		chromedp.Evaluate(`window.__fake.ring({})`, nil),
		chromedp.WaitVisible(`.incoming-call`),
		chromedp.Click(`.incoming-reject`),
		chromedp.WaitNotVisible(`.incoming-call`),
		chromedp.Evaluate(`window.__fake.lastCall.rejected`, &rejected),
	)
	if rejected != 1 {
		t.Errorf("call.reject called %d times, want 1", rejected)
	}

	// Third call: the caller hangs up first.
	var notice string
	run(t, ctx,
		chromedp.Evaluate(`window.__fake.ring({})`, nil),
		chromedp.WaitVisible(`.incoming-call`),
		chromedp.Evaluate(`window.__fake.lastCall.emit("cancel")`, nil),
		chromedp.WaitNotVisible(`.incoming-call`),
		chromedp.WaitVisible(`.softphone-notice`),
		chromedp.Text(`.softphone-notice-text`, &notice),
	)
	if !strings.HasPrefix(notice, "Missed call") {
		t.Errorf("missed-call notice = %q", notice)
	}
}

// TestSoftphoneCustomer: "Call support" calls as the customer with no
// phone number or ticket id, the status line walks through the call, and
// failures say what to do. After the customer opens a ticket, calls carry
// its signed ref.
func TestSoftphoneCustomer(t *testing.T) {
	a := startApp(t, twilioEnv)
	ctx := browser(t)

	var params []map[string]string
	var hangUpHidden bool
	run(t, ctx,
		withFakeTwilio(),
		chromedp.Navigate(a.URL+"/"),
		chromedp.WaitVisible(`#call-support`),
		chromedp.Click(`#call-support`),
		waitJS("connect", `window.__fake.connects.length === 1`),
		chromedp.Evaluate(`window.__fake.connects`, &params),
		waitText("#call-status", "Connecting…"),
		chromedp.WaitVisible(`#hang-up`),
		chromedp.Evaluate(`window.__fake.lastCall.emit("ringing")`, nil),
		waitText("#call-status", "Ringing…"),
		chromedp.Evaluate(`window.__fake.lastCall.emit("accept")`, nil),
		waitText("#call-status", "In call 00:00"),
		waitText("#call-status", "In call 00:01"),
		chromedp.Click(`#hang-up`),
		waitJS("the call to end", `document.querySelector("#call-status").textContent.trim().startsWith("Call ended")`),
		chromedp.Evaluate(`document.querySelector("#hang-up").hidden`, &hangUpHidden),
	)
	if diff := cmp.Diff([]map[string]string{{}}, params); diff != "" {
		t.Errorf("customer connect params (-want +got):\n%s", diff)
	}
	var tok string
	run(t, ctx, chromedp.Evaluate(`window.__fake.tokens[0]`, &tok))
	if got := tokenIdentity(t, tok); got != "customer" {
		t.Errorf("customer token identity = %q", got)
	}
	if !hangUpHidden {
		t.Error("Hang up still shown after the call")
	}

	// The microphone is blocked: the SDK hangs up, then says why.
	run(t, ctx,
		chromedp.Click(`#call-support`),
		waitJS("connect", `window.__fake.connects.length === 2`),
		chromedp.Evaluate(`window.__fake.lastCall.emit("disconnect"),
			window.__fake.lastCall.emit("error", {code: 31401, name: "PermissionDeniedError", message: "Permission denied"})`, nil),
		waitText("#call-status", "Microphone blocked — allow it in the address bar"),
	)
	// Signalling fails mid-call.
	run(t, ctx,
		chromedp.Click(`#call-support`),
		waitJS("connect", `window.__fake.connects.length === 3`),
		chromedp.Evaluate(`window.__fake.lastCall.emit("error", {code: 31005, name: "ConnectionError", message: "websocket closed"})`, nil),
		waitText("#call-status", "Can't reach the calling service"),
		chromedp.Evaluate(`window.__fake.lastCall.emit("disconnect")`, nil),
		chromedp.WaitNotVisible(`#hang-up`),
		waitText("#call-status", "Can't reach the calling service"),
	)

	// The device loses the service while the call is being set up.
	var gaveUp int
	run(t, ctx,
		chromedp.Click(`#call-support`),
		waitJS("connect", `window.__fake.connects.length === 4`),
		chromedp.Evaluate(`window.__fake.device.emit("error", {code: 31000, name: "UnknownError", message: "WebSocket error"})`, nil),
		waitText("#call-status", "Can't reach the calling service"),
		chromedp.WaitNotVisible(`#hang-up`),
		chromedp.Evaluate(`window.__fake.lastCall.disconnected`, &gaveUp),
	)
	if gaveUp != 1 {
		t.Errorf("pending call hung up %d times after a device error, want 1", gaveUp)
	}

	// "Test my audio" asks for the sound check.
	run(t, ctx,
		chromedp.Click(`#test-audio`),
		waitJS("connect", `window.__fake.connects.length === 5`),
	)
	var checkParams []map[string]string
	run(t, ctx, chromedp.Evaluate(`window.__fake.connects.slice(4)`, &checkParams))
	if diff := cmp.Diff([]map[string]string{{"soundCheck": "1"}}, checkParams); diff != "" {
		t.Errorf("sound check params (-want +got):\n%s", diff)
	}
	run(t, ctx, chromedp.Click(`#hang-up`), chromedp.WaitNotVisible(`#hang-up`))

	// After opening a ticket, a call carries its ref.
	var refParams []map[string]string
	run(t, ctx,
		chromedp.SendKeys(`#name`, "Grace Hopper"),
		chromedp.SendKeys(`#phone_number`, "+1 415 555 2671"),
		chromedp.SendKeys(`#description`, "My headset crackles."),
		chromedp.Click(`form[action="/tickets"] button[type=submit]`),
		chromedp.WaitVisible(`.flash-success`),
		waitJS("the new page's scripts", `document.readyState === "complete"`), // the form post loaded a new page
		chromedp.Click(`#call-support`),
		waitJS("connect", `window.__fake.connects.length === 1`),
		chromedp.Evaluate(`window.__fake.connects`, &refParams),
	)
	if len(refParams) != 1 || refParams[0]["ticketRef"] == "" || len(refParams[0]) != 1 {
		t.Errorf("connect params after opening a ticket = %v, want only a ticketRef", refParams)
	}
}

// TestSoftphoneKeepsDeviceFresh: tokenWillExpire fetches a new token for
// updateToken, and a dropped registration comes back by itself.
func TestSoftphoneKeepsDeviceFresh(t *testing.T) {
	a := startApp(t, twilioEnv)
	ctx := browser(t)
	signIn(t, ctx, a)

	var fetches int
	run(t, ctx,
		waitJS("the device to register", `document.querySelector(".device-status").dataset.state === "ready"`),
		chromedp.Evaluate(`window.__fake.tokenFetches`, &fetches),
		chromedp.Sleep(1100*time.Millisecond), // a new second, so a new token
		chromedp.Evaluate(`window.__fake.device.emit("tokenWillExpire", window.__fake.device)`, nil),
		waitJS("updateToken", `window.__fake.updatedTokens.length === 1`),
	)
	var tokens []string
	var after int
	run(t, ctx,
		chromedp.Evaluate(`[window.__fake.tokens[0], window.__fake.updatedTokens[0]]`, &tokens),
		chromedp.Evaluate(`window.__fake.tokenFetches`, &after),
	)
	if after != fetches+1 {
		t.Errorf("token fetches went %d -> %d, want one more", fetches, after)
	}
	if tokens[1] == tokens[0] || tokenIdentity(t, tokens[1]) != "support_agent" {
		t.Errorf("updateToken got the old token or a wrong one: %q", tokens[1])
	}

	// The signalling connection drops and the SDK does not recover alone.
	run(t, ctx,
		chromedp.Evaluate(`window.__fake.device._setState("unregistered")`, nil),
		waitText(".device-status", "Offline — reconnecting…"),
		waitJS("re-registration", `window.__fake.registers === 2 && window.__fake.device.state === "registered"`),
		waitText(".device-status", "Ready for calls"),
	)
}

// TestSoftphoneWithoutCalling: with no provider customers get no call card
// at all, agents see it switched off with the reason, and the softphone
// stays out of the way.
func TestSoftphoneWithoutCalling(t *testing.T) {
	a := startApp(t, nil)
	seedTickets(t, a.Store)
	ctx := browser(t)
	var customerCard bool
	run(t, ctx,
		withFakeTwilio(),
		chromedp.Navigate(a.URL+"/"),
		pageWith(`#name`),
		chromedp.Evaluate(`document.querySelector(".call-card") !== null`, &customerCard),
	)
	if customerCard {
		t.Error("a customer sees the call card while calling is not configured")
	}
	signIn(t, ctx, a)
	var phoneHidden, buttonsOff bool
	run(t, ctx,
		chromedp.Evaluate(`document.querySelector("#softphone").hidden`, &phoneHidden),
		chromedp.Evaluate(`[...document.querySelectorAll(".call-customer")].every((b) => b.disabled)`, &buttonsOff),
	)
	var callOff, testOff bool
	var note string
	run(t, ctx,
		chromedp.Navigate(a.URL+"/"),
		chromedp.WaitVisible(`#call-support`),
		chromedp.Evaluate(`document.querySelector("#call-support").disabled`, &callOff),
		chromedp.Evaluate(`document.querySelector("#test-audio").disabled`, &testOff),
		chromedp.Text(`.call-card .note`, &note, chromedp.ByQuery),
	)
	if !callOff || !testOff || !phoneHidden || !buttonsOff || !strings.Contains(note, "not configured") {
		t.Errorf("calling off, agent: call support disabled=%v, test disabled=%v, note %q, softphone hidden=%v, call buttons disabled=%v",
			callOff, testOff, note, phoneHidden, buttonsOff)
	}
	var fetches int
	run(t, ctx, chromedp.Evaluate(`window.__fake.tokenFetches`, &fetches))
	if fetches != 0 {
		t.Errorf("%d token requests with calling off", fetches)
	}
}

// ---- helpers ----------------------------------------------------------------

// withFakeTwilio installs the SDK double in every document this tab opens.
func withFakeTwilio() chromedp.Action { return withScript(fakeTwilio) }

// withScript runs src in every document this tab opens, before the page's
// own scripts: the way the SDK doubles replace the SDKs at the page edge.
func withScript(src string) chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		_, err := page.AddScriptToEvaluateOnNewDocument(src).Do(ctx)
		return err
	})
}

// signIn creates an agent and signs in through the form, with the Twilio
// double in place; it ends on the dashboard.
func signIn(t *testing.T, ctx context.Context, a *app) {
	t.Helper()
	signInWith(t, ctx, a, withFakeTwilio())
}

// signInWith creates an agent and signs in through the form, with double
// (an SDK double) in place; it ends on the dashboard.
func signInWith(t *testing.T, ctx context.Context, a *app, double chromedp.Action) {
	t.Helper()
	if _, err := a.Store.Agents.Create(context.Background(), models.AgentInput{Email: "sam@example.com", Name: "Sam Rivera", Password: "correct horse battery"}); err != nil {
		t.Fatal(err)
	}
	run(t, ctx,
		double,
		chromedp.Navigate(a.URL+"/login"),
		chromedp.WaitVisible(`#email`),
		chromedp.SendKeys(`#email`, "sam@example.com"),
		chromedp.SendKeys(`#password`, "correct horse battery"),
		chromedp.Submit(`#password`),
		chromedp.WaitVisible(`.page-header h1`),
	)
}

// newestTicket is the ticket the dashboard lists first.
func newestTicket(t *testing.T, s *models.Store) models.Ticket {
	t.Helper()
	tickets, _, err := s.Tickets.List(context.Background(), nil, 1)
	if err != nil || len(tickets) == 0 {
		t.Fatalf("list tickets: %v (%d)", err, len(tickets))
	}
	return tickets[0]
}

// waitJS polls a JavaScript condition for up to 5 s; on timeout the error
// says what the softphone was showing.
func waitJS(what, cond string) chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		err := chromedp.Poll(cond, nil,
			chromedp.WithPollingInterval(50*time.Millisecond),
			chromedp.WithPollingTimeout(5*time.Second)).Do(ctx)
		if err == nil {
			return nil
		}
		var shown string
		_ = chromedp.Evaluate(`[".device-status", ".incoming-call", ".call-panel-state", "#call-status"]
			.map((s) => document.querySelector(s))
			.filter((el) => el && !el.hidden)
			.map((el) => el.textContent.replace(/\s+/g, " ").trim())
			.join(" | ")`, &shown).Do(ctx)
		return fmt.Errorf("waiting for %s: %w (softphone shows: %q)", what, err, shown)
	})
}

// waitText waits until the element's text, whitespace collapsed, is want.
func waitText(sel, want string) chromedp.Action {
	cond := fmt.Sprintf(`(document.querySelector(%s)?.textContent ?? "").replace(/\s+/g, " ").trim() === %s`,
		strconv.Quote(sel), strconv.Quote(want))
	return waitJS(fmt.Sprintf("%s to read %q", sel, want), cond)
}

// textOf reads an element's text with whitespace collapsed.
func textOf(t *testing.T, ctx context.Context, sel string) string {
	t.Helper()
	var s string
	run(t, ctx, chromedp.Evaluate(fmt.Sprintf(`(document.querySelector(%s)?.textContent ?? "").replace(/\s+/g, " ").trim()`, strconv.Quote(sel)), &s))
	return s
}

// tokenIdentity reads grants.identity from a Twilio access token. The
// signature is checked by the server's own tests; here it is enough that
// the page used the token /token gave it.
func tokenIdentity(t *testing.T, token string) string {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("token %q is not a JWT", token)
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatalf("token payload: %v", err)
	}
	var claims struct {
		Grants struct {
			Identity string `json:"identity"`
		} `json:"grants"`
	}
	if err := json.Unmarshal(raw, &claims); err != nil {
		t.Fatalf("token payload: %v", err)
	}
	return claims.Grants.Identity
}
