package twilio_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ringdesk/ringdesk/handlers/twiliotest"
)

func TestTwiMLBuilders(t *testing.T) {
	t.Parallel()
	p := newProvider(t, publicURL)
	const status = publicURL + "/call/status?dir=outbound&ticketId=0123456789abcdef01234567"
	tests := []struct {
		golden string
		doc    []byte
	}{
		{"dial_number", p.DialNumber("+14155552671", status)},
		{"dial_number_escaped", p.DialNumber(`+1 555 <b>&"'`, status+`&x=<"'>`)},
		{"dial_agent", p.DialAgent("support_agent", publicURL+"/call/dial-result?dir=inbound", publicURL+"/call/status?dir=inbound", 30)},
		{"voicemail", p.Voicemail("Please leave a message after the tone.", publicURL+"/call/voicemail?dir=inbound&ticketId=0123456789abcdef01234567", 120)},
		{"say_hangup_escaped", p.SayAndHangUp(`Ticket <#42> & "Ada's" number ]]> is wrong.`)},
		{"hangup", p.HangUp()},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			if !strings.HasPrefix(string(tt.doc), `<?xml version="1.0" encoding="UTF-8"?>`) {
				t.Errorf("document does not start with the XML declaration:\n%s", tt.doc)
			}
			got := twiliotest.MustParseTwiML(t, tt.doc)
			if got.Name != "Response" {
				t.Errorf("root element <%s>, want <Response>", got.Name)
			}
			twiliotest.Golden(t, filepath.Join("testdata", tt.golden+".golden"), got, *update)
		})
	}
}

// TestTwiMLEscapes checks that text from requests comes out escaped: the
// raw markup never appears, and parsing gives back exactly what went in.
func TestTwiMLEscapes(t *testing.T) {
	t.Parallel()
	p := newProvider(t, publicURL)
	const number = `+1 555 <b>&"'</Number><Client>support_agent</Client>`
	const callback = publicURL + `/call/status?a=1&b=<x>"'`
	doc := p.DialNumber(number, callback)
	for _, raw := range []string{"<b>", "</Number><Client>", `&"`} {
		if strings.Contains(string(doc), raw) {
			t.Errorf("document contains unescaped %q:\n%s", raw, doc)
		}
	}
	tree := twiliotest.MustParseTwiML(t, doc)
	nums := tree.All("Number")
	if len(nums) != 1 || len(tree.All("Client")) != 0 {
		t.Fatalf("want one <Number> and no <Client>, got:\n%s", tree.XML())
	}
	if diff := cmp.Diff([]string{number, callback}, []string{nums[0].Text, nums[0].Attrs["statusCallback"]}); diff != "" {
		t.Errorf("values after a round trip (-want +got):\n%s", diff)
	}

	msg := "Say <this> & \"that\"\nand ]]> too"
	tree = twiliotest.MustParseTwiML(t, p.SayAndHangUp(msg))
	if says := tree.All("Say"); len(says) != 1 || says[0].Text != msg {
		t.Errorf("<Say> after a round trip:\n%s", tree.XML())
	}
}
