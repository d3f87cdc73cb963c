package handlers_test

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/net/html"

	"github.com/ringdesk/ringdesk/handlers/twiliotest"
	"github.com/ringdesk/ringdesk/models"
)

// callAt is a fixed moment for status callbacks, so their Timestamps and
// the stored steps are predictable.
var callAt = time.Date(2026, 3, 4, 9, 0, 0, 0, time.UTC)

// outboundLeg is a status callback for the phone leg of an agent's call:
// Twilio posts the leg's own CallSid and the browser call as ParentCallSid.
func outboundLeg(parent, leg, status string, second, duration int) url.Values {
	return twiliotest.StatusCallback{
		CallSID: leg, ParentCallSID: parent, CallStatus: status,
		Timestamp: callAt.Add(time.Duration(second) * time.Second), Seq: second, Duration: duration,
		From: twiliotest.CallerID, To: "+14155552671",
	}.Params()
}

func storedCall(t testing.TB, app *testApp, sid string) *models.Call {
	t.Helper()
	c, err := app.store.Calls.Get(t.Context(), sid)
	if err != nil {
		t.Fatalf("get call %s: %v", sid, err)
	}
	return c
}

func TestCallStatusOutOfOrder(t *testing.T) {
	t.Parallel()
	app := newTwilioApp(t)
	tk := app.createTicket(t, "Ada Lovelace", "+1 415 555 2671", "Headset crackles")
	parent, leg := twiliotest.NewSID("CA"), twiliotest.NewSID("CA")

	// The callback URL is the one the agent's TwiML named.
	tw := app.twilioPost(t, "/call/connect", twiliotest.Connect("support_agent", parent, url.Values{"ticketId": {tk.ID.Hex()}})).twiml(t)
	status := app.pathOf(t, tw.All("Number")[0].Attrs["statusCallback"])

	for _, p := range []url.Values{
		outboundLeg(parent, leg, "completed", 65, 60), // completed before ringing
		outboundLeg(parent, leg, "ringing", 1, 0),
		outboundLeg(parent, leg, "in-progress", 5, 0),
		outboundLeg(parent, leg, "initiated", 0, 0),
	} {
		app.twilioPost(t, status, p).wantStatus(t, http.StatusNoContent)
	}

	c := storedCall(t, app, parent)
	if c.TicketID == nil || *c.TicketID != tk.ID || c.Direction != models.CallOutbound || c.To != "+14155552671" {
		t.Errorf("call log %+v: want outbound to +14155552671 on ticket %s", c, tk.ID.Hex())
	}
	answered := callAt.Add(5 * time.Second)
	want := models.CallSummary{
		SID: parent, Direction: models.CallOutbound, Status: models.CallCompleted,
		StartedAt: callAt, AnsweredAt: &answered, Duration: 60, Steps: 4,
	}
	if diff := cmp.Diff(want, c.Summary()); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}

	// The ticket carries the summary, for the dashboard and the JSON API.
	agent := app.client(t)
	app.signIn(t, agent)
	var got struct {
		Calls map[string]struct {
			Direction, Status string
			Duration          int
			StartedAt         time.Time
		} `json:"calls"`
	}
	app.get(t, agent, "/tickets/"+tk.ID.Hex(), "Accept", "application/json").json(t, &got)
	sum, ok := got.Calls[parent]
	if !ok || sum.Direction != "outbound" || sum.Status != "completed" || sum.Duration != 60 || !sum.StartedAt.Equal(callAt) {
		t.Errorf("ticket JSON calls = %+v, want %s: outbound, completed, 60 s", got.Calls, parent)
	}
}

// shownCalls reads the call lines (direction, outcome) under n, as a
// screen reader hears them.
func shownCalls(n *html.Node) [][2]string {
	var out [][2]string
	for _, li := range findAll(n, byClass("call-item")) {
		out = append(out, [2]string{spokenText(find(li, byClass("call-direction"))), spokenText(find(li, byClass("call-outcome")))})
	}
	return out
}

// spokenText is n's text without aria-hidden decoration, squashed.
func spokenText(n *html.Node) string {
	if n == nil {
		return ""
	}
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && attr(n, "aria-hidden") == "true" {
			return
		}
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return squash(b.String())
}

