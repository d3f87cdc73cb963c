package models

import (
	"errors"
	"slices"

	"github.com/nyaruka/phonenumbers"
)

// Why a number may not be dialled. They name the number's kind, never
// the number, so a handler may turn them into words for the agent.
var (
	// ErrPremiumNumber: the callee's network charges the caller extra
	// and pays the number's owner, the usual way to turn stolen calling
	// into money.
	ErrPremiumNumber = errors.New("premium-rate number")
	// ErrSharedCostNumber: a shared-cost number, charged above a normal
	// call and partly paid out to its owner.
	ErrSharedCostNumber = errors.New("shared-cost number")
	// ErrCountryNotAllowed: the number is in a country outside the ones
	// agents may dial.
	ErrCountryNotAllowed = errors.New("country not allowed")
	// ErrUndialable: not a number this policy can place at all.
	ErrUndialable = errors.New("not a dialable number")
)

// DialPolicy decides which numbers an agent's call may reach. The zero
// value allows no typed number.
type DialPolicy struct {
	// Countries are the ISO regions (upper case, e.g. "US", "GB") that a
	// typed number may be in.
	Countries []string
}

// CheckTyped reports whether an agent may dial e164, a number they typed:
// a valid number, neither premium-rate nor shared-cost, in one of the
// allowed countries. The error is one of the Err*Number / ErrCountry /
// ErrUndialable values above.
func (p DialPolicy) CheckTyped(e164 string) error {
	num, err := p.kind(e164)
	if err != nil {
		return err
	}
	if !slices.Contains(p.Countries, phonenumbers.GetRegionCodeForNumber(num)) {
		return ErrCountryNotAllowed
	}
	return nil
}

// CheckStored reports whether an agent may dial a number stored on a
// ticket. A customer who opened a ticket asked to be called back there,
// so any country is fine; a premium-rate or shared-cost number is not,
// as anyone can open a ticket with one and wait for the call.
func (p DialPolicy) CheckStored(e164 string) error {
	_, err := p.kind(e164)
	return err
}

// kind parses e164 and refuses the number types that cost the caller
// more than a call and pay its owner.
func (DialPolicy) kind(e164 string) (*phonenumbers.PhoneNumber, error) {
	num, err := phonenumbers.Parse(e164, "")
	if err != nil || !phonenumbers.IsValidNumber(num) {
		return nil, ErrUndialable
	}
	switch phonenumbers.GetNumberType(num) {
	case phonenumbers.PREMIUM_RATE:
		return nil, ErrPremiumNumber
	case phonenumbers.SHARED_COST:
		return nil, ErrSharedCostNumber
	}
	return num, nil
}
