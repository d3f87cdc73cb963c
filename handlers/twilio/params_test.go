package twilio_test

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ringdesk/ringdesk/handlers/twilio"
	"github.com/ringdesk/ringdesk/handlers/twiliotest"
	"github.com/ringdesk/ringdesk/models"
)

const (
	sid       = "CA0123456789abcdef0123456789abcdef"
	parentSID = "CAfedcba9876543210fedcba9876543210"
)

func TestCaller(t *testing.T) {
	t.Parallel()
	tests := []struct{ from, want string }{
		{"client:support_agent", "support_agent"},
		{"client:customer", "customer"},
		{"client:", ""},
		{"+14155552671", ""},
		{"", ""},
		{"Client:support_agent", ""}, // Twilio writes the prefix in lower case
		{" client:support_agent", ""},
		{"sip:support_agent@example.com", ""},
	}
	for _, tt := range tests {
		if got := twilio.Caller(url.Values{"From": {tt.from}, "Caller": {tt.from}}); got != tt.want {
			t.Errorf("Caller(From=Caller=%q) = %q, want %q", tt.from, got, tt.want)
		}
	}
	// An agent needs From and Caller both, each once and the same.
	for _, form := range []url.Values{
		{"Caller": {"client:support_agent"}},
		{"From": {"client:support_agent"}},
		{"From": {"client:support_agent"}, "Caller": {"client:customer"}},
		{"From": {"client:customer"}, "Caller": {"client:support_agent"}},
		{"From": {"client:support_agent"}, "Caller": {""}},
		{"From": {"client:support_agent", "client:support_agent"}, "Caller": {"client:support_agent"}},
		{"From": {"client:support_agent"}, "Caller": {"client:support_agent", "client:customer"}},
	} {
		if got := twilio.Caller(form); got != "" {
			t.Errorf("Caller(%v) = %q, want \"\"", form, got)
		}
	}
}

func TestStatusEventStatuses(t *testing.T) {
	t.Parallel()
	tests := []struct {
		twilio   string
		want     models.CallStatus
		hungUpBy string
	}{
		{"queued", models.CallInitiated, ""},
		{"initiated", models.CallInitiated, ""},
		{"ringing", models.CallRinging, ""},
		{"in-progress", models.CallAnswered, ""},
		{"answered", models.CallAnswered, ""},
		{"completed", models.CallCompleted, ""},
		{"busy", models.CallBusy, "callee"},
		{"no-answer", models.CallNoAnswer, ""},
		{"failed", models.CallFailed, ""},
		{"canceled", models.CallCanceled, "caller"},
	}
	for _, tt := range tests {
		ev, ok := twilio.StatusEvent(url.Values{"CallSid": {sid}, "CallStatus": {tt.twilio}}, time.Now())
		if !ok || ev.Status != tt.want || ev.HungUpBy != tt.hungUpBy {
			t.Errorf("CallStatus %q: ok %v, status %q, hung up by %q; want %q, %q", tt.twilio, ok, ev.Status, ev.HungUpBy, tt.want, tt.hungUpBy)
		}
	}
}

