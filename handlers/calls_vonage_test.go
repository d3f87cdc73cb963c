package handlers_test

// Vonage's webhooks, driven through the real router the way Vonage calls
// them: every request signed with the signature secret (Authorization:
// Bearer, HS256, payload_hash of the body), every NCCO parsed and compared
// as JSON.

import (
	"net/http"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ringdesk/ringdesk/handlers/vonagetest"
	"github.com/ringdesk/ringdesk/models"
)

// vonagePublicURL is where Vonage believes Ringdesk lives.
const vonagePublicURL = "https://support.example.com"

// withVonage configures the fake Vonage application, served at publicURL;
// its private key is written to a temporary file.
func withVonage(t testing.TB, publicURL string) appOption {
	env := vonagetest.Env(t, publicURL)
	return func(o *appOptions) {
		for k, v := range env {
			o.env[k] = v
		}
	}
}

func newVonageApp(t testing.TB, opts ...appOption) *testApp {
	t.Helper()
	return newTestApp(t, append([]appOption{withVonage(t, vonagePublicURL)}, opts...)...)
}

// vonagePost posts a JSON body to path as Vonage does, signed now.
func (a *testApp) vonagePost(t testing.TB, path string, body []byte) *response {
	t.Helper()
	return a.roundTrip(t, vonagetest.NewRequestAt(t, a.cfg.Vonage.SignatureSecret, http.MethodPost, a.srv.URL+path, body, a.vonageNow()))
}

// vonageNow is when Vonage signs a webhook: now, or the test's clock
// when it runs the app on one (SetClock alone leaves Vonage on time).
func (a *testApp) vonageNow() time.Time {
	if a.vonageClock != nil {
		return a.vonageClock()
	}
	return time.Now()
}

// vonageGet sends a signed GET of path (with its query) as Vonage does.
func (a *testApp) vonageGet(t testing.TB, path string) *response {
	t.Helper()
	return a.roundTrip(t, vonagetest.NewRequestAt(t, a.cfg.Vonage.SignatureSecret, http.MethodGet, a.srv.URL+path, nil, a.vonageNow()))
}

// ncco checks that r is an NCCO answer and parses it.
func (r *response) ncco(t testing.TB) vonagetest.NCCO {
	t.Helper()
	r.wantStatus(t, http.StatusOK)
	if ct := r.Header.Get("Content-Type"); ct != "application/json" {
		t.Fatalf("Content-Type = %q, want application/json; body:\n%s", ct, r.body)
	}
	return vonagetest.MustParseNCCO(t, []byte(r.body))
}

// nccoGolden compares an NCCO with handlers/testdata/name.golden, with
// each ticket id replaced by {ticketId}.
func nccoGolden(t testing.TB, name string, got vonagetest.NCCO, ticketIDs ...models.ID) {
	t.Helper()
	for _, id := range ticketIDs {
		got = got.Replace(id.Hex(), "{ticketId}")
	}
	vonagetest.Golden(t, filepath.Join("testdata", name+".golden"), got, *update)
}

// vonagePath turns a URL from an NCCO back into the path Vonage will call,
// checking that it points at PUBLIC_URL.
func (a *testApp) vonagePath(t testing.TB, n vonagetest.NCCO, key string) string {
	t.Helper()
	urls := n.Strings(key)
	if len(urls) != 1 {
		t.Fatalf("NCCO has %d %s values, want 1:\n%s", len(urls), key, n.JSON())
	}
	return a.pathOf(t, urls[0])
}

// TestVonageAnswerUnreadable answers a body that is not JSON as a
// customer's call.
func TestVonageAnswerUnreadable(t *testing.T) {
	t.Parallel()
	app := newVonageApp(t)
	got := app.vonagePost(t, "/webhooks/answer", []byte(`from_user=support_agent&to=%2B14155552671`)).ncco(t)
	nccoGolden(t, "vonage_customer", got)
}

func TestVonageAnswerWithoutNumber(t *testing.T) {
	t.Parallel()
	app := newVonageApp(t, withEnv("VONAGE_NUMBER", ""))
	got := app.vonagePost(t, "/webhooks/answer", vonagetest.Answer{FromUser: "support_agent", To: "+14155552671"}.Body()).ncco(t)
	nccoGolden(t, "vonage_agent_no_number", got)
	// Customers still reach the agents.
	got = app.vonagePost(t, "/webhooks/answer", vonagetest.Answer{FromUser: "customer"}.Body()).ncco(t)
	nccoGolden(t, "vonage_customer", got)
}

// tokenInURI matches the sound-check socket's one-time token.
var tokenInURI = regexp.MustCompile(`token=([A-Za-z0-9_-]+\.[A-Za-z0-9_-]+)$`)

