package vonage

import (
	"bytes"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/google/uuid"
	"github.com/ringdesk/ringdesk/models"
)

// Answer is what Ringdesk reads from the answer webhook.
type Answer struct {
	// Caller is from_user: the Client SDK user who placed the call, which
	// Vonage takes from the signed-in token's sub. It is "" for a call
	// that did not come from the Client SDK (a phone dialling the number).
	Caller string
	// The browser's serverCall context: requests, never authority.
	To, TicketID, TicketRef string
	SoundCheck              bool
	ConversationUUID        string
	// Phone is the caller's number for a call from a phone (Vonage's
	// from, in E.164 with its +), "" for the Client SDK's calls.
	Phone string
}

// ParseAnswer reads the answer webhook: a JSON body for POST, the query
// for GET. The Client SDK's serverCall(context) puts context.to in the
// top-level to and everything else in custom_data, a JSON object (sent as
// a JSON string); each name is looked up there first, then at the top
// level. The caller's identity is read only from the top-level from_user,
// never from custom_data. A body that does not parse gives an Answer with
// no caller, which Ringdesk treats as a customer, and an error to log.
func ParseAnswer(r *http.Request, body []byte) (Answer, error) {
	top, err := fields(r, body)
	custom := customData(top["custom_data"])
	get := func(names ...string) string {
		for _, name := range names {
			if v := custom[name]; v != "" {
				return v
			}
			if v := top[name]; v != "" {
				return v
			}
		}
		return ""
	}
	sc := strings.ToLower(get("soundCheck"))
	return Answer{
		Caller:           top["from_user"],
		To:               get("to", "phoneNumber"),
		TicketID:         get("ticketId"),
		TicketRef:        get("ticketRef"),
		SoundCheck:       sc == "1" || sc == "true",
		ConversationUUID: top["conversation_uuid"],
		Phone:            phoneFrom(top["from_user"], top["from"]),
	}, err
}

// Event is one call event, ready for the call log.
type Event struct {
	Call models.CallEvent
	// Known is false for events Ringdesk does not log (transfer, input,
	// human/machine, ...).
	Known bool
	// Unreached means the endpoint of a connect was not reached
	// (unanswered, timeout, rejected, busy, failed): a synchronous connect
	// waits for the next NCCO in the answer to this event.
	Unreached bool
}

// statuses maps Vonage's call statuses to Ringdesk's.
var statuses = map[string]models.CallStatus{
	"started":    models.CallInitiated,
	"ringing":    models.CallRinging,
	"answered":   models.CallAnswered,
	"completed":  models.CallCompleted,
	"busy":       models.CallBusy,
	"timeout":    models.CallNoAnswer,
	"unanswered": models.CallNoAnswer,
	"rejected":   models.CallFailed,
	"failed":     models.CallFailed,
	"cancelled":  models.CallCanceled,
}

// ErrMalformed marks a webhook Ringdesk cannot use.
var ErrMalformed = errors.New("vonage: malformed webhook")

// ParseEvent reads an event webhook (a JSON body, or the query when the
// event method is GET).
//
// The log is kept per conversation: Vonage gives each leg its own uuid,
// and the legs of one browser call (the browser's leg and the phone or
// agent leg it connects to, and a fallback or voicemail after it) share
// conversation_uuid, so that is the call's SID, as the browser's CallSid
// is for Twilio.
func ParseEvent(r *http.Request, body []byte, now time.Time) (Event, error) {
	f, err := fields(r, body)
	if err != nil {
		return Event{}, err
	}
	raw := f["status"]
	status, known := statuses[raw]
	if !known {
		return Event{}, nil
	}
	sid := f["conversation_uuid"]
	if !validConversation(sid) {
		return Event{}, ErrMalformed
	}
	ev := models.CallEvent{
		Provider: "vonage",
		SID:      sid,
		From:     party(f["from"]),
		To:       party(f["to"]),
		Status:   status,
		At:       now,
	}
	if t, err := time.Parse(time.RFC3339Nano, f["timestamp"]); err == nil {
		ev.At = t
	}
	ev.Duration, _ = strconv.Atoi(f["duration"])
	switch raw {
	case "cancelled":
		ev.HungUpBy = "caller" // hung up before the other side answered
	case "busy":
		ev.HungUpBy = "callee"
	}
	unreached := raw == "unanswered" || raw == "timeout" || raw == "rejected" || raw == "busy" || raw == "failed"
	return Event{Call: ev, Known: true, Unreached: unreached}, nil
}

