package mongo

import (
	"context"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/ringdesk/ringdesk/models"
)

// callRepo keeps call logs in "calls", and a summary of each call on its
// ticket so the dashboard shows call history without another query.
type callRepo struct {
	coll    *mongo.Collection
	tickets *mongo.Collection
}

// Record is one upsert: $addToSet keeps a retried event once and $min
// keeps the earliest start, so concurrent and out-of-order events on any
// instance all land without a read-modify-write here.
func (r *callRepo) Record(ctx context.Context, ev models.CallEvent) (*models.Call, error) {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	if ev.At.IsZero() {
		ev.At = models.Now()
	}
	at := ev.At.UTC().Truncate(time.Millisecond)
	onInsert := bson.M{"_id": models.NewID(), "provider": ev.Provider}
	set := bson.M{}
	// The first event seen gives the call its direction and parties;
	// later status callbacks, which may carry less, do not change them.
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
		"$addToSet":    bson.M{"steps": models.CallStep{Status: ev.Status, At: at, Seq: ev.Seq, Duration: ev.Duration}},
	}
	if len(set) > 0 {
		update["$set"] = set
	}
	opts := options.FindOneAndUpdate().SetUpsert(true).SetReturnDocument(options.After)
	var c models.Call
	err := r.coll.FindOneAndUpdate(ctx, bson.M{"sid": ev.SID}, update, opts).Decode(&c)
	if mongo.IsDuplicateKeyError(err) {
		// Two first events raced to create the log and the unique sid
		// index refused the second; it now updates the first's.
		err = r.coll.FindOneAndUpdate(ctx, bson.M{"sid": ev.SID}, update, opts).Decode(&c)
	}
	if err != nil {
		return nil, storeErr("record call event", err)
	}
	if c.TicketID != nil {
		if err := r.summarise(ctx, &c); err != nil {
			return nil, err
		}
	}
	return &c, nil
}

// summarise writes the call's summary onto its ticket, unless a summary
// built from at least as many events is already there: of two concurrent
// events, the view that includes both wins, whichever writes last.
func (r *callRepo) summarise(ctx context.Context, c *models.Call) error {
	sum := c.Summary()
	field := "calls." + c.SID
	_, err := r.tickets.UpdateOne(ctx,
		bson.M{"_id": *c.TicketID, "$or": bson.A{
			bson.M{field: bson.M{"$exists": false}},
			bson.M{field + ".steps": bson.M{"$lte": sum.Steps}},
		}},
		bson.M{"$set": bson.M{field: sum}})
	return storeErr("summarise call on ticket", err)
}

func (r *callRepo) Get(ctx context.Context, sid string) (*models.Call, error) {
	return r.findOne(ctx, "get call "+sid, bson.M{"sid": sid})
}

func (r *callRepo) GetByID(ctx context.Context, id models.ID) (*models.Call, error) {
	return r.findOne(ctx, "get call "+id.Hex(), bson.M{"_id": id})
}

func (r *callRepo) findOne(ctx context.Context, op string, filter bson.M) (*models.Call, error) {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	var c models.Call
	if err := r.coll.FindOne(ctx, filter).Decode(&c); err != nil {
		return nil, storeErr(op, err)
	}
	return &c, nil
}

// maxTicketCalls caps ForTicket: a ticket with more calls than this is
// not one a person reads through.
const maxTicketCalls = 200

func (r *callRepo) ForTicket(ctx context.Context, ticketID models.ID) ([]models.Call, error) {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	cur, err := r.coll.Find(ctx, bson.M{"ticketId": ticketID},
		options.Find().SetSort(bson.D{{Key: "startedAt", Value: -1}}).SetLimit(maxTicketCalls))
	if err != nil {
		return nil, storeErr("list calls", err)
	}
	calls := []models.Call{}
	if err := cur.All(ctx, &calls); err != nil {
		return nil, storeErr("read calls", err)
	}
	return calls, nil
}
