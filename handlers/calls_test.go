package handlers_test

// Twilio's webhooks, driven through the real router the way Twilio calls
// them: every request signed for PUBLIC_URL + path (the test server itself
// listens on 127.0.0.1), every TwiML answer parsed and compared as a tree.

import (
	"context"
	"flag"
	"net/http"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ringdesk/ringdesk/handlers/twiliotest"
	"github.com/ringdesk/ringdesk/models"
	"github.com/ringdesk/ringdesk/models/storetest"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// twilioPublicURL is where Twilio believes Ringdesk lives.
const twilioPublicURL = "https://support.example.com"

// withTwilio configures the fake Twilio account, served at publicURL.
func withTwilio(publicURL string) appOption {
	return func(o *appOptions) {
		for k, v := range twiliotest.Env(publicURL) {
			o.env[k] = v
		}
	}
}

func newTwilioApp(t testing.TB, opts ...appOption) *testApp {
	t.Helper()
	return newTestApp(t, append([]appOption{withTwilio(twilioPublicURL)}, opts...)...)
}

// twilioPost posts params to path as Twilio does: signed for PUBLIC_URL +
// path, sent to the test server. No cookies: Twilio has none.
func (a *testApp) twilioPost(t testing.TB, path string, params url.Values) *response {
	t.Helper()
	return a.roundTrip(t, twiliotest.NewRequest(t, twiliotest.AuthToken, a.cfg.PublicURL.String(), a.srv.URL, path, params))
}

// twiml checks that r is a TwiML answer and parses it.
func (r *response) twiml(t testing.TB) *twiliotest.Node {
	t.Helper()
	r.wantStatus(t, http.StatusOK)
	if ct := r.Header.Get("Content-Type"); !strings.HasPrefix(ct, "text/xml") {
		t.Fatalf("Content-Type = %q, want text/xml; body:\n%s", ct, r.body)
	}
	return twiliotest.MustParseTwiML(t, []byte(r.body))
}

// golden compares TwiML with handlers/testdata/name.golden, with each
// ticket id replaced by {ticketId}.
func golden(t testing.TB, name string, got *twiliotest.Node, ticketIDs ...models.ID) {
	t.Helper()
	for _, id := range ticketIDs {
		got = got.Replace(id.Hex(), "{ticketId}")
	}
	twiliotest.Golden(t, filepath.Join("testdata", name+".golden"), got, *update)
}

// pathOf turns a callback URL from TwiML back into the path Twilio will
// post to, checking that it points at PUBLIC_URL.
func (a *testApp) pathOf(t testing.TB, callback string) string {
	t.Helper()
	p, ok := strings.CutPrefix(callback, a.cfg.PublicURL.String())
	if !ok || !strings.HasPrefix(p, "/") {
		t.Fatalf("callback %q is not under PUBLIC_URL %s", callback, a.cfg.PublicURL)
	}
	return p
}

// openTicketAsCustomer posts the home page's form in a fresh browser and
// returns the ticket and the signed reference the browser keeps.
func openTicketAsCustomer(t testing.TB, app *testApp, name string) (*models.Ticket, string) {
	t.Helper()
	resp := app.postForm(t, app.client(t), "/tickets", ticketForm(name, "+1 415 555 2671", "Please call me back."))
	resp.wantRedirect(t, "/")
	ck := resp.cookie("ringdesk_ticket")
	if ck == nil || ck.Value == "" {
		t.Fatalf("the ticket form set no ringdesk_ticket cookie: %q", resp.Header.Values("Set-Cookie"))
	}
	hexID, _, _ := strings.Cut(ck.Value, ".")
	tk := findTicket(t, app.store, hexID)
	if tk == nil {
		t.Fatalf("ringdesk_ticket cookie %q names no stored ticket", ck.Value)
	}
	return tk, ck.Value
}

// TestConnectCallSpoofedFrom sends a browser parameter named like
// Twilio's From. Twilio would post both values and sign both; Ringdesk
// must never take the browser's for the caller. (Today the signature check
// refuses such a body: twilio-go's validator reads one value per name.)
func TestConnectCallSpoofedFrom(t *testing.T) {
	t.Parallel()
	app := newTwilioApp(t)
	for _, from := range [][]string{
		{"client:customer", "client:support_agent"},
		{"client:customer", "client:support_agent", "client:customer"},
	} {
		params := twiliotest.Connect("customer", twiliotest.NewSID("CA"), url.Values{"phoneNumber": {"+14155552671"}})
		params["From"] = from
		params["Caller"] = from
		resp := app.twilioPost(t, "/call/connect", params)
		if resp.StatusCode == http.StatusForbidden {
			continue
		}
		if got := resp.twiml(t); len(got.All("Number")) != 0 || len(got.All("Client")) != 1 {
			t.Errorf("From %q reached a phone number:\n%s", from, resp.body)
		}
	}
}

func TestConnectCallNeedsSignature(t *testing.T) {
	t.Parallel()
	app := newTwilioApp(t)
	tk := app.createTicket(t, "Ada Lovelace", "+1 415 555 2671", "Headset crackles")
	params := twiliotest.Connect("support_agent", twiliotest.NewSID("CA"), url.Values{"ticketId": {tk.ID.Hex()}})
	public := app.cfg.PublicURL.String()

	tests := []struct {
		name string
		sig  string // "" sends no header
	}{
		{"no signature", ""},
		{"garbage", "bm90IGEgc2lnbmF0dXJl"},
		{"wrong auth token", twiliotest.Sign("fedcba9876543210fedcba9876543210", public+"/call/connect", params)},
		{"signed for another path", twiliotest.Sign(twiliotest.AuthToken, public+"/call/status", params)},
		{"signed for the address it arrived at", twiliotest.Sign(twiliotest.AuthToken, app.srv.URL+"/call/connect", params)},
		{"signed for http", twiliotest.Sign(twiliotest.AuthToken, "http://support.example.com/call/connect", params)},
		{"signed for other params", twiliotest.Sign(twiliotest.AuthToken, public+"/call/connect", with(params, "From", "client:customer"))},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			req := twiliotest.NewRequest(t, twiliotest.AuthToken, public, app.srv.URL, "/call/connect", params)
			req.Header.Del("X-Twilio-Signature")
			if tt.sig != "" {
				req.Header.Set("X-Twilio-Signature", tt.sig)
			}
			resp := app.roundTrip(t, req)
			resp.wantStatus(t, http.StatusForbidden)
			if strings.Contains(resp.body, "Dial") || strings.Contains(resp.body, "+14155552671") {
				t.Errorf("a refused request got TwiML or the ticket's number:\n%s", resp.body)
			}
		})
	}
	// The control: the same request, signed, dials the ticket.
	if got := app.twilioPost(t, "/call/connect", params).twiml(t); len(got.All("Number")) != 1 {
		t.Errorf("the signed request did not dial:\n%s", got.XML())
	}
}

