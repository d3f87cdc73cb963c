package legacy_test

import (
	"fmt"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/ringdesk/ringdesk/models"
)

// fixture is a legacy database as the old Ringdesk wrote it, and the
// items Read should give for it.
func fixture(t *testing.T) (map[string][]any, []models.Item) {
	t.Helper()
	at := func(min int) time.Time {
		return time.Date(2024, 3, 5, 14, 7, 9, 123e6, time.UTC).Add(time.Duration(min) * time.Minute)
	}
	date := func(min int) bson.DateTime { return bson.NewDateTimeFromTime(at(min)) }
	ptr := func(tm time.Time) *time.Time { return &tm }
	hash, err := models.HashPassword("correct horse battery")
	if err != nil {
		t.Fatal(err)
	}
	ada, bob := models.NewID(), models.NewID()
	form, vm := models.NewID(), models.NewID()
	out, voice, lone := models.NewID(), models.NewID(), models.NewID()
	oid := func(id models.ID) bson.ObjectID { return bson.ObjectID(id) }

	docs := map[string][]any{
		"agents": {
			doc("_id", oid(ada), "email", "ada@example.com", "name", "Ada Lovelace",
				"passwordHash", bson.Binary{Data: hash}, "createdAt", date(0),
				"revokedSessions", bson.A{
					doc("id", "3f1c2a", "expiresAt", date(60)),
					doc("id", "9b7e41", "expiresAt", date(120)),
				}),
			doc("_id", oid(bob), "email", "bob@example.com", "name", "Bob",
				"passwordHash", bson.Binary{Data: []byte("$2a$10$notarealhash")}, "createdAt", date(1),
				"disabled", true),
		},
		"tickets": {
			doc("_id", oid(form), "number", int64(1), "name", "Zoë O'Brien",
				"phoneNumber", "+14155550100", "description", "My \"headset\" crackles.\nSince Tuesday.\t✓",
				"status", "closed", "createdAt", date(2), "updatedAt", date(30),
				"idempotencyKey", "form:5d41402abc4b2a76",
				"calls", doc("CA0123456789abcdef", doc(
					"sid", "CA0123456789abcdef", "direction", "outbound", "status", "completed",
					"startedAt", date(5), "answeredAt", date(6), "duration", int32(42), "steps", int32(4),
				))),
			// A voicemail left without a ticket: no number to call back.
			doc("_id", oid(vm), "number", int64(2), "name", "Website caller",
				"phoneNumber", "", "description", "Voicemail left from the website (0:17).",
				"status", "open", "createdAt", date(10), "updatedAt", date(10),
				"idempotencyKey", "voicemail:RE42", "source", "voicemail",
				"calls", doc("CAvoicemail", doc(
					"sid", "CAvoicemail", "direction", "inbound", "status", "voicemail",
					"startedAt", date(9), "duration", int32(17), "voicemail", true, "steps", int32(2),
				))),
		},
		"calls": {
			doc("_id", oid(out), "sid", "CA0123456789abcdef", "provider", "twilio",
				"direction", "outbound", "from", "client:support_agent", "to", "+14155550100",
				"startedAt", date(5), "ticketId", oid(form), "hungUpBy", "agent",
				"steps", bson.A{
					doc("status", "initiated", "at", date(5), "seq", int32(0)),
					doc("status", "ringing", "at", date(5), "seq", int32(1)),
					doc("status", "answered", "at", date(6), "seq", int32(2)),
					doc("status", "completed", "at", date(7), "seq", int32(3), "duration", int32(42)),
				}),
			doc("_id", oid(voice), "sid", "CAvoicemail", "provider", "twilio",
				"direction", "inbound", "from", "client:customer", "startedAt", date(9),
				"steps", bson.A{
					doc("status", "ringing", "at", date(9), "seq", int32(0)),
					doc("status", "voicemail", "at", date(10), "seq", int32(0)),
				},
				"ticketId", oid(vm), "recordingUrl", "https://api.twilio.com/Recordings/RE42",
				"recordingDuration", int32(17)),
			// A sound check: no ticket, and the status callback knew
			// nothing of where it went.
			doc("_id", oid(lone), "sid", "0b6c8f3e-vonage", "provider", "vonage",
				"direction", "inbound", "from", "customer", "startedAt", date(20),
				"steps", bson.A{doc("status", "completed", "at", date(21), "seq", int32(7), "duration", int32(3))}),
		},
		"counters": {doc("_id", "tickets", "seq", int64(302))},
		// Neither survives an upgrade.
		"setup":        {doc("_id", "setup", "tokenHash", "ab12", "createdAt", date(0))},
		"media_tokens": {doc("_id", "tok", "expiresAt", date(5))},
	}

	want := []models.Item{
		{Agent: &models.Agent{ID: ada, Email: "ada@example.com", Name: "Ada Lovelace", PasswordHash: hash,
			CreatedAt: at(0), RevokedSessions: []models.RevokedSession{{ID: "3f1c2a", ExpiresAt: at(60)}, {ID: "9b7e41", ExpiresAt: at(120)}}}},
		{Agent: &models.Agent{ID: bob, Email: "bob@example.com", Name: "Bob", PasswordHash: []byte("$2a$10$notarealhash"),
			CreatedAt: at(1), Disabled: true}},
		{Ticket: &models.Ticket{ID: form, Number: 1, Name: "Zoë O'Brien", PhoneNumber: "+14155550100",
			Description: "My \"headset\" crackles.\nSince Tuesday.\t✓", Status: models.StatusClosed,
			CreatedAt: at(2), UpdatedAt: at(30), IdempotencyKey: "form:5d41402abc4b2a76",
			Calls: map[string]models.CallSummary{"CA0123456789abcdef": {SID: "CA0123456789abcdef",
				Direction: models.CallOutbound, Status: models.CallCompleted, StartedAt: at(5), AnsweredAt: ptr(at(6)),
				Duration: 42, Steps: 4}}}},
		{Ticket: &models.Ticket{ID: vm, Number: 2, Name: "Website caller", Description: "Voicemail left from the website (0:17).",
			Status: models.StatusOpen, CreatedAt: at(10), UpdatedAt: at(10), IdempotencyKey: "voicemail:RE42", Source: "voicemail",
			Calls: map[string]models.CallSummary{"CAvoicemail": {SID: "CAvoicemail", Direction: models.CallInbound,
				Status: models.CallVoicemail, StartedAt: at(9), Duration: 17, Voicemail: true, Steps: 2}}}},
	}
	// Enough more tickets that Read needs more than one batch.
	for i := 3; i <= 302; i++ {
		id := models.NewID()
		docs["tickets"] = append(docs["tickets"], doc("_id", oid(id), "number", int64(i),
			"name", fmt.Sprint("Customer ", i), "phoneNumber", "+442079460958", "description", "Help",
			"status", "open", "createdAt", date(100+i), "updatedAt", date(100+i),
			"idempotencyKey", fmt.Sprint("gen:", i)))
		want = append(want, models.Item{Ticket: &models.Ticket{ID: id, Number: int64(i), Name: fmt.Sprint("Customer ", i),
			PhoneNumber: "+442079460958", Description: "Help", Status: models.StatusOpen,
			CreatedAt: at(100 + i), UpdatedAt: at(100 + i), IdempotencyKey: fmt.Sprint("gen:", i)}})
	}
	tid, vid := form, vm
	want = append(want,
		models.Item{Call: &models.Call{ID: out, SID: "CA0123456789abcdef", Provider: "twilio", TicketID: &tid,
			Direction: models.CallOutbound, From: "client:support_agent", To: "+14155550100", StartedAt: at(5),
			HungUpBy: "agent", Steps: []models.CallStep{
				{Status: models.CallInitiated, At: at(5), Seq: 0},
				{Status: models.CallRinging, At: at(5), Seq: 1},
				{Status: models.CallAnswered, At: at(6), Seq: 2},
				{Status: models.CallCompleted, At: at(7), Seq: 3, Duration: 42},
			}}},
		models.Item{Call: &models.Call{ID: voice, SID: "CAvoicemail", Provider: "twilio", TicketID: &vid,
			Direction: models.CallInbound, From: "client:customer", StartedAt: at(9), Steps: []models.CallStep{
				{Status: models.CallRinging, At: at(9)},
				{Status: models.CallVoicemail, At: at(10)},
			}, RecordingURL: "https://api.twilio.com/Recordings/RE42", RecordingDuration: 17}},
		models.Item{Call: &models.Call{ID: lone, SID: "0b6c8f3e-vonage", Provider: "vonage",
			Direction: models.CallInbound, From: "customer", StartedAt: at(20), Steps: []models.CallStep{
				{Status: models.CallCompleted, At: at(21), Seq: 7, Duration: 3},
			}}},
		models.Item{Counter: &models.Counter{Name: models.TicketCounter, Value: 302}},
	)
	return docs, want
}

// doc builds a document from keys and values in turn, in their order.
func doc(kv ...any) bson.D {
	d := make(bson.D, 0, len(kv)/2)
	for i := 0; i+1 < len(kv); i += 2 {
		d = append(d, bson.E{Key: kv[i].(string), Value: kv[i+1]})
	}
	return d
}
