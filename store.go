package main

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"

	"github.com/ringdesk/ringdesk/config"
	"github.com/ringdesk/ringdesk/models"
	"github.com/ringdesk/ringdesk/models/mongo"
	"github.com/ringdesk/ringdesk/models/sqlite"
)

// openStore opens MongoDB when MONGODB_URI is set and the embedded SQLite
// store in DATA_DIR otherwise. shared is for the command-line tools: they
// work beside a server that is running on the same DATA_DIR.
func openStore(ctx context.Context, cfg *config.Config, log *slog.Logger, shared bool) (*models.Store, error) {
	if cfg.MongoURI != "" {
		return mongo.Open(ctx, mongo.Options{URI: cfg.MongoURI, Database: cfg.MongoDatabase, Logger: log})
	}
	s, err := sqlite.Open(ctx, sqlite.Options{Dir: cfg.DataDir, Logger: log, Shared: shared})
	if errors.Is(err, sqlite.ErrLegacyFormat) {
		dir, _ := filepath.Abs(cfg.DataDir)
		return nil, fmt.Errorf("DATA_DIR: %s holds the previous embedded store's files, which this version does not read. "+
			"Carry the data over: stop Ringdesk, move the folder aside (mv %s %s.old), then run: ringdesk import --legacy %s.old", dir, dir, dir, dir)
	}
	return s, err
}
