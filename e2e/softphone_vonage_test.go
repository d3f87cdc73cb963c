package e2e

import (
	"context"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	_ "embed"
	"encoding/base64"
	"encoding/json"
	"encoding/pem"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/google/go-cmp/cmp"

	"github.com/ringdesk/ringdesk/models"
)

// fakeVonage replaces the Vonage Client SDK at the page edge; see the file.
//
//go:embed testdata/fake-vonage.js
var fakeVonage string

const vonageAppID = "aaaaaaaa-bbbb-4ccc-8ddd-eeeeeeeeeeee"

// vonageEnv configures Vonage with a freshly made application key: calling
// is on and /token mints real Client SDK JWTs, but nothing reaches Vonage.
func vonageEnv(t *testing.T, extra map[string]string) map[string]string {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	der, err := x509.MarshalPKCS8PrivateKey(key)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "private.key")
	if err := os.WriteFile(path, pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der}), 0o600); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{
		"VOICE_PROVIDER":          "vonage",
		"VONAGE_APPLICATION_ID":   vonageAppID,
		"VONAGE_PRIVATE_KEY":      path,
		"VONAGE_NUMBER":           "14155550100",
		"VONAGE_SIGNATURE_SECRET": "e2e-signature-secret-0123456789a",
	}
	for k, v := range extra {
		env[k] = v
	}
	return env
}

// startVonage runs the app on Vonage (vonageEnv plus extra).
func startVonage(t *testing.T, extra map[string]string) *app {
	t.Helper()
	return startApp(t, vonageEnv(t, extra))
}

