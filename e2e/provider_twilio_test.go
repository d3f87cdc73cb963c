package e2e

import (
	"context"
	_ "embed"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/ringdesk/ringdesk/handlers/twiliotest"
)

// Twilio, as the browser tests see it (see providers_test.go).

// fakeTwilio replaces the Twilio Voice SDK at the page edge; see the file.
//
//go:embed testdata/fake-twilio.js
var fakeTwilio string

// twilioEnv configures Twilio with well-formed fake credentials: calling is
// on and /token mints real tokens, but nothing ever reaches Twilio.
var twilioEnv = twiliotest.Env("")

// withFakeTwilio installs the Twilio SDK double in every document this tab opens.
func withFakeTwilio() chromedp.Action { return withScript(fakeTwilio) }

// twilioCall is call id in the Twilio double.
func twilioCall(id string) string { return `window.__fake.call(` + strconv.Quote(id) + `)` }

// twilioCalls lists, for each call, its id as often as the page made the
// request the double counts in field.
func twilioCalls(field string) string {
	return `window.__fake.calls.flatMap((c) => Array(c.` + field + `).fill(c.id))`
}

var twilio = provider{
	name:      "twilio",
	env:       func(t *testing.T, extra map[string]string) map[string]string { return withEnv(twilioEnv, extra) },
	double:    withFakeTwilio,
	sdkLoaded: `typeof window.Twilio?.Device === "function"`,

	tokens:        `window.__fake.tokens`,
	registrations: `window.__fake.registers`,
	renewed:       `window.__fake.updatedTokens`,
	identity:      tokenIdentity,
	checkDevice: func(t *testing.T, ctx context.Context) {
		t.Helper()
		var opts map[string]any
		run(t, ctx, chromedp.Evaluate(`window.__fake.options[0]`, &opts))
		if opts["closeProtection"] != true || opts["allowIncomingWhileBusy"] != false {
			t.Errorf("Device options = %v, want closeProtection true and allowIncomingWhileBusy false", opts)
		}
	},
	expireSoon: func(t *testing.T, ctx context.Context) {
		t.Helper()
		run(t, ctx, js(`window.__fake.device.emit("tokenWillExpire", window.__fake.device)`))
	},
	dropRegistration: `window.__fake.device._setState("unregistered")`,
	offlineText:      "Offline — reconnecting…",
	backWithin:       5 * time.Second,

	placed:     `window.__fake.connects.length`,
	params:     `window.__fake.connects`,
	newestCall: `window.__fake.lastCall.id`,
	agentParams: func(ticketID, number string) map[string]any {
		return map[string]any{"ticketId": ticketID, "phoneNumber": number}
	},
	ring: func(id string) string {
		if id == "" {
			return `window.__fake.ring({})`
		}
		return `window.__fake.ring({}, ` + strconv.Quote(id) + `)`
	},
	ringing:      func(id string) string { return twilioCall(id) + `.emit("ringing")` },
	answered:     func(id string) string { return twilioCall(id) + `.emit("accept")` },
	remoteHangUp: func(id string) string { return twilioCall(id) + `.emit("disconnect")` },
	cancelled:    func(id string) string { return twilioCall(id) + `.emit("cancel")` },
	accepts:      twilioCalls("accepted"),
	rejects:      twilioCalls("rejected"),
	hangUps:      twilioCalls("disconnected"),
	mutes:        `window.__fake.calls.flatMap((c) => c.muteCalls.map((m) => (m ? "mute " : "unmute ") + c.id))`,
	digits:       `window.__fake.calls.flatMap((c) => c.digits.map((d) => c.id + " " + d))`,
	speakers:     `window.__fake.device.audio.outputChoices`,
	microphones:  `window.__fake.device.audio.inputChoices`,
	closed:       func(id string) string { return twilioCall(id) + `.status() === "closed"` },
	busyRejects:  true,
	// The SDK asks for the microphone itself and reports a refusal on the call.
	customerFailures: []callFailure{
		{
			what: "the microphone is blocked: the SDK hangs up, then says why",
			fail: func(id string) string {
				return twilioCall(id) + `.emit("disconnect"), ` +
					twilioCall(id) + `.emit("error", {code: 31401, name: "PermissionDeniedError", message: "Permission denied"})`
			},
			want: "Microphone blocked — allow it in the address bar",
		},
		{
			what: "signalling fails mid-call",
			fail: func(id string) string {
				return twilioCall(id) + `.emit("error", {code: 31005, name: "ConnectionError", message: "websocket closed"})`
			},
			want: "Can't reach the calling service",
			then: func(id string) string { return twilioCall(id) + `.emit("disconnect")` },
		},
		{
			what: "the device loses the service while the call is being set up",
			fail: func(string) string {
				return `window.__fake.device.emit("error", {code: 31000, name: "UnknownError", message: "WebSocket error"})`
			},
			want:    "Can't reach the calling service",
			hangsUp: true,
		},
	},

	dialCustomer: twilioDialCustomer,
	dialSupport:  twilioDialSupport,
}

