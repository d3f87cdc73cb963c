package models_test

import (
	"errors"
	"testing"

	"github.com/ringdesk/ringdesk/models"
)

func TestDialPolicy(t *testing.T) {
	t.Parallel()
	usOnly := models.DialPolicy{Countries: []string{"US"}}
	usGB := models.DialPolicy{Countries: []string{"US", "GB"}}
	tests := []struct {
		name   string
		policy models.DialPolicy
		number string
		typed  error // CheckTyped
		stored error // CheckStored
	}{
		{"US landline", usOnly, "+14155552671", nil, nil},
		{"US toll-free", usOnly, "+18005550100", nil, nil},
		{"GB landline, US only", usOnly, "+442079460958", models.ErrCountryNotAllowed, nil},
		{"GB landline, US and GB", usGB, "+442079460958", nil, nil},
		{"GB mobile, US and GB", usGB, "+447400123456", nil, nil},
		// +1 is shared by the NANP countries; Jamaica's numbers are a
		// classic toll-fraud target and must not pass as "US".
		{"Jamaica shares +1", usOnly, "+18762345678", models.ErrCountryNotAllowed, nil},
		{"Canada shares +1", usOnly, "+15062345678", models.ErrCountryNotAllowed, nil},
		{"no countries allowed", models.DialPolicy{}, "+14155552671", models.ErrCountryNotAllowed, nil},

		{"US premium 900", usOnly, "+19002345678", models.ErrPremiumNumber, models.ErrPremiumNumber},
		{"GB premium 09", usGB, "+449012345678", models.ErrPremiumNumber, models.ErrPremiumNumber},
		{"DE premium 0900", models.DialPolicy{Countries: []string{"DE"}}, "+499001234567", models.ErrPremiumNumber, models.ErrPremiumNumber},
		{"FR premium 089", models.DialPolicy{Countries: []string{"FR"}}, "+33891123456", models.ErrPremiumNumber, models.ErrPremiumNumber},
		{"premium in a country not allowed", usOnly, "+449012345678", models.ErrPremiumNumber, models.ErrPremiumNumber},
		{"DE shared cost 0180", models.DialPolicy{Countries: []string{"DE"}}, "+4918012345", models.ErrSharedCostNumber, models.ErrSharedCostNumber},
		{"ES shared cost 901", models.DialPolicy{Countries: []string{"ES"}}, "+34901123456", models.ErrSharedCostNumber, models.ErrSharedCostNumber},
		{"AU shared cost 1300", models.DialPolicy{Countries: []string{"AU"}}, "+611300123456", models.ErrSharedCostNumber, models.ErrSharedCostNumber},

		{"fictional 555 number", usOnly, "+15551234567", models.ErrUndialable, models.ErrUndialable},
		{"not E.164", usOnly, "4155552671", models.ErrUndialable, models.ErrUndialable},
		{"empty", usOnly, "", models.ErrUndialable, models.ErrUndialable},
		{"garbage", usOnly, "+1 415 <script>", models.ErrUndialable, models.ErrUndialable},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := tt.policy.CheckTyped(tt.number); !errors.Is(err, tt.typed) || (err == nil) != (tt.typed == nil) {
				t.Errorf("CheckTyped(%q) = %v, want %v", tt.number, err, tt.typed)
			}
			if err := tt.policy.CheckStored(tt.number); !errors.Is(err, tt.stored) || (err == nil) != (tt.stored == nil) {
				t.Errorf("CheckStored(%q) = %v, want %v", tt.number, err, tt.stored)
			}
		})
	}
}
