// Package twiliotest plays Twilio's side of Ringdesk's Twilio webhooks in
// tests: it signs requests the way Twilio signs them, builds the bodies
// Twilio posts, and reads TwiML back as a tree that compares structurally.
//
// It computes X-Twilio-Signature on its own, from Twilio's published
// algorithm, rather than with twilio-go's validator: a test that signed with
// the code under test would agree with any mistake that code made.
package twiliotest

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha1"
	"encoding/base64"
	"encoding/hex"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// Fake but well-formed account settings, the same in every test.
const (
	AccountSID  = "AC0123456789abcdef0123456789abcdef"
	AuthToken   = "0123456789abcdef0123456789abcdef"
	APIKey      = "SK0123456789abcdef0123456789abcdef"
	APISecret   = "s3cr3t-api-secret-0123456789abcd"
	TwiMLAppSID = "AP0123456789abcdef0123456789abcdef"
	CallerID    = "+15005550006"
)

// Env returns the environment that configures Ringdesk for Twilio with the
// fake account above, served at publicURL.
func Env(publicURL string) map[string]string {
	return map[string]string{
		"TWILIO_ACCOUNT_SID":   AccountSID,
		"TWILIO_AUTH_TOKEN":    AuthToken,
		"TWILIO_API_KEY":       APIKey,
		"TWILIO_API_SECRET":    APISecret,
		"TWILIO_TWIML_APP_SID": TwiMLAppSID,
		"TWILIO_CALLER_ID":     CallerID,
		"PUBLIC_URL":           publicURL,
	}
}

// Sign returns the X-Twilio-Signature Twilio sends with a POST of params to
// fullURL (the URL exactly as configured in Twilio, query included): the
// base64 HMAC-SHA1, keyed with the auth token, of the URL followed by each
// parameter's name and value, parameters sorted by name. A name posted
// more than once contributes each distinct value, sorted, as Twilio's own
// helper library (twilio-node's toFormUrlEncodedParam) does.
func Sign(authToken, fullURL string, params url.Values) string {
	var b strings.Builder
	b.WriteString(fullURL)
	names := make([]string, 0, len(params))
	for name := range params {
		names = append(names, name)
	}
	slices.Sort(names)
	for _, name := range names {
		values := slices.Clone(params[name])
		slices.Sort(values)
		for _, v := range slices.Compact(values) {
			b.WriteString(name)
			b.WriteString(v)
		}
	}
	mac := hmac.New(sha1.New, []byte(authToken))
	mac.Write([]byte(b.String()))
	return base64.StdEncoding.EncodeToString(mac.Sum(nil))
}

// NewRequest returns Twilio's POST of params to serverURL+path, signed for
// publicURL+path: the server under test listens somewhere else than the
// public address Twilio was configured with, as it does behind a proxy.
// path may carry a query string; Twilio signs it too.
func NewRequest(t testing.TB, authToken, publicURL, serverURL, path string, params url.Values) *http.Request {
	t.Helper()
	req, err := http.NewRequestWithContext(t.Context(), http.MethodPost, serverURL+path, strings.NewReader(params.Encode()))
	if err != nil {
		t.Fatalf("twiliotest: new request: %v", err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("X-Twilio-Signature", Sign(authToken, publicURL+path, params))
	req.Header.Set("User-Agent", "TwilioProxy/1.1")
	return req
}

// NewSID returns a random id with Twilio's shape: prefix ("CA" for calls,
// "RE" for recordings) and 32 hexadecimal digits.
func NewSID(prefix string) string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// Connect is the body Twilio posts to the TwiML App's voice URL when the
// browser client signed in as identity places a call with
// device.connect({params: extra}). callSID names the browser's call.
// Parameters in extra that Twilio also sets (From, Caller, ...) come after
// Twilio's value, as a browser trying to pass for someone else would
// make them.
func Connect(identity, callSID string, extra url.Values) url.Values {
	return ConnectFrom("client:"+identity, callSID, extra)
}

// ConnectFrom is Connect for any From, e.g. a phone number calling the
// TwiML App's number.
func ConnectFrom(from, callSID string, extra url.Values) url.Values {
	v := url.Values{
		"AccountSid":     {AccountSID},
		"ApiVersion":     {"2010-04-01"},
		"ApplicationSid": {TwiMLAppSID},
		"CallSid":        {callSID},
		"CallStatus":     {"ringing"},
		"Called":         {""},
		"Caller":         {from},
		"Direction":      {"inbound"},
		"From":           {from},
		"To":             {""},
	}
	// Browser parameters never replace Twilio's own: a parameter named
	// like one of Twilio's is posted as a second value after Twilio's.
	for k, vs := range extra {
		v[k] = append(v[k], vs...)
	}
	return v
}

// StatusCallback is one call-progress callback, as Twilio posts it to a
// <Number> or <Client> statusCallback.
type StatusCallback struct {
	CallSID       string // the dialled leg
	ParentCallSID string // the browser's call; empty for a top-level call
	CallStatus    string // queued, initiated, ringing, in-progress, completed, busy, no-answer, failed, canceled
	Timestamp     time.Time
	Seq           int // SequenceNumber
	Duration      int // CallDuration in seconds; sent only when non-zero (on completed)
	From, To      string
}

// Params is the posted body.
func (s StatusCallback) Params() url.Values {
	v := url.Values{
		"AccountSid":     {AccountSID},
		"ApiVersion":     {"2010-04-01"},
		"CallSid":        {s.CallSID},
		"CallStatus":     {s.CallStatus},
		"Direction":      {"outbound-dial"},
		"From":           {s.From},
		"To":             {s.To},
		"SequenceNumber": {strconv.Itoa(s.Seq)},
		"CallbackSource": {"call-progress-events"},
	}
	if !s.Timestamp.IsZero() {
		v.Set("Timestamp", s.Timestamp.UTC().Format(time.RFC1123Z))
	}
	if s.ParentCallSID != "" {
		v.Set("ParentCallSid", s.ParentCallSID)
	}
	if s.Duration > 0 {
		v.Set("CallDuration", strconv.Itoa(s.Duration))
	}
	return v
}

// Recording is the body Twilio posts to a <Record> action.
func Recording(callSID, recordingURL string, seconds int) url.Values {
	return url.Values{
		"AccountSid":        {AccountSID},
		"CallSid":           {callSID},
		"CallStatus":        {"completed"},
		"RecordingSid":      {"RE" + strings.TrimPrefix(callSID, "CA")},
		"RecordingUrl":      {recordingURL},
		"RecordingDuration": {strconv.Itoa(seconds)},
		"Digits":            {"hangup"},
	}
}

// DialResult is the body Twilio posts to a <Dial> action when the dial
// ends; dialCallStatus is completed, answered, busy, no-answer, failed or
// canceled.
func DialResult(callSID, dialCallStatus string) url.Values {
	v := url.Values{
		"AccountSid":     {AccountSID},
		"CallSid":        {callSID},
		"CallStatus":     {"in-progress"},
		"DialCallStatus": {dialCallStatus},
	}
	if dialCallStatus == "completed" || dialCallStatus == "answered" {
		v.Set("DialCallSid", "CA"+strings.Repeat("d", 32))
		v.Set("DialCallDuration", "42")
	}
	return v
}
