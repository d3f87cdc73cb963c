package twilio

import (
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/ringdesk/ringdesk/models"
)

// Caller returns the browser identity that placed a call, from Twilio's
// signed From ("client:support_agent" => "support_agent"), or "" when the
// call did not come from a browser client.
//
// Twilio's signature concatenates names and values with no separator, so
// one signature fits several ways of cutting the same text into
// parameters: a parameter the browser chose (name "Fr", value
// "omclient:support_agent") can be re-cut into From=client:support_agent
// under the same signature. Twilio also posts Caller, equal to From for a
// browser call, and Called, which sorts between any browser-chosen name
// that could be re-cut into Caller and Caller itself; so From and Caller
// must agree, once each, and anything else is treated as a customer.
func Caller(form url.Values) string {
	from, caller := form["From"], form["Caller"]
	if len(from) != 1 || len(caller) != 1 || from[0] != caller[0] {
		return ""
	}
	id, ok := strings.CutPrefix(from[0], "client:")
	if !ok {
		return ""
	}
	return id
}

// statuses maps Twilio's CallStatus values to Ringdesk's.
var statuses = map[string]models.CallStatus{
	"queued":      models.CallInitiated,
	"initiated":   models.CallInitiated,
	"ringing":     models.CallRinging,
	"in-progress": models.CallAnswered,
	"answered":    models.CallAnswered,
	"completed":   models.CallCompleted,
	"busy":        models.CallBusy,
	"no-answer":   models.CallNoAnswer,
	"failed":      models.CallFailed,
	"canceled":    models.CallCanceled,
}

// StatusEvent reads a status callback. Callbacks for a dialled leg carry
// the browser's call as ParentCallSid: the log is kept per browser call,
// so all legs of one conversation land in one record.
func StatusEvent(form url.Values, now time.Time) (models.CallEvent, bool) {
	status, ok := statuses[form.Get("CallStatus")]
	sid := form.Get("ParentCallSid")
	if sid == "" {
		sid = form.Get("CallSid")
	}
	if !ok || !validSID(sid) {
		return models.CallEvent{}, false
	}
	ev := models.CallEvent{
		Provider: "twilio",
		SID:      sid,
		From:     form.Get("From"),
		To:       form.Get("To"),
		Status:   status,
		At:       now,
	}
	if t, err := time.Parse(time.RFC1123Z, form.Get("Timestamp")); err == nil {
		ev.At = t
	}
	ev.Seq, _ = strconv.Atoi(form.Get("SequenceNumber"))
	ev.Duration, _ = strconv.Atoi(form.Get("CallDuration"))
	switch status {
	case models.CallCanceled:
		ev.HungUpBy = "caller" // hung up before the other side answered
	case models.CallBusy:
		ev.HungUpBy = "callee"
	}
	return ev, true
}

// Recording reads the recording details Twilio posts to a <Record> action.
func Recording(form url.Values) (sid, recordingURL string, seconds int, ok bool) {
	sid, recordingURL = form.Get("CallSid"), form.Get("RecordingUrl")
	seconds, _ = strconv.Atoi(form.Get("RecordingDuration"))
	u, err := url.Parse(recordingURL)
	ok = validSID(sid) && err == nil && u.Scheme == "https" && u.Host != ""
	return sid, recordingURL, seconds, ok
}

// DialStatus is the outcome Twilio posts to a <Dial> action.
func DialStatus(form url.Values) string { return form.Get("DialCallStatus") }

// validSID accepts Twilio call ids: "CA" and 32 hex digits.
func validSID(s string) bool {
	if len(s) != 34 || !strings.HasPrefix(s, "CA") {
		return false
	}
	for _, r := range s[2:] {
		if !strings.ContainsRune("0123456789abcdefABCDEF", r) {
			return false
		}
	}
	return true
}

// CallSID returns the call id Twilio posted, if it is well formed.
func CallSID(form url.Values) (string, bool) {
	sid := form.Get("CallSid")
	return sid, validSID(sid)
}
