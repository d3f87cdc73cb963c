package e2e

import (
	"context"
	_ "embed"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
	"github.com/google/go-cmp/cmp"

	"github.com/ringdesk/ringdesk/handlers/vonagetest"
)

// Vonage, as the browser tests see it (see providers_test.go).

// fakeVonage replaces the Vonage Client SDK at the page edge; see the file.
//
//go:embed testdata/fake-vonage.js
var fakeVonage string

// withFakeVonage installs the Vonage SDK double in every document this tab opens.
func withFakeVonage() chromedp.Action { return withScript(fakeVonage) }

// vonageEmit raises an SDK event on the double's client, as the SDK
// would; args are JavaScript.
func vonageEmit(event string, args ...string) string {
	return `window.__fake.emit(` + strings.Join(append([]string{strconv.Quote(event)}, args...), ", ") + `)`
}

// vonageLegStatus: the other party's leg of call id reports status.
func vonageLegStatus(id, status string) string {
	return vonageEmit("legStatusUpdate", strconv.Quote(id), `"LEG-1"`, strconv.Quote(status))
}

// vonageHangup: call id ended, for reason.
func vonageHangup(id, reason string) string {
	return vonageEmit("callHangup", strconv.Quote(id), "{}", strconv.Quote(reason))
}

// vonageNoMicrophone: the browser refuses the microphone (the double
// stands in for getUserMedia).
const vonageNoMicrophone = `window.__fake.micError = "NotAllowedError"`

var vonage = provider{
	name: "vonage",
	// vonagetest's application, whose signature secret the test signs webhooks with.
	env: func(t *testing.T, extra map[string]string) map[string]string {
		return withEnv(vonagetest.Env(t, ""), extra)
	},
	double:    withFakeVonage,
	sdkLoaded: `typeof window.vonageClientSDK?.VonageClient === "function"`,

	// The session is what lets an agent receive calls; every attempt
	// counts as a registration.
	tokens:        `window.__fake.sessions`,
	registrations: `window.__fake.sessions.length`,
	renewed:       `window.__fake.refreshed`,
	identity: func(t *testing.T, token string) string {
		t.Helper()
		sub, _ := vonageClaims(t, token)["sub"].(string)
		return sub
	},
	checkDevice: func(t *testing.T, ctx context.Context) {
		t.Helper()
		var token string
		var configs []map[string]any
		run(t, ctx, chromedp.Evaluate(`window.__fake.sessions[0]`, &token), chromedp.Evaluate(`window.__fake.configs`, &configs))
		if app := vonageClaims(t, token)["application_id"]; app != vonagetest.ApplicationID {
			t.Errorf("session token application_id = %v, want %s", app, vonagetest.ApplicationID)
		}
		if len(configs) != 1 {
			t.Errorf("%d VonageClients made, want 1", len(configs))
		}
	},
	expireSoon:       vonageExpireSoon,
	afterRenew:       vonageSessionExpires,
	dropRegistration: vonageEmit("sessionError", `"TRANSPORT_CLOSED"`),
	offlineText:      "Offline — can't reach the calling service, retrying…",
	// The page retries after 2, 5 and 10 s (voice.js); earlier steps of
	// the journey may have used up the first waits, and a busy machine
	// is slower: the point is that it comes back by itself.
	backWithin: 25 * time.Second,
	afterDrop:  vonageRefreshFindsSessionGone,

	placed:     `window.__fake.callIds.length`,
	params:     `window.__fake.serverCalls`,
	newestCall: `window.__fake.lastCallId`,
	// The number travels as `to`, what the answer webhook reads.
	agentParams: func(ticketID, number string) map[string]any {
		return map[string]any{"to": number, "ticketId": ticketID}
	},
	ring: func(id string) string {
		if id == "" {
			return `window.__fake.invite()`
		}
		return `window.__fake.invite(` + strconv.Quote(id) + `)`
	},
	ringing:  func(id string) string { return vonageLegStatus(id, "RINGING") },
	answered: func(id string) string { return vonageLegStatus(id, "ANSWERED") },
	remoteHangUp: func(id string) string {
		return vonageLegStatus(id, "COMPLETED") + ", " + vonageHangup(id, "REMOTE_HANGUP")
	},
	cancelled:   func(id string) string { return vonageEmit("callInviteCancel", strconv.Quote(id), `"RemoteCancel"`) },
	accepts:     `window.__fake.answers`,
	rejects:     `window.__fake.rejects`,
	hangUps:     `window.__fake.hangups`,
	mutes:       `window.__fake.muting`,
	digits:      `window.__fake.dtmf.map(([id, d]) => id + " " + d)`,
	speakers:    `window.__fake.sinkIds`,
	microphones: "", // the SDK always records from the default microphone
	// All agents sign in as one Vonage user: refusing an invite refuses
	// it for everyone.
	busyRejects: false,
	takenElsewhere: func(id string) string {
		return vonageEmit("callInviteCancel", strconv.Quote(id), `"AnsweredElsewhere"`)
	},
	blockMicrophone: vonageNoMicrophone,
	customerFailures: []callFailure{
		{
			what:   "the microphone is refused: no call is placed",
			before: vonageNoMicrophone,
			undo:   `window.__fake.micError = ""`,
			want:   "Microphone blocked — allow it in the address bar",
		},
		{
			what: "the session drops while the call is being set up",
			fail: func(string) string { return vonageEmit("sessionError", `"TRANSPORT_CLOSED"`) },
			want: "Can't reach the calling service",
		},
		{
			what:   "the session is gone and the calling service cannot be reached: createSession times out",
			before: `window.__fake.fail.createSession = {type: "SESSION_ERROR", code: "session:error:timeout", message: "Session failed due to a timeout expiration."}`,
			undo:   `delete window.__fake.fail.createSession`,
			want:   "Can't reach the calling service",
		},
		{
			what: "nobody answers",
			fail: func(id string) string { return vonageHangup(id, "REMOTE_NO_ANSWER_TIMEOUT") },
			want: "No answer",
			check: func(t *testing.T, ctx context.Context) {
				t.Helper()
				var sessions int
				run(t, ctx, chromedp.Evaluate(`window.__fake.sessions.length`, &sessions))
				// The first call's, the one that timed out, and a new one after it.
				if sessions != 3 {
					t.Errorf("createSession called %d times, want 3", sessions)
				}
			},
		},
	},

	dialCustomer: vonageDialCustomer,
	dialSupport:  vonageDialSupport,
}

