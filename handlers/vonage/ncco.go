package vonage

import (
	"encoding/json"
	"strings"
)

// NCCO actions, typed so that encoding/json escapes every value: text and
// numbers from requests can never change the structure of an answer.
type talk struct {
	Action string `json:"action"`
	Text   string `json:"text"`
}

type connect struct {
	Action    string     `json:"action"`
	From      string     `json:"from,omitempty"`
	Timeout   int        `json:"timeout,omitempty"`
	EventType string     `json:"eventType,omitempty"`
	EventURL  []string   `json:"eventUrl,omitempty"`
	Endpoint  []endpoint `json:"endpoint"`
}

type endpoint struct {
	Type        string `json:"type"`
	Number      string `json:"number,omitempty"`
	User        string `json:"user,omitempty"`
	URI         string `json:"uri,omitempty"`
	ContentType string `json:"content-type,omitempty"`
}

type stream struct {
	Action    string   `json:"action"`
	StreamURL []string `json:"streamUrl"`
	BargeIn   bool     `json:"bargeIn"`
}

type input struct {
	Action      string   `json:"action"`
	Type        []string `json:"type"`
	DTMF        dtmf     `json:"dtmf"`
	EventURL    []string `json:"eventUrl"`
	EventMethod string   `json:"eventMethod"`
}

type dtmf struct {
	MaxDigits int `json:"maxDigits"`
	TimeOut   int `json:"timeOut"`
}

type record struct {
	Action       string   `json:"action"`
	EventURL     []string `json:"eventUrl"`
	EventMethod  string   `json:"eventMethod"`
	Format       string   `json:"format"`
	EndOnSilence int      `json:"endOnSilence"`
	EndOnKey     string   `json:"endOnKey"`
	TimeOut      int      `json:"timeOut"`
	BeepStart    bool     `json:"beepStart"`
}

// SocketContentType is the audio the sound-check socket exchanges: 16-bit
// linear PCM at 16 kHz, 640 bytes per 20 ms frame.
const SocketContentType = "audio/l16;rate=16000"

// ConnectPhone connects an agent's browser call to a phone (E.164, with or
// without +) from VONAGE_NUMBER; the phone leg's events go to eventURL.
func (p *Provider) ConnectPhone(number, eventURL string) []byte {
	return render(connect{
		Action:   "connect",
		From:     p.cfg.Number,
		EventURL: []string{eventURL},
		Endpoint: []endpoint{{Type: "phone", Number: strings.TrimPrefix(number, "+")}},
	})
}

// ConnectAgent greets a caller and rings the app user (the agents'
// browsers) for timeout seconds. The connect is synchronous: when the
// agents are not reached (unanswered, timeout, rejected, busy, failed)
// Vonage posts that event to eventURL and runs the NCCO it answers with
// (FallbackTo or Voicemail) instead of ending the call.
func (p *Provider) ConnectAgent(greeting, user string, timeout int, eventURL string) []byte {
	return render(
		talk{Action: "talk", Text: greeting},
		connect{
			Action:    "connect",
			Timeout:   timeout,
			EventType: "synchronous",
			EventURL:  []string{eventURL},
			Endpoint:  []endpoint{{Type: "app", User: user}},
		},
	)
}

// FallbackTo tells the caller what happens and puts the call through to
// number (digits, or E.164 with +) from VONAGE_NUMBER, synchronously
// again, so that a fallback phone that does not answer still leads to
// voicemail.
func (p *Provider) FallbackTo(say, number string, timeout int, eventURL string) []byte {
	return render(
		talk{Action: "talk", Text: say},
		connect{
			Action:    "connect",
			From:      p.cfg.Number,
			Timeout:   timeout,
			EventType: "synchronous",
			EventURL:  []string{eventURL},
			Endpoint:  []endpoint{{Type: "phone", Number: strings.TrimPrefix(number, "+")}},
		},
	)
}

// Voicemail says prompt, records a message of up to maxSeconds after a
// beep (ending on 5 s of silence or #, as Twilio's voicemail does), posts
// the recording to recordURL and thanks the caller.
func (p *Provider) Voicemail(prompt, thanks, recordURL string, maxSeconds int) []byte {
	return render(
		talk{Action: "talk", Text: prompt},
		record{
			Action:       "record",
			EventURL:     []string{recordURL},
			EventMethod:  "POST",
			Format:       "mp3",
			EndOnSilence: 5,
			EndOnKey:     "#",
			TimeOut:      maxSeconds,
			BeepStart:    true,
		},
		talk{Action: "talk", Text: thanks},
	)
}

// Hold tells a caller in line their place and plays the hold music
// once; the input after it (a key press ends the music early) has Vonage
// ask next what to do.
func (p *Provider) Hold(msg, music, next string) []byte {
	return render(
		talk{Action: "talk", Text: msg},
		stream{Action: "stream", StreamURL: []string{music}, BargeIn: true},
		input{Action: "input", Type: []string{"dtmf"}, DTMF: dtmf{MaxDigits: 1, TimeOut: 1}, EventURL: []string{next}, EventMethod: "POST"},
	)
}

// SoundCheck says intro, then connects the call to the echo socket at
// socketURL (see SocketURL).
func (p *Provider) SoundCheck(intro, socketURL string) []byte {
	return render(
		talk{Action: "talk", Text: intro},
		connect{
			Action:   "connect",
			Endpoint: []endpoint{{Type: "websocket", URI: socketURL, ContentType: SocketContentType}},
		},
	)
}

// Say tells the caller something and ends the call (an NCCO ends when its
// last action does); it is also the answer to unusable input, so a caller
// never hears an error tone.
func (p *Provider) Say(msg string) []byte { return render(talk{Action: "talk", Text: msg}) }

// fallbackNCCO is the answer if encoding ever failed: saying sorry is
// kinder than an error, which Vonage answers by dropping the call.
const fallbackNCCO = `[{"action":"talk","text":"Sorry, something went wrong. Please try again later."}]`

// render writes actions as an NCCO. Encoding fixed structs of strings,
// numbers and booleans does not fail in practice.
func render(actions ...any) []byte {
	b, err := json.Marshal(actions)
	if err != nil {
		return []byte(fallbackNCCO)
	}
	return b
}
