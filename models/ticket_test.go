package models_test

import (
	"errors"
	"regexp"
	"sort"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/nyaruka/phonenumbers"

	"github.com/ringdesk/ringdesk/models"
)

// validInput is a ticket that passes validation; cases change one field.
func validInput() models.TicketInput {
	return models.TicketInput{
		Name:        "Ada Lovelace",
		PhoneNumber: "+1 415 555 2671",
		Description: "My headset does not ring.",
	}
}

// validationFields returns the field keys of a *ValidationError, failing
// the test when err is some other kind of error.
func validationFields(t *testing.T, err error) map[string]string {
	t.Helper()
	if err == nil {
		return nil
	}
	var verr *models.ValidationError
	if !errors.As(err, &verr) {
		t.Fatalf("error %v (%T) is not a *models.ValidationError", err, err)
	}
	return verr.Fields
}

// checkHumanMessages fails when a message is empty or reads like a code
// rather than a sentence for the person who typed the value.
func checkHumanMessages(t *testing.T, fields map[string]string) {
	t.Helper()
	for field, msg := range fields {
		msg = strings.TrimSpace(msg)
		if msg == "" {
			t.Errorf("field %q has an empty message", field)
			continue
		}
		if !strings.Contains(msg, " ") || !strings.ContainsAny(msg[len(msg)-1:], ".!?)") {
			t.Errorf("field %q message %q is not a sentence", field, msg)
		}
		if first, _ := utf8.DecodeRuneInString(msg); strings.ToUpper(string(first)) != string(first) {
			t.Errorf("field %q message %q does not start with a capital letter", field, msg)
		}
	}
}

func keys(m map[string]string) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}

func TestTicketInputValidateNormalisesValidPhoneNumbers(t *testing.T) {
	tests := []struct {
		name   string
		phone  string
		region string
		want   string
	}{
		{"US national", "(415) 555-2671", "US", "+14155552671"},
		{"US with dots", "415.555.2671", "US", "+14155552671"},
		{"US E.164 from another region", "+1 415 555 2671", "GB", "+14155552671"},
		{"US national with leading 1", "1 415 555 2671", "US", "+14155552671"},
		{"UK international", "+44 20 7946 0958", "US", "+442079460958"},
		{"UK national", "020 7946 0958", "GB", "+442079460958"},
		{"UK mobile national", "07911 123456", "GB", "+447911123456"},
		{"German international", "+49 30 12345678", "US", "+493012345678"},
		{"German national", "030 12345678", "DE", "+493012345678"},
		{"German mobile national", "0151 23456789", "DE", "+4915123456789"},
		{"Japanese international", "+81 3-1234-5678", "US", "+81312345678"},
		{"Japanese national", "03-1234-5678", "JP", "+81312345678"},
		{"Japanese mobile national", "090-1234-5678", "JP", "+819012345678"},
		{"Indian international", "+91 98765 43210", "US", "+919876543210"},
		{"Indian national", "098765 43210", "IN", "+919876543210"},
		{"Brazilian international", "+55 11 91234-5678", "US", "+5511912345678"},
		{"Brazilian national", "(11) 91234-5678", "BR", "+5511912345678"},
		{"surrounding spaces", "  +44 20 7946 0958\t", "US", "+442079460958"},
		{"00 international prefix from the UK", "00 1 415 555 2671", "GB", "+14155552671"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := validInput()
			in.PhoneNumber = tt.phone
			got, err := in.Validate(tt.region)
			if err != nil {
				t.Fatalf("Validate(%q, region %s): %v", tt.phone, tt.region, err)
			}
			if got.PhoneNumber != tt.want {
				t.Errorf("PhoneNumber = %q, want %q", got.PhoneNumber, tt.want)
			}
		})
	}
}

