package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/ringdesk/ringdesk/models"
)

// agents implements models.AgentRepository.
type agents struct{ e *engine }

// agentSelect reads agents with their live revocations in one query:
// one row per revocation, or one row with NULLs when there is none.
const agentSelect = `SELECT a.id, a.email, a.name, a.password_hash, a.created_at, a.disabled, r.sid, r.expires_at
	FROM agents a LEFT JOIN revoked_sessions r ON r.agent_id = a.id AND r.expires_at > ?`

const (
	qInsertAgent = `INSERT INTO agents (id, email, name, password_hash, created_at, disabled)
		VALUES (?, ?, ?, ?, ?, ?)`
	qAgentByID     = agentSelect + ` WHERE a.id = ?`
	qAgentByEmail  = agentSelect + ` WHERE a.email = ?`
	qListAgents    = agentSelect + ` ORDER BY a.email, a.id`
	qAgentsExist   = `SELECT EXISTS (SELECT 1 FROM agents)`
	qRevokeSession = `INSERT OR REPLACE INTO revoked_sessions (sid, agent_id, expires_at) VALUES (?, ?, ?)`
	qSetDisabled   = `UPDATE agents SET disabled = ? WHERE id = ?`
	qSetPassword   = `UPDATE agents SET password_hash = ? WHERE id = ?`
	qDeleteRevoked = `DELETE FROM revoked_sessions WHERE expires_at < ?`
)