// vonageExpireSoon: with TOKEN_TTL=3m the session is refreshed a minute
// before the token expires, not sooner. The token was armed a few (real)
// seconds ago: 1m40s on, nothing yet; 2m05s on, it is due.
func vonageExpireSoon(t *testing.T, ctx context.Context) {
	t.Helper()
	var refreshed int
	run(t, ctx,
		js(`window.__fake.advanceClock(100_000)`),
		chromedp.Sleep(1500*time.Millisecond),
		chromedp.Evaluate(`window.__fake.refreshed.length`, &refreshed),
	)
	if refreshed != 0 {
		t.Errorf("session refreshed %d times with over a minute left", refreshed)
	}
	run(t, ctx, js(`window.__fake.advanceClock(25_000)`))
}

// vonageSessionExpires: a token is refreshed once, however long the clock
// keeps running; a session that expired anyway (the computer slept) is
// made again with a new token.
func vonageSessionExpires(t *testing.T, ctx context.Context) {
	t.Helper()
	var refreshed int
	run(t, ctx, chromedp.Sleep(1500*time.Millisecond), chromedp.Evaluate(`window.__fake.refreshed.length`, &refreshed))
	if refreshed != 1 {
		t.Errorf("session refreshed %d times for one token, want 1", refreshed)
	}
	var sessions, tokens []string
	run(t, ctx,
		chromedp.Sleep(1100*time.Millisecond), // a new second, so a new token
		js(vonageEmit("sessionError", `"EXPIRED_TOKEN"`)),
		waitJS("a new session", `window.__fake.sessions.length === 2`),
		waitText(".device-status", "Ready for calls"),
		chromedp.Evaluate(`window.__fake.sessions`, &sessions),
		chromedp.Evaluate(`window.__fake.refreshed`, &tokens),
	)
	if sessions[1] == sessions[0] || sessions[1] == tokens[0] || vonageClaims(t, sessions[1])["sub"] != "support_agent" {
		t.Errorf("the new session reused a token: %q", sessions[1])
	}
}