func TestStatusEvent(t *testing.T) {
	t.Parallel()
	now := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	at := time.Date(2026, 3, 4, 5, 6, 1, 0, time.UTC)
	full := twiliotest.StatusCallback{
		CallSID: sid, ParentCallSID: parentSID, CallStatus: "completed", Timestamp: at,
		Seq: 4, Duration: 42, From: "+15005550006", To: "+14155552671",
	}.Params()
	tests := []struct {
		name   string
		form   url.Values
		want   models.CallEvent
		wantOK bool
	}{
		{"a dialled leg joins its parent's log", full, models.CallEvent{
			Provider: "twilio", SID: parentSID, From: "+15005550006", To: "+14155552671",
			Status: models.CallCompleted, At: at, Seq: 4, Duration: 42,
		}, true},
		{"a top-level call is its own log", edit(full, "ParentCallSid", ""), models.CallEvent{
			Provider: "twilio", SID: sid, From: "+15005550006", To: "+14155552671",
			Status: models.CallCompleted, At: at, Seq: 4, Duration: 42,
		}, true},
		{"no Timestamp: the time it arrived", edit(full, "Timestamp", ""), models.CallEvent{
			Provider: "twilio", SID: parentSID, From: "+15005550006", To: "+14155552671",
			Status: models.CallCompleted, At: now, Seq: 4, Duration: 42,
		}, true},
		{"a Timestamp in another format: the time it arrived", edit(full, "Timestamp", at.Format(time.RFC3339)), models.CallEvent{
			Provider: "twilio", SID: parentSID, From: "+15005550006", To: "+14155552671",
			Status: models.CallCompleted, At: now, Seq: 4, Duration: 42,
		}, true},
		{"a Timestamp in another zone", edit(full, "Timestamp", "Wed, 04 Mar 2026 07:06:01 +0200"), models.CallEvent{
			Provider: "twilio", SID: parentSID, From: "+15005550006", To: "+14155552671",
			Status: models.CallCompleted, At: at, Seq: 4, Duration: 42,
		}, true},
		{"junk numbers read as zero", edit(edit(full, "SequenceNumber", "x"), "CallDuration", "-"), models.CallEvent{
			Provider: "twilio", SID: parentSID, From: "+15005550006", To: "+14155552671",
			Status: models.CallCompleted, At: at,
		}, true},

		{"unknown status", edit(full, "CallStatus", "exploded"), models.CallEvent{}, false},
		{"no status", edit(full, "CallStatus", ""), models.CallEvent{}, false},
		{"status in capitals", edit(full, "CallStatus", "COMPLETED"), models.CallEvent{}, false},
		{"no sid", edit(edit(full, "CallSid", ""), "ParentCallSid", ""), models.CallEvent{}, false},
		{"short sid", edit(full, "ParentCallSid", "CA123"), models.CallEvent{}, false},
		{"another kind of sid", edit(full, "ParentCallSid", "SM0123456789abcdef0123456789abcdef"), models.CallEvent{}, false},
		{"non-hex sid", edit(full, "ParentCallSid", "CA0123456789abcdef0123456789abcdeg"), models.CallEvent{}, false},
		{"operator in sid", edit(full, "ParentCallSid", `CA{"$gt":""}456789abcdef0123456789a`), models.CallEvent{}, false},
		{"bad parent, good child", edit(full, "ParentCallSid", "CA-not-a-sid"), models.CallEvent{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := twilio.StatusEvent(tt.form, now)
			if ok != tt.wantOK {
				t.Fatalf("ok = %v, want %v (event %+v)", ok, tt.wantOK, got)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("event (-want +got):\n%s", diff)
			}
		})
	}
}

// edit returns a copy of v with k set to val, or removed when val is "".
func edit(v url.Values, k, val string) url.Values {
	c := with(v, k, val)
	if val == "" {
		c.Del(k)
	}
	return c
}

func TestRecording(t *testing.T) {
	t.Parallel()
	const rec = "https://api.twilio.com/2010-04-01/Accounts/AC0123456789abcdef0123456789abcdef/Recordings/RE0123456789abcdef0123456789abcdef"
	tests := []struct {
		name        string
		form        url.Values
		wantSeconds int
		wantOK      bool
	}{
		{"https recording", twiliotest.Recording(sid, rec, 17), 17, true},
		{"zero seconds still reads", twiliotest.Recording(sid, rec, 0), 0, true},
		{"http recording", twiliotest.Recording(sid, strings.Replace(rec, "https:", "http:", 1), 17), 17, false},
		{"javascript URL", twiliotest.Recording(sid, "javascript:alert(1)", 17), 17, false},
		{"relative URL", twiliotest.Recording(sid, "/Recordings/RE1", 17), 17, false},
		{"https without host", twiliotest.Recording(sid, "https:///Recordings/RE1", 17), 17, false},
		{"no URL", twiliotest.Recording(sid, "", 17), 17, false},
		{"bad sid", twiliotest.Recording("CA123", rec, 17), 17, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gotSID, gotURL, seconds, ok := twilio.Recording(tt.form)
			if ok != tt.wantOK {
				t.Errorf("ok = %v, want %v", ok, tt.wantOK)
			}
			if gotSID != tt.form.Get("CallSid") || gotURL != tt.form.Get("RecordingUrl") || seconds != tt.wantSeconds {
				t.Errorf("Recording = %q, %q, %d; want %q, %q, %d", gotSID, gotURL, seconds, tt.form.Get("CallSid"), tt.form.Get("RecordingUrl"), tt.wantSeconds)
			}
		})
	}
}

func TestCallSIDAndDialStatus(t *testing.T) {
	t.Parallel()
	if got, ok := twilio.CallSID(url.Values{"CallSid": {sid}}); !ok || got != sid {
		t.Errorf("CallSID(%s) = %q, %v", sid, got, ok)
	}
	for _, bad := range []string{"", "CA", sid + "0", "ca" + sid[2:], "RE" + sid[2:]} {
		if _, ok := twilio.CallSID(url.Values{"CallSid": {bad}}); ok {
			t.Errorf("CallSID accepted %q", bad)
		}
	}
	if got := twilio.DialStatus(twiliotest.DialResult(sid, "no-answer")); got != "no-answer" {
		t.Errorf("DialStatus = %q, want no-answer", got)
	}
}