// twilioDialCustomer: Twilio asks the TwiML App what to do with an agent's
// browser call, with the parameters the browser passed; the answer dials
// the ticket's number from our caller ID.
func twilioDialCustomer(t *testing.T, a *app, params map[string]any, number string) callLeg {
	t.Helper()
	callSID := twiliotest.NewSID("CA")
	code, body := twilioPost(t, a, "/call/connect", twiliotest.Connect("support_agent", callSID, formValues(params)))
	if code != http.StatusOK {
		t.Fatalf("/call/connect: %d %s", code, body)
	}
	doc := twiliotest.MustParseTwiML(t, body)
	dials, numbers := doc.All("Dial"), doc.All("Number")
	if doc.Name != "Response" || len(dials) != 1 || len(numbers) != 1 || len(doc.All("Client")) != 0 {
		t.Fatalf("TwiML does not dial one number:\n%s", body)
	}
	if got := strings.TrimSpace(numbers[0].Text); got != number {
		t.Errorf("dials %q, want the ticket's number %s", got, number)
	}
	if dials[0].Attrs["callerId"] != twiliotest.CallerID || dials[0].Attrs["answerOnBridge"] != "true" {
		t.Errorf("<Dial> attributes = %v, want callerId %s and answerOnBridge", dials[0].Attrs, twiliotest.CallerID)
	}
	return &twilioLeg{a: a, statusPath: appPath(t, a, numbers[0].Attrs["statusCallback"]), parent: callSID,
		sid: twiliotest.NewSID("CA"), from: twiliotest.CallerID, to: number}
}

// twilioDialSupport: whatever the browser sent, the TwiML App connects a
// customer to the agents' browsers.
func twilioDialSupport(t *testing.T, a *app, params map[string]any) callLeg {
	t.Helper()
	callSID := twiliotest.NewSID("CA")
	code, body := twilioPost(t, a, "/call/connect", twiliotest.Connect("customer", callSID, formValues(params)))
	if code != http.StatusOK {
		t.Fatalf("/call/connect: %d %s", code, body)
	}
	doc := twiliotest.MustParseTwiML(t, body)
	clients, dials := doc.All("Client"), doc.All("Dial")
	if len(doc.All("Number")) != 0 {
		t.Errorf("a customer's call dials a phone:\n%s", body)
	}
	if len(dials) != 1 || len(clients) != 1 || strings.TrimSpace(clients[0].Text) != "support_agent" {
		t.Fatalf("TwiML does not dial <Client>support_agent</Client>:\n%s", body)
	}
	return &twilioLeg{a: a, statusPath: appPath(t, a, clients[0].Attrs["statusCallback"]), resultPath: appPath(t, a, dials[0].Attrs["action"]),
		parent: callSID, sid: twiliotest.NewSID("CA"), from: "client:customer", to: "client:support_agent"}
}

// twilioLeg is the child call a <Dial> made, reporting to its
// statusCallback; once it completes, the <Dial> reports to its action
// (resultPath, if any).
type twilioLeg struct {
	a                      *app
	statusPath, resultPath string
	parent, sid, from, to  string
	seq                    int
}

func (l *twilioLeg) report(t *testing.T, status string, duration int) {
	t.Helper()
	callStatus := map[string]string{"started": "initiated", "answered": "in-progress"}[status]
	if callStatus == "" {
		callStatus = status
	}
	twilioStatus(t, l.a, l.statusPath, twiliotest.StatusCallback{CallSID: l.sid, ParentCallSID: l.parent, CallStatus: callStatus,
		Timestamp: time.Now(), Seq: l.seq, Duration: duration, From: l.from, To: l.to})
	l.seq++
	if status != "completed" || l.resultPath == "" {
		return
	}
	code, body := twilioPost(t, l.a, l.resultPath, twiliotest.DialResult(l.parent, "completed"))
	if code != http.StatusOK || len(twiliotest.MustParseTwiML(t, body).All("Hangup")) != 1 {
		t.Errorf("dial result after an answered call: %d %s, want <Hangup/>", code, body)
	}
}

// twilioPost posts params to path (query included) on a, signed as Twilio
// signs for PUBLIC_URL + path, and returns the answer's status and body.
func twilioPost(t *testing.T, a *app, path string, params url.Values) (int, []byte) {
	t.Helper()
	req := twiliotest.NewRequest(t, twiliotest.AuthToken, a.URL, a.URL, path, params)
	return send(t, req)
}

// twilioStatus posts one status callback to path and wants it accepted.
func twilioStatus(t *testing.T, a *app, path string, cb twiliotest.StatusCallback) {
	t.Helper()
	if code, body := twilioPost(t, a, path, cb.Params()); code != http.StatusNoContent {
		t.Fatalf("status callback %s: %d %s", cb.CallStatus, code, body)
	}
}

// tokenIdentity reads grants.identity from a Twilio access token. The
// signature is checked by the server's own tests; here it is enough that
// the page used the token /token gave it.
func tokenIdentity(t *testing.T, token string) string {
	t.Helper()
	var claims struct {
		Grants struct {
			Identity string `json:"identity"`
		} `json:"grants"`
	}
	readClaims(t, token, &claims)
	return claims.Grants.Identity
}