// Create validates the input, hashes the password and stores the agent,
// deleting the set-up token in the same transaction: the first agent made
// any way (set-up page, CLI, ADMIN_EMAIL) kills the set-up link. An email
// already in use is ErrConflict.
func (r *agents) Create(ctx context.Context, in models.AgentInput) (*models.Agent, error) {
	a, err := models.NewAgent(in) // bcrypt first: it is slow, and needs no database
	if err != nil {
		return nil, err
	}
	ctx, cancel := opCtx(ctx)
	defer cancel()
	err = r.e.write(ctx, "create agent", func(c conn) error {
		if _, err := c.exec(ctx, qDropSetupToken); err != nil {
			return err
		}
		_, err := c.exec(ctx, qInsertAgent, a.ID.Hex(), a.Email, a.Name, a.PasswordHash, ms(a.CreatedAt), a.Disabled)
		if isUnique(err) {
			return fmt.Errorf("an agent with email %s already exists: %w", a.Email, models.ErrConflict)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// Get returns an agent with its live revocations, or ErrNotFound.
func (r *agents) Get(ctx context.Context, id models.ID) (*models.Agent, error) {
	return r.one(ctx, "get agent", qAgentByID, id.Hex())
}

// GetByEmail returns the agent with this (normalised) email.
func (r *agents) GetByEmail(ctx context.Context, email string) (*models.Agent, error) {
	return r.one(ctx, "get agent by email", qAgentByEmail, models.NormalizeEmail(email))
}

func (r *agents) one(ctx context.Context, what, query string, key string) (*models.Agent, error) {
	list, err := r.read(ctx, what, query, key)
	if err != nil {
		return nil, err
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("%s: %w", what, models.ErrNotFound)
	}
	return &list[0], nil
}

// List returns every agent, by email.
func (r *agents) List(ctx context.Context) ([]models.Agent, error) {
	return r.read(ctx, "list agents", qListAgents)
}

// read runs an agentSelect query and folds its rows into agents.
func (r *agents) read(ctx context.Context, what, query string, args ...any) ([]models.Agent, error) {
	ctx, cancel := opCtx(ctx)
	defer cancel()
	rows, err := r.e.reader().query(ctx, query, append([]any{ms(models.Now())}, args...)...)
	if err != nil {
		return nil, r.e.fail(what, err)
	}
	defer rows.Close()
	var out []models.Agent
	for rows.Next() {
		a, rev, err := scanAgentRow(rows)
		if err != nil {
			return nil, r.e.fail(what, err)
		}
		if n := len(out); n == 0 || out[n-1].ID != a.ID {
			out = append(out, a)
		}
		if rev != nil {
			last := &out[len(out)-1]
			last.RevokedSessions = append(last.RevokedSessions, *rev)
		}
	}
	if err := rows.Err(); err != nil {
		return nil, r.e.fail(what, err)
	}
	return out, nil
}

// scanAgentRow reads one row of agentSelect: the agent, and one of its
// revocations or nil.
func scanAgentRow(s scanner) (models.Agent, *models.RevokedSession, error) {
	var (
		a       models.Agent
		id      string
		created int64
		sid     sql.NullString
		expires sql.NullInt64
	)
	if err := s.Scan(&id, &a.Email, &a.Name, &a.PasswordHash, &created, &a.Disabled, &sid, &expires); err != nil {
		return a, nil, err
	}
	var err error
	if a.ID, err = models.ParseID(id); err != nil {
		return a, nil, fmt.Errorf("agent %s has a bad id %q", a.Email, id)
	}
	a.CreatedAt = fromMS(created)
	if !sid.Valid {
		return a, nil, nil
	}
	return a, &models.RevokedSession{ID: sid.String, ExpiresAt: fromMS(expires.Int64)}, nil
}

// Exists reports whether any agent has been created.
func (r *agents) Exists(ctx context.Context) (bool, error) {
	ctx, cancel := opCtx(ctx)
	defer cancel()
	var ok bool
	err := r.e.reader().row(ctx, qAgentsExist).Scan(&ok)
	return ok, r.e.fail("find any agent", err)
}

// Authenticate returns the active agent whose email and password match,
// or ErrInvalidCredentials, taking as long whichever way it fails.
func (r *agents) Authenticate(ctx context.Context, email, password string) (*models.Agent, error) {
	a, err := r.GetByEmail(ctx, email)
	if err != nil && !errors.Is(err, models.ErrNotFound) {
		return nil, err
	}
	return models.CheckPassword(a, password)
}

// RevokeSession is one INSERT OR REPLACE: revoking a session again only
// moves its expiry, and simultaneous sign-outs are separate rows.
func (r *agents) RevokeSession(ctx context.Context, id models.ID, sid string, expires time.Time) error {
	ctx, cancel := opCtx(ctx)
	defer cancel()
	_, err := r.e.writer().exec(ctx, qRevokeSession, sid, id.Hex(), ms(expires))
	if isForeignKey(err) {
		return fmt.Errorf("revoke session: agent %s: %w", id.Hex(), models.ErrNotFound)
	}
	return r.e.fail("revoke session", err)
}

// SetDisabled disables or re-enables an agent.
func (r *agents) SetDisabled(ctx context.Context, id models.ID, disabled bool) error {
	ctx, cancel := opCtx(ctx)
	defer cancel()
	res, err := r.e.writer().exec(ctx, qSetDisabled, disabled, id.Hex())
	return r.e.fail("set agent disabled", affected(res, err))
}

// SetPasswordHash replaces an agent's password hash.
func (r *agents) SetPasswordHash(ctx context.Context, id models.ID, hash []byte) error {
	ctx, cancel := opCtx(ctx)
	defer cancel()
	res, err := r.e.writer().exec(ctx, qSetPassword, hash, id.Hex())
	return r.e.fail("set agent password", affected(res, err))
}

// DeleteExpiredRevocations forgets revocations of sessions that have
// expired anyway.
func (r *agents) DeleteExpiredRevocations(ctx context.Context, now time.Time) (int64, error) {
	ctx, cancel := opCtx(ctx)
	defer cancel()
	res, err := r.e.writer().exec(ctx, qDeleteRevoked, ms(now))
	if err != nil {
		return 0, r.e.fail("delete expired revocations", err)
	}
	n, err := res.RowsAffected()
	return n, r.e.fail("delete expired revocations", err)
}