// TestVonageCallCustomer: the agent's session is made with a token from
// /token; "Call Customer" places a serverCall to the ticket's number; the
// panel walks Connecting, Ringing, In call (timer running) and Call ended as
// the legs report; mute, keypad and speaker reach the SDK.
func TestVonageCallCustomer(t *testing.T) {
	a := startVonage(t, nil)
	seedTickets(t, a.Store)
	ticket := newestTicket(t, a.Store)
	ctx := browser(t)
	signInWithVonage(t, ctx, a)

	var sessionToken string
	var configs []map[string]any
	run(t, ctx,
		waitJS("the session", `window.__fake.sessions.length === 1 && document.querySelector(".device-status").dataset.state === "ready"`),
		chromedp.Evaluate(`window.__fake.sessions[0]`, &sessionToken),
		chromedp.Evaluate(`window.__fake.configs`, &configs),
	)
	claims := vonageClaims(t, sessionToken)
	if claims["sub"] != "support_agent" || claims["application_id"] != vonageAppID {
		t.Errorf("session token sub = %v, application_id = %v; want support_agent, %s", claims["sub"], claims["application_id"], vonageAppID)
	}
	if len(configs) != 1 {
		t.Errorf("%d VonageClients made, want 1", len(configs))
	}
	if got := textOf(t, ctx, ".device-status"); got != "Ready for calls" {
		t.Errorf("device status = %q", got)
	}
	// The page asked /token, and /token said Vonage.
	var tok map[string]any
	run(t, ctx, postToken(&tok))
	if tok["provider"] != "vonage" || tok["identity"] != "support_agent" {
		t.Errorf("/token = %v, want provider vonage, identity support_agent", tok)
	}

	// Call the newest ticket's customer: the context names the number as
	// `to` (what the answer webhook reads) and the ticket, nothing else.
	var contexts []map[string]any
	var callID string
	run(t, ctx,
		chromedp.Click(`#ticket-`+ticket.ID.Hex()+` .call-customer`),
		waitJS("serverCall", `window.__fake.callIds.length === 1`),
		chromedp.Evaluate(`window.__fake.serverCalls`, &contexts),
		chromedp.Evaluate(`window.__fake.callIds[0]`, &callID),
		waitJS("the call panel", `!document.querySelector(".call-panel").hidden`),
	)
	if !strings.HasPrefix(ticket.PhoneNumber, "+") {
		t.Fatalf("seeded ticket number %q is not E.164", ticket.PhoneNumber)
	}
	want := []map[string]any{{"to": ticket.PhoneNumber, "ticketId": ticket.ID.Hex()}}
	if diff := cmp.Diff(want, contexts); diff != "" {
		t.Errorf("serverCall context (-want +got):\n%s", diff)
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

	// The customer's phone rings, then answers: the timer runs.
	var t1, t2 string
	run(t, ctx,
		emit("legStatusUpdate", callID, "LEG-PHONE", "RINGING"),
		waitText(".call-state-text", "Ringing…"),
		emit("legStatusUpdate", callID, "LEG-PHONE", "ANSWERED"),
		waitText(".call-state-text", "In call"),
		chromedp.Evaluate(`document.querySelector(".call-panel-state .call-timer").textContent`, &t1),
		chromedp.Sleep(1500*time.Millisecond),
		chromedp.Evaluate(`document.querySelector(".call-panel-state .call-timer").textContent`, &t2),
	)
	if t1 != "00:00" || t2 == t1 || !strings.HasPrefix(t2, "00:0") {
		t.Errorf("timer went %q -> %q, want 00:00 -> 00:01 or so", t1, t2)
	}

	// Mute, unmute, and DTMF from a click and from the keyboard.
	var mutes, unmutes []string
	var dtmf [][]string
	run(t, ctx,
		chromedp.Click(`.call-mute`),
		waitJS("the muted note", `!document.querySelector(".call-panel-muted").hidden`),
		chromedp.Click(`.call-mute`),
		waitJS("the muted note to go", `document.querySelector(".call-panel-muted").hidden`),
		chromedp.Evaluate(`window.__fake.mutes`, &mutes),
		chromedp.Evaluate(`window.__fake.unmutes`, &unmutes),
		chromedp.Click(`.call-keypad-toggle`),
		waitJS("the keypad", `!document.querySelector(".keypad").hidden`),
		chromedp.Click(`.keypad-key[data-digit="5"]`),
		chromedp.KeyEvent("#"),
		chromedp.Evaluate(`window.__fake.dtmf`, &dtmf),
	)
	if diff := cmp.Diff([]string{callID}, mutes); diff != "" {
		t.Errorf("mute calls (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{callID}, unmutes); diff != "" {
		t.Errorf("unmute calls (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([][]string{{callID, "5"}, {callID, "#"}}, dtmf); diff != "" {
		t.Errorf("sendDTMF calls (-want +got):\n%s", diff)
	}

	// The SDK plays call audio through its own element, which can be
	// pointed at a speaker; it always records from the default microphone,
	// so there is no microphone choice.
	var sinks []string
	var micHidden bool
	run(t, ctx,
		chromedp.Click(`.call-audio summary`),
		chromedp.SetValue(`#call-speaker`, "headset"), // fires "change"
		waitJS("setSinkId", `window.__fake.sinkIds.length === 1`),
		chromedp.Evaluate(`window.__fake.sinkIds`, &sinks),
		chromedp.Evaluate(`document.querySelector("#call-microphone").closest(".field").hidden`, &micHidden),
	)
	if diff := cmp.Diff([]string{"headset"}, sinks); diff != "" {
		t.Errorf("speaker choices (-want +got):\n%s", diff)
	}
	if !micHidden {
		t.Error("a microphone choice is offered, but the Vonage SDK cannot use it")
	}

	// The customer hangs up.
	var ended string
	var enabled bool
	run(t, ctx,
		emit("legStatusUpdate", callID, "LEG-PHONE", "COMPLETED"),
		emit("callHangup", callID, map[string]any{}, "REMOTE_HANGUP"),
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
	var hangups, callIDs []string
	run(t, ctx,
		chromedp.Click(`#ticket-`+ticket.ID.Hex()+` .call-customer`),
		waitJS("the second call", `window.__fake.callIds.length === 2`),
		emit("legStatusUpdate", jsExpr(`window.__fake.callIds[1]`), "LEG-PHONE", "RINGING"),
		waitText(".call-state-text", "Ringing…"),
		chromedp.Click(`.call-hangup`),
		waitText(".call-state-text", "Call ended"),
		chromedp.Evaluate(`window.__fake.hangups`, &hangups),
		chromedp.Evaluate(`window.__fake.callIds`, &callIDs),
	)
	if diff := cmp.Diff(callIDs[1:], hangups); diff != "" {
		t.Errorf("hangup calls (-want +got):\n%s", diff)
	}
}

// TestVonageIncomingCall: a customer's call (callInvite) rings with
// Accept/Reject; Accept answers it, Reject rejects the next; a caller who
// gives up leaves a missed-call notice, a call another agent took does not;
// an agent on a call is not rung; a refused microphone turns the call away.
func TestVonageIncomingCall(t *testing.T) {
	a := startVonage(t, nil)
	ctx := browser(t)
	signInWithVonage(t, ctx, a)

	var banner string
	var first string
	var answers []string
	run(t, ctx,
		waitJS("the session", `document.querySelector(".device-status").dataset.state === "ready"`),
		chromedp.Evaluate(`window.__fake.invite()`, &first),
		chromedp.WaitVisible(`.incoming-call`),
		chromedp.Evaluate(`document.querySelector(".incoming-call").textContent.replace(/\s+/g, " ").trim()`, &banner),
		chromedp.Click(`.incoming-accept`),
		waitText(".call-state-text", "In call"),
		chromedp.Evaluate(`window.__fake.answers`, &answers),
	)
	if !strings.Contains(banner, "Incoming call") || !strings.Contains(banner, "Customer on the website") {
		t.Errorf("ringing banner = %q", banner)
	}
	if diff := cmp.Diff([]string{first}, answers); diff != "" {
		t.Errorf("answer calls (-want +got):\n%s", diff)
	}
	if got := textOf(t, ctx, ".call-panel-who"); got != "Customer" {
		t.Errorf("panel shows %q, want Customer", got)
	}

	// While on that call another customer calls: this agent is not rung,
	// and the invite is left for the others (not rejected for everyone).
	var rejects []string
	run(t, ctx,
		chromedp.Evaluate(`window.__fake.invite("CALL-WHILE-BUSY")`, nil),
		chromedp.Sleep(300*time.Millisecond),
		waitJS("no second banner", `document.querySelector(".incoming-call").hidden`),
		chromedp.Evaluate(`window.__fake.rejects`, &rejects),
	)
	if len(rejects) != 0 {
		t.Errorf("rejected %v while busy, want the invite left alone", rejects)
	}

	// The customer hangs up.
	run(t, ctx,
		emit("callHangup", first, map[string]any{}, "REMOTE_HANGUP"),
		waitJS("the call to end", `document.querySelector(".call-state-text").textContent.startsWith("Call ended (")`),
	)

	// Second call: rejected.
	var second string
	run(t, ctx,
		chromedp.Evaluate(`window.__fake.invite()`, &second),
		chromedp.WaitVisible(`.incoming-call`),
		chromedp.Click(`.incoming-reject`),
		chromedp.WaitNotVisible(`.incoming-call`),
		chromedp.Evaluate(`window.__fake.rejects`, &rejects),
	)
	if diff := cmp.Diff([]string{second}, rejects); diff != "" {
		t.Errorf("reject calls (-want +got):\n%s", diff)
	}

	// Third call: the caller hangs up first.
	var notice string
	run(t, ctx,
		chromedp.Evaluate(`window.__fake.emit("callInviteCancel", window.__fake.invite(), "RemoteCancel")`, nil),
		chromedp.WaitNotVisible(`.incoming-call`),
		chromedp.WaitVisible(`.softphone-notice`),
		chromedp.Text(`.softphone-notice-text`, &notice),
		chromedp.Click(`.softphone-notice-dismiss`),
		chromedp.WaitNotVisible(`.softphone-notice`),
	)
	if !strings.HasPrefix(notice, "Missed call") {
		t.Errorf("missed-call notice = %q", notice)
	}

	// Fourth call: another agent answers it. Not a missed call.
	var noticeHidden bool
	run(t, ctx,
		chromedp.Evaluate(`window.__fake.invite("CALL-TAKEN")`, nil),
		chromedp.WaitVisible(`.incoming-call`),
		emit("callInviteCancel", "CALL-TAKEN", "AnsweredElsewhere"),
		chromedp.WaitNotVisible(`.incoming-call`),
		chromedp.Sleep(200*time.Millisecond),
		chromedp.Evaluate(`document.querySelector(".softphone-notice").hidden`, &noticeHidden),
	)
	if !noticeHidden {
		t.Error("a call another agent answered shows as missed")
	}

	// Fifth call: the microphone is refused on Accept. The call is turned
	// away (rejected) and the panel says why.
	var answersAfter []string
	run(t, ctx,
		chromedp.Evaluate(`window.__fake.micError = "NotAllowedError"`, nil),
		chromedp.Evaluate(`window.__fake.invite("CALL-NO-MIC")`, nil),
		chromedp.WaitVisible(`.incoming-call`),
		chromedp.Click(`.incoming-accept`),
		waitText(".call-state-text", "Microphone blocked — allow it in the address bar"),
		chromedp.Evaluate(`window.__fake.rejects`, &rejects),
		chromedp.Evaluate(`window.__fake.answers`, &answersAfter),
	)
	if diff := cmp.Diff([]string{second, "CALL-NO-MIC"}, rejects); diff != "" {
		t.Errorf("reject calls after a refused microphone (-want +got):\n%s", diff)
	}
	if len(answersAfter) != 1 {
		t.Errorf("answer called %d times, want no answer without a microphone", len(answersAfter))
	}
}

// TestVonageCustomer: "Call support" places a serverCall with no number in
// it, the status line walks through the call, "Test my audio" asks for the
// sound check, after opening a ticket calls carry its ref, and failures say
// what to do.
func TestVonageCustomer(t *testing.T) {
	a := startVonage(t, nil)
	ctx := browser(t)

	// The calling service cannot be reached: createSession times out.
	run(t, ctx,
		withFakeVonage(),
		chromedp.Navigate(a.URL+"/"),
		chromedp.WaitVisible(`#call-support`),
		chromedp.Evaluate(`window.__fake.fail.createSession = {type: "SESSION_ERROR", code: "session:error:timeout", message: "Session failed due to a timeout expiration."}`, nil),
		chromedp.Click(`#call-support`),
		waitText("#call-status", "Can't reach the calling service"),
		chromedp.WaitNotVisible(`#hang-up`),
	)
	var placed int
	run(t, ctx, chromedp.Evaluate(`window.__fake.serverCalls.length`, &placed))
	if placed != 0 {
		t.Errorf("%d calls placed without a session", placed)
	}

	// The service is back.
	var contexts []map[string]any
	var hangUpHidden bool
	run(t, ctx,
		chromedp.Evaluate(`delete window.__fake.fail.createSession`, nil),
		chromedp.Click(`#call-support`),
		waitJS("serverCall", `window.__fake.callIds.length === 1`),
		chromedp.Evaluate(`window.__fake.serverCalls`, &contexts),
		waitText("#call-status", "Connecting…"),
		chromedp.WaitVisible(`#hang-up`),
		emit("legStatusUpdate", jsExpr(`window.__fake.callIds[0]`), "LEG-AGENT", "RINGING"),
		waitText("#call-status", "Ringing…"),
		emit("legStatusUpdate", jsExpr(`window.__fake.callIds[0]`), "LEG-AGENT", "ANSWERED"),
		waitText("#call-status", "In call 00:00"),
		waitText("#call-status", "In call 00:01"),
		chromedp.Click(`#hang-up`),
		waitJS("the call to end", `document.querySelector("#call-status").textContent.trim().startsWith("Call ended")`),
		chromedp.Evaluate(`document.querySelector("#hang-up").hidden`, &hangUpHidden),
	)
	if diff := cmp.Diff([]map[string]any{{}}, contexts); diff != "" {
		t.Errorf("customer serverCall context (-want +got):\n%s", diff)
	}
	var sessions, hangups, callIDs []string
	run(t, ctx,
		chromedp.Evaluate(`window.__fake.sessions`, &sessions),
		chromedp.Evaluate(`window.__fake.hangups`, &hangups),
		chromedp.Evaluate(`window.__fake.callIds`, &callIDs),
	)
	if len(sessions) != 2 || vonageClaims(t, sessions[1])["sub"] != "customer" {
		t.Errorf("createSession tokens = %d, last for %v; want 2, the last for customer", len(sessions), vonageClaims(t, sessions[len(sessions)-1])["sub"])
	}
	if diff := cmp.Diff(callIDs, hangups); diff != "" {
		t.Errorf("hangup calls (-want +got):\n%s", diff)
	}
	if !hangUpHidden {
		t.Error("Hang up still shown after the call")
	}

	// The microphone is refused: no call is placed, and the page says why.
	run(t, ctx,
		chromedp.Evaluate(`window.__fake.micError = "NotAllowedError"`, nil),
		chromedp.Click(`#call-support`),
		waitText("#call-status", "Microphone blocked — allow it in the address bar"),
		chromedp.WaitNotVisible(`#hang-up`),
		chromedp.Evaluate(`window.__fake.serverCalls.length`, &placed),
		chromedp.Evaluate(`window.__fake.micError = ""`, nil),
	)
	if placed != 1 {
		t.Errorf("%d calls placed, want none without a microphone", placed-1)
	}

	// The session drops while the call is being set up.
	run(t, ctx,
		chromedp.Click(`#call-support`),
		waitJS("serverCall", `window.__fake.callIds.length === 2`),
		emit("legStatusUpdate", jsExpr(`window.__fake.callIds[1]`), "LEG-AGENT", "RINGING"),
		waitText("#call-status", "Ringing…"),
		emit("sessionError", "TRANSPORT_CLOSED"),
		waitText("#call-status", "Can't reach the calling service"),
		chromedp.WaitNotVisible(`#hang-up`),
	)

	// Nobody answers and the call ends that way.
	run(t, ctx,
		chromedp.Click(`#call-support`),
		waitJS("serverCall", `window.__fake.callIds.length === 3`),
		emit("callHangup", jsExpr(`window.__fake.callIds[2]`), map[string]any{}, "REMOTE_NO_ANSWER_TIMEOUT"),
		waitText("#call-status", "No answer"),
	)
	if err := chromedp.Run(ctx, chromedp.Evaluate(`window.__fake.sessions.length`, &placed)); err != nil || placed != 3 {
		t.Errorf("createSession called %d times (%v), want a new session after the drop (3)", placed, err)
	}

	// "Test my audio" asks for the sound check.
	var check []map[string]any
	run(t, ctx,
		chromedp.Click(`#test-audio`),
		waitJS("serverCall", `window.__fake.callIds.length === 4`),
		chromedp.Evaluate(`window.__fake.serverCalls.slice(3)`, &check),
		emit("legStatusUpdate", jsExpr(`window.__fake.callIds[3]`), "LEG-ECHO", "ANSWERED"),
		waitText("#call-status", "Audio test — you should hear yourself 00:00"),
		chromedp.Click(`#hang-up`),
		chromedp.WaitNotVisible(`#hang-up`),
	)
	if diff := cmp.Diff([]map[string]any{{"soundCheck": "1"}}, check); diff != "" {
		t.Errorf("sound check context (-want +got):\n%s", diff)
	}

	// After opening a ticket, a call carries its ref and nothing else.
	var refContexts []map[string]any
	run(t, ctx,
		chromedp.SendKeys(`#name`, "Grace Hopper"),
		chromedp.SendKeys(`#phone_number`, "+1 415 555 2671"),
		chromedp.SendKeys(`#description`, "My headset crackles."),
		chromedp.Click(`form[action="/tickets"] button[type=submit]`),
		chromedp.WaitVisible(`.flash-success`),
		waitJS("the new page's scripts", `document.readyState === "complete"`), // the form post loaded a new page
		chromedp.Click(`#call-support`),
		waitJS("serverCall", `window.__fake.serverCalls.length === 1`),
		chromedp.Evaluate(`window.__fake.serverCalls`, &refContexts),
	)
	if len(refContexts) != 1 || refContexts[0]["ticketRef"] == "" || refContexts[0]["ticketRef"] == nil || len(refContexts[0]) != 1 {
		t.Errorf("serverCall context after opening a ticket = %v, want only a ticketRef", refContexts)
	}
}

// TestVonageKeepsSessionFresh: with TOKEN_TTL=3m the session is refreshed
// with a new token a minute before it expires (not sooner); an expired
// session is made again with a new token; a dropped one comes back.
func TestVonageKeepsSessionFresh(t *testing.T) {
	a := startVonage(t, map[string]string{"TOKEN_TTL": "3m"})
	ctx := browser(t)
	signInWithVonage(t, ctx, a)

	var fetches int
	var tok map[string]any
	run(t, ctx,
		waitJS("the session", `document.querySelector(".device-status").dataset.state === "ready"`),
		postToken(&tok),
		chromedp.Evaluate(`window.__fake.tokenFetches`, &fetches),
	)
	expires, err := time.Parse(time.RFC3339, fmt.Sprint(tok["expiresAt"]))
	if err != nil || time.Until(expires) > 3*time.Minute+5*time.Second || time.Until(expires) < 2*time.Minute {
		t.Errorf("/token expiresAt = %v (%v), want about 3 minutes ahead", tok["expiresAt"], err)
	}

	// The token was armed a few (real) seconds ago. 1m40s on, nothing yet;
	// 2m05s on, the page renews the token.
	var refreshed int
	run(t, ctx,
		chromedp.Sleep(1100*time.Millisecond), // a new second, so a new token
		chromedp.Evaluate(`window.__fake.advanceClock(100_000)`, nil),
		chromedp.Sleep(1500*time.Millisecond),
		chromedp.Evaluate(`window.__fake.refreshed.length`, &refreshed),
	)
	if refreshed != 0 {
		t.Errorf("session refreshed %d times with over a minute left", refreshed)
	}
	var tokens []string
	var after int
	run(t, ctx,
		chromedp.Evaluate(`window.__fake.advanceClock(25_000)`, nil),
		waitJS("refreshSession", `window.__fake.refreshed.length === 1`),
		chromedp.Evaluate(`[window.__fake.sessions[0], window.__fake.refreshed[0]]`, &tokens),
		chromedp.Evaluate(`window.__fake.tokenFetches`, &after),
	)
	if after != fetches+1 {
		t.Errorf("token fetches went %d -> %d, want one more", fetches, after)
	}
	if tokens[1] == tokens[0] || vonageClaims(t, tokens[1])["sub"] != "support_agent" {
		t.Errorf("refreshSession got the old token or a wrong one: %q", tokens[1])
	}
	// Once per token: the check keeps running without asking again.
	run(t, ctx, chromedp.Sleep(1500*time.Millisecond), chromedp.Evaluate(`window.__fake.refreshed.length`, &refreshed))
	if refreshed != 1 {
		t.Errorf("session refreshed %d times for one token, want 1", refreshed)
	}

	// The session expired anyway (the computer slept): a new token, a new session.
	var sessions []string
	run(t, ctx,
		chromedp.Sleep(1100*time.Millisecond),
		emit("sessionError", "EXPIRED_TOKEN"),
		waitJS("a new session", `window.__fake.sessions.length === 2`),
		waitText(".device-status", "Ready for calls"),
		chromedp.Evaluate(`window.__fake.sessions`, &sessions),
	)
	if sessions[1] == sessions[0] || sessions[1] == tokens[1] || vonageClaims(t, sessions[1])["sub"] != "support_agent" {
		t.Errorf("the new session reused a token: %q", sessions[1])
	}

	// The connection drops and the SDK gives up: offline, then back by itself.
	run(t, ctx,
		emit("sessionError", "TRANSPORT_CLOSED"),
		waitText(".device-status", "Offline — can't reach the calling service, retrying…"),
		waitJSWithin(10*time.Second, "the session to come back", `window.__fake.sessions.length === 3`),
		waitText(".device-status", "Ready for calls"),
	)

	// The next refresh finds the session gone: a new session, with the new token.
	run(t, ctx,
		chromedp.Evaluate(`window.__fake.fail.refreshSession = {type: "SESSION_ERROR", code: "session:error:invalid-session", message: "invalid session"}`, nil),
		chromedp.Evaluate(`window.__fake.advanceClock(125_000)`, nil),
		waitJS("refreshSession", `window.__fake.refreshed.length === 2`),
		waitJSWithin(10*time.Second, "a new session", `window.__fake.sessions.length === 4`),
		waitText(".device-status", "Ready for calls"),
		chromedp.Evaluate(`window.__fake.sessions`, &sessions),
		chromedp.Evaluate(`window.__fake.refreshed`, &tokens),
	)
	if sessions[3] != tokens[1] {
		t.Error("the new session was not made with the token the failed refresh carried")
	}
}

// TestVonageRealSDKUnreachable: the real Client SDK, un-doubled, in a
// browser that cannot reach Vonage: the customer is told so, and an
// agent's phone says it is offline and retrying.
func TestVonageRealSDKUnreachable(t *testing.T) {
	a := startVonage(t, nil)
	ctx := browser(t)

	var sdkLoaded bool
	run(t, ctx,
		chromedp.Navigate(a.URL+"/"),
		chromedp.WaitVisible(`#call-support`),
		chromedp.Click(`#call-support`),
		waitJSWithin(30*time.Second, "the customer to be told", `document.querySelector("#call-status").textContent.trim() === "Can't reach the calling service"`),
		chromedp.WaitNotVisible(`#hang-up`),
		chromedp.Evaluate(`typeof window.vonageClientSDK?.VonageClient === "function"`, &sdkLoaded),
	)
	if !sdkLoaded {
		t.Error("the page did not load the vendored SDK")
	}

	if _, err := a.Store.Agents.Create(context.Background(), models.AgentInput{Email: "sam@example.com", Name: "Sam Rivera", Password: "correct horse battery"}); err != nil {
		t.Fatal(err)
	}
	run(t, ctx,
		chromedp.Navigate(a.URL+"/login"),
		chromedp.WaitVisible(`#email`),
		chromedp.SendKeys(`#email`, "sam@example.com"),
		chromedp.SendKeys(`#password`, "correct horse battery"),
		chromedp.Submit(`#password`),
		chromedp.WaitVisible(`.page-header h1`),
		waitJSWithin(30*time.Second, "the agent to be told", `document.querySelector(".device-status-text").textContent === "Offline — can't reach the calling service, retrying…"`),
	)
}

// ---- helpers ----------------------------------------------------------------

// withFakeVonage installs the SDK double in every document this tab opens.
func withFakeVonage() chromedp.Action { return withScript(fakeVonage) }

// signInWithVonage creates an agent and signs in through the form with the
// Vonage double in place; it ends on the dashboard.
func signInWithVonage(t *testing.T, ctx context.Context, a *app) {
	t.Helper()
	signInWith(t, ctx, a, withFakeVonage())
}

// jsExpr is an argument to emit that is evaluated in the page.
type jsExpr string

// emit raises an SDK event on the double's client, as the SDK would.
func emit(event string, args ...any) chromedp.Action {
	parts := []string{mustJSON(event)}
	for _, a := range args {
		if e, ok := a.(jsExpr); ok {
			parts = append(parts, string(e))
		} else {
			parts = append(parts, mustJSON(a))
		}
	}
	return chromedp.Evaluate(`window.__fake.emit(`+strings.Join(parts, ", ")+`)`, nil)
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// postToken asks POST /token from the page, as the page itself does.
func postToken(out *map[string]any) chromedp.Action {
	return chromedp.Evaluate(`fetch("/token", {method: "POST", credentials: "same-origin", headers: {Accept: "application/json"}}).then((r) => r.json())`,
		out, func(p *runtime.EvaluateParams) *runtime.EvaluateParams { return p.WithAwaitPromise(true) })
}

// waitJSWithin is waitJS with a longer wait, for the real SDK's timeouts.
func waitJSWithin(d time.Duration, what, cond string) chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		err := chromedp.Poll(cond, nil,
			chromedp.WithPollingInterval(100*time.Millisecond),
			chromedp.WithPollingTimeout(d)).Do(ctx)
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

// vonageClaims reads a Client SDK JWT's claims. The signature is checked by
// the server's own tests; here it is enough that the page used the token
// /token gave it.
func vonageClaims(t *testing.T, token string) map[string]any {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("token %q is not a JWT", token)
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatalf("token payload: %v", err)
	}
	var claims map[string]any
	if err := json.Unmarshal(raw, &claims); err != nil {
		t.Fatalf("token payload: %v", err)
	}
	return claims
}