// TestConnectCallChecksSignatureFirst shows that a request without a valid
// signature never reaches the database: on an app whose database is gone,
// a signed request reports it (it looked the ticket up), an unsigned one
// is refused without trying.
func TestConnectCallChecksSignatureFirst(t *testing.T) {
	t.Parallel()
	store := storetest.New(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	if err := store.Close(ctx); err != nil {
		t.Fatal(err)
	}
	app := newTwilioApp(t, withStore(store))
	params := twiliotest.Connect("support_agent", twiliotest.NewSID("CA"), url.Values{"ticketId": {models.NewID().Hex()}})

	req := twiliotest.NewRequest(t, twiliotest.AuthToken, app.cfg.PublicURL.String(), app.srv.URL, "/call/connect", params)
	req.Header.Set("X-Twilio-Signature", "bm90IGEgc2lnbmF0dXJl")
	app.roundTrip(t, req).wantStatus(t, http.StatusForbidden)
	if logs := app.logs.String(); strings.Contains(logs, "load ticket") || !strings.Contains(logs, "bad signature") {
		t.Errorf("an unsigned request was not refused before the ticket lookup; log:\n%s", logs)
	}

	got := app.twilioPost(t, "/call/connect", params).twiml(t)
	if says := got.All("Say"); len(says) != 1 || !strings.Contains(says[0].Text, "database") {
		t.Errorf("signed request with the database gone: want a spoken apology, got\n%s", got.XML())
	}
	if !strings.Contains(app.logs.String(), "load ticket") {
		t.Errorf("the signed control request did not look the ticket up")
	}
}

// TestTwilioWebhooksNeedSignature refuses unsigned callbacks that would
// otherwise write: no call log, no ticket.
func TestTwilioWebhooksNeedSignature(t *testing.T) {
	t.Parallel()
	app := newTwilioApp(t)
	tk := app.createTicket(t, "Ada Lovelace", "+1 415 555 2671", "Headset crackles")
	sid := twiliotest.NewSID("CA")
	q := "?dir=outbound&ticketId=" + tk.ID.Hex()
	status := twiliotest.StatusCallback{CallSID: sid, CallStatus: "ringing", Timestamp: time.Now(), Seq: 1}.Params()
	recording := twiliotest.Recording(sid, "https://api.twilio.com/2010-04-01/Accounts/AC1/Recordings/RE1", 12)
	for _, tt := range []struct {
		path   string
		params url.Values
	}{
		{"/call/connect", twiliotest.Connect("support_agent", sid, url.Values{"ticketId": {tk.ID.Hex()}})},
		{"/call/status" + q, status},
		{"/call/dial-result?dir=inbound", twiliotest.DialResult(sid, "no-answer")},
		{"/call/voicemail?dir=inbound", recording},
		{"/call/voicemail?dir=inbound&ticketId=" + tk.ID.Hex(), recording},
	} {
		for _, sig := range []string{"", "bm90IGEgc2lnbmF0dXJl", twiliotest.Sign(twiliotest.AuthToken, app.srv.URL+tt.path, tt.params)} {
			req := twiliotest.NewRequest(t, twiliotest.AuthToken, app.cfg.PublicURL.String(), app.srv.URL, tt.path, tt.params)
			req.Header.Set("X-Twilio-Signature", sig)
			resp := app.roundTrip(t, req)
			if resp.StatusCode != http.StatusForbidden {
				t.Errorf("POST %s with signature %q: status %d, want 403", tt.path, sig, resp.StatusCode)
			}
		}
		// Signed for the path but not for the query Twilio was given.
		if base, _, ok := strings.Cut(tt.path, "?"); ok {
			req := twiliotest.NewRequest(t, twiliotest.AuthToken, app.cfg.PublicURL.String(), app.srv.URL, tt.path, tt.params)
			req.Header.Set("X-Twilio-Signature", twiliotest.Sign(twiliotest.AuthToken, app.cfg.PublicURL.String()+base, tt.params))
			if resp := app.roundTrip(t, req); resp.StatusCode != http.StatusForbidden {
				t.Errorf("POST %s signed without its query: status %d, want 403", tt.path, resp.StatusCode)
			}
		}
	}
	if n := countCalls(t, app.store); n != 0 {
		t.Errorf("%d call logs written by refused callbacks", n)
	}
	if got := allTickets(t, app.store); len(got) != 1 {
		t.Errorf("%d tickets after refused callbacks, want only the first", len(got))
	}
}

func TestTwilioBehindProxyPrefix(t *testing.T) {
	t.Parallel()
	// A proxy serves Ringdesk at https://support.example.com/help/ and
	// strips /help: Twilio signs the /help URL, Ringdesk sees /call/...
	app := newTestApp(t, withTwilio(twilioPublicURL+"/help"))
	params := twiliotest.Connect("customer", twiliotest.NewSID("CA"), nil)

	got := app.twilioPost(t, "/call/connect", params).twiml(t)
	dial := got.All("Dial")
	client := got.All("Client")
	if len(dial) != 1 || len(client) != 1 ||
		dial[0].Attrs["action"] != twilioPublicURL+"/help/call/dial-result?dir=inbound&stage=agents" ||
		client[0].Attrs["statusCallback"] != twilioPublicURL+"/help/call/status?dir=inbound&stage=agents" {
		t.Errorf("callbacks do not go through the proxy prefix:\n%s", got.XML())
	}
	// The callbacks it names come back signed for their /help URL.
	status := twiliotest.StatusCallback{CallSID: twiliotest.NewSID("CA"), CallStatus: "ringing", Timestamp: time.Now()}.Params()
	app.twilioPost(t, app.pathOf(t, client[0].Attrs["statusCallback"]), status).wantStatus(t, http.StatusNoContent)

	req := twiliotest.NewRequest(t, twiliotest.AuthToken, twilioPublicURL, app.srv.URL, "/call/connect", params)
	app.roundTrip(t, req).wantStatus(t, http.StatusForbidden)
}

// with returns a copy of v with k set to val.
func with(v url.Values, k, val string) url.Values {
	c := url.Values{}
	for kk, vv := range v {
		c[kk] = append([]string(nil), vv...)
	}
	c.Set(k, val)
	return c
}

// countCalls counts the stored call logs; with sids, only those calls'.
func countCalls(t testing.TB, s *models.Store, sids ...string) int {
	t.Helper()
	n := 0
	for _, c := range storetest.Calls(t, s) {
		if len(sids) == 0 || slices.Contains(sids, c.SID) {
			n++
		}
	}
	return n
}
