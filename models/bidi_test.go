package models

import (
	"errors"
	"testing"
)

// TestNamesRefuseBidiControls: a text-direction override in a name makes
// it display as something else ("Ada\u202Egnp.exe" shows as "Adaexe.png"),
// so ticket and agent names refuse every such character.
func TestNamesRefuseBidiControls(t *testing.T) {
	controls := []rune{'\u202A', '\u202B', '\u202C', '\u202D', '\u202E', '\u2066', '\u2067', '\u2068', '\u2069', '\u200E', '\u200F', '\u061C'}
	for _, r := range controls {
		name := "Ada" + string(r) + "gnp.exe"
		_, err := TicketInput{Name: name, PhoneNumber: "+14155552671", Description: "Help"}.Validate("US")
		if msg := fieldError(err, "name"); msg != msgBidiName {
			t.Errorf("ticket name with U+%04X: name error %q, want %q", r, msg, msgBidiName)
		}
		_, _, err = AgentInput{Email: "ada@example.com", Name: name, Password: "correct horse battery"}.Validate()
		if msg := fieldError(err, "name"); msg != msgBidiName {
			t.Errorf("agent name with U+%04X: name error %q, want %q", r, msg, msgBidiName)
		}
	}
	// Right-to-left scripts themselves are names like any other.
	for _, name := range []string{"שרה כהן", "محمد علي", "Zoë O'Brien"} {
		if _, err := (TicketInput{Name: name, PhoneNumber: "+14155552671", Description: "Help"}).Validate("US"); err != nil {
			t.Errorf("ticket name %q refused: %v", name, err)
		}
	}
}

func fieldError(err error, field string) string {
	var verr *ValidationError
	if !errors.As(err, &verr) {
		return ""
	}
	return verr.Fields[field]
}
