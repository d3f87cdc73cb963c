package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"
	"io/fs"
	"log/slog"
	"path"
	"sort"
	"strconv"
	"strings"

	"github.com/ringdesk/ringdesk/models"
)

// The schema's history, applied in order; a file is never edited once
// released, only followed by a new one.
//
//go:embed migrations/*.sql
var migrationFiles embed.FS

type migration struct {
	version int
	name    string
	sql     string
}

// migrations are the embedded files, numbered 1, 2, ... without gaps.
var migrations = mustLoadMigrations()

func mustLoadMigrations() []migration {
	names, err := fs.Glob(migrationFiles, "migrations/*.sql")
	if err != nil {
		panic(err)
	}
	var out []migration
	for _, name := range names {
		base := path.Base(name)
		num, _, _ := strings.Cut(base, "_")
		v, err := strconv.Atoi(num)
		if err != nil {
			panic("sqlite: migration " + base + " does not start with its version number")
		}
		b, err := migrationFiles.ReadFile(name)
		if err != nil {
			panic(err)
		}
		out = append(out, migration{version: v, name: base, sql: string(b)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].version < out[j].version })
	for i, m := range out {
		if m.version != i+1 {
			panic(fmt.Sprintf("sqlite: migration %s out of sequence, want version %d", m.name, i+1))
		}
	}
	return out
}

// latest is the schema version this binary writes.
func latest() int { return len(migrations) }

const createMigrationsTable = `CREATE TABLE IF NOT EXISTS schema_migrations (
	version    INTEGER PRIMARY KEY,
	applied_at INTEGER NOT NULL
) STRICT`

// migrate brings the database at path up to version upTo (every
// migration when upTo < 0), each migration in its own transaction, so a
// failure leaves the database at the last version that applied cleanly.
// Migrations may rewrite a whole table, so they run on the caller's
// context, not on the per-operation timeout.
func migrate(ctx context.Context, w *sql.DB, dbPath string, upTo int, log *slog.Logger) error {
	if upTo < 0 || upTo > latest() {
		upTo = latest()
	}
	if _, err := w.ExecContext(ctx, createMigrationsTable); err != nil {
		return migrateErr(dbPath, "create schema_migrations", err)
	}
	current, err := schemaVersion(ctx, w)
	if err != nil {
		return migrateErr(dbPath, "read schema version", err)
	}
	if current > latest() {
		return fmt.Errorf("%s was made by a newer Ringdesk (schema version %d; this one knows up to %d): upgrade Ringdesk",
			dbPath, current, latest())
	}
	for _, m := range migrations[current:upTo] {
		if err := applyMigration(ctx, w, m); err != nil {
			return migrateErr(dbPath, "apply migration "+m.name, err)
		}
		log.Info("database schema upgraded", "db", dbPath, "migration", m.name, "version", m.version)
	}
	return nil
}

func applyMigration(ctx context.Context, w *sql.DB, m migration) error {
	tx, err := w.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer tx.Rollback()
	if _, err := tx.ExecContext(ctx, m.sql); err != nil {
		return err
	}
	if _, err := tx.ExecContext(ctx, "INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)",
		m.version, ms(models.Now())); err != nil {
		return err
	}
	return tx.Commit()
}

// checkSchema is the shared open's check: it may not migrate a database
// a server is using, so the schema must be exactly this binary's.
func checkSchema(ctx context.Context, w *sql.DB, dbPath string) error {
	v, err := schemaVersion(ctx, w)
	if err != nil {
		return migrateErr(dbPath, "read schema version", err)
	}
	if v != latest() {
		return fmt.Errorf("%s is at schema version %d, in use by a running Ringdesk; this one needs version %d: "+
			"run the same Ringdesk version as the server, or stop the server first", dbPath, v, latest())
	}
	return nil
}

// schemaVersion is 0 for a database with no migrations table yet.
func schemaVersion(ctx context.Context, db *sql.DB) (int, error) {
	var v int
	err := db.QueryRowContext(ctx, `SELECT coalesce(max(version), 0) FROM schema_migrations`).Scan(&v)
	if err != nil && strings.Contains(err.Error(), "no such table") {
		return 0, nil
	}
	return v, err
}

func migrateErr(dbPath, what string, err error) error {
	e := &engine{path: dbPath}
	return fmt.Errorf("schema of %s: %w", dbPath, e.fail(what, err))
}
