package models_test

import (
	"errors"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ringdesk/ringdesk/models"
)

const adaPassword = "correct horse battery"

func adaInput() models.AgentInput {
	return models.AgentInput{Email: "ada@example.com", Name: "Ada Lovelace", Password: adaPassword}
}

func TestAgentInputValidateAcceptsAndNormalises(t *testing.T) {
	tests := []struct {
		name      string
		in        models.AgentInput
		wantEmail string
		wantName  string
	}{
		{"plain", adaInput(), "ada@example.com", "Ada Lovelace"},
		{"email lower-cased and trimmed", models.AgentInput{Email: "  Ada@Example.COM\n", Name: " Ada ", Password: adaPassword}, "ada@example.com", "Ada"},
		{"plus address and subdomain", models.AgentInput{Email: "ada+support@mail.example.co.uk", Name: "Ada", Password: adaPassword}, "ada+support@mail.example.co.uk", "Ada"},
		{"100-rune name", models.AgentInput{Email: "ada@example.com", Name: strings.Repeat("é", 100), Password: adaPassword}, "ada@example.com", strings.Repeat("é", 100)},
		{"10-byte password", models.AgentInput{Email: "ada@example.com", Name: "Ada", Password: strings.Repeat("p", 10)}, "ada@example.com", "Ada"},
		{"10-rune multi-byte password", models.AgentInput{Email: "ada@example.com", Name: "Ada", Password: strings.Repeat("ß", 10)}, "ada@example.com", "Ada"},
		{"72-byte password", models.AgentInput{Email: "ada@example.com", Name: "Ada", Password: strings.Repeat("p", 72)}, "ada@example.com", "Ada"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			email, name, err := tt.in.Validate()
			if err != nil {
				t.Fatalf("Validate: %v", err)
			}
			if email != tt.wantEmail || name != tt.wantName {
				t.Errorf("Validate = %q, %q; want %q, %q", email, name, tt.wantEmail, tt.wantName)
			}
		})
	}
}

func TestAgentInputValidateRejectsBadInput(t *testing.T) {
	tests := []struct {
		name       string
		edit       func(*models.AgentInput)
		wantFields []string
	}{
		{"empty email", func(in *models.AgentInput) { in.Email = "" }, []string{"email"}},
		{"email without @", func(in *models.AgentInput) { in.Email = "ada.example.com" }, []string{"email"}},
		{"email without domain", func(in *models.AgentInput) { in.Email = "ada@" }, []string{"email"}},
		{"email without local part", func(in *models.AgentInput) { in.Email = "@example.com" }, []string{"email"}},
		{"email with a display name", func(in *models.AgentInput) { in.Email = "Ada <ada@example.com>" }, []string{"email"}},
		{"email with a space", func(in *models.AgentInput) { in.Email = "ada lovelace@example.com" }, []string{"email"}},
		{"two emails", func(in *models.AgentInput) { in.Email = "ada@example.com, bob@example.com" }, []string{"email"}},
		{"email over 254 bytes", func(in *models.AgentInput) {
			in.Email = strings.Repeat("a", 64) + "@" + strings.Repeat("b", 63) + "." + strings.Repeat("c", 63) + "." + strings.Repeat("d", 63) + ".com"
		}, []string{"email"}},
		{"blank name", func(in *models.AgentInput) { in.Name = "" }, []string{"name"}},
		{"whitespace name", func(in *models.AgentInput) { in.Name = " \t " }, []string{"name"}},
		{"101-rune name", func(in *models.AgentInput) { in.Name = strings.Repeat("é", 101) }, []string{"name"}},
		{"empty password", func(in *models.AgentInput) { in.Password = "" }, []string{"password"}},
		{"9-character password", func(in *models.AgentInput) { in.Password = "123456789" }, []string{"password"}},
		{"73-byte password", func(in *models.AgentInput) { in.Password = strings.Repeat("p", 73) }, []string{"password"}},
		{"37 two-byte runes (74 bytes)", func(in *models.AgentInput) { in.Password = strings.Repeat("é", 37) }, []string{"password"}},
		{"everything wrong", func(in *models.AgentInput) { *in = models.AgentInput{} }, []string{"email", "name", "password"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := adaInput()
			tt.edit(&in)
			_, _, err := in.Validate()
			if err == nil {
				t.Fatalf("Validate(%+q) = nil error, want errors on %v", in, tt.wantFields)
			}
			var verr *models.ValidationError
			if !errors.As(err, &verr) {
				t.Fatalf("error %v is not a *models.ValidationError", err)
			}
			if diff := cmp.Diff(tt.wantFields, keys(verr.Fields)); diff != "" {
				t.Errorf("field keys (-want +got):\n%s\nmessages: %v", diff, verr.Fields)
			}
			checkHumanMessages(t, verr.Fields)
		})
	}
}
