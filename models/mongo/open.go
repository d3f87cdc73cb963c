package mongo

import (
	"context"
	"fmt"
	"log/slog"
	"time"

	"github.com/ringdesk/ringdesk/models"
)

// retryInterval is how often Open tries a database that does not answer.
const retryInterval = time.Second

// Open connects to the MongoDB at o.URI, waits (up to ctx's deadline)
// while it is unreachable, because a MongoDB container often comes up
// after Ringdesk, creates the indexes and returns the store. Its Engine is
// a *DB.
func Open(ctx context.Context, o Options) (*models.Store, error) {
	d, err := connect(o)
	if err != nil {
		return nil, err
	}
	log := o.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if err := d.waitReady(ctx, log); err != nil {
		ctx, cancel := context.WithTimeout(context.Background(), time.Second)
		defer cancel()
		_ = d.client.Disconnect(ctx)
		return nil, err
	}
	return d.store(), nil
}

// waitReady creates the indexes and makes sure an admin exists, retrying
// while the database is unreachable. A short ping paces the retries: a
// failed index creation alone takes the whole server-selection timeout.
func (d *DB) waitReady(ctx context.Context, log *slog.Logger) error {
	for {
		next := time.Now().Add(retryInterval)
		pctx, cancel := context.WithTimeout(ctx, retryInterval)
		err := d.Ping(pctx)
		cancel()
		if err == nil {
			err = d.ensureIndexes(ctx)
		}
		if err == nil {
			err = d.ensureAdmin(ctx)
		}
		if err == nil || !models.IsUnavailable(err) {
			return err
		}
		log.Warn("database not reachable yet, retrying", "store", d.where, "err", err)
		select {
		case <-ctx.Done():
			return fmt.Errorf("database not reachable (%s): %w", d.where, err)
		case <-time.After(time.Until(next)):
		}
	}
}
