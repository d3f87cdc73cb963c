package mongo

import (
	"context"
	"errors"
	"fmt"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/ringdesk/ringdesk/models"
)

// eachBatch is how many calls one round trip of Each brings: a few
// hundred kilobytes held at a time, and few round trips for a year.
const eachBatch = 500

// errStalled is why Each gives up: the database stopped answering.
var errStalled = errors.New("the database stopped answering")

// Each walks the {startedAt, _id} index through a cursor, decoding one
// call at a time. As Dump does, it bounds each wait for the database
// rather than the whole walk, whose length is the caller's (a download to
// a slow client); one timer stands in for a deadline per row, which would
// cost a context and a timer for every call.
func (r *callRepo) Each(ctx context.Context, from, to time.Time, fn func(*models.Call) error) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	stall := time.AfterFunc(models.OpTimeout, func() { cancel(errStalled) })
	defer stall.Stop()
	fail := func(op string, err error) error {
		if err == nil {
			return nil
		}
		if errors.Is(context.Cause(ctx), errStalled) {
			return fmt.Errorf("%s: %w: %w", op, models.ErrUnavailable, errStalled)
		}
		if ctx.Err() != nil {
			// The caller gave up; the driver's error says only that
			// its operation was interrupted.
			return fmt.Errorf("%s: %w", op, context.Cause(ctx))
		}
		return storeErr(op, err)
	}
	cur, err := r.coll.Find(ctx,
		bson.M{"startedAt": bson.M{"$gte": from, "$lt": to}},
		options.Find().SetSort(bson.D{{Key: "startedAt", Value: 1}, {Key: "_id", Value: 1}}).SetBatchSize(eachBatch))
	if err != nil {
		return fail("list calls by start", err)
	}
	defer closeCursor(cur)
	for cur.Next(ctx) {
		var c models.Call
		if err := cur.Decode(&c); err != nil {
			return fmt.Errorf("read calls by start: decode %v: %w", cur.Current.Lookup("_id"), err)
		}
		stall.Stop()
		// A cursor hands out the rest of its batch without asking the
		// server, so it would not notice a cancelled context until the
		// next one.
		if ctx.Err() != nil {
			return fail("list calls by start", ctx.Err())
		}
		if err := fn(&c); err != nil {
			return err
		}
		stall.Reset(models.OpTimeout)
	}
	return fail("list calls by start", cur.Err())
}
