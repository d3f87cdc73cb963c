package storetest

import (
	"testing"
	"time"

	"github.com/ringdesk/ringdesk/models"
)

var callbackTests = []test{
	{"RequestOncePerCall", testCallbackOnce},
	{"PendingOldestFirstUntilDone", testCallbackPending},
}

func testCallbackOnce(t *testing.T, f Factory) {
	s := f.New(t)
	tk := models.NewID()
	first, err := s.Callbacks.Request(t.Context(), models.Callback{SID: "CA1", TicketID: tk, Number: "+14155552671"})
	if err != nil {
		t.Fatal(err)
	}
	again, err := s.Callbacks.Request(t.Context(), models.Callback{SID: "CA1", TicketID: models.NewID(), Number: "+442079460958"})
	if err != nil || again.ID != first.ID || again.Number != "+14155552671" || again.TicketID != tk {
		t.Errorf("a retried request = %+v, %v; want the first %+v", again, err, first)
	}
	if _, n, err := s.Callbacks.Pending(t.Context(), 10); err != nil || n != 1 {
		t.Errorf("pending after a retried request: %d, %v; want 1", n, err)
	}
	if _, err := s.Callbacks.Request(t.Context(), models.Callback{SID: "CA2", TicketID: tk}); err == nil {
		t.Error("a callback without a number was stored")
	}
}

func testCallbackPending(t *testing.T, f Factory) {
	s := f.New(t)
	t0 := time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC)
	a, b := models.NewID(), models.NewID()
	for i, c := range []models.Callback{
		{SID: "CA3", TicketID: b, Number: "+14155550103", RequestedAt: t0.Add(3 * time.Minute)},
		{SID: "CA1", TicketID: a, Number: "+14155550101", RequestedAt: t0.Add(time.Minute)},
		{SID: "CA2", TicketID: a, Number: "+14155550102", RequestedAt: t0.Add(2 * time.Minute)},
	} {
		if _, err := s.Callbacks.Request(t.Context(), c); err != nil {
			t.Fatalf("request %d: %v", i, err)
		}
	}
	list, n, err := s.Callbacks.Pending(t.Context(), 2)
	if err != nil || n != 3 || len(list) != 2 || list[0].SID != "CA1" || list[1].SID != "CA2" {
		t.Fatalf("Pending(2) = %+v, %d, %v; want CA1, CA2 of 3", list, n, err)
	}
	if err := s.Callbacks.Done(t.Context(), a, t0.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	list, n, err = s.Callbacks.Pending(t.Context(), 10)
	if err != nil || n != 1 || len(list) != 1 || list[0].SID != "CA3" || list[0].DoneAt != nil {
		t.Errorf("after the ticket's callbacks were made: %+v, %d, %v; want CA3 alone", list, n, err)
	}
}
