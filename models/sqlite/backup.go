package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"github.com/ringdesk/ringdesk/models"
)

// Backup writes a consistent snapshot of dir's database to dest, while a
// server may be running on dir: VACUUM INTO reads one snapshot and lets
// writers carry on. dest must not exist; it is created 0600 (it holds
// password hashes) and synced before Backup returns. A snapshot takes
// time in proportion to the database, so only ctx bounds it.
func Backup(ctx context.Context, dir, dest string) error {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return fmt.Errorf("backup: data directory %s: %w", dir, err)
	}
	src := filepath.Join(abs, dbName)
	if _, err := os.Stat(src); err != nil {
		return fmt.Errorf("backup: no database at %s: %v", src, unwrapPath(err))
	}
	if dest, err = filepath.Abs(dest); err != nil {
		return fmt.Errorf("backup: %w", err)
	}
	// Created empty first, exclusively: VACUUM INTO accepts an empty file
	// and keeps its mode, where it would create one world-readable.
	f, err := os.OpenFile(dest, os.O_WRONLY|os.O_CREATE|os.O_EXCL, 0o600)
	if errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("backup: %s already exists; choose a new file name", dest)
	}
	if err != nil {
		return fmt.Errorf("backup: create %s: %v", dest, unwrapPath(err))
	}
	f.Close()
	if err := snapshot(ctx, src, dest); err != nil {
		os.Remove(dest)
		return err
	}
	return nil
}

func snapshot(ctx context.Context, src, dest string) error {
	db, err := sql.Open("sqlite", dsn(src, ""))
	if err != nil {
		return fmt.Errorf("backup: open %s: %w", src, err)
	}
	defer db.Close()
	db.SetMaxOpenConns(1)
	e := &engine{path: src}
	if _, err := db.ExecContext(ctx, "VACUUM INTO ?", dest); err != nil {
		return e.fail("backup to "+dest, err)
	}
	// VACUUM INTO writes without syncing: make the copy durable before
	// anyone relies on it.
	f, err := os.OpenFile(dest, os.O_RDWR, 0)
	if err != nil {
		return fmt.Errorf("backup: %s: %v: %w", dest, unwrapPath(err), models.ErrUnavailable)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("backup: sync %s: %v: %w", dest, err, models.ErrUnavailable)
	}
	return nil
}