func TestVonageSoundCheck(t *testing.T) {
	t.Parallel()
	app := newVonageApp(t)
	seen := map[string]bool{}
	for _, a := range []vonagetest.Answer{
		{FromUser: "customer", Context: map[string]string{"soundCheck": "1"}},
		{FromUser: "support_agent", To: "+14155552671", Context: map[string]string{"soundCheck": "1", "ticketId": models.NewID().Hex()}},
		{FromUser: "customer", Context: map[string]string{"soundCheck": "true"}},
	} {
		got := app.vonagePost(t, "/webhooks/answer", a.Body()).ncco(t)
		uris := got.Strings("uri")
		if len(uris) != 1 {
			t.Fatalf("want one websocket uri:\n%s", got.JSON())
		}
		m := tokenInURI.FindStringSubmatch(uris[0])
		if m == nil || seen[m[1]] {
			t.Fatalf("uri %q carries no fresh one-time token", uris[0])
		}
		seen[m[1]] = true
		if n := countCalls(t, app.store); n != 0 {
			t.Errorf("a sound check wrote %d call logs", n)
		}
		nccoGolden(t, "vonage_sound_check", got.Replace(m[1], "{token}"))
	}
}

// outboundEvent is an event of the phone leg of an agent's call.
func outboundEvent(conv, status string, second, duration int) []byte {
	return vonagetest.Event{
		ConversationUUID: conv, Status: status, From: vonagetest.Number, To: "14155552671",
		Timestamp: callAt.Add(time.Duration(second) * time.Second), Duration: duration,
	}.Body()
}

func TestVonageOutboundCallLog(t *testing.T) {
	t.Parallel()
	app := newVonageApp(t)
	tk := app.createTicket(t, "Ada Lovelace", "+1 415 555 2671", "Headset crackles")
	conv := vonagetest.NewConversation()
	answer := vonagetest.Answer{FromUser: "support_agent", ConversationUUID: conv, Context: map[string]string{"ticketId": tk.ID.Hex()}}
	event := app.vonagePath(t, app.vonagePost(t, "/webhooks/answer", answer.Body()).ncco(t), "eventUrl")

	for i, body := range [][]byte{
		outboundEvent(conv, "completed", 65, 60), // completed before ringing
		outboundEvent(conv, "ringing", 1, 0),
		outboundEvent(conv, "answered", 5, 0),
		outboundEvent(conv, "started", 0, 0),
		outboundEvent(conv, "ringing", 1, 0), // a retry
	} {
		path := event
		if i%2 == 1 {
			path = strings.Replace(event, "/webhooks/event?", "/webhooks/events?", 1) // both spellings
		}
		resp := app.vonagePost(t, path, body)
		resp.wantStatus(t, http.StatusNoContent)
		if resp.body != "" {
			t.Errorf("a logged event answered %q; an NCCO would replace the call's", resp.body)
		}
	}

	c := storedCall(t, app, conv)
	if c.Provider != "vonage" || c.TicketID == nil || *c.TicketID != tk.ID || c.Direction != models.CallOutbound || c.To != "+14155552671" || c.From != "+"+vonagetest.Number {
		t.Errorf("call log %+v: want vonage, outbound from +%s to +14155552671 on ticket %s", c, vonagetest.Number, tk.ID.Hex())
	}
	answered := callAt.Add(5 * time.Second)
	want := models.CallSummary{
		SID: conv, Direction: models.CallOutbound, Status: models.CallCompleted,
		StartedAt: callAt, AnsweredAt: &answered, Duration: 60, Steps: 4,
	}
	if diff := cmp.Diff(want, c.Summary()); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}

	agent := app.client(t)
	app.signIn(t, agent)
	var got struct {
		Calls map[string]struct {
			Direction, Status string
			Duration          int
		} `json:"calls"`
	}
	app.get(t, agent, "/tickets/"+tk.ID.Hex(), "Accept", "application/json").json(t, &got)
	if sum := got.Calls[conv]; sum.Direction != "outbound" || sum.Status != "completed" || sum.Duration != 60 {
		t.Errorf("ticket JSON calls = %+v, want %s: outbound, completed, 60 s", got.Calls, conv)
	}
	page := app.get(t, agent, "/tickets/"+tk.ID.Hex())
	page.wantStatus(t, http.StatusOK)
	if diff := cmp.Diff([][2]string{{"Outgoing call", "Answered · 1:00"}}, shownCalls(find(page.doc(t), byClass("call-history")))); diff != "" {
		t.Errorf("ticket page call history (-want +got):\n%s", diff)
	}
}

