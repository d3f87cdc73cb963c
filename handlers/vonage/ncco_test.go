package vonage_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ringdesk/ringdesk/handlers/vonagetest"
)

func TestNCCOBuilders(t *testing.T) {
	t.Parallel()
	p := newProvider(t, publicURL)
	local := newProvider(t, "http://localhost:3000/desk")
	const event = publicURL + "/webhooks/event?dir=outbound&ticketId=0123456789abcdef01234567"
	const inbound = publicURL + "/webhooks/event?dir=inbound&stage=agents&ticketId=0123456789abcdef01234567"
	tests := []struct {
		golden string
		ncco   []byte
	}{
		{"connect_phone", p.ConnectPhone("+14155552671", event)},
		{"connect_phone_escaped", p.ConnectPhone(`+1 555 <b>&"'`, event+`&x=<"'>`)},
		{"connect_agent", p.ConnectAgent("Thank you for calling support. Transferring you now.", "support_agent", 30, inbound)},
		{"fallback", p.FallbackTo("Please hold while we put you through to our support line.", p.Line().FallbackNumber, 30, strings.Replace(inbound, "agents", "fallback", 1))},
		{"voicemail", p.Voicemail("Please leave a message after the tone.", "Thank you. Goodbye.", publicURL+"/webhooks/recording?dir=inbound&ticketId=0123456789abcdef01234567", 120)},
		{"sound_check", p.SoundCheck("This is a sound check.", p.SocketURL("TOKEN.SIG"))},
		{"sound_check_http", local.SoundCheck("This is a sound check.", local.SocketURL("TOKEN.SIG"))},
		{"say_escaped", p.Say(`Ticket <#42> & "Ada's" number "}] is wrong.`)},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			got := vonagetest.MustParseNCCO(t, tt.ncco)
			vonagetest.Golden(t, filepath.Join("testdata", tt.golden+".golden"), got, *update)
		})
	}
}

// TestNCCOEscapes checks that values from requests come out as JSON
// strings: the structure cannot be broken, and parsing gives back exactly
// what went in.
func TestNCCOEscapes(t *testing.T) {
	t.Parallel()
	p := newProvider(t, publicURL)
	const number = `+1555"}],"endpoint":[{"type":"app","user":"support_agent"}]}]`
	const callback = publicURL + `/webhooks/event?a=1&b=<x>"'`
	got := vonagetest.MustParseNCCO(t, p.ConnectPhone(number, callback))
	if len(got) != 1 || len(got.Endpoints()) != 1 {
		t.Fatalf("want one connect with one endpoint, got:\n%s", got.JSON())
	}
	ep := got.Endpoints()[0]
	if diff := cmp.Diff([]any{"phone", strings.TrimPrefix(number, "+"), []string{callback}}, []any{ep["type"], ep["number"], got.Strings("eventUrl")}); diff != "" {
		t.Errorf("values after a round trip (-want +got):\n%s", diff)
	}

	msg := "Say <this> & \"that\"\nand ]}\" too\u2028"
	got = vonagetest.MustParseNCCO(t, p.Say(msg))
	if texts := got.Strings("text"); len(texts) != 1 || texts[0] != msg {
		t.Errorf("talk text after a round trip: %q", texts)
	}
}

// TestCustomerNCCOsReachNoPhone checks the builders a customer's call can
// get: only the app user, the fallback number from the configuration, or
// voicemail.
func TestCustomerNCCOsReachNoPhone(t *testing.T) {
	t.Parallel()
	p := newProvider(t, publicURL)
	agent := vonagetest.MustParseNCCO(t, p.ConnectAgent("Hello", "support_agent", 30, publicURL+"/webhooks/event"))
	if eps := agent.Endpoints(); len(eps) != 1 || eps[0]["type"] != "app" || eps[0]["user"] != "support_agent" {
		t.Errorf("ConnectAgent endpoints %v, want only the app user support_agent", eps)
	}
	fb := vonagetest.MustParseNCCO(t, p.FallbackTo("Hold on", p.Line().FallbackNumber, 30, publicURL+"/webhooks/event"))
	if eps := fb.Endpoints(); len(eps) != 1 || eps[0]["number"] != vonagetest.FallbackNumber {
		t.Errorf("FallbackTo endpoints %v, want only VONAGE_FALLBACK_NUMBER", eps)
	}
	vm := vonagetest.MustParseNCCO(t, p.Voicemail("Leave a message", "Thanks", publicURL+"/webhooks/recording", 120))
	if eps := vm.Endpoints(); len(eps) != 0 {
		t.Errorf("Voicemail connects to %v", eps)
	}
}
