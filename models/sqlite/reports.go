package sqlite

import (
	"context"
	"time"

	"github.com/ringdesk/ringdesk/models"
)

// qCallsStarted is one range of the calls_started index, already in the
// order it returns.
const qCallsStarted = `SELECT ` + callCols + ` FROM calls
	WHERE started_at >= ? AND started_at < ? ORDER BY started_at, id`

// Each reads the range on a reader connection, a row at a time: one
// statement sees one snapshot, so a walk that runs while calls are being
// logged neither skips nor repeats a call. As Dump does, it bounds each
// wait for the database rather than the whole walk, whose length is the
// caller's (a download to a slow client).
func (r *calls) Each(ctx context.Context, from, to time.Time, fn func(*models.Call) error) error {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	stall := time.AfterFunc(models.OpTimeout, cancel)
	defer stall.Stop()
	rows, err := r.e.reader().query(ctx, qCallsStarted, ms(from), ms(to))
	if err != nil {
		return r.e.fail("list calls by start", err)
	}
	defer rows.Close()
	for rows.Next() {
		c, err := scanCall(rows)
		if err != nil {
			return r.e.fail("read calls by start", err)
		}
		stall.Stop()
		// database/sql notices a cancelled context in the background, a
		// few rows late; no call reaches fn after its caller gave up.
		if err := ctx.Err(); err != nil {
			return r.e.fail("list calls by start", err)
		}
		if err := fn(c); err != nil {
			return err
		}
		stall.Reset(models.OpTimeout)
	}
	return r.e.fail("list calls by start", rows.Err())
}
