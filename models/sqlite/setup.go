package sqlite

import (
	"context"
	"crypto/subtle"
	"database/sql"
	"errors"
	"time"

	"github.com/ringdesk/ringdesk/models"
)

// setup implements models.SetupRepository on its one-row table.
type setup struct{ e *engine }

const (
	qNewSetupToken = `INSERT OR REPLACE INTO setup (id, token_hash, created_at) VALUES (1, ?, ?)`
	qSetupToken    = `SELECT token_hash, created_at, EXISTS (SELECT 1 FROM agents) FROM setup WHERE id = 1`
	// One statement, so no agent can be created between the check that
	// none exists and the token's use.
	qUseSetupToken = `DELETE FROM setup WHERE id = 1 AND token_hash = ? AND created_at > ?
		AND NOT EXISTS (SELECT 1 FROM agents)`
	// qDropSetupToken runs in the transaction that inserts an agent.
	qDropSetupToken = `DELETE FROM setup`
)

// NewToken replaces any earlier set-up token with a fresh one.
func (s *setup) NewToken(ctx context.Context) (string, error) {
	ctx, cancel := opCtx(ctx)
	defer cancel()
	token := models.RandomHex(24)
	if _, err := s.e.writer().exec(ctx, qNewSetupToken, models.HashToken(token), ms(models.Now())); err != nil {
		return "", s.e.fail("store set-up token", err)
	}
	return token, nil
}

// Check reports whether token is the current set-up token, younger than
// models.SetupTokenTTL, while no agent exists.
func (s *setup) Check(ctx context.Context, token string, now time.Time) (bool, error) {
	ctx, cancel := opCtx(ctx)
	defer cancel()
	var (
		hash    string
		created int64
		agents  bool
	)
	err := s.e.reader().row(ctx, qSetupToken).Scan(&hash, &created, &agents)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, s.e.fail("read set-up token", err)
	}
	fresh := now.Before(fromMS(created).Add(models.SetupTokenTTL))
	match := subtle.ConstantTimeCompare([]byte(hash), []byte(models.HashToken(token))) == 1
	return match && fresh && !agents, nil
}

// Use consumes the token: the DELETE is atomic, so of two concurrent
// uses only one removes the row, and none does once an agent exists.
func (s *setup) Use(ctx context.Context, token string, now time.Time) (bool, error) {
	ctx, cancel := opCtx(ctx)
	defer cancel()
	oldest := ms(now.Add(-models.SetupTokenTTL))
	res, err := s.e.writer().exec(ctx, qUseSetupToken, models.HashToken(token), oldest)
	if err != nil {
		return false, s.e.fail("use set-up token", err)
	}
	n, err := res.RowsAffected()
	return n == 1, s.e.fail("use set-up token", err)
}
