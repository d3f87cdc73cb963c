package models

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"
)

// OpenOptions says which store to open.
type OpenOptions struct {
	URI      string // empty: start the embedded server
	Database string
	DataDir  string // embedded server's files
	Logger   *slog.Logger
	// ShareRunning lets a command-line tool use the embedded server of a
	// Ringdesk that is already running on DataDir instead of failing.
	ShareRunning bool
}

// Open connects to MongoDB at o.URI, or starts the embedded server and
// connects the same driver to it: one code path either way. It waits (up
// to ctx's deadline) for the database to answer and creates the indexes.
func Open(ctx context.Context, o OpenOptions) (*Store, error) {
	uri, where := o.URI, "MongoDB at "+redactURI(o.URI)
	var emb *Embedded
	if uri == "" {
		e, err := StartEmbedded(ctx, EmbeddedOptions{Dir: o.DataDir})
		switch {
		case errors.Is(err, ErrDataDirInUse) && o.ShareRunning:
			running, ok := RunningEmbeddedURI(o.DataDir)
			if !ok {
				return nil, err
			}
			uri, where = running, "the running Ringdesk's embedded store in "+o.DataDir
		case err != nil:
			return nil, err
		default:
			emb, uri = e, e.URI()
			where = "embedded MongoDB-compatible store (FerretDB, SQLite) in " + e.Dir()
		}
	}
	s, err := Connect(ctx, uri, o.Database)
	if err != nil {
		if emb != nil {
			emb.Stop()
		}
		return nil, err
	}
	s.embedded, s.where = emb, where
	if emb != nil {
		s.setWriteGate(make(writeGate, 1))
	}
	if err := s.waitIndexes(ctx, o.Logger); err != nil {
		_ = s.Close(context.Background())
		return nil, err
	}
	return s, nil
}

// waitIndexes retries index creation while the database is still starting
// (a MongoDB container often comes up after Ringdesk).
func (s *Store) waitIndexes(ctx context.Context, log *slog.Logger) error {
	for {
		err := s.EnsureIndexes(ctx)
		if err == nil || !IsUnavailable(err) {
			return err
		}
		if log != nil {
			log.Warn("database not reachable yet, retrying", "store", s.where, "err", err)
		}
		select {
		case <-ctx.Done():
			return fmt.Errorf("database not reachable (%s): %w", s.where, err)
		case <-time.After(time.Second):
		}
	}
}

// Where describes the store in use, for the start-up log.
func (s *Store) Where() string { return s.where }
