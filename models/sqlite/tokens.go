package sqlite

import (
	"context"
	"time"
)

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
