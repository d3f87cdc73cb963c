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
	qSetupToken    = `SELECT token_hash FROM setup WHERE id = 1`
	qUseSetupToken = `DELETE FROM setup WHERE id = 1 AND token_hash = ?`
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

// Check reports whether token is the current, unused set-up token.
func (s *setup) Check(ctx context.Context, token string) (bool, error) {
	ctx, cancel := opCtx(ctx)
	defer cancel()
	var hash string
	err := s.e.reader().row(ctx, qSetupToken).Scan(&hash)
	if errors.Is(err, sql.ErrNoRows) {
		return false, nil
	}
	if err != nil {
		return false, s.e.fail("read set-up token", err)
	}
	return subtle.ConstantTimeCompare([]byte(hash), []byte(models.HashToken(token))) == 1, nil
}

// Use consumes the token: the DELETE is atomic, so of two concurrent
// uses only one removes the row.
func (s *setup) Use(ctx context.Context, token string) (bool, error) {
	ctx, cancel := opCtx(ctx)
	defer cancel()
	res, err := s.e.writer().exec(ctx, qUseSetupToken, models.HashToken(token))
	if err != nil {
		return false, s.e.fail("use set-up token", err)
	}
	n, err := res.RowsAffected()
	return n == 1, s.e.fail("use set-up token", err)
}

// media implements models.MediaTokenRepository.
type media struct{ e *engine }

const (
	qUseMediaToken     = `INSERT INTO media_tokens (id, expires_at) VALUES (?, ?)`
	qDeleteMediaTokens = `DELETE FROM media_tokens WHERE expires_at < ?`
)

// Use marks token id as used; the primary key makes a second use
// ErrConflict.
func (m *media) Use(ctx context.Context, id string, expires time.Time) error {
	ctx, cancel := opCtx(ctx)
	defer cancel()
	_, err := m.e.writer().exec(ctx, qUseMediaToken, id, ms(expires))
	return m.e.fail("use media token", err)
}

// DeleteExpired removes records of tokens that can no longer be
// presented anyway.
func (m *media) DeleteExpired(ctx context.Context, now time.Time) (int64, error) {
	ctx, cancel := opCtx(ctx)
	defer cancel()
	res, err := m.e.writer().exec(ctx, qDeleteMediaTokens, ms(now))
	if err != nil {
		return 0, m.e.fail("delete expired media tokens", err)
	}
	n, err := res.RowsAffected()
	return n, m.e.fail("delete expired media tokens", err)
}
