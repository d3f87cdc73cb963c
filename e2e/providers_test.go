package e2e

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// The voice providers, as the browser tests see them. A test of calling
// runs once per provider,
//
//	for _, p := range providers {
//		t.Run(p.name, func(t *testing.T) { ... })
//	}
//
// and says in provider-neutral terms what happens; the provider's entry
// says how: the app's settings, the SDK double that stands in for the
// provider's SDK in the page (testdata/fake-*.js), how to raise the SDK's
// events and read back what the page asked of it, how the provider's cloud
// signs the webhooks it posts, and what its answers look like. Supporting
// another provider in these tests is one more entry.
var providers = []provider{twilio, vonage}

// provider describes one voice provider. Fields holding JavaScript are
// evaluated in the page. Calls are named by their id in the double: a
// string the double can find the call by.
type provider struct {
	name string // the subtest's name, and what POST /token says the provider is

	// env configures the app for this provider with fake credentials,
	// plus extra: /token mints real tokens, webhooks signed by this
	// provider's cloud (below) are accepted, nothing leaves the machine.
	env func(t *testing.T, extra map[string]string) map[string]string
	// double puts the SDK double in every document the tab opens.
	double func() chromedp.Action
	// sdkLoaded (JS): the real, vendored SDK is in the page.
	sdkLoaded string

	// ---- The page's device (JS unless said otherwise) ----

	tokens        string // tokens the page gave the SDK to connect with, oldest first
	registrations string // how often the page asked the SDK to register (agents) or connect
	renewed       string // tokens the page gave the SDK to renew its connection, oldest first
	// identity reads whom a token names.
	identity func(t *testing.T, token string) string
	// checkDevice checks how the agent's device was set up.
	checkDevice func(t *testing.T, ctx context.Context)
	// expireSoon makes the agent's token due for renewal (from 3 minutes).
	expireSoon func(t *testing.T, ctx context.Context)
	// afterRenew, if set, runs once the token was renewed: what else this
	// provider's connection goes through.
	afterRenew       func(t *testing.T, ctx context.Context)
	dropRegistration string        // the SDK loses its registration and does not recover alone
	offlineText      string        // what the device status says until it is back
	backWithin       time.Duration // how long the page may take to register again
	// afterDrop, if set, runs once the device came back.
	afterDrop func(t *testing.T, ctx context.Context)

	// ---- Calls (JS unless said otherwise) ----

	placed      string // how many calls the page placed that the SDK gave an id
	params      string // the parameters of every call the page asked the SDK to place
	newestCall  string // the id of the newest call, placed or incoming
	accepts     string // ids of the calls the page accepted, in order
	rejects     string // ids of the calls the page rejected, in order
	hangUps     string // ids of the calls the page hung up, in order
	mutes       string // "mute <id>" and "unmute <id>", in order
	digits      string // "<id> <digit>" for every DTMF digit the page sent
	speakers    string // speakers the page chose for the call audio
	microphones string // microphones the page chose; "" if the SDK offers no choice

	// agentParams are what "Call Customer" asks the SDK to dial.
	agentParams func(ticketID, number string) map[string]any
	// ring (JS): a customer's call reaches this agent's device, with id
	// ("": a new one).
	ring func(id string) string
	// SDK events of call id (JS): the far end rings, answers, hangs up;
	// the caller gives up before an agent answered.
	ringing, answered, remoteHangUp, cancelled func(id string) string
	// closed, if set (JS): the SDK holds call id closed.
	closed func(id string) string
	// busyRejects: a call reaching an agent on another call is rejected
	// (the SDK holds such calls back anyway), rather than left ringing for
	// the other agents, which would be refused for all of them.
	busyRejects bool
	// takenElsewhere, if set (JS): the cloud withdraws call id from this agent
	// because another agent answered it, which is not a missed call. Nil
	// when the SDK reports that as an ordinary cancel.
	takenElsewhere func(id string) string
	// blockMicrophone, if set (JS): the browser refuses the microphone when the
	// page asks for it itself, before a call is placed or answered.
	blockMicrophone string
	// customerFailures: ways a customer's call fails with this SDK.
	customerFailures []callFailure

	// ---- The cloud ----

	// dialCustomer plays the cloud asking the app what to do with an
	// agent's browser call to number (E.164) with params, and checks that
	// the answer dials that phone.
	dialCustomer func(t *testing.T, a *app, params map[string]any, number string) callLeg
	// dialSupport does the same for a customer's browser call, whose
	// answer must ring the agents' browsers, never a phone.
	dialSupport func(t *testing.T, a *app, params map[string]any) callLeg
}

// A callFailure is one way a customer's call fails, as the provider's SDK
// reports it, and what the call card then says.
type callFailure struct {
	what   string
	before string // JS, if set: the SDK will fail the call before it is placed
	undo   string // JS, if set: the SDK is well again
	// fail, if set: JS on the placed, ringing call that makes it fail.
	fail func(id string) string
	want string // what the status line says
	// then, if set: JS on the call after the failure shows; the status line
	// keeps saying want.
	then func(id string) string
	// hangsUp: the page asks the SDK to hang the failed call up.
	hangsUp bool
	// check, if set, checks what else the failure left behind.
	check func(t *testing.T, ctx context.Context)
}

// A callLeg is the far end of a call the cloud set up, which reports its
// progress with signed status webhooks: "started", "ringing", "answered",
// "completed" (with the seconds it lasted).
type callLeg interface {
	report(t *testing.T, status string, duration int)
}

// ---- Helpers ----------------------------------------------------------------

// withEnv is env with extra's settings added or replaced.
func withEnv(env, extra map[string]string) map[string]string {
	out := make(map[string]string, len(env)+len(extra))
	for k, v := range env {
		out[k] = v
	}
	for k, v := range extra {
		out[k] = v
	}
	return out
}

// formStrings is a call's parameters as the page sent them (JSON
// strings), as plain strings.
func formStrings(params map[string]any) map[string]string {
	out := make(map[string]string, len(params))
	for k, v := range params {
		out[k] = fmt.Sprint(v)
	}
	return out
}

// formValues is a call's parameters as the form fields Twilio posts them.
func formValues(params map[string]any) url.Values {
	out := url.Values{}
	for k, v := range formStrings(params) {
		out.Set(k, v)
	}
	return out
}

// readClaims decodes a JWT's payload into claims, unchecked.
func readClaims(t *testing.T, token string, claims any) {
	t.Helper()
	parts := strings.Split(token, ".")
	if len(parts) != 3 {
		t.Fatalf("token %q is not a JWT", token)
	}
	raw, err := base64.RawURLEncoding.DecodeString(parts[1])
	if err != nil {
		t.Fatalf("token payload: %v", err)
	}
	if err := json.Unmarshal(raw, claims); err != nil {
		t.Fatalf("token payload: %v", err)
	}
}

// js runs JavaScript in the page for its effect.
func js(src string) chromedp.Action { return chromedp.Evaluate(src, nil) }

// jsFor runs the JavaScript f makes for call *id, reading *id only when
// the action runs: an action before it in the same run may set it.
func jsFor(f func(id string) string, id *string) chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error { return js(f(*id)).Do(ctx) })
}