// vonageRefreshFindsSessionGone: the next refresh finds the session gone;
// a new session is made, with the new token.
func vonageRefreshFindsSessionGone(t *testing.T, ctx context.Context) {
	t.Helper()
	var sessions, tokens []string
	run(t, ctx,
		js(`window.__fake.fail.refreshSession = {type: "SESSION_ERROR", code: "session:error:invalid-session", message: "invalid session"}`),
		js(`window.__fake.advanceClock(125_000)`),
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

// vonageDialCustomer: Vonage asks the answer URL, moving the context's
// `to` to the top level and the rest into custom_data; the NCCO connects
// the phone from VONAGE_NUMBER.
func vonageDialCustomer(t *testing.T, a *app, params map[string]any, number string) callLeg {
	t.Helper()
	context := formStrings(params)
	to := context["to"]
	delete(context, "to")
	conversation := vonagetest.NewConversation()
	answer := vonagetest.Answer{FromUser: "support_agent", To: to, ConversationUUID: conversation, Context: context}
	code, body := vonagePost(t, a, "/webhooks/answer", answer.Body())
	if code != http.StatusOK {
		t.Fatalf("/webhooks/answer: %d %s", code, body)
	}
	ncco := vonagetest.MustParseNCCO(t, body)
	if diff := cmp.Diff([]string{"connect"}, ncco.Actions()); diff != "" {
		t.Fatalf("NCCO actions (-want +got):\n%s\n%s", diff, body)
	}
	digits := strings.TrimPrefix(number, "+")
	if diff := cmp.Diff([]map[string]any{{"type": "phone", "number": digits}}, ncco.Endpoints()); diff != "" {
		t.Errorf("NCCO endpoints (-want +got):\n%s", diff)
	}
	if ncco[0]["from"] != vonagetest.Number {
		t.Errorf("connect from %v, want VONAGE_NUMBER %s", ncco[0]["from"], vonagetest.Number)
	}
	return &vonageCallLeg{a: a, eventPath: vonageEventPath(t, a, ncco, body), conversation: conversation,
		uuid: vonagetest.NewUUID(), from: vonagetest.Number, to: digits}
}

// vonageDialSupport: a customer reaches the agents' app user, never a
// phone, whatever the browser sent.
func vonageDialSupport(t *testing.T, a *app, params map[string]any) callLeg {
	t.Helper()
	conversation := vonagetest.NewConversation()
	answer := vonagetest.Answer{FromUser: "customer", ConversationUUID: conversation, Context: formStrings(params)}
	code, body := vonagePost(t, a, "/webhooks/answer", answer.Body())
	if code != http.StatusOK {
		t.Fatalf("/webhooks/answer: %d %s", code, body)
	}
	ncco := vonagetest.MustParseNCCO(t, body)
	if diff := cmp.Diff([]string{"talk", "connect"}, ncco.Actions()); diff != "" {
		t.Errorf("NCCO actions (-want +got):\n%s\n%s", diff, body)
	}
	if diff := cmp.Diff([]map[string]any{{"type": "app", "user": "support_agent"}}, ncco.Endpoints()); diff != "" {
		t.Errorf("NCCO endpoints (-want +got):\n%s", diff)
	}
	if nums := ncco.Strings("number"); len(nums) != 0 {
		t.Errorf("a customer's call names phone numbers %v:\n%s", nums, body)
	}
	return &vonageCallLeg{a: a, eventPath: vonageEventPath(t, a, ncco, body), conversation: conversation,
		uuid: vonagetest.NewUUID(), from: "customer", to: "support_agent"}
}

// vonageEventPath is the one event URL an NCCO names, as a path on a.
func vonageEventPath(t *testing.T, a *app, ncco vonagetest.NCCO, body []byte) string {
	t.Helper()
	urls := ncco.Strings("eventUrl")
	if len(urls) != 1 {
		t.Fatalf("NCCO event URLs = %v, want one:\n%s", urls, body)
	}
	return appPath(t, a, urls[0])
}

// vonageCallLeg is the leg a connect action made, reporting to its eventUrl.
type vonageCallLeg struct {
	a                             *app
	eventPath, conversation, uuid string
	from, to                      string
}

func (l *vonageCallLeg) report(t *testing.T, status string, duration int) {
	t.Helper()
	ev := vonagetest.Event{UUID: l.uuid, ConversationUUID: l.conversation, Status: status, From: l.from, To: l.to,
		Direction: "outbound", Timestamp: time.Now(), Duration: duration}
	if code, body := vonagePost(t, l.a, l.eventPath, ev.Body()); code != http.StatusNoContent {
		t.Fatalf("event %s: %d %s", ev.Status, code, body)
	}
}

// vonagePost posts a JSON body to path on a, signed as Vonage signs
// webhooks with vonagetest's signature secret.
func vonagePost(t *testing.T, a *app, path string, body []byte) (int, []byte) {
	t.Helper()
	return send(t, vonagetest.NewRequest(t, vonagetest.SignatureSecret, http.MethodPost, a.URL+path, body))
}

// vonageClaims reads a Client SDK JWT's claims. The signature is checked by
// the server's own tests; here it is enough that the page used the token
// /token gave it.
func vonageClaims(t *testing.T, token string) map[string]any {
	t.Helper()
	var claims map[string]any
	readClaims(t, token, &claims)
	return claims
}