func TestTicketInputValidateRejectsBadInput(t *testing.T) {
	tests := []struct {
		name       string
		edit       func(*models.TicketInput)
		wantFields []string
	}{
		{"phone with letters", func(in *models.TicketInput) { in.PhoneNumber = "call me maybe" }, []string{"phone_number"}},
		{"phone with only letters and a plus", func(in *models.TicketInput) { in.PhoneNumber = "+abc" }, []string{"phone_number"}},
		{"phone too short", func(in *models.TicketInput) { in.PhoneNumber = "123" }, []string{"phone_number"}},
		{"impossible US number", func(in *models.TicketInput) { in.PhoneNumber = "+1 555 0100" }, []string{"phone_number"}},
		{"national number with an unknown area", func(in *models.TicketInput) { in.PhoneNumber = "(099) 555-2671" }, []string{"phone_number"}},
		{"empty phone", func(in *models.TicketInput) { in.PhoneNumber = "" }, []string{"phone_number"}},
		{"whitespace phone", func(in *models.TicketInput) { in.PhoneNumber = " \t " }, []string{"phone_number"}},
		{"phone over 32 characters", func(in *models.TicketInput) {
			in.PhoneNumber = "+1 415 555 2671" + strings.Repeat(" ", 10) + strings.Repeat("0", 10)
		}, []string{"phone_number"}},
		{"phone of 33 digits", func(in *models.TicketInput) { in.PhoneNumber = "+" + strings.Repeat("4", 32) }, []string{"phone_number"}},
		{"blank name", func(in *models.TicketInput) { in.Name = "" }, []string{"name"}},
		{"whitespace-only name", func(in *models.TicketInput) { in.Name = " \t\n\u00a0 " }, []string{"name"}},
		{"101-rune name", func(in *models.TicketInput) { in.Name = strings.Repeat("a", 101) }, []string{"name"}},
		{"101-rune Japanese name", func(in *models.TicketInput) { in.Name = strings.Repeat("日", 101) }, []string{"name"}},
		{"name with a line break inside", func(in *models.TicketInput) { in.Name = "Ada\nLovelace" }, []string{"name"}},
		{"name with a tab inside", func(in *models.TicketInput) { in.Name = "Ada\tLovelace" }, []string{"name"}},
		{"name with NUL", func(in *models.TicketInput) { in.Name = "Ada\x00" }, []string{"name"}},
		{"name with escape", func(in *models.TicketInput) { in.Name = "Ada \x1b[31m" }, []string{"name"}},
		{"name with DEL", func(in *models.TicketInput) { in.Name = "Ada\x7fLovelace" }, []string{"name"}},
		{"name with invalid UTF-8", func(in *models.TicketInput) { in.Name = "Ada \xff" }, []string{"name"}},
		{"blank description", func(in *models.TicketInput) { in.Description = "" }, []string{"description"}},
		{"whitespace-only description", func(in *models.TicketInput) { in.Description = "\r\n \n\t" }, []string{"description"}},
		{"description of 5001 runes", func(in *models.TicketInput) { in.Description = strings.Repeat("x", 5001) }, []string{"description"}},
		{"description of 5001 multi-byte runes", func(in *models.TicketInput) { in.Description = strings.Repeat("é", 5001) }, []string{"description"}},
		{"description of 20 kB", func(in *models.TicketInput) { in.Description = strings.Repeat("help! ", 20000/6) }, []string{"description"}},
		{"description with NUL", func(in *models.TicketInput) { in.Description = "it broke\x00" }, []string{"description"}},
		{"description with a bell", func(in *models.TicketInput) { in.Description = "ring\athe bell" }, []string{"description"}},
		{"description with invalid UTF-8", func(in *models.TicketInput) { in.Description = "caf\xe9" }, []string{"description"}},
		{"everything missing", func(in *models.TicketInput) { *in = models.TicketInput{} }, []string{"description", "name", "phone_number"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := validInput()
			tt.edit(&in)
			_, err := in.Validate("US")
			if err == nil {
				t.Fatalf("Validate(%+q) = nil error, want errors on %v", in, tt.wantFields)
			}
			fields := validationFields(t, err)
			if diff := cmp.Diff(tt.wantFields, keys(fields)); diff != "" {
				t.Errorf("field keys (-want +got):\n%s\nmessages: %v", diff, fields)
			}
			checkHumanMessages(t, fields)
			if !strings.HasPrefix(err.Error(), "invalid input: ") {
				t.Errorf("Error() = %q, want it to start with %q", err.Error(), "invalid input: ")
			}
		})
	}
}

