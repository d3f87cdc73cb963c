package handlers_test

// Attacks on the calling routes found in a black-box test (issue 10),
// each performed through the real router, signed the way the provider
// signs, against a fix that must refuse it.

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/ringdesk/ringdesk/handlers/twiliotest"
	"github.com/ringdesk/ringdesk/handlers/vonagetest"
	"github.com/ringdesk/ringdesk/models"
	"github.com/ringdesk/ringdesk/models/storetest"
)

// TestConnectCallResplitFrom: Twilio signs the URL followed by each name
// and value with no separator, so the parameters of a customer's genuine
// call (with a browser parameter "Fr" = "omclient:support_agent") can be
// cut again into From=client:support_agent under the same signature.
// Caller is still the customer's, so the call must stay a customer's.
func TestConnectCallResplitFrom(t *testing.T) {
	t.Parallel()
	app := newTwilioApp(t)
	sid := twiliotest.NewSID("CA")
	genuine := twiliotest.Connect("customer", sid, url.Values{
		"Fr": {"omclient:support_agent"}, "phoneNumber": {"+14155552671"},
	})
	forged := with(genuine, "From", "client:support_agent")
	delete(forged, "Fr")
	forged.Set("Fromclient:customer", "")

	public := app.cfg.PublicURL.String() + "/call/connect"
	sig := twiliotest.Sign(twiliotest.AuthToken, public, genuine)
	if forged.Get("Caller") != "client:customer" || twiliotest.Sign(twiliotest.AuthToken, public, forged) != sig {
		t.Fatal("the forged parameters do not carry the genuine call's signature; the attack is not set up")
	}
	req := twiliotest.NewRequest(t, twiliotest.AuthToken, app.cfg.PublicURL.String(), app.srv.URL, "/call/connect", forged)
	resp := app.roundTrip(t, req)
	got := resp.twiml(t) // signed: 200
	if n := got.All("Number"); len(n) != 0 || strings.Contains(resp.body, "+14155552671") {
		t.Fatalf("a re-cut customer's call dialled a phone:\n%s", resp.body)
	}
	if c := got.All("Client"); len(c) != 1 || c[0].Text != "support_agent" {
		t.Errorf("a re-cut customer's call must ring only the agents:\n%s", resp.body)
	}
	// The control: the agent's own call, with From and Caller alike, dials.
	agent := twiliotest.Connect("support_agent", twiliotest.NewSID("CA"), url.Values{"phoneNumber": {"+14155552671"}})
	if n := app.twilioPost(t, "/call/connect", agent).twiml(t).All("Number"); len(n) != 1 {
		t.Error("the agent's genuine call did not dial")
	}
}

// signedAs returns Vonage's request with the given claims signed as its
// token, whatever the body.
func signedAs(t testing.TB, method, url string, body []byte, claims vonagetest.WebhookClaims) *http.Request {
	t.Helper()
	req := vonagetest.NewRequest(t, "", method, url, body)
	req.Header.Set("Authorization", "Bearer "+vonagetest.SignClaims(jwt.SigningMethodHS256, []byte(vonagetest.SignatureSecret), claims))
	return req
}

// TestVonageWebhookReplay replays captured webhook tokens, on both stores
// (the used ids live in the database, shared by every instance).
func TestVonageWebhookReplay(t *testing.T) {
	t.Parallel()
	for name, store := range map[string]func(testing.TB) *models.Store{
		"sqlite": storetest.New,
		"mongo":  storetest.NewMongo,
	} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			app := newVonageApp(t, withStore(store(t)))
			testVonageWebhookReplay(t, app)
		})
	}
}

