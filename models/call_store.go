package models

import (
	"context"
	"hash/fnv"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// CallStore keeps call logs in "calls", and a summary of each call on its
// ticket so the dashboard shows call history without another query.
type CallStore struct {
	coll        *mongo.Collection
	tickets     *mongo.Collection
	callLocks   *docLocks // per call log
	ticketLocks *docLocks // per ticket, shared with TicketStore
	gate        writeGate // one writer at a time on the embedded store
}

// docLocks make this process's updates of one document take turns. The
// embedded store (FerretDB) applies an update as a read followed by a
// write of the whole document, so two concurrent updates of one document
// can lose one of them (measured: of 20 simultaneous status callbacks for
// one call, 4 to 6 steps were kept). MongoDB updates a document atomically
// and needs none of this; there the locks only order one instance's own
// writes. Keys hash onto a fixed set of stripes, so memory stays bounded.
type docLocks [64]chan struct{}

func newDocLocks() *docLocks {
	var l docLocks
	for i := range l {
		l[i] = make(chan struct{}, 1)
	}
	return &l
}

// lock waits for key's stripe, or for ctx to end.
func (l *docLocks) lock(ctx context.Context, key string) (unlock func(), err error) {
	h := fnv.New32a()
	h.Write([]byte(key))
	stripe := l[h.Sum32()%uint32(len(l))]
	select {
	case stripe <- struct{}{}:
		return func() { <-stripe }, nil
	case <-ctx.Done():
		return nil, storeErr("wait for a concurrent update", ctx.Err())
	}
}

// Record adds ev to its call's log, creating the log on first sight.
// Providers retry webhooks and deliver them out of order: a retried event
// adds nothing, and the call's outcome is derived from all events, so the
// order does not matter. It returns the call as now stored.
func (s *CallStore) Record(ctx context.Context, ev CallEvent) (*Call, error) {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	leave, err := s.gate.enter(ctx)
	if err != nil {
		return nil, err
	}
	defer leave()
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
	unlock, err := s.callLocks.lock(ctx, ev.SID)
	if err != nil {
		return nil, err
	}
	var c Call
	err = s.coll.FindOneAndUpdate(ctx, bson.M{"sid": ev.SID}, update, opts).Decode(&c)
	if mongo.IsDuplicateKeyError(err) {
		// Two first events (on two instances) raced to create the log;
		// the loser updates.
		err = s.coll.FindOneAndUpdate(ctx, bson.M{"sid": ev.SID}, update, opts).Decode(&c)
	}
	unlock()
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
	unlock, err := s.ticketLocks.lock(ctx, c.TicketID.Hex())
	if err != nil {
		return err
	}
	defer unlock()
	_, err = s.tickets.UpdateOne(ctx,
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
