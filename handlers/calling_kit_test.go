package handlers_test

// A calling kit plays one provider's cloud in tests: it places calls the
// way the provider reports them (signed, in its wire format) and reads
// Ringdesk's answer back into provider-neutral terms. A new provider
// proves itself by adding a kit and passing the tables that range over
// callingKits.

import (
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/ringdesk/ringdesk/handlers/twiliotest"
	"github.com/ringdesk/ringdesk/handlers/vonagetest"
	"github.com/ringdesk/ringdesk/models"
)

// Who places a call, as the provider's signed webhook says it.
const (
	fromAgent     = "support_agent" // the agents' browser identity
	fromCustomer  = "customer"      // a customer's browser
	fromPhone     = "phone"         // a phone dialling the provider's number
	fromLookalike = "support_agent_2"
	fromCapitals  = "SUPPORT_AGENT"
	fromNobody    = "" // a webhook that names no caller at all
)

// callRequest is what the browser asks for when it places a call.
type callRequest struct {
	TicketID, PhoneNumber, TicketRef string
	SoundCheck                       bool
	// Claims are more parameters a browser adds, e.g. to pass for the agent.
	Claims map[string]string
	// SID names the call; a new one when "".
	SID string
}

// heard is what a call does, read back from the provider's format.
type heard struct {
	Says     []string // spoken texts, in order
	Dials    []string // phone numbers put through to, E.164
	Rings    []string // browser identities rung
	Records  bool     // a voicemail is recorded
	Socket   string   // the sound-check socket's address
	HangsUp  bool     // the call ends explicitly
	Callback []string // our addresses the provider will call back, as paths
	Plays    []string // our audio played to the caller, as paths
}

// callingKit is one provider's side of the wire.
type callingKit struct {
	name string
	// option configures the provider's fake account for a test app.
	option func(t *testing.T) appOption
	// answer places a call from caller asking for req; variants are the
	// ways the provider may deliver the same call (e.g. GET and POST).
	answer func(t *testing.T, app *testApp, caller string, req callRequest) []*response
	// read checks that r is the provider's call-control answer and reads it.
	read func(t *testing.T, app *testApp, r *response) heard
	// token checks an answer of POST /token for identity, living ttl
	// (everything a token of the provider must carry), and reports
	// whether the token receives calls.
	token func(t testing.TB, resp *response, identity string, ttl time.Duration) (receivesCalls bool)
	// hooks are the provider's addresses, as "METHOD /path", each
	// reached in a test with a signed request (see hook).
	hooks []string
	// hook sends a signed request to one of hooks.
	hook func(t *testing.T, app *testApp, hook string) *response
	// newSID names a new call as the provider does.
	newSID func() string
	// recordingURL is where the provider keeps a voicemail.
	recordingURL string
	// unanswered tells Ringdesk that the endpoint the answer to call sid
	// rang did not answer, at the address that answer named.
	unanswered func(t *testing.T, app *testApp, answer *response, sid string) *response
	// recorded delivers the voicemail of seconds that the answer to call
	// sid recorded, at the address that answer named.
	recorded func(t *testing.T, app *testApp, answer *response, sid string, seconds int) *response
	// polled has call sid, on hold by answer, ask again at the address
	// that answer named, with the key the caller pressed ("" for none).
	polled func(t *testing.T, app *testApp, answer *response, sid, digits string) *response
	// golden compares r with testdata/<prefix><name>.golden, each of ids
	// written as {ticketId} and each of tokens as {token}.
	golden func(t *testing.T, name string, r *response, ids []models.ID, tokens ...string)
	// leg reports the leg that the answer to call sid dialled or rang
	// (the agents, or an agent's phone number) reaching status at `at`:
	// legRinging, legAnswered, legCompleted after talk seconds, or
	// legUnanswered. When the provider then asks what the call does
	// next, its answer is returned; nil otherwise.
	leg func(t *testing.T, app *testApp, answer *response, sid string, status legStatus, at time.Time, talk int) *response
}

// legStatus is a dialled leg's progress, as a kit's leg reports it.
type legStatus int

const (
	legRinging legStatus = iota + 1
	legAnswered
	legCompleted
	legUnanswered
)

// childSID names the leg Twilio dials for call sid: another call SID,
// the same for every event of the leg.
func childSID(sid string) string {
	hex := []byte(sid[2:])
	slices.Reverse(hex)
	return "CA" + string(hex)
}

var callingKits = []callingKit{twilioKit, vonageKit}

