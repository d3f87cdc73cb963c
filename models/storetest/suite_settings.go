package storetest

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/ringdesk/ringdesk/models"
)

var settingsTests = []test{
	{"HoursDefaultAlwaysOpen", testHoursDefault},
	{"HoursRoundTrip", testHoursRoundTrip},
}

// officeHours are weekdays 09:00-17:30 in London with two holidays.
func officeHours() models.Hours {
	day := models.DayHours{Open: "09:00", Close: "17:30"}
	return models.Hours{
		Zone:     "Europe/London",
		Week:     []models.DayHours{{}, day, day, day, day, day, {Open: "10:00", Close: "13:00"}},
		Holidays: []models.Holiday{{Date: "2026-12-25", Name: "Christmas Day"}, {Date: "2026-12-26", Name: "Boxing Day"}},
	}
}

func testHoursDefault(t *testing.T, f Factory) {
	h, err := f.New(t).Settings.Hours(t.Context())
	if err != nil || !h.Always() {
		t.Fatalf("Hours on a new store = %+v, %v; want always open", h, err)
	}
}

func testHoursRoundTrip(t *testing.T, f Factory) {
	s := f.New(t)
	want := officeHours()
	if err := s.Settings.SetHours(t.Context(), want); err != nil {
		t.Fatal(err)
	}
	got, err := s.Settings.Hours(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Hours after SetHours (-want +got):\n%s", diff)
	}
	// Saving again replaces them whole: a holiday taken out is gone.
	want.Holidays = nil
	want.Week[6] = models.DayHours{}
	if err := s.Settings.SetHours(t.Context(), want); err != nil {
		t.Fatal(err)
	}
	got, err = s.Settings.Hours(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got, cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("Hours after a second SetHours (-want +got):\n%s", diff)
	}
}