func TestTicketInputValidateAcceptsAndNormalisesText(t *testing.T) {
	tests := []struct {
		name            string
		in              models.TicketInput
		wantName        string
		wantDescription string
	}{
		{
			name:            "trims surrounding space",
			in:              models.TicketInput{Name: "  Ada Lovelace \n", Description: "\n\t Help me \r\n"},
			wantName:        "Ada Lovelace",
			wantDescription: "Help me",
		},
		{
			name:            "CRLF becomes LF",
			in:              models.TicketInput{Name: "Ada", Description: "line one\r\nline two\r\n\r\nline four"},
			wantName:        "Ada",
			wantDescription: "line one\nline two\n\nline four",
		},
		{
			name:            "tabs and line breaks kept inside the description",
			in:              models.TicketInput{Name: "Ada", Description: "a\tb\nc"},
			wantName:        "Ada",
			wantDescription: "a\tb\nc",
		},
		{
			name:            "100-rune Japanese name",
			in:              models.TicketInput{Name: strings.Repeat("日本", 50), Description: "x"},
			wantName:        strings.Repeat("日本", 50),
			wantDescription: "x",
		},
		{
			name:            "100-rune emoji name",
			in:              models.TicketInput{Name: strings.Repeat("😀", 100), Description: "x"},
			wantName:        strings.Repeat("😀", 100),
			wantDescription: "x",
		},
		{
			name:            "100-rune name with padding",
			in:              models.TicketInput{Name: "   " + strings.Repeat("a", 100) + "   ", Description: "x"},
			wantName:        strings.Repeat("a", 100),
			wantDescription: "x",
		},
		{
			name:            "description of exactly 5000 runes",
			in:              models.TicketInput{Name: "Ada", Description: strings.Repeat("x", 5000)},
			wantName:        "Ada",
			wantDescription: strings.Repeat("x", 5000),
		},
		{
			name:            "description of exactly 5000 multi-byte runes",
			in:              models.TicketInput{Name: "Ada", Description: strings.Repeat("ü", 5000)},
			wantName:        "Ada",
			wantDescription: strings.Repeat("ü", 5000),
		},
		{
			// The limit applies after CRLF is folded, as the browser's
			// textarea counts a line break as one character.
			name:            "5000 runes once CRLF is folded",
			in:              models.TicketInput{Name: "Ada", Description: strings.Repeat("x\r\n", 2499) + "xx"},
			wantName:        "Ada",
			wantDescription: strings.Repeat("x\n", 2499) + "xx",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.in.PhoneNumber = "+14155552671"
			got, err := tt.in.Validate("US")
			if err != nil {
				t.Fatalf("Validate: %v", err)
			}
			want := models.Ticket{Name: tt.wantName, PhoneNumber: "+14155552671", Description: tt.wantDescription}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("ticket (-want +got):\n%s", diff)
			}
		})
	}
}

func TestTicketInputValidateReportsDescriptionLength(t *testing.T) {
	in := validInput()
	in.Description = strings.Repeat("x", 20000)
	_, err := in.Validate("US")
	msg := validationFields(t, err)["description"]
	if !strings.Contains(msg, "5,000") || !strings.Contains(msg, "20,000") {
		t.Errorf("description message = %q, want it to mention the limit 5,000 and the length 20,000", msg)
	}
}

func TestTicketInputValidateHintsAtCountryCodeForNationalNumbers(t *testing.T) {
	in := validInput()
	in.PhoneNumber = "555 0100"
	_, err := in.Validate("US")
	if msg := validationFields(t, err)["phone_number"]; !strings.Contains(msg, "country code") {
		t.Errorf("phone_number message = %q, want a hint about the country code", msg)
	}
}

func TestParseStatus(t *testing.T) {
	tests := []struct {
		in     string
		want   models.TicketStatus
		wantOK bool
	}{
		{"open", models.StatusOpen, true},
		{"closed", models.StatusClosed, true},
		{"", "", false},
		{"Open", "", false},
		{" open", "", false},
		{"pending", models.StatusPending, true},
		{"Pending", "", false},
		{"closed\x00", "", false},
	}
	for _, tt := range tests {
		got, ok := models.ParseStatus(tt.in)
		if got != tt.want || ok != tt.wantOK {
			t.Errorf("ParseStatus(%q) = %q, %v; want %q, %v", tt.in, got, ok, tt.want, tt.wantOK)
		}
	}
}