func TestCallHistoryOnPages(t *testing.T) {
	t.Parallel()
	app := newTwilioApp(t)
	tk := app.createTicket(t, "Ada Lovelace", "+1 415 555 2671", "Headset crackles")
	other := app.createTicket(t, "Grace Hopper", "+1 415 555 2672", "No calls here")
	out, leg := twiliotest.NewSID("CA"), twiliotest.NewSID("CA")
	status := "/call/status?dir=outbound&ticketId=" + tk.ID.Hex()
	app.twilioPost(t, status, outboundLeg(out, leg, "in-progress", 5, 0)).wantStatus(t, http.StatusNoContent)
	app.twilioPost(t, status, outboundLeg(out, leg, "completed", 65, 60)).wantStatus(t, http.StatusNoContent)

	in := twiliotest.NewSID("CA")
	app.twilioPost(t, "/call/status?dir=inbound&ticketId="+tk.ID.Hex(), twiliotest.StatusCallback{
		CallSID: twiliotest.NewSID("CA"), ParentCallSID: in, CallStatus: "no-answer", Timestamp: callAt.Add(time.Hour), Seq: 2,
	}.Params()).wantStatus(t, http.StatusNoContent)

	want := [][2]string{{"Incoming call", "No answer"}, {"Outgoing call", "Answered · 1:00"}}
	agent := app.client(t)
	app.signIn(t, agent)

	dash := app.get(t, agent, "/dashboard")
	dash.wantStatus(t, http.StatusOK)
	doc := dash.doc(t)
	if diff := cmp.Diff(want, shownCalls(find(doc, byID("ticket-"+tk.ID.Hex())))); diff != "" {
		t.Errorf("dashboard calls of the ticket (-want +got):\n%s", diff)
	}
	if got := shownCalls(find(doc, byID("ticket-"+other.ID.Hex()))); len(got) != 0 {
		t.Errorf("a ticket without calls shows %v", got)
	}

	page := app.get(t, agent, "/tickets/"+tk.ID.Hex())
	page.wantStatus(t, http.StatusOK)
	if diff := cmp.Diff(want, shownCalls(find(page.doc(t), byClass("call-history")))); diff != "" {
		t.Errorf("ticket page call history (-want +got):\n%s", diff)
	}
}

func TestCallStatusDuplicates(t *testing.T) {
	t.Parallel()
	app := newTwilioApp(t)
	parent, leg := twiliotest.NewSID("CA"), twiliotest.NewSID("CA")
	p := outboundLeg(parent, leg, "ringing", 1, 0)
	for range 3 {
		app.twilioPost(t, "/call/status?dir=outbound", p).wantStatus(t, http.StatusNoContent)
	}
	if c := storedCall(t, app, parent); len(c.Steps) != 1 {
		t.Errorf("3 deliveries of one callback stored %d steps, want 1: %+v", len(c.Steps), c.Steps)
	}
	if n := countCalls(t, app.store); n != 1 {
		t.Errorf("%d call logs, want 1", n)
	}
}

func TestCallStatusUnknownAndMalformed(t *testing.T) {
	t.Parallel()
	app := newTwilioApp(t)

	// A call Ringdesk has not seen (e.g. its connect answer was lost)
	// starts a log.
	sid := twiliotest.NewSID("CA")
	app.twilioPost(t, "/call/status?dir=inbound", twiliotest.StatusCallback{
		CallSID: sid, CallStatus: "ringing", Timestamp: callAt, From: "client:customer", To: "client:support_agent",
	}.Params()).wantStatus(t, http.StatusNoContent)
	if c := storedCall(t, app, sid); c.Direction != models.CallInbound || c.From != "client:customer" || len(c.Steps) != 1 {
		t.Errorf("new call log %+v", c)
	}

	for name, p := range map[string]url.Values{
		"short CallSid":   twiliotest.StatusCallback{CallSID: "CA123", CallStatus: "ringing", Timestamp: callAt}.Params(),
		"no CallSid":      twiliotest.StatusCallback{CallStatus: "ringing", Timestamp: callAt}.Params(),
		"operator in sid": twiliotest.StatusCallback{CallSID: `CA{"$ne":null}` + strings.Repeat("0", 21), CallStatus: "ringing"}.Params(),
		"unknown status":  twiliotest.StatusCallback{CallSID: twiliotest.NewSID("CA"), CallStatus: "exploded", Timestamp: callAt}.Params(),
	} {
		resp := app.twilioPost(t, "/call/status?dir=outbound", p)
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("%s: status %d, want 400; body %s", name, resp.StatusCode, resp.body)
		}
	}
	if n := countCalls(t, app.store); n != 1 {
		t.Errorf("%d call logs after malformed callbacks, want only the first", n)
	}
}