func TestVonageEventsNotLogged(t *testing.T) {
	t.Parallel()
	app := newVonageApp(t)
	conv := vonagetest.NewConversation()
	for name, tt := range map[string]struct {
		path string
		body []byte
		code int
	}{
		// The application-wide event URL reports the browser's own leg.
		"untagged event":   {"/webhooks/event", outboundEvent(conv, "ringing", 1, 0), http.StatusNoContent},
		"transfer event":   {"/webhooks/event?dir=outbound", []byte(`{"conversation_uuid":"` + conv + `","status":"transfer"}`), http.StatusNoContent},
		"unknown status":   {"/webhooks/event?dir=outbound", []byte(`{"conversation_uuid":"` + conv + `","status":"exploded"}`), http.StatusNoContent},
		"no conversation":  {"/webhooks/event?dir=outbound", []byte(`{"uuid":"` + vonagetest.NewUUID() + `","status":"ringing"}`), http.StatusBadRequest},
		"operator as id":   {"/webhooks/event?dir=outbound", []byte(`{"conversation_uuid":{"$ne":null},"status":"ringing"}`), http.StatusBadRequest},
		"not JSON":         {"/webhooks/event?dir=outbound", []byte(`status=ringing`), http.StatusBadRequest},
		"short conversion": {"/webhooks/event?dir=outbound", []byte(`{"conversation_uuid":"CON-123","status":"ringing"}`), http.StatusBadRequest},
	} {
		t.Run(name, func(t *testing.T) {
			resp := app.vonagePost(t, tt.path, tt.body)
			resp.wantStatus(t, tt.code)
		})
	}
	if n := countCalls(t, app.store); n != 0 {
		t.Errorf("%d call logs from events Ringdesk does not log, want 0", n)
	}
}

const vonageRecordingURL = "https://api-us.nexmo.com/v1/files/aaaaaaaa-bbbb-cccc-dddd-0123456789ab"

// customerCall follows a customer's call as Vonage would: answer, then the
// agents' leg reports status; it returns the answer to that event.
func customerCall(t testing.TB, app *testApp, conv string, context map[string]string, status string) *response {
	t.Helper()
	connect := app.vonagePost(t, "/webhooks/answer", vonagetest.Answer{FromUser: "customer", ConversationUUID: conv, Context: context}.Body()).ncco(t)
	event := app.vonagePath(t, connect, "eventUrl")
	app.vonagePost(t, event, vonagetest.Event{ConversationUUID: conv, Status: "ringing", From: "customer", To: "support_agent", Timestamp: callAt}.Body()).
		wantStatus(t, http.StatusNoContent)
	return app.vonagePost(t, event, vonagetest.Event{ConversationUUID: conv, Status: status, From: "customer", To: "support_agent", Timestamp: callAt.Add(30 * time.Second)}.Body())
}

func TestVonageRecordingRejectsUnusable(t *testing.T) {
	t.Parallel()
	app := newVonageApp(t)
	conv := vonagetest.NewConversation()
	for name, tt := range map[string]struct {
		body []byte
		code int
	}{
		"http recording":    {vonagetest.Recording(conv, strings.Replace(vonageRecordingURL, "https:", "http:", 1), callAt, 17), http.StatusBadRequest},
		"another host":      {vonagetest.Recording(conv, "https://evil.example/recording.mp3", callAt, 17), http.StatusBadRequest},
		"javascript URL":    {vonagetest.Recording(conv, "javascript:alert(1)", callAt, 17), http.StatusBadRequest},
		"no recording":      {vonagetest.Recording(conv, "", callAt, 17), http.StatusBadRequest},
		"no conversation":   {vonagetest.Recording("", vonageRecordingURL, callAt, 17), http.StatusBadRequest},
		"empty recording":   {vonagetest.Recording(conv, vonageRecordingURL, callAt, 0), http.StatusNoContent},
		"not JSON":          {[]byte(`recording_url=x`), http.StatusBadRequest},
		"conversation junk": {vonagetest.Recording(`CON-{"$ne":null}`, vonageRecordingURL, callAt, 17), http.StatusBadRequest},
	} {
		t.Run(name, func(t *testing.T) {
			app.vonagePost(t, "/webhooks/recording?dir=inbound", tt.body).wantStatus(t, tt.code)
		})
	}
	if n := len(allTickets(t, app.store)); n != 0 {
		t.Errorf("%d tickets from unusable recordings, want 0", n)
	}
	if n := countCalls(t, app.store); n != 0 {
		t.Errorf("%d call logs from unusable recordings, want 0", n)
	}
}