func testVonageWebhookReplay(t testing.TB, app *testApp) {
	// A voicemail webhook's token, captured, and its query (which the
	// signature does not cover) filled with a recording.
	conv := vonagetest.NewConversation()
	q := url.Values{
		"dir": {"inbound"}, "conversation_uuid": {conv}, "recording_url": {vonageRecordingURL},
		"start_time": {callAt.Format(time.RFC3339)}, "end_time": {callAt.Add(30 * time.Second).Format(time.RFC3339)},
	}
	recording := app.srv.URL + "/webhooks/recording?" + q.Encode()

	// A token with no payload_hash (as on a GET answer) on an empty POST.
	getToken := vonagetest.Claims(nil, time.Now())
	app.roundTrip(t, signedAs(t, http.MethodPost, recording, nil, getToken)).wantStatus(t, http.StatusUnauthorized)

	// A token for an empty body, presented twice: never read from the
	// query, and refused the second time.
	empty := vonagetest.Claims(nil, time.Now())
	empty.PayloadHash = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" // SHA-256 of nothing
	if resp := app.roundTrip(t, signedAs(t, http.MethodPost, recording, nil, empty)); resp.StatusCode/100 == 2 {
		t.Errorf("an empty POST was taken for a recording: %d %s", resp.StatusCode, resp.body)
	}
	app.roundTrip(t, signedAs(t, http.MethodPost, recording, nil, empty)).wantStatus(t, http.StatusUnauthorized)
	if n := len(allTickets(t, app.store)); n != 0 {
		t.Fatalf("%d tickets from empty POSTs, want 0", n)
	}

	// A genuine voicemail, then its exact copy.
	body := vonagetest.Recording(conv, vonageRecordingURL, callAt, 17)
	claims := vonagetest.Claims(body, time.Now())
	app.roundTrip(t, signedAs(t, http.MethodPost, app.srv.URL+"/webhooks/recording?dir=inbound", body, claims)).wantStatus(t, http.StatusNoContent)
	app.roundTrip(t, signedAs(t, http.MethodPost, app.srv.URL+"/webhooks/recording?dir=inbound", body, claims)).wantStatus(t, http.StatusUnauthorized)
	if n := len(allTickets(t, app.store)); n != 1 {
		t.Errorf("%d tickets, want the genuine voicemail's", n)
	}

	// A GET answer (its query unsigned) presented again, here rewritten
	// to ask for a ticket's number: refused before any lookup.
	tk := app.createTicket(t, "Ada Lovelace", "+1 415 555 2671", "Headset crackles")
	answer := vonagetest.Answer{FromUser: "customer"}
	token := vonagetest.Claims(nil, time.Now())
	got := app.roundTrip(t, signedAs(t, http.MethodGet, app.srv.URL+"/webhooks/answer?"+answer.Query().Encode(), nil, token)).ncco(t)
	if eps := got.Endpoints(); len(eps) != 1 || eps[0]["user"] != "support_agent" {
		t.Errorf("the genuine answer did not ring the agents:\n%s", got.JSON())
	}
	answer = vonagetest.Answer{FromUser: "support_agent", Context: map[string]string{"ticketId": tk.ID.Hex()}}
	resp := app.roundTrip(t, signedAs(t, http.MethodGet, app.srv.URL+"/webhooks/answer?"+answer.Query().Encode(), nil, token))
	resp.wantStatus(t, http.StatusUnauthorized)
	if strings.Contains(resp.body, "14155552671") {
		t.Errorf("a replayed answer token revealed the ticket's number: %s", resp.body)
	}
}

// TestVonageWebhookTokenBinding: a token for no application or another
// one, or a POST whose token carries no payload_hash, is refused.
func TestVonageWebhookTokenBinding(t *testing.T) {
	t.Parallel()
	app := newVonageApp(t)
	conv := vonagetest.NewConversation()
	body := vonagetest.Recording(conv, vonageRecordingURL, callAt, 17)
	path := app.srv.URL + "/webhooks/recording?dir=inbound"
	for name, mutate := range map[string]func(*vonagetest.WebhookClaims){
		"no application_id":   func(c *vonagetest.WebhookClaims) { c.ApplicationID = "" },
		"another application": func(c *vonagetest.WebhookClaims) { c.ApplicationID = "ffffffff-bbbb-4ccc-8ddd-eeeeeeeeeeee" },
		"no payload_hash":     func(c *vonagetest.WebhookClaims) { c.PayloadHash = "" },
		"no jti":              func(c *vonagetest.WebhookClaims) { c.ID = "" },
	} {
		t.Run(name, func(t *testing.T) {
			c := vonagetest.Claims(body, time.Now())
			mutate(&c)
			app.roundTrip(t, signedAs(t, http.MethodPost, path, body, c)).wantStatus(t, http.StatusUnauthorized)
		})
	}
	t.Run("GET answer without application_id", func(t *testing.T) {
		c := vonagetest.Claims(nil, time.Now())
		c.ApplicationID = ""
		q := vonagetest.Answer{FromUser: "customer"}.Query().Encode()
		app.roundTrip(t, signedAs(t, http.MethodGet, app.srv.URL+"/webhooks/answer?"+q, nil, c)).wantStatus(t, http.StatusUnauthorized)
	})
	if n := len(allTickets(t, app.store)); n != 0 {
		t.Errorf("%d tickets from refused webhooks, want 0", n)
	}
	// The control: the same voicemail, genuinely signed, is saved.
	app.vonagePost(t, "/webhooks/recording?dir=inbound", body).wantStatus(t, http.StatusNoContent)
}

// TestVonageWebhookNeedsDatabaseForReplayCheck: when the database cannot
// say whether a token was used, the webhook is not served (and Vonage
// tries again with a new token).
func TestVonageWebhookNeedsDatabaseForReplayCheck(t *testing.T) {
	t.Parallel()
	store := storetest.New(t)
	if err := store.Close(t.Context()); err != nil {
		t.Fatal(err)
	}
	app := newVonageApp(t, withStore(store))
	resp := app.vonagePost(t, "/webhooks/answer", vonagetest.Answer{FromUser: "customer"}.Body())
	if resp.StatusCode < 500 || strings.Contains(resp.body, "action") {
		t.Errorf("with the database gone: %d %s; want an error, no NCCO", resp.StatusCode, resp.body)
	}
}
