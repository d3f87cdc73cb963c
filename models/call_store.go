package models

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// CallStore keeps call logs in "calls", and a summary of each call on its
// ticket so the dashboard shows call history without another query.
type CallStore struct {
	coll    *mongo.Collection
	tickets *mongo.Collection
}

// Record adds ev to its call's log, creating the log on first sight.
// Providers retry webhooks and deliver them out of order: a retried event
// adds nothing, and the call's outcome is derived from all events, so the
// order does not matter. It returns the call as now stored.
func (s *CallStore) Record(ctx context.Context, ev CallEvent) (*Call, error) {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	if ev.At.IsZero() {
		ev.At = time.Now()
	}
	at := ev.At.UTC().Truncate(time.Millisecond)
	onInsert := bson.M{"_id": bson.NewObjectID(), "provider": ev.Provider}
	set := bson.M{}
	// Fields the connect webhook knows best are set when present; status
	// callbacks fill them only for a call we have not seen yet.
	for k, v := range map[string]string{"direction": string(ev.Direction), "from": ev.From, "to": ev.To} {
		if v != "" {
			onInsert[k] = v
		}
	}
	if ev.TicketID != nil {
		set["ticketId"] = *ev.TicketID
	}
	if ev.HungUpBy != "" {
		set["hungUpBy"] = ev.HungUpBy
	}
	if ev.RecordingURL != "" {
		set["recordingUrl"] = ev.RecordingURL
		set["recordingDuration"] = ev.RecordingDuration
	}
	update := bson.M{
		"$setOnInsert": onInsert,
		"$min":         bson.M{"startedAt": at},
		"$addToSet":    bson.M{"steps": CallStep{Status: ev.Status, At: at, Seq: ev.Seq, Duration: ev.Duration}},
	}
	if len(set) > 0 {
		update["$set"] = set
	}
	opts := options.FindOneAndUpdate().SetUpsert(true).SetReturnDocument(options.After)
	var c Call
	err := s.coll.FindOneAndUpdate(ctx, bson.M{"sid": ev.SID}, update, opts).Decode(&c)
	if mongo.IsDuplicateKeyError(err) {
		// Two first events raced to create the log; the loser updates.
		err = s.coll.FindOneAndUpdate(ctx, bson.M{"sid": ev.SID}, update, opts).Decode(&c)
	}
	if err != nil {
		return nil, storeErr("record call event", err)
	}
	if c.TicketID != nil {
		if err := s.summarise(ctx, &c); err != nil {
			return nil, err
		}
	}
	return &c, nil
}

// summarise writes the call's summary onto its ticket, unless a summary
// built from at least as many events is already there: of two concurrent
// events, the later view wins.
func (s *CallStore) summarise(ctx context.Context, c *Call) error {
	sum := c.Summary()
	field := "calls." + c.SID
	_, err := s.tickets.UpdateOne(ctx,
		bson.M{"_id": *c.TicketID, "$or": bson.A{
			bson.M{field: bson.M{"$exists": false}},
			bson.M{field + ".steps": bson.M{"$lte": sum.Steps}},
		}},
		bson.M{"$set": bson.M{field: sum}})
	return storeErr("summarise call on ticket", err)
}

// Get returns one call log by its provider id, or ErrNotFound.
func (s *CallStore) Get(ctx context.Context, sid string) (*Call, error) {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	var c Call
	if err := s.coll.FindOne(ctx, bson.M{"sid": sid}).Decode(&c); err != nil {
		return nil, storeErr("get call", err)
	}
	return &c, nil
}

// ForTicket returns a ticket's calls, newest first.
func (s *CallStore) ForTicket(ctx context.Context, ticketID bson.ObjectID) ([]Call, error) {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	cur, err := s.coll.Find(ctx, bson.M{"ticketId": ticketID},
		options.Find().SetSort(bson.D{{Key: "startedAt", Value: -1}}).SetLimit(200))
	if err != nil {
		return nil, storeErr("list calls", err)
	}
	calls := []Call{}
	if err := cur.All(ctx, &calls); err != nil {
		return nil, storeErr("read calls", err)
	}
	return calls, nil
}