func TestVonageFallbackNumber(t *testing.T) {
	t.Parallel()
	app := newVonageApp(t, withEnv("VONAGE_FALLBACK_NUMBER", "+"+vonagetest.FallbackNumber))
	tk, ref := openTicketAsCustomer(t, app, "Ada Lovelace")
	conv := vonagetest.NewConversation()

	// Nobody answers in the browser: the call goes on to the fallback
	// phone, and only to it.
	fb := customerCall(t, app, conv, map[string]string{"ticketRef": ref}, "unanswered").ncco(t)
	nccoGolden(t, "vonage_fallback", fb, tk.ID)
	if diff := cmp.Diff([]map[string]any{{"type": "phone", "number": vonagetest.FallbackNumber}}, fb.Endpoints()); diff != "" {
		t.Errorf("fallback endpoints (-want +got):\n%s", diff)
	}
	// The fallback phone rings and is busy: voicemail.
	event := app.vonagePath(t, fb, "eventUrl")
	app.vonagePost(t, event, vonagetest.Event{ConversationUUID: conv, Status: "ringing", To: vonagetest.FallbackNumber, Timestamp: callAt.Add(31 * time.Second)}.Body()).
		wantStatus(t, http.StatusNoContent)
	vm := app.vonagePost(t, event, vonagetest.Event{ConversationUUID: conv, Status: "busy", To: vonagetest.FallbackNumber, Timestamp: callAt.Add(40 * time.Second)}.Body()).ncco(t)
	nccoGolden(t, "vonage_voicemail_ticket", vm, tk.ID)

	c := storedCall(t, app, conv)
	if c.TicketID == nil || *c.TicketID != tk.ID || c.Direction != models.CallInbound || len(c.Steps) != 4 {
		t.Errorf("call log %+v, want 4 inbound steps on ticket %s", c, tk.ID.Hex())
	}

	// An answered fallback needs nothing more.
	conv2 := vonagetest.NewConversation()
	fb = customerCall(t, app, conv2, nil, "timeout").ncco(t)
	resp := app.vonagePost(t, app.vonagePath(t, fb, "eventUrl"), vonagetest.Event{ConversationUUID: conv2, Status: "answered", Timestamp: callAt.Add(35 * time.Second)}.Body())
	resp.wantStatus(t, http.StatusNoContent)
}

// TestVonageAgentUnreachedNeedsNothing: when the customer's phone does not
// answer an agent's call, the call simply ends; no voicemail is offered.
func TestVonageAgentUnreachedNeedsNothing(t *testing.T) {
	t.Parallel()
	app := newVonageApp(t)
	tk := app.createTicket(t, "Ada Lovelace", "+1 415 555 2671", "Headset crackles")
	conv := vonagetest.NewConversation()
	answer := vonagetest.Answer{FromUser: "support_agent", ConversationUUID: conv, Context: map[string]string{"ticketId": tk.ID.Hex()}}
	event := app.vonagePath(t, app.vonagePost(t, "/webhooks/answer", answer.Body()).ncco(t), "eventUrl")
	resp := app.vonagePost(t, event, outboundEvent(conv, "busy", 3, 0))
	resp.wantStatus(t, http.StatusNoContent)
	if sum := findTicket(t, app.store, tk.ID.Hex()).Calls[conv]; sum.Status != models.CallBusy {
		t.Errorf("ticket summary %+v, want busy", sum)
	}
}

