package vonage_test

import (
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ringdesk/ringdesk/handlers/vonage"
	"github.com/ringdesk/ringdesk/handlers/vonagetest"
	"github.com/ringdesk/ringdesk/models"
)

func postRequest(t *testing.T) *http.Request {
	t.Helper()
	r, err := http.NewRequest(http.MethodPost, publicURL+"/webhooks/answer", nil)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func getRequest(t *testing.T, q url.Values) *http.Request {
	t.Helper()
	r, err := http.NewRequest(http.MethodGet, publicURL+"/webhooks/answer?"+q.Encode(), nil)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func TestParseAnswer(t *testing.T) {
	t.Parallel()
	conv := vonagetest.NewConversation()
	agentCall := vonagetest.Answer{
		FromUser: "support_agent", To: "+14155552671", ConversationUUID: conv,
		Context: map[string]string{"ticketId": "0123456789abcdef01234567"},
	}
	type want = vonage.Answer
	tests := []struct {
		name string
		req  *http.Request
		body []byte
		want want
	}{
		{"POST, agent", postRequest(t), agentCall.Body(),
			want{Caller: "support_agent", To: "+14155552671", TicketID: "0123456789abcdef01234567", ConversationUUID: conv}},
		{"GET, agent", getRequest(t, agentCall.Query()), nil,
			want{Caller: "support_agent", To: "+14155552671", TicketID: "0123456789abcdef01234567", ConversationUUID: conv}},
		{"custom_data as an object", postRequest(t),
			[]byte(`{"from_user":"customer","custom_data":{"ticketRef":"abc.def","soundCheck":true,"nested":{"to":"x"}}}`),
			want{Caller: "customer", TicketRef: "abc.def", SoundCheck: true}},
		{"sound check as \"1\"", postRequest(t),
			vonagetest.Answer{FromUser: "customer", ConversationUUID: conv, Context: map[string]string{"soundCheck": "1"}}.Body(),
			want{Caller: "customer", SoundCheck: true, ConversationUUID: conv}},
		{"sound check \"0\" is no sound check", postRequest(t),
			vonagetest.Answer{FromUser: "customer", ConversationUUID: conv, Context: map[string]string{"soundCheck": "0"}}.Body(),
			want{Caller: "customer", ConversationUUID: conv}},
		{"top-level names too", postRequest(t),
			[]byte(`{"from_user":"support_agent","ticketId":"t1","phoneNumber":"+441234","soundCheck":"true"}`),
			want{Caller: "support_agent", TicketID: "t1", To: "+441234", SoundCheck: true}},
		{"custom_data wins over top level", postRequest(t),
			[]byte(`{"from_user":"support_agent","ticketId":"top","custom_data":"{\"ticketId\":\"custom\"}"}`),
			want{Caller: "support_agent", TicketID: "custom"}},
		{"from_user in custom_data is not the caller", postRequest(t),
			vonagetest.Answer{FromUser: "customer", ConversationUUID: conv, Context: map[string]string{"from_user": "support_agent"}}.Body(),
			want{Caller: "customer", ConversationUUID: conv}},
		{"a phone calling the number", postRequest(t),
			vonagetest.Answer{From: "14155550111", To: vonagetest.Number, ConversationUUID: conv}.Body(),
			want{To: vonagetest.Number, ConversationUUID: conv, Phone: "+14155550111"}},
		{"from_user not a string", postRequest(t), []byte(`{"from_user":{"name":"support_agent"}}`), want{Caller: `{"name":"support_agent"}`}},
		{"custom_data not JSON", postRequest(t), []byte(`{"from_user":"customer","custom_data":"ticketId=1"}`), want{Caller: "customer"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := vonage.ParseAnswer(tt.req, tt.body)
			if err != nil {
				t.Fatalf("ParseAnswer: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("answer (-want +got):\n%s", diff)
			}
		})
	}

	for _, body := range []string{`not json`, `["from_user","support_agent"]`, `{"from_user":"support_agent"`} {
		got, err := vonage.ParseAnswer(postRequest(t), []byte(body))
		if err == nil || got.Caller != "" {
			t.Errorf("body %q: caller %q, err %v; want no caller and an error", body, got.Caller, err)
		}
	}
}

func TestParseEvent(t *testing.T) {
	t.Parallel()
	conv := vonagetest.NewConversation()
	at := time.Date(2026, 3, 4, 9, 0, 0, 250_000_000, time.UTC)
	now := time.Date(2030, 1, 1, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		status    string
		want      models.CallStatus
		unreached bool
		hungUpBy  string
	}{
		{"started", models.CallInitiated, false, ""},
		{"ringing", models.CallRinging, false, ""},
		{"answered", models.CallAnswered, false, ""},
		{"completed", models.CallCompleted, false, ""},
		{"busy", models.CallBusy, true, "callee"},
		{"timeout", models.CallNoAnswer, true, ""},
		{"unanswered", models.CallNoAnswer, true, ""},
		{"rejected", models.CallFailed, true, ""},
		{"failed", models.CallFailed, true, ""},
		{"cancelled", models.CallCanceled, false, "caller"},
	}
	for _, tt := range tests {
		t.Run(tt.status, func(t *testing.T) {
			body := vonagetest.Event{ConversationUUID: conv, Status: tt.status, From: vonagetest.Number, To: "14155552671", Timestamp: at, Duration: 61}.Body()
			got, err := vonage.ParseEvent(postRequest(t), body, now)
			if err != nil {
				t.Fatal(err)
			}
			want := vonage.Event{Known: true, Unreached: tt.unreached, Call: models.CallEvent{
				Provider: "vonage", SID: conv, From: "+" + vonagetest.Number, To: "+14155552671",
				Status: tt.want, At: at, HungUpBy: tt.hungUpBy,
			}}
			if tt.status == "completed" {
				want.Call.Duration = 61
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("event (-want +got):\n%s", diff)
			}
		})
	}

	t.Run("duration as a number, no timestamp, app user", func(t *testing.T) {
		body := `{"conversation_uuid":"` + conv + `","status":"completed","duration":42,"from":"customer","to":"support_agent"}`
		got, err := vonage.ParseEvent(postRequest(t), []byte(body), now)
		if err != nil {
			t.Fatal(err)
		}
		if got.Call.Duration != 42 || !got.Call.At.Equal(now) || got.Call.From != "customer" || got.Call.To != "support_agent" {
			t.Errorf("event %+v", got.Call)
		}
	})
	t.Run("GET", func(t *testing.T) {
		q := url.Values{"conversation_uuid": {conv}, "status": {"ringing"}, "dir": {"inbound"}}
		got, err := vonage.ParseEvent(getRequest(t, q), nil, now)
		if err != nil || !got.Known || got.Call.SID != conv || got.Call.Status != models.CallRinging {
			t.Errorf("GET event = %+v, %v", got, err)
		}
	})
	for name, body := range map[string]string{
		"transfer":     `{"conversation_uuid":"` + conv + `","status":"transfer"}`,
		"input":        `{"conversation_uuid":"` + conv + `","dtmf":{"digits":"1"}}`,
		"human":        `{"call_uuid":"x","conversation_uuid":"` + conv + `","status":"human"}`,
		"disconnected": `{"conversation_uuid":"` + conv + `","status":"disconnected"}`,
	} {
		t.Run("unlogged "+name, func(t *testing.T) {
			got, err := vonage.ParseEvent(postRequest(t), []byte(body), now)
			if err != nil || got.Known {
				t.Errorf("%s: %+v, %v; want an unknown event and no error", name, got, err)
			}
		})
	}
	for name, body := range map[string]string{
		"not JSON":            `status=ringing`,
		"no conversation":     `{"uuid":"` + vonagetest.NewUUID() + `","status":"ringing"}`,
		"leg id only":         `{"conversation_uuid":"` + vonagetest.NewUUID() + `","status":"ringing"}`,
		"operator":            `{"conversation_uuid":{"$ne":null},"status":"ringing"}`,
		"conversation + junk": `{"conversation_uuid":"` + conv + `x","status":"ringing"}`,
	} {
		t.Run("malformed "+name, func(t *testing.T) {
			if got, err := vonage.ParseEvent(postRequest(t), []byte(body), now); !errors.Is(err, vonage.ErrMalformed) {
				t.Errorf("%s: %+v, %v; want ErrMalformed", name, got, err)
			}
		})
	}
}

func TestRecording(t *testing.T) {
	t.Parallel()
	conv := vonagetest.NewConversation()
	start := time.Date(2026, 3, 4, 9, 0, 0, 0, time.UTC)
	const rec = "https://api-us.nexmo.com/v1/files/aaaaaaaa-bbbb-cccc-dddd-0123456789ab"
	sid, u, seconds, ok := vonage.Recording(postRequest(t), vonagetest.Recording(conv, rec, start, 17))
	if !ok || sid != conv || u != rec || seconds != 17 {
		t.Errorf("Recording = %q, %q, %d, %v", sid, u, seconds, ok)
	}
	for name, body := range map[string][]byte{
		"http":               vonagetest.Recording(conv, strings.Replace(rec, "https:", "http:", 1), start, 17),
		"another host":       vonagetest.Recording(conv, "https://evil.example/v1/files/x", start, 17),
		"host lookalike":     vonagetest.Recording(conv, "https://api.nexmo.com.evil.example/v1/files/x", start, 17),
		"javascript":         vonagetest.Recording(conv, "javascript:alert(1)", start, 17),
		"no recording":       vonagetest.Recording(conv, "", start, 17),
		"no conversation":    vonagetest.Recording("", rec, start, 17),
		"malformed body":     []byte(`{"recording_url":`),
		"conversation wrong": vonagetest.Recording("CON-123", rec, start, 17),
	} {
		if _, _, _, ok := vonage.Recording(postRequest(t), body); ok {
			t.Errorf("%s: accepted", name)
		}
	}
	if _, _, seconds, ok := vonage.Recording(postRequest(t), vonagetest.Recording(conv, rec, start, 0)); !ok || seconds != 0 {
		t.Errorf("an empty recording: %d s, ok %v; want 0 s, ok", seconds, ok)
	}
}
