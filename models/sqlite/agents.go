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
const agentSelect = `SELECT a.id, a.email, a.name, a.password_hash, a.created_at, a.disabled, a.role, r.sid, r.expires_at
	FROM agents a LEFT JOIN revoked_sessions r ON r.agent_id = a.id AND r.expires_at > ?`

const (
	// qInsertAgent is not among txQueries, which are prepared at Open:
	// it names the role column, which a store opened at an older schema
	// version (as tests do) lacks. Agents are created rarely.
	qInsertAgent = `INSERT INTO agents (id, email, name, password_hash, created_at, disabled, role)
		VALUES (?, ?, ?, ?, ?, ?, ?)`
	qAgentByID     = agentSelect + ` WHERE a.id = ?`
	qAgentByEmail  = agentSelect + ` WHERE a.email = ?`
	qListAgents    = agentSelect + ` ORDER BY a.email, a.id`
	qAgentsExist   = `SELECT EXISTS (SELECT 1 FROM agents)`
	qRevokeSession = `INSERT OR REPLACE INTO revoked_sessions (sid, agent_id, expires_at) VALUES (?, ?, ?)`
	qSetDisabled   = `UPDATE agents SET disabled = ? WHERE id = ?`
	qSetRole       = `UPDATE agents SET role = ? WHERE id = ?`
	qSetName       = `UPDATE agents SET name = ? WHERE id = ?`
	qSetPassword   = `UPDATE agents SET password_hash = ? WHERE id = ?`
	// Only if the password is still the one checked: a change made in
	// between wins, and this one is refused.
	qChangePassword = `UPDATE agents SET password_hash = ? WHERE id = ? AND password_hash = ?`
	// qLastAdmin: is agent ? the only active admin? No row: no agent.
	qLastAdmin = `SELECT a.role = 'admin' AND a.disabled = 0 AND NOT EXISTS (
		SELECT 1 FROM agents o WHERE o.role = 'admin' AND o.disabled = 0 AND o.id <> a.id)
		FROM agents a WHERE a.id = ?`
	// qPromoteEarliest makes the earliest-created active agent admin when
	// no active admin exists, as migration 0004 did: agents restored from
	// an export made before roles arrive without one.
	qPromoteEarliest = `UPDATE agents SET role = 'admin'
		WHERE NOT EXISTS (SELECT 1 FROM agents WHERE role = 'admin' AND disabled = 0)
		AND id = (SELECT id FROM agents WHERE disabled = 0 ORDER BY created_at, id LIMIT 1)`
	qDeleteRevoked = `DELETE FROM revoked_sessions WHERE expires_at < ?`
)

// Create validates the input, hashes the password and stores the agent,
// deleting the set-up token in the same transaction: the first agent made
// any way (set-up page, CLI, ADMIN_EMAIL) kills the set-up link, and is
// an admin. An email already in use is ErrConflict.
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
		var exists bool
		if err := c.row(ctx, qAgentsExist).Scan(&exists); err != nil {
			return err
		}
		if !exists {
			a.Role = models.RoleAdmin
		}
		return insertAgent(ctx, c, a)
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
	if err := s.Scan(&id, &a.Email, &a.Name, &a.PasswordHash, &created, &a.Disabled, &a.Role, &sid, &expires); err != nil {
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

// SetDisabled disables or re-enables an agent. The check that another
// active admin remains and the change are one transaction, so two admins
// disabling each other at once cannot both succeed.
func (r *agents) SetDisabled(ctx context.Context, id models.ID, disabled bool) error {
	ctx, cancel := opCtx(ctx)
	defer cancel()
	return r.e.write(ctx, "set agent disabled", func(c conn) error {
		if disabled {
			if err := keepAdmin(ctx, c, id); err != nil {
				return err
			}
		}
		res, err := c.exec(ctx, qSetDisabled, disabled, id.Hex())
		return affected(res, err)
	})
}

// SetRole changes an agent's role, in one transaction with the check that
// another active admin remains.
func (r *agents) SetRole(ctx context.Context, id models.ID, role models.Role) error {
	role, err := models.ValidateRole(role)
	if err != nil {
		return err
	}
	ctx, cancel := opCtx(ctx)
	defer cancel()
	return r.e.write(ctx, "set agent role", func(c conn) error {
		if role != models.RoleAdmin {
			if err := keepAdmin(ctx, c, id); err != nil {
				return err
			}
		}
		res, err := c.exec(ctx, qSetRole, string(role), id.Hex())
		return affected(res, err)
	})
}

// keepAdmin refuses, inside a write transaction, a change that would take
// the last active admin out of that role: ErrLastAdmin, or ErrNotFound
// when there is no agent id.
func keepAdmin(ctx context.Context, c conn, id models.ID) error {
	var last bool
	if err := c.row(ctx, qLastAdmin, id.Hex()).Scan(&last); err != nil {
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("agent %s: %w", id.Hex(), models.ErrNotFound)
		}
		return err
	}
	if last {
		return models.ErrLastAdmin
	}
	return nil
}

// SetName renames an agent.
func (r *agents) SetName(ctx context.Context, id models.ID, name string) error {
	name, err := models.ValidateName(name)
	if err != nil {
		return err
	}
	ctx, cancel := opCtx(ctx)
	defer cancel()
	res, err := r.e.writer().exec(ctx, qSetName, name, id.Hex())
	return r.e.fail("set agent name", affected(res, err))
}

// ChangePassword checks current against the stored hash and replaces it
// only if it is still that hash when the new one is written.
func (r *agents) ChangePassword(ctx context.Context, id models.ID, current, next string) error {
	if err := models.ValidatePassword(next); err != nil {
		return err
	}
	a, err := r.Get(ctx, id)
	if err != nil {
		return err
	}
	hash, err := models.ReplacePassword(a, current, next)
	if err != nil {
		return err
	}
	ctx, cancel := opCtx(ctx)
	defer cancel()
	res, err := r.e.writer().exec(ctx, qChangePassword, hash, id.Hex(), a.PasswordHash)
	if err := affected(res, err); errors.Is(err, models.ErrNotFound) {
		return models.ErrInvalidCredentials
	} else if err != nil {
		return r.e.fail("change password", err)
	}
	return nil
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

// insertAgent stores a new agent in a write transaction; an email in use
// is ErrConflict.
func insertAgent(ctx context.Context, c conn, a *models.Agent) error {
	_, err := c.exec(ctx, qInsertAgent, a.ID.Hex(), a.Email, a.Name, a.PasswordHash, ms(a.CreatedAt), a.Disabled, string(a.Role))
	if isUnique(err) {
		return fmt.Errorf("an agent with email %s already exists: %w", a.Email, models.ErrConflict)
	}
	return err
}

// restoreAgent is Restore's insert of an agent, with its revocations. An
// agent exported before roles existed has none: it is stored as an agent,
// and if that leaves no active admin, the earliest-created active agent
// becomes one, as migration 0004 does for a store upgraded in place.
func restoreAgent(ctx context.Context, c conn, a *models.Agent) error {
	stored := *a
	if stored.Role != models.RoleAdmin {
		stored.Role = models.RoleAgent
	}
	if err := insertAgent(ctx, c, &stored); err != nil {
		return err
	}
	for _, r := range a.RevokedSessions {
		if _, err := c.exec(ctx, qRevokeSession, r.ID, a.ID.Hex(), ms(r.ExpiresAt)); err != nil {
			return err
		}
	}
	if a.Role == "" {
		_, err := c.exec(ctx, qPromoteEarliest)
		return err
	}
	return nil
}
