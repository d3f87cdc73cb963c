package e2e

import (
	"context"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/ringdesk/ringdesk/models"
)

// The softphones, once per provider (providers_test.go): the agent's
// (#softphone on the dashboard) and the customer's "Call support" card.

// TestSoftphoneCallCustomer: the agent's device connects with a token from
// /token; "Call Customer" asks the SDK to dial the ticket's number; the
// panel walks Connecting, Ringing, In call (timer running) and Call ended as
// the SDK reports; mute, keypad, speaker and microphone reach the SDK; our
// own hang-up reaches it for that call.
func TestSoftphoneCallCustomer(t *testing.T) {
	for _, p := range providers {
		t.Run(p.name, func(t *testing.T) {
			a := startApp(t, p.env(t, nil))
			seedTickets(t, a.Store)
			ticket := newestTicket(t, a.Store)
			if !strings.HasPrefix(ticket.PhoneNumber, "+") {
				t.Fatalf("seeded ticket number %q is not E.164", ticket.PhoneNumber)
			}
			ctx := browser(t)
			signInWith(t, ctx, a, p.double())

			var tokens []string
			run(t, ctx,
				waitJS("the device to register", p.registrations+` === 1 && document.querySelector(".device-status").dataset.state === "ready"`),
				chromedp.Evaluate(p.tokens, &tokens),
			)
			if len(tokens) != 1 || p.identity(t, tokens[0]) != "support_agent" {
				t.Errorf("device tokens = %q, want one for support_agent", tokens)
			}
			p.checkDevice(t, ctx)
			if got := textOf(t, ctx, ".device-status"); got != "Ready for calls" {
				t.Errorf("device status = %q", got)
			}
			// The page asked /token, and /token named this provider.
			var tok map[string]any
			run(t, ctx, postToken(&tok))
			if tok["provider"] != p.name || tok["identity"] != "support_agent" {
				t.Errorf("/token = %v, want provider %s, identity support_agent", tok, p.name)
			}

			// Call the newest ticket's customer: the SDK is asked for the
			// ticket and its number, nothing else.
			var params []map[string]any
			var call string
			run(t, ctx,
				chromedp.Click(`#ticket-`+ticket.ID.Hex()+` .call-customer`),
				waitJS("the call to be placed", p.placed+` === 1`),
				chromedp.Evaluate(p.params, &params),
				chromedp.Evaluate(p.newestCall, &call),
				waitJS("the call panel", `!document.querySelector(".call-panel").hidden`),
			)
			want := []map[string]any{p.agentParams(ticket.ID.Hex(), ticket.PhoneNumber)}
			if diff := cmp.Diff(want, params); diff != "" {
				t.Errorf("call params (-want +got):\n%s", diff)
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

			// The customer's phone rings, then answers: the timer runs.
			var t1, t2 string
			run(t, ctx,
				js(p.ringing(call)),
				waitText(".call-state-text", "Ringing…"),
				js(p.answered(call)),
				waitText(".call-state-text", "In call"),
				chromedp.Evaluate(`document.querySelector(".call-panel-state .call-timer").textContent`, &t1),
				chromedp.Sleep(1500*time.Millisecond),
				chromedp.Evaluate(`document.querySelector(".call-panel-state .call-timer").textContent`, &t2),
			)
			if t1 != "00:00" || t2 == t1 || !strings.HasPrefix(t2, "00:0") {
				t.Errorf("timer went %q -> %q, want 00:00 -> 00:01 or so", t1, t2)
			}

			// Mute, unmute, and DTMF from a click and from the keyboard.
			var pressed string
			var mutes, digits []string
			run(t, ctx,
				chromedp.Click(`.call-mute`),
				chromedp.AttributeValue(`.call-mute`, "aria-pressed", &pressed, nil),
				waitJS("the muted note", `!document.querySelector(".call-panel-muted").hidden`),
				chromedp.Click(`.call-mute`),
				waitJS("the muted note to go", `document.querySelector(".call-panel-muted").hidden`),
				chromedp.Evaluate(p.mutes, &mutes),
				chromedp.Click(`.call-keypad-toggle`),
				waitJS("the keypad", `!document.querySelector(".keypad").hidden`),
				chromedp.Click(`.keypad-key[data-digit="5"]`),
				chromedp.KeyEvent("#"),
				chromedp.Evaluate(p.digits, &digits),
			)
			if pressed != "true" {
				t.Errorf("mute button aria-pressed = %q after muting", pressed)
			}
			if diff := cmp.Diff([]string{"mute " + call, "unmute " + call}, mutes); diff != "" {
				t.Errorf("mute calls (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff([]string{call + " 5", call + " #"}, digits); diff != "" {
				t.Errorf("DTMF sent (-want +got):\n%s", diff)
			}
			if got := textOf(t, ctx, ".keypad-display"); got != "5#" {
				t.Errorf("keypad display = %q", got)
			}

			// Speaker and microphone choices reach the SDK; an SDK that
			// always records from the default microphone offers no choice.
			var speakers []string
			run(t, ctx,
				chromedp.Click(`.call-audio summary`),
				chromedp.SetValue(`#call-speaker`, "headset"), // fires "change"
				waitJS("the speaker choice", p.speakers+`.length === 1`),
				chromedp.Evaluate(p.speakers, &speakers),
			)
			if diff := cmp.Diff([]string{"headset"}, speakers); diff != "" {
				t.Errorf("speaker choices (-want +got):\n%s", diff)
			}
			if p.microphones != "" {
				var microphones []string
				run(t, ctx,
					chromedp.SetValue(`#call-microphone`, "headset-mic"),
					chromedp.Evaluate(p.microphones, &microphones),
				)
				if diff := cmp.Diff([]string{"headset-mic"}, microphones); diff != "" {
					t.Errorf("microphone choices (-want +got):\n%s", diff)
				}
			} else {
				var micHidden bool
				run(t, ctx, chromedp.Evaluate(`document.querySelector("#call-microphone").closest(".field").hidden`, &micHidden))
				if !micHidden {
					t.Error("a microphone choice is offered, but the SDK cannot use it")
				}
			}

			// The customer hangs up.
			var ended string
			var enabled bool
			run(t, ctx,
				js(p.remoteHangUp(call)),
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

			// Our own hang-up goes to the SDK, for this call.
			var second string
			var hangUps []string
			run(t, ctx,
				chromedp.Click(`#ticket-`+ticket.ID.Hex()+` .call-customer`),
				waitJS("the second call", p.placed+` === 2`),
				chromedp.Evaluate(p.newestCall, &second),
				jsFor(p.ringing, &second),
				waitText(".call-state-text", "Ringing…"),
				chromedp.Click(`.call-hangup`),
				waitText(".call-state-text", "Call ended"),
				chromedp.Evaluate(p.hangUps, &hangUps),
			)
			if diff := cmp.Diff([]string{second}, hangUps); diff != "" {
				t.Errorf("hang-ups (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSoftphoneIncomingCall: a customer's call rings with Accept/Reject;
// Accept answers it; an agent on a call is not rung; Reject refuses the
// next; a caller who gives up leaves a missed-call notice, a call another
// agent took does not; a refused microphone turns the call away.
func TestSoftphoneIncomingCall(t *testing.T) {
	for _, p := range providers {
		t.Run(p.name, func(t *testing.T) {
			a := startApp(t, p.env(t, nil))
			ctx := browser(t)
			signInWith(t, ctx, a, p.double())

			var banner, role, first string
			var accepts []string
			run(t, ctx,
				waitJS("the device to register", `document.querySelector(".device-status").dataset.state === "ready"`),
				js(p.ring("")),
				chromedp.Evaluate(p.newestCall, &first),
				chromedp.WaitVisible(`.incoming-call`),
				chromedp.Evaluate(`document.querySelector(".incoming-call").textContent.replace(/\s+/g, " ").trim()`, &banner),
				chromedp.AttributeValue(`.incoming-call`, "role", &role, nil),
				chromedp.Click(`.incoming-accept`),
				waitText(".call-state-text", "In call"),
				chromedp.Evaluate(p.accepts, &accepts),
			)
			if !strings.Contains(banner, "Incoming call") || !strings.Contains(banner, "Customer on the website") {
				t.Errorf("ringing banner = %q", banner)
			}
			if role != "alert" {
				t.Errorf("banner role = %q, want alert", role)
			}
			if diff := cmp.Diff([]string{first}, accepts); diff != "" {
				t.Errorf("accepted calls (-want +got):\n%s", diff)
			}
			if got := textOf(t, ctx, ".call-panel-who"); got != "Customer" {
				t.Errorf("panel shows %q, want Customer", got)
			}

			// While on that call another customer calls: this agent is not rung.
			var busy string
			var rejects, wantRejects []string
			run(t, ctx,
				js(p.ring("")),
				chromedp.Evaluate(p.newestCall, &busy),
				chromedp.Sleep(300*time.Millisecond),
				waitJS("no second banner", `document.querySelector(".incoming-call").hidden`),
				chromedp.Evaluate(p.rejects, &rejects),
			)
			if p.busyRejects {
				wantRejects = append(wantRejects, busy)
			}
			if diff := cmp.Diff(wantRejects, rejects, cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("rejected calls while busy (-want +got):\n%s", diff)
			}

			// The customer hangs up.
			run(t, ctx,
				js(p.remoteHangUp(first)),
				waitJS("the call to end", `document.querySelector(".call-state-text").textContent.startsWith("Call ended (")`),
			)

			// Next call: rejected.
			var second string
			run(t, ctx,
				js(p.ring("")),
				chromedp.Evaluate(p.newestCall, &second),
				chromedp.WaitVisible(`.incoming-call`),
				chromedp.Click(`.incoming-reject`),
				chromedp.WaitNotVisible(`.incoming-call`),
				chromedp.Evaluate(p.rejects, &rejects),
			)
			wantRejects = append(wantRejects, second)
			if diff := cmp.Diff(wantRejects, rejects); diff != "" {
				t.Errorf("rejected calls (-want +got):\n%s", diff)
			}

			// Next: the caller hangs up first.
			var third, notice string
			run(t, ctx,
				js(p.ring("")),
				chromedp.Evaluate(p.newestCall, &third),
				chromedp.WaitVisible(`.incoming-call`),
				jsFor(p.cancelled, &third),
				chromedp.WaitNotVisible(`.incoming-call`),
				chromedp.WaitVisible(`.softphone-notice`),
				chromedp.Text(`.softphone-notice-text`, &notice),
				chromedp.Click(`.softphone-notice-dismiss`),
				chromedp.WaitNotVisible(`.softphone-notice`),
			)
			if !strings.HasPrefix(notice, "Missed call") {
				t.Errorf("missed-call notice = %q", notice)
			}

			// Next: another agent answers it. Not a missed call.
			if p.takenElsewhere != nil {
				var taken string
				var noticeHidden bool
				run(t, ctx,
					js(p.ring("")),
					chromedp.Evaluate(p.newestCall, &taken),
					chromedp.WaitVisible(`.incoming-call`),
					jsFor(p.takenElsewhere, &taken),
					chromedp.WaitNotVisible(`.incoming-call`),
					chromedp.Sleep(200*time.Millisecond),
					chromedp.Evaluate(`document.querySelector(".softphone-notice").hidden`, &noticeHidden),
				)
				if !noticeHidden {
					t.Error("a call another agent answered shows as missed")
				}
			}

			// Next: the microphone is refused on Accept. The call is turned
			// away (rejected) and the panel says why.
			if p.blockMicrophone != "" {
				var noMic string
				run(t, ctx,
					js(p.blockMicrophone),
					js(p.ring("")),
					chromedp.Evaluate(p.newestCall, &noMic),
					chromedp.WaitVisible(`.incoming-call`),
					chromedp.Click(`.incoming-accept`),
					waitText(".call-state-text", "Microphone blocked — allow it in the address bar"),
					chromedp.Evaluate(p.rejects, &rejects),
					chromedp.Evaluate(p.accepts, &accepts),
				)
				wantRejects = append(wantRejects, noMic)
				if diff := cmp.Diff(wantRejects, rejects); diff != "" {
					t.Errorf("rejected calls after a refused microphone (-want +got):\n%s", diff)
				}
				if diff := cmp.Diff([]string{first}, accepts); diff != "" {
					t.Errorf("accepted calls, want none answered without a microphone (-want +got):\n%s", diff)
				}
			}
		})
	}
}

// TestSoftphoneCustomer: "Call support" calls as the customer with no
// phone number or ticket id and the status line walks through the call;
// failures say what to do; "Test my audio" asks for the sound check; after
// the customer opens a ticket, calls carry its signed ref and nothing else.
func TestSoftphoneCustomer(t *testing.T) {
	for _, p := range providers {
		t.Run(p.name, func(t *testing.T) {
			a := startApp(t, p.env(t, nil))
			ctx := browser(t)

			var params []map[string]any
			var call string
			var hangUpHidden bool
			run(t, ctx,
				p.double(),
				chromedp.Navigate(a.URL+"/"),
				chromedp.WaitVisible(`#call-support`),
				chromedp.Click(`#call-support`),
				waitJS("the call to be placed", p.placed+` === 1`),
				chromedp.Evaluate(p.params, &params),
				chromedp.Evaluate(p.newestCall, &call),
				waitText("#call-status", "Connecting…"),
				chromedp.WaitVisible(`#hang-up`),
				jsFor(p.ringing, &call),
				waitText("#call-status", "Ringing…"),
				jsFor(p.answered, &call),
				waitText("#call-status", "In call 00:00"),
				waitText("#call-status", "In call 00:01"),
				chromedp.Click(`#hang-up`),
				waitJS("the call to end", `document.querySelector("#call-status").textContent.trim().startsWith("Call ended")`),
				chromedp.Evaluate(`document.querySelector("#hang-up").hidden`, &hangUpHidden),
			)
			if diff := cmp.Diff([]map[string]any{{}}, params); diff != "" {
				t.Errorf("customer call params (-want +got):\n%s", diff)
			}
			var tokens, hangUps []string
			run(t, ctx, chromedp.Evaluate(p.tokens, &tokens), chromedp.Evaluate(p.hangUps, &hangUps))
			if len(tokens) != 1 || p.identity(t, tokens[0]) != "customer" {
				t.Errorf("the customer's device connected with %q, want one token for customer", tokens)
			}
			if diff := cmp.Diff([]string{call}, hangUps); diff != "" {
				t.Errorf("hang-ups (-want +got):\n%s", diff)
			}
			if !hangUpHidden {
				t.Error("Hang up still shown after the call")
			}

			// The ways calls fail with this SDK, each followed by the next call.
			for _, f := range p.customerFailures {
				t.Log(f.what)
				var placed int
				run(t, ctx, chromedp.Evaluate(p.placed, &placed), chromedp.Evaluate(p.params, &params))
				asked := len(params)
				if f.before != "" {
					run(t, ctx, js(f.before))
				}
				run(t, ctx, chromedp.Click(`#call-support`))
				var id string
				if f.fail != nil {
					run(t, ctx,
						waitJS("the call to be placed", fmt.Sprintf("%s === %d", p.placed, placed+1)),
						chromedp.Evaluate(p.newestCall, &id),
						jsFor(p.ringing, &id),
						waitText("#call-status", "Ringing…"),
						jsFor(f.fail, &id),
					)
				}
				run(t, ctx, waitText("#call-status", f.want))
				if f.then != nil {
					run(t, ctx, js(f.then(id)))
				}
				run(t, ctx, chromedp.WaitNotVisible(`#hang-up`), waitText("#call-status", f.want))
				if f.fail == nil {
					run(t, ctx, chromedp.Evaluate(p.params, &params))
					if len(params) != asked {
						t.Errorf("%s: %d calls placed, want none", f.what, len(params)-asked)
					}
				}
				if f.hangsUp {
					run(t, ctx, chromedp.Evaluate(p.hangUps, &hangUps))
					if n := countOf(hangUps, id); n != 1 {
						t.Errorf("%s: the call was hung up %d times, want 1", f.what, n)
					}
				}
				if f.undo != "" {
					run(t, ctx, js(f.undo))
				}
				if f.check != nil {
					f.check(t, ctx)
				}
			}

			// "Test my audio" asks for the sound check.
			var placed int
			run(t, ctx, chromedp.Evaluate(p.placed, &placed), chromedp.Evaluate(p.params, &params))
			var check []map[string]any
			run(t, ctx,
				chromedp.Click(`#test-audio`),
				waitJS("the sound check to be placed", fmt.Sprintf("%s === %d", p.placed, placed+1)),
				chromedp.Evaluate(fmt.Sprintf("%s.slice(%d)", p.params, len(params)), &check),
				chromedp.Evaluate(p.newestCall, &call),
				jsFor(p.answered, &call),
				waitText("#call-status", "Audio test — you should hear yourself 00:00"),
				chromedp.Click(`#hang-up`),
				chromedp.WaitNotVisible(`#hang-up`),
			)
			if diff := cmp.Diff([]map[string]any{{"soundCheck": "1"}}, check); diff != "" {
				t.Errorf("sound check params (-want +got):\n%s", diff)
			}

			// After opening a ticket, a call carries its ref and nothing else.
			var refParams []map[string]any
			run(t, ctx,
				chromedp.SendKeys(`#name`, "Grace Hopper"),
				chromedp.SendKeys(`#phone_number`, "+1 415 555 2671"),
				chromedp.SendKeys(`#description`, "My headset crackles."),
				chromedp.Click(`form[action="/tickets"] button[type=submit]`),
				chromedp.WaitVisible(`.flash-success`),
				waitJS("the new page's scripts", `document.readyState === "complete"`), // the form post loaded a new page
				chromedp.Click(`#call-support`),
				waitJS("the call to be placed", p.placed+` === 1`),
				chromedp.Evaluate(p.params, &refParams),
			)
			if len(refParams) != 1 || len(refParams[0]) != 1 || refParams[0]["ticketRef"] == "" || refParams[0]["ticketRef"] == nil {
				t.Errorf("call params after opening a ticket = %v, want only a ticketRef", refParams)
			}
		})
	}
}

// TestSoftphoneKeepsDeviceFresh: with TOKEN_TTL=3m the page renews the
// agent's token before it expires, with a new one from /token, and a
// dropped registration comes back by itself.
func TestSoftphoneKeepsDeviceFresh(t *testing.T) {
	for _, p := range providers {
		t.Run(p.name, func(t *testing.T) {
			a := startApp(t, p.env(t, map[string]string{"TOKEN_TTL": "3m"}))
			ctx := browser(t)
			signInWith(t, ctx, a, p.double())

			var fetches int
			var tok map[string]any
			run(t, ctx,
				waitJS("the device to register", `document.querySelector(".device-status").dataset.state === "ready"`),
				postToken(&tok),
				chromedp.Evaluate(`window.__fake.tokenFetches`, &fetches),
			)
			expires, err := time.Parse(time.RFC3339, fmt.Sprint(tok["expiresAt"]))
			if err != nil || time.Until(expires) > 3*time.Minute+5*time.Second || time.Until(expires) < 2*time.Minute {
				t.Errorf("/token expiresAt = %v (%v), want about 3 minutes ahead", tok["expiresAt"], err)
			}

			run(t, ctx, chromedp.Sleep(1100*time.Millisecond)) // a new second, so a new token
			p.expireSoon(t, ctx)
			var tokens, renewed []string
			var after int
			run(t, ctx,
				waitJS("the token to be renewed", p.renewed+`.length === 1`),
				chromedp.Evaluate(p.tokens, &tokens),
				chromedp.Evaluate(p.renewed, &renewed),
				chromedp.Evaluate(`window.__fake.tokenFetches`, &after),
			)
			if after != fetches+1 {
				t.Errorf("token fetches went %d -> %d, want one more", fetches, after)
			}
			if renewed[0] == tokens[0] || p.identity(t, renewed[0]) != "support_agent" {
				t.Errorf("the renewal got the old token or a wrong one: %q", renewed[0])
			}
			if p.afterRenew != nil {
				p.afterRenew(t, ctx)
			}

			// The connection drops and the SDK does not recover alone:
			// offline, then back by itself.
			var registrations int
			run(t, ctx, chromedp.Evaluate(p.registrations, &registrations))
			defer func() {
				if t.Failed() {
					var now int
					_ = chromedp.Run(ctx, chromedp.Evaluate(p.registrations, &now))
					t.Logf("registrations: %d before the drop, %d now", registrations, now)
				}
			}()
			run(t, ctx,
				js(p.dropRegistration),
				waitText(".device-status", p.offlineText),
				waitJSWithin(p.backWithin, "the device to register again", fmt.Sprintf("%s === %d", p.registrations, registrations+1)),
				waitText(".device-status", "Ready for calls"),
			)
			if p.afterDrop != nil {
				p.afterDrop(t, ctx)
			}
		})
	}
}

// TestSoftphoneRealSDKUnreachable: the real SDK, un-doubled, in a browser
// that cannot reach the provider: the customer is told so, and an agent's
// phone says it is offline and retrying.
func TestSoftphoneRealSDKUnreachable(t *testing.T) {
	for _, p := range providers {
		t.Run(p.name, func(t *testing.T) {
			a := startApp(t, p.env(t, nil))
			ctx := browser(t)

			var sdkLoaded bool
			run(t, ctx,
				chromedp.Navigate(a.URL+"/"),
				chromedp.WaitVisible(`#call-support`),
				chromedp.Click(`#call-support`),
				waitJSWithin(30*time.Second, "the customer to be told", `document.querySelector("#call-status").textContent.trim() === "Can't reach the calling service"`),
				chromedp.WaitNotVisible(`#hang-up`),
				chromedp.Evaluate(p.sdkLoaded, &sdkLoaded),
			)
			if !sdkLoaded {
				t.Error("the page did not load the vendored SDK")
			}

			signInWith(t, ctx, a, chromedp.Tasks{})
			run(t, ctx, waitJSWithin(30*time.Second, "the agent to be told",
				`document.querySelector(".device-status-text").textContent === "Offline — can't reach the calling service, retrying…"`))
		})
	}
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
	return waitJSWithin(5*time.Second, what, cond)
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

// waitJSWithin polls a JavaScript condition for up to d; on timeout the
// error says what the softphone was showing, and how long ago the page
// loaded (a page that reloaded meanwhile starts its counts again).
func waitJSWithin(d time.Duration, what, cond string) chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		err := chromedp.Poll(cond, nil,
			chromedp.WithPollingInterval(50*time.Millisecond),
			chromedp.WithPollingTimeout(d)).Do(ctx)
		if err == nil {
			return nil
		}
		var shown, loaded string
		_ = chromedp.Evaluate(`[".device-status", ".incoming-call", ".call-panel-state", "#call-status"]
			.map((s) => document.querySelector(s))
			.filter((el) => el && !el.hidden)
			.map((el) => el.textContent.replace(/\s+/g, " ").trim())
			.join(" | ")`, &shown).Do(ctx)
		_ = chromedp.Evaluate(`(performance.now() / 1000).toFixed(1) + " s ago (" + (performance.getEntriesByType("navigation")[0]?.type ?? "?") + ")"`, &loaded).Do(ctx)
		return fmt.Errorf("waiting for %s: %w (softphone shows: %q; page loaded %s)", what, err, shown, loaded)
	})
}

// postToken asks POST /token from the page, as the page itself does.
func postToken(out *map[string]any) chromedp.Action {
	return chromedp.Evaluate(`fetch("/token", {method: "POST", credentials: "same-origin", headers: {Accept: "application/json"}}).then((r) => r.json())`,
		out, func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) })
}

// countOf counts s in list.
func countOf(list []string, s string) int {
	n := 0
	for _, v := range list {
		if v == s {
			n++
		}
	}
	return n
}