var twilioKit = callingKit{
	name:   "twilio",
	option: func(*testing.T) appOption { return withTwilio(twilioPublicURL) },
	answer: func(t *testing.T, app *testApp, caller string, req callRequest) []*response {
		extra := url.Values{}
		for k, v := range map[string]string{"ticketId": req.TicketID, "phoneNumber": req.PhoneNumber, "ticketRef": req.TicketRef} {
			if v != "" {
				extra.Set(k, v)
			}
		}
		if req.SoundCheck {
			extra.Set("soundCheck", "1")
		}
		for k, v := range req.Claims {
			extra.Set(k, v)
		}
		sid := req.SID
		if sid == "" {
			sid = twiliotest.NewSID("CA")
		}
		var params url.Values
		switch caller {
		case fromNobody:
			params = url.Values{}
		case fromPhone:
			params = twiliotest.ConnectFrom("+14155550100", sid, extra)
		default:
			params = twiliotest.Connect(caller, sid, extra)
		}
		return []*response{app.twilioPost(t, "/call/connect", params)}
	},
	token: func(t testing.TB, resp *response, identity string, ttl time.Duration) bool {
		in := checkToken(t, resp, identity, ttl).Claims.Grants.Voice.Incoming
		return in != nil && in.Allow
	},
	hooks: []string{"POST /call/connect", "POST /call/status", "POST /call/dial-result", "POST /call/voicemail", "POST /call/queue", "GET /media"},
	hook: func(t *testing.T, app *testApp, hook string) *response {
		method, path, _ := strings.Cut(hook, " ")
		if method == http.MethodGet {
			req := app.newRequest(t, method, path, nil)
			req.Header = signedStream()
			return app.do(t, app.client(t), req)
		}
		sid := twiliotest.NewSID("CA")
		return app.twilioPost(t, path+"?dir=inbound", twiliotest.StatusCallback{CallSID: sid, CallStatus: "ringing", Timestamp: callAt}.Params())
	},
	newSID:       func() string { return twiliotest.NewSID("CA") },
	recordingURL: recordingURL,
	unanswered: func(t *testing.T, app *testApp, answer *response, sid string) *response {
		t.Helper()
		dial := answer.twiml(t).All("Dial")
		if len(dial) != 1 {
			t.Fatalf("want one <Dial>:\n%s", answer.body)
		}
		return app.twilioPost(t, app.pathOf(t, dial[0].Attrs["action"]), twiliotest.DialResult(sid, "no-answer"))
	},
	recorded: func(t *testing.T, app *testApp, answer *response, sid string, seconds int) *response {
		t.Helper()
		rec := answer.twiml(t).All("Record")
		if len(rec) != 1 {
			t.Fatalf("want one <Record>:\n%s", answer.body)
		}
		return app.twilioPost(t, app.pathOf(t, rec[0].Attrs["action"]), twiliotest.Recording(sid, recordingURL, seconds))
	},
	polled: func(t *testing.T, app *testApp, answer *response, sid, digits string) *response {
		t.Helper()
		doc := answer.twiml(t)
		form := url.Values{"CallSid": {sid}, "CallStatus": {"in-progress"}}
		if digits != "" {
			// A key press ends the <Gather>, which posts it to its action.
			gather := doc.All("Gather")
			if len(gather) != 1 {
				t.Fatalf("a key was pressed, but the answer gathers none:\n%s", answer.body)
			}
			form.Set("Digits", digits)
			return app.twilioPost(t, app.pathOf(t, gather[0].Attrs["action"]), form)
		}
		next := doc.All("Redirect")
		if len(next) != 1 {
			t.Fatalf("want one <Redirect>:\n%s", answer.body)
		}
		return app.twilioPost(t, app.pathOf(t, next[0].Text), form)
	},
	read: func(t *testing.T, app *testApp, r *response) heard {
		t.Helper()
		doc := r.twiml(t)
		var h heard
		for _, n := range doc.All("Say") {
			h.Says = append(h.Says, n.Text)
		}
		for _, n := range doc.All("Number") {
			h.Dials = append(h.Dials, n.Text)
		}
		for _, n := range doc.All("Client") {
			h.Rings = append(h.Rings, n.Text)
		}
		h.Records = len(doc.All("Record")) > 0
		h.HangsUp = len(doc.All("Hangup")) > 0
		for _, n := range doc.All("Stream") {
			h.Socket = n.Attrs["url"]
		}
		for _, n := range doc.All("Play") {
			h.Plays = append(h.Plays, app.pathOf(t, n.Text))
		}
		for _, n := range doc.All("Redirect") {
			h.Callback = append(h.Callback, app.pathOf(t, n.Text))
		}
		for _, name := range []string{"Dial", "Number", "Client", "Record"} {
			for _, n := range doc.All(name) {
				for _, attr := range []string{"action", "statusCallback"} {
					if u := n.Attrs[attr]; u != "" {
						h.Callback = append(h.Callback, app.pathOf(t, u))
					}
				}
			}
		}
		return h
	},
	leg: func(t *testing.T, app *testApp, answer *response, sid string, status legStatus, at time.Time, talk int) *response {
		t.Helper()
		doc := answer.twiml(t)
		dial := doc.All("Dial")
		if len(dial) != 1 {
			t.Fatalf("want one <Dial>:\n%s", answer.body)
		}
		var callback, from, to string
		for _, n := range doc.All("Client") {
			callback, from, to = n.Attrs["statusCallback"], "client:customer", "client:"+n.Text
		}
		for _, n := range doc.All("Number") {
			callback, from, to = n.Attrs["statusCallback"], twiliotest.CallerID, n.Text
		}
		cs := map[legStatus]string{legRinging: "ringing", legAnswered: "in-progress", legCompleted: "completed", legUnanswered: "no-answer"}[status]
		app.twilioPost(t, app.pathOf(t, callback), twiliotest.StatusCallback{
			CallSID: childSID(sid), ParentCallSID: sid, CallStatus: cs, Timestamp: at, Seq: int(status), Duration: talk, From: from, To: to,
		}.Params()).wantStatus(t, http.StatusNoContent)
		// The <Dial> of a customer's call goes on to its action once the
		// leg ends: that asks what the call does next.
		action := dial[0].Attrs["action"]
		if action == "" || (status != legCompleted && status != legUnanswered) {
			return nil
		}
		return app.twilioPost(t, app.pathOf(t, action), twiliotest.DialResult(sid, cs))
	},
	golden: func(t *testing.T, name string, r *response, ids []models.ID, tokens ...string) {
		t.Helper()
		got := r.twiml(t)
		for _, tok := range tokens {
			got = got.Replace(tok, "{token}")
		}
		golden(t, "twilio_"+name, got, ids...)
	},
}