func TestVonageWebhooksNeedSignature(t *testing.T) {
	t.Parallel()
	app := newVonageApp(t)
	conv := vonagetest.NewConversation()
	answer := vonagetest.Answer{FromUser: "support_agent", To: "+14155552671", ConversationUUID: conv}.Body()
	event := outboundEvent(conv, "ringing", 1, 0)
	recording := vonagetest.Recording(conv, vonageRecordingURL, callAt, 17)
	secret := vonagetest.SignatureSecret

	request := func(method, path string, body []byte, auth string) *http.Request {
		req := vonagetest.NewRequest(t, "", method, app.srv.URL+path, body)
		if auth != "" {
			req.Header.Set("Authorization", auth)
		}
		return req
	}
	bearer := func(s string) string { return "Bearer " + s }
	tests := []struct {
		name string
		req  *http.Request
	}{
		{"answer POST unsigned", request("POST", "/webhooks/answer", answer, "")},
		{"answer GET unsigned", request("GET", "/webhooks/answer?from_user=support_agent&to=%2B14155552671", nil, "")},
		{"event unsigned", request("POST", "/webhooks/event?dir=outbound", event, "")},
		{"events unsigned", request("POST", "/webhooks/events?dir=outbound", event, "")},
		{"recording unsigned", request("POST", "/webhooks/recording?dir=inbound", recording, "")},
		{"wrong secret", request("POST", "/webhooks/answer", answer, bearer(vonagetest.SignWebhook("not-the-secret-0123456789abcdef", answer, time.Now())))},
		{"tampered body", request("POST", "/webhooks/answer", []byte(strings.Replace(string(answer), "+14155552671", "+14155550111", 1)), bearer(vonagetest.SignWebhook(secret, answer, time.Now())))},
		{"signature of another body", request("POST", "/webhooks/event?dir=outbound", event, bearer(vonagetest.SignWebhook(secret, answer, time.Now())))},
		{"stale", request("POST", "/webhooks/event?dir=outbound", event, bearer(vonagetest.SignWebhook(secret, event, time.Now().Add(-10*time.Minute))))},
		{"future", request("POST", "/webhooks/event?dir=outbound", event, bearer(vonagetest.SignWebhook(secret, event, time.Now().Add(10*time.Minute))))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := app.roundTrip(t, tt.req)
			resp.wantStatus(t, http.StatusUnauthorized)
			var body struct{ Error string }
			resp.json(t, &body)
			if body.Error == "" || strings.Contains(resp.body, "action") {
				t.Errorf("401 body %s", resp.body)
			}
		})
	}
	if n := countCalls(t, app.store); n != 0 {
		t.Errorf("%d call logs from unsigned webhooks, want 0", n)
	}
	if !strings.Contains(app.logs.String(), "rejected vonage webhook") {
		t.Error("refused webhooks were not logged")
	}
}

// TestVonageWithoutSignatureSecret: without VONAGE_SIGNATURE_SECRET (on
// an http PUBLIC_URL: https refuses to start, see config) the webhooks
// work unsigned, and start-up warns that they are not authenticated.
func TestVonageWithoutSignatureSecret(t *testing.T) {
	t.Parallel()
	app := newVonageApp(t, withEnv("VONAGE_SIGNATURE_SECRET", ""), withEnv("PUBLIC_URL", "http://support.example.com"))
	if !strings.Contains(app.logs.String(), "VONAGE_SIGNATURE_SECRET is not set") || !strings.Contains(app.logs.String(), "level=WARN") {
		t.Errorf("no start-up warning about unauthenticated webhooks; log:\n%s", app.logs.String())
	}
	tk := app.createTicket(t, "Ada Lovelace", "+1 415 555 2671", "Headset crackles")
	conv := vonagetest.NewConversation()
	answer := vonagetest.Answer{FromUser: "support_agent", ConversationUUID: conv, Context: map[string]string{"ticketId": tk.ID.Hex()}}
	got := app.roundTrip(t, vonagetest.NewRequest(t, "", http.MethodPost, app.srv.URL+"/webhooks/answer", answer.Body())).ncco(t)
	nccoGolden(t, "vonage_agent_ticket", got.Replace("http://support.example.com/", vonagePublicURL+"/"), tk.ID)
	event := app.vonagePath(t, got, "eventUrl")
	app.roundTrip(t, vonagetest.NewRequest(t, "", http.MethodPost, app.srv.URL+event, outboundEvent(conv, "ringing", 1, 0))).
		wantStatus(t, http.StatusNoContent)
	if c := storedCall(t, app, conv); len(c.Steps) != 1 {
		t.Errorf("call log %+v, want the unsigned event", c)
	}

	signed := newVonageApp(t)
	if strings.Contains(signed.logs.String(), "VONAGE_SIGNATURE_SECRET is not set") {
		t.Error("the warning is logged although the secret is set")
	}
}

func TestVonageWebhookBodyCap(t *testing.T) {
	t.Parallel()
	app := newVonageApp(t)
	big := []byte(`{"from_user":"customer","pad":"` + strings.Repeat("x", 70<<10) + `"}`)
	resp := app.vonagePost(t, "/webhooks/answer", big)
	resp.wantStatus(t, http.StatusRequestEntityTooLarge)
}

func TestVonageCSP(t *testing.T) {
	t.Parallel()
	app := newVonageApp(t)
	resp := app.get(t, app.client(t), "/")
	resp.wantStatus(t, http.StatusOK)
	csp := resp.Header.Get("Content-Security-Policy")
	for _, src := range []string{"https://*.vonage.com", "wss://*.vonage.com"} {
		if !strings.Contains(csp, src) {
			t.Errorf("CSP %q lacks %s, which the Vonage Client SDK connects to", csp, src)
		}
	}
	if strings.Contains(csp, "twilio") {
		t.Errorf("CSP %q allows Twilio on a Vonage server", csp)
	}
}