func TestFormatPhone(t *testing.T) {
	tests := []struct {
		in, want string
	}{
		{"+14155552671", "+1 415-555-2671"},
		{"+442079460958", "+44 20 7946 0958"},
		{"+493012345678", "+49 30 12345678"},
		{"+81312345678", "+81 3-1234-5678"},
		{"+919876543210", "+91 98765 43210"},
		{"+5511912345678", "+55 11 91234-5678"},
		{"", ""},
		{"not a number", "not a number"},
		{"4155552671", "4155552671"}, // no region: shown as stored
	}
	for _, tt := range tests {
		if got := models.FormatPhone(tt.in); got != tt.want {
			t.Errorf("FormatPhone(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
	ticket := models.Ticket{PhoneNumber: "+14155552671"}
	if got := ticket.PhoneDisplay(); got != "+1 415-555-2671" {
		t.Errorf("PhoneDisplay() = %q, want %q", got, "+1 415-555-2671")
	}
}

func TestCursorRoundTrips(t *testing.T) {
	id := models.NewID()
	tests := []models.Cursor{
		{CreatedAt: time.Date(2025, 3, 14, 15, 9, 26, 535_000_000, time.UTC), ID: id},
		{CreatedAt: time.UnixMilli(0).UTC(), ID: id},
		{CreatedAt: time.Now().UTC().Truncate(time.Millisecond), ID: models.NewID()},
		{CreatedAt: time.Date(9999, 12, 31, 23, 59, 59, 999_000_000, time.UTC), ID: models.ID{}},
	}
	for _, c := range tests {
		s := c.String()
		got, err := models.ParseCursor(s)
		if err != nil {
			t.Errorf("ParseCursor(%q): %v", s, err)
			continue
		}
		if diff := cmp.Diff(c, got); diff != "" {
			t.Errorf("ParseCursor(%q) (-want +got):\n%s", s, diff)
		}
	}
}

func TestParseCursorRejectsTamperedCursors(t *testing.T) {
	hexID := models.NewID().Hex()
	tests := []string{
		"",
		"-",
		"1700000000000",
		"1700000000000-",
		"-" + hexID,
		"abc-" + hexID,
		"1.5-" + hexID,
		"99999999999999999999-" + hexID, // overflows int64
		"1700000000000-" + hexID[:23],
		"1700000000000-" + hexID + "0",
		"1700000000000-" + strings.Repeat("z", 24),
		"1700000000000-" + hexID + "-extra",
		"1700000000000_" + hexID,
	}
	for _, s := range tests {
		if c, err := models.ParseCursor(s); !errors.Is(err, models.ErrBadCursor) {
			t.Errorf("ParseCursor(%q) = %v, %v; want ErrBadCursor", s, c, err)
		}
	}
}

var e164 = regexp.MustCompile(`^\+[1-9]\d{6,14}$`)

// fuzzRegions are the regions a deployment may set in PHONE_REGION.
var fuzzRegions = func() []string {
	var rs []string
	for r := range phonenumbers.GetSupportedRegions() {
		rs = append(rs, r)
	}
	sort.Strings(rs)
	return rs
}()

func FuzzTicketInput(f *testing.F) {
	f.Add("Ada Lovelace", "(415) 555-2671", "Help\r\nplease", uint16(0))
	f.Add("  日本 太郎 ", "03-1234-5678", "電話がつながりません", uint16(1))
	f.Add("😀", "+44 20 7946 0958", strings.Repeat("x", 64), uint16(2))
	f.Add("Ada\x00", "+1 555 0100", "\xff", uint16(3))
	f.Add("", "", "", uint16(4))
	f.Add("O'Brien", "1-800-FLOWERS", "a\r\r\nb", uint16(5))
	f.Add("x", "+1 415 555 2671 ext. 12", " \u00a0desc\u2028", uint16(6))
	f.Fuzz(func(t *testing.T, name, phone, description string, regionIndex uint16) {
		regions := append([]string{"US", "GB", "DE", "JP", "IN", "BR"}, fuzzRegions...)
		region := regions[int(regionIndex)%len(regions)]
		in := models.TicketInput{Name: name, PhoneNumber: phone, Description: description}
		got, err := in.Validate(region)
		if err != nil {
			var verr *models.ValidationError
			if !errors.As(err, &verr) || len(verr.Fields) == 0 {
				t.Fatalf("Validate(%+q, %s) error %v is not a ValidationError with fields", in, region, err)
			}
			for field, msg := range verr.Fields {
				if field != "name" && field != "phone_number" && field != "description" {
					t.Errorf("unexpected field key %q", field)
				}
				if strings.TrimSpace(msg) == "" {
					t.Errorf("field %q has an empty message", field)
				}
			}
			return
		}
		for field, v := range map[string]string{"name": got.Name, "description": got.Description} {
			if v != strings.TrimSpace(v) {
				t.Errorf("%s %q is not trimmed", field, v)
			}
			if !utf8.ValidString(v) {
				t.Errorf("%s %q is not valid UTF-8", field, v)
			}
			if v == "" {
				t.Errorf("%s is empty but accepted", field)
			}
		}
		if n := utf8.RuneCountInString(got.Name); n > models.MaxNameLen {
			t.Errorf("name has %d runes, over %d", n, models.MaxNameLen)
		}
		if n := utf8.RuneCountInString(got.Description); n > models.MaxDescriptionLen {
			t.Errorf("description has %d runes, over %d", n, models.MaxDescriptionLen)
		}
		if !e164.MatchString(got.PhoneNumber) {
			t.Errorf("phone %q (from %q, region %s) is not E.164", got.PhoneNumber, phone, region)
		}
		again, err := models.TicketInput{Name: got.Name, PhoneNumber: got.PhoneNumber, Description: got.Description}.Validate(region)
		if err != nil {
			t.Fatalf("re-validating accepted ticket %q / %q / %q (region %s) failed: %v", got.Name, got.PhoneNumber, got.Description, region, err)
		}
		if diff := cmp.Diff(got, again); diff != "" {
			t.Errorf("Validate is not idempotent (-first +second):\n%s", diff)
		}
	})
}
