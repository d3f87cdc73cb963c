package twilio

import (
	"strconv"

	"github.com/twilio/twilio-go/twiml"
)

// statusEvents are the call-progress events Ringdesk records.
const statusEvents = "initiated ringing answered completed"

// DialNumber connects an agent's browser call to a phone. answerOnBridge
// keeps the agent hearing ringing until the customer picks up.
func (p *Provider) DialNumber(number, statusCallback string) []byte {
	return render(twiml.VoiceDial{
		CallerId:       p.cfg.CallerID,
		AnswerOnBridge: "true",
		InnerElements: []twiml.Element{twiml.VoiceNumber{
			PhoneNumber:          number,
			StatusCallback:       statusCallback,
			StatusCallbackEvent:  statusEvents,
			StatusCallbackMethod: "POST",
		}},
	})
}

// DialAgent rings the agents' browsers. After timeout seconds without an
// answer Twilio asks action what to do next (the voicemail prompt).
func (p *Provider) DialAgent(identity, action, statusCallback string, timeout int) []byte {
	return render(twiml.VoiceDial{
		AnswerOnBridge: "true",
		Timeout:        strconv.Itoa(timeout),
		Action:         action,
		Method:         "POST",
		InnerElements: []twiml.Element{twiml.VoiceClient{
			Identity:             identity,
			StatusCallback:       statusCallback,
			StatusCallbackEvent:  statusEvents,
			StatusCallbackMethod: "POST",
		}},
	})
}

// DialFallback says msg and rings number from the caller ID for timeout
// seconds; then Twilio asks action what to do next, as after DialAgent.
func (p *Provider) DialFallback(msg, number, action, statusCallback string, timeout int) []byte {
	return render(
		twiml.VoiceSay{Message: msg},
		twiml.VoiceDial{
			CallerId: p.cfg.CallerID,
			Timeout:  strconv.Itoa(timeout),
			Action:   action,
			Method:   "POST",
			InnerElements: []twiml.Element{twiml.VoiceNumber{
				PhoneNumber:          number,
				StatusCallback:       statusCallback,
				StatusCallbackEvent:  statusEvents,
				StatusCallbackMethod: "POST",
			}},
		},
	)
}

// Voicemail says prompt and records a message of up to maxSeconds; the
// recording is posted to action.
func (p *Provider) Voicemail(prompt, action string, maxSeconds int) []byte {
	return render(
		twiml.VoiceSay{Message: prompt},
		twiml.VoiceRecord{
			Action:      action,
			Method:      "POST",
			MaxLength:   strconv.Itoa(maxSeconds),
			Timeout:     "5",
			FinishOnKey: "#",
			PlayBeep:    "true",
		},
		twiml.VoiceSay{Message: "We didn't hear a message. Goodbye."},
		twiml.VoiceHangup{},
	)
}

// Hold tells a caller in line their place, plays the hold music once,
// and then has Twilio ask next what to do. With a key to offer, the words
// and the music play inside a <Gather> for one key press, which goes to
// the same address; without one, or no key pressed, the <Redirect> does.
func (p *Provider) Hold(msg, music, next string, key bool) []byte {
	say, play := twiml.VoiceSay{Message: msg}, twiml.VoicePlay{Url: music}
	redirect := twiml.VoiceRedirect{Url: next, Method: "POST"}
	if !key {
		return render(say, play, redirect)
	}
	return render(
		twiml.VoiceGather{
			Input: "dtmf", NumDigits: "1", Timeout: "1", Action: next, Method: "POST",
			InnerElements: []twiml.Element{say, play},
		},
		redirect,
	)
}

// SayAndHangUp tells the caller something and ends the call; it is also
// the answer to unusable input, so a caller never hears an error tone.
func (p *Provider) SayAndHangUp(msg string) []byte {
	return render(twiml.VoiceSay{Message: msg}, twiml.VoiceHangup{})
}

// HangUp ends the call silently.
func (p *Provider) HangUp() []byte { return render(twiml.VoiceHangup{}) }

// hangUpDoc is the answer if rendering ever failed: ending the call is
// safer than an error, which Twilio reads out as "an application error".
const hangUpDoc = `<?xml version="1.0" encoding="UTF-8"?><Response><Hangup/></Response>`

// render writes a <Response> with verbs; twiml escapes all text and
// attributes, so values from requests can never break the XML. Writing an
// in-memory tree to a string does not fail in practice.
func render(verbs ...twiml.Element) []byte {
	s, err := twiml.Voice(verbs)
	if err != nil {
		return []byte(hangUpDoc)
	}
	return []byte(s)
}