var vonageKit = callingKit{
	name:   "vonage",
	option: func(t *testing.T) appOption { return withVonage(t, vonagePublicURL) },
	answer: func(t *testing.T, app *testApp, caller string, req callRequest) []*response {
		a := vonagetest.Answer{To: req.PhoneNumber, ConversationUUID: req.SID, Context: map[string]string{}}
		switch caller {
		case fromNobody:
			return []*response{app.vonagePost(t, "/webhooks/answer", []byte(`{}`))}
		case fromPhone:
			a.From, a.To = "14155550111", vonagetest.Number
		default:
			a.FromUser = caller
		}
		for k, v := range map[string]string{"ticketId": req.TicketID, "ticketRef": req.TicketRef} {
			if v != "" {
				a.Context[k] = v
			}
		}
		if req.SoundCheck {
			a.Context["soundCheck"] = "1"
		}
		for k, v := range req.Claims {
			a.Context[k] = v
		}
		return []*response{
			app.vonagePost(t, "/webhooks/answer", a.Body()),
			app.vonageGet(t, "/webhooks/answer?"+a.Query().Encode()),
		}
	},
	token: func(t testing.TB, resp *response, identity string, ttl time.Duration) bool {
		// Vonage tokens have no incoming switch: an agent's carries the
		// Client SDK's full set of paths, users among them.
		_, agent := checkVonageToken(t, resp, identity, ttl).Claims.ACL.Paths["/*/users/**"]
		return agent
	},
	hooks: []string{"GET /webhooks/answer", "POST /webhooks/answer", "POST /webhooks/event", "POST /webhooks/events", "POST /webhooks/recording", "POST /webhooks/queue", "GET /socket"},
	hook: func(t *testing.T, app *testApp, hook string) *response {
		method, path, _ := strings.Cut(hook, " ")
		body := vonagetest.Event{ConversationUUID: vonagetest.NewConversation(), Status: "ringing", Timestamp: callAt}.Body()
		if method == http.MethodGet {
			body = nil
		}
		return app.roundTrip(t, vonagetest.NewRequest(t, vonagetest.SignatureSecret, method, app.srv.URL+path+"?dir=inbound", body))
	},
	newSID:       vonagetest.NewConversation,
	recordingURL: vonageRecordingURL,
	unanswered: func(t *testing.T, app *testApp, answer *response, sid string) *response {
		t.Helper()
		event := app.vonagePath(t, answer.ncco(t), "eventUrl")
		return app.vonagePost(t, event, vonagetest.Event{ConversationUUID: sid, Status: "unanswered", From: "customer", To: "support_agent", Timestamp: callAt.Add(30 * time.Second)}.Body())
	},
	recorded: func(t *testing.T, app *testApp, answer *response, sid string, seconds int) *response {
		t.Helper()
		record := app.vonagePath(t, answer.ncco(t), "eventUrl")
		return app.vonagePost(t, record, vonagetest.Recording(sid, vonageRecordingURL, callAt, seconds))
	},
	polled: func(t *testing.T, app *testApp, answer *response, sid, digits string) *response {
		t.Helper()
		next := app.vonagePath(t, answer.ncco(t), "eventUrl")
		body := `{"conversation_uuid":"` + sid + `","uuid":"` + vonagetest.NewConversation() + `","dtmf":{"digits":"` + digits + `","timed_out":` + strconv.FormatBool(digits == "") + `}}`
		return app.vonagePost(t, next, []byte(body))
	},
	read: func(t *testing.T, app *testApp, r *response) heard {
		t.Helper()
		n := r.ncco(t)
		var h heard
		for _, action := range n {
			switch action["action"] {
			case "talk":
				h.Says = append(h.Says, action["text"].(string))
			case "record":
				h.Records = true
			case "stream":
				for _, u := range action["streamUrl"].([]any) {
					h.Plays = append(h.Plays, app.pathOf(t, u.(string)))
				}
			}
			if urls, ok := action["eventUrl"].([]any); ok {
				for _, u := range urls {
					h.Callback = append(h.Callback, app.pathOf(t, u.(string)))
				}
			}
		}
		for _, ep := range n.Endpoints() {
			switch ep["type"] {
			case "phone":
				h.Dials = append(h.Dials, "+"+ep["number"].(string))
			case "app":
				h.Rings = append(h.Rings, ep["user"].(string))
			case "websocket":
				h.Socket = ep["uri"].(string)
			}
		}
		// An NCCO ends when its last action does; only a connect, or an
		// input (whose event brings the next NCCO), goes on.
		h.HangsUp = len(h.Dials) == 0 && len(h.Rings) == 0 && h.Socket == "" && n[len(n)-1]["action"] != "input"
		return h
	},
	leg: func(t *testing.T, app *testApp, answer *response, sid string, status legStatus, at time.Time, talk int) *response {
		t.Helper()
		event := app.vonagePath(t, answer.ncco(t), "eventUrl")
		st := map[legStatus]string{legRinging: "ringing", legAnswered: "answered", legCompleted: "completed", legUnanswered: "unanswered"}[status]
		r := app.vonagePost(t, event, vonagetest.Event{ConversationUUID: sid, Status: st, Timestamp: at, Duration: talk}.Body())
		// An unanswered connect leaves its call waiting for the next NCCO.
		if status == legUnanswered {
			return r
		}
		if r.StatusCode >= 300 {
			t.Fatalf("%s event: %s\n%s", st, r.Status, r.body)
		}
		return nil
	},
	golden: func(t *testing.T, name string, r *response, ids []models.ID, tokens ...string) {
		t.Helper()
		got := r.ncco(t)
		for _, tok := range tokens {
			got = got.Replace(tok, "{token}")
		}
		nccoGolden(t, "vonage_"+name, got, ids...)
	},
}

// eachKit runs fn once per provider, each with its own app.
func eachKit(t *testing.T, fn func(t *testing.T, kit callingKit)) {
	for _, kit := range callingKits {
		t.Run(kit.name, func(t *testing.T) {
			t.Parallel()
			fn(t, kit)
		})
	}
}

// newKitApp starts an app with kit's provider configured.
func newKitApp(t *testing.T, kit callingKit, opts ...appOption) *testApp {
	t.Helper()
	return newTestApp(t, append([]appOption{kit.option(t)}, opts...)...)
}

// unescaped reports request text that reached an answer raw.
func unescaped(body string) []string {
	var found []string
	for _, raw := range []string{"<b>", "</Number><Client>", `"><Number>`, `"}],"x":[{"`} {
		if strings.Contains(body, raw) {
			found = append(found, raw)
		}
	}
	return found
}