// TestCallStatusConcurrent delivers twenty callbacks for one call at once.
func TestCallStatusConcurrent(t *testing.T) {
	t.Parallel()
	app := newTwilioApp(t)
	tk := app.createTicket(t, "Ada Lovelace", "+1 415 555 2671", "Headset crackles")
	parent := twiliotest.NewSID("CA")
	const n = 20
	var wg sync.WaitGroup
	codes := make(chan int, n)
	for i := range n {
		wg.Go(func() {
			st := []string{"initiated", "ringing", "in-progress"}[i%3]
			dur := 0
			if i == n-1 {
				st, dur = "completed", 42
			}
			p := outboundLeg(parent, twiliotest.NewSID("CA"), st, i, dur)
			req := twiliotest.NewRequest(t, twiliotest.AuthToken, app.cfg.PublicURL.String(), app.srv.URL, "/call/status?dir=outbound&ticketId="+tk.ID.Hex(), p)
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Error(err)
				return
			}
			resp.Body.Close()
			codes <- resp.StatusCode
		})
	}
	wg.Wait()
	close(codes)
	for code := range codes {
		if code != http.StatusNoContent {
			t.Errorf("a concurrent callback got %d, want 204", code)
		}
	}
	if got := countCalls(t, app.store, parent); got != 1 {
		t.Fatalf("%d call logs for one call, want 1", got)
	}
	c := storedCall(t, app, parent)
	if len(c.Steps) != n {
		t.Errorf("%d steps stored of %d distinct callbacks", len(c.Steps), n)
	}
	if tk := findTicket(t, app.store, tk.ID.Hex()); tk.Calls[parent].Steps != n || tk.Calls[parent].Status != models.CallCompleted {
		t.Errorf("ticket summary %+v, want all %d steps, completed", tk.Calls[parent], n)
	}
}

func TestDialResult(t *testing.T) {
	t.Parallel()
	app := newTwilioApp(t)
	ticket := models.NewID()
	tests := []struct {
		dialStatus, query, golden string
	}{
		{"completed", "?dir=inbound", "dialresult_hangup"},
		{"answered", "?dir=inbound", "dialresult_hangup"},
		{"no-answer", "?dir=inbound", "twilio_voicemail"},
		{"busy", "?dir=inbound", "twilio_voicemail"},
		{"failed", "?dir=inbound", "twilio_voicemail"},
		{"canceled", "?dir=inbound", "twilio_voicemail"},
		{"", "?dir=inbound", "twilio_voicemail"},
		{"no-answer", "?dir=inbound&ticketId=" + ticket.Hex(), "twilio_voicemail_ticket"},
		{"no-answer", "?dir=inbound&ticketId=junk", "twilio_voicemail"},
	}
	for _, tt := range tests {
		t.Run(tt.dialStatus+tt.query, func(t *testing.T) {
			got := app.twilioPost(t, "/call/dial-result"+tt.query, twiliotest.DialResult(twiliotest.NewSID("CA"), tt.dialStatus)).twiml(t)
			golden(t, tt.golden, got, ticket)
		})
	}
}

const recordingURL = "https://api.twilio.com/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Recordings/RE0123456789abcdef0123456789abcdef"

func TestVoicemailRejectsUnusableRecordings(t *testing.T) {
	t.Parallel()
	app := newTwilioApp(t)
	for name, p := range map[string]url.Values{
		"http recording":    twiliotest.Recording(twiliotest.NewSID("CA"), strings.Replace(recordingURL, "https:", "http:", 1), 17),
		"javascript URL":    twiliotest.Recording(twiliotest.NewSID("CA"), "javascript:alert(1)", 17),
		"no recording":      twiliotest.Recording(twiliotest.NewSID("CA"), "", 17),
		"empty recording":   twiliotest.Recording(twiliotest.NewSID("CA"), recordingURL, 0),
		"malformed CallSid": twiliotest.Recording("CA123", recordingURL, 17),
	} {
		t.Run(name, func(t *testing.T) {
			golden(t, "voicemail_goodbye", app.twilioPost(t, "/call/voicemail?dir=inbound", p).twiml(t))
		})
	}
	if n := len(allTickets(t, app.store)); n != 0 {
		t.Errorf("%d tickets from unusable recordings, want 0", n)
	}
	if n := countCalls(t, app.store); n != 0 {
		t.Errorf("%d call logs from unusable recordings, want 0", n)
	}
}