// Recording reads the webhook a record action posts when the message is
// saved. Its length is end_time - start_time. Only a Vonage https address
// is accepted, since the ticket page links to it.
func Recording(r *http.Request, body []byte) (sid, recordingURL string, seconds int, ok bool) {
	f, err := fields(r, body)
	if err != nil {
		return "", "", 0, false
	}
	sid, recordingURL = f["conversation_uuid"], f["recording_url"]
	start, err1 := time.Parse(time.RFC3339Nano, f["start_time"])
	end, err2 := time.Parse(time.RFC3339Nano, f["end_time"])
	if err1 == nil && err2 == nil && end.After(start) {
		seconds = int(end.Sub(start).Round(time.Second) / time.Second)
	}
	u, err := url.Parse(recordingURL)
	ok = validConversation(sid) && err == nil && u.Scheme == "https" && vonageHost(u.Hostname())
	return sid, recordingURL, seconds, ok
}

// vonageHost accepts Vonage's API hosts (api.nexmo.com, api-us.vonage.com…).
func vonageHost(host string) bool {
	host = strings.ToLower(host)
	return strings.HasSuffix(host, ".nexmo.com") || strings.HasSuffix(host, ".vonage.com")
}

// validConversation accepts Vonage conversation ids: "CON-" and a UUID.
func validConversation(s string) bool {
	id, ok := strings.CutPrefix(s, "CON-")
	return ok && isUUID(id)
}

// party writes a phone number Vonage sends as digits in E.164 (with +),
// like the rest of the call log; app user names are kept as they are.
func party(s string) string {
	if len(s) >= 8 && len(s) <= 15 && strings.Trim(s, "0123456789") == "" {
		return "+" + s
	}
	return s
}

// fields returns a webhook's top-level values as strings: from the query
// of a GET, else from the JSON body only. The query of a POST is never
// read for Vonage's values: the signature covers the body, not the query,
// so values there could come from anyone who holds a token. Nested
// objects are kept as their JSON text; null is "".
func fields(r *http.Request, body []byte) (map[string]string, error) {
	out := map[string]string{}
	if r.Method == http.MethodGet {
		for k, v := range r.URL.Query() {
			if len(v) > 0 {
				out[k] = v[0]
			}
		}
		return out, nil
	}
	if len(bytes.TrimSpace(body)) == 0 {
		return out, nil
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(body, &raw); err != nil {
		return out, errors.Join(ErrMalformed, err)
	}
	for k, v := range raw {
		out[k] = scalar(v)
	}
	return out, nil
}

// customData reads custom_data, a JSON object that Vonage sends as a JSON
// string (an object is accepted too). Only its scalar values are kept.
func customData(s string) map[string]string {
	out := map[string]string{}
	var raw map[string]json.RawMessage
	if s == "" || json.Unmarshal([]byte(s), &raw) != nil {
		return out
	}
	for k, v := range raw {
		if t := bytes.TrimSpace(v); len(t) > 0 && (t[0] == '{' || t[0] == '[') {
			continue
		}
		out[k] = scalar(v)
	}
	return out
}

// scalar writes a JSON value as a string: a string's text, a number or
// boolean as written, null as "", an object or array as its JSON.
func scalar(v json.RawMessage) string {
	v = bytes.TrimSpace(v)
	switch {
	case len(v) == 0 || string(v) == "null":
		return ""
	case v[0] == '"':
		var s string
		if json.Unmarshal(v, &s) == nil {
			return s
		}
		return ""
	}
	return string(v)
}

// isUUID accepts the 8-4-4-4-12 hexadecimal form only (uuid.Validate
// alone also takes the braced and urn: forms).
func isUUID(s string) bool { return len(s) == 36 && uuid.Validate(s) == nil }

// phoneFrom is a phone caller's number: Vonage writes it as digits
// without the +; a Client SDK call (fromUser set) has none.
func phoneFrom(fromUser, from string) string {
	if fromUser != "" || from == "" || len(from) > 15 {
		return ""
	}
	for _, r := range from {
		if r < '0' || r > '9' {
			return ""
		}
	}
	return "+" + from
}
