package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/ringdesk/ringdesk/models"
)

// The invites table holds one-time links, each under its subject (see
// models.Invite.ReplaceKey), so a new link replaces the unused one for
// the same person. A link is deleted when used, and expired ones when the
// next link is made: links are few, and SQLite has no TTL.
// Invites are not part of Dump, so an export leaves them out: a one-time
// link is short-lived, and a copy of it in an export file would be one
// more way in. An admin makes a new one after a move.
const (
	qDeleteExpiredInvites = `DELETE FROM invites WHERE expires_at <= ?`
	qAgentEmailTaken      = `SELECT EXISTS (SELECT 1 FROM agents WHERE email = ?)`
	qAgentForReset        = `SELECT email, name, role FROM agents WHERE id = ?`
	qInsertInvite         = `INSERT OR REPLACE INTO invites (subject, token_hash, kind, email, name, role, agent_id,
		created_by, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`
	qInviteByToken = `SELECT kind, email, name, role, agent_id, created_by, expires_at FROM invites
		WHERE token_hash = ? AND expires_at > ?`
	// Deleting is using: of two concurrent uses, only one deletes the row.
	qUseInvite = `DELETE FROM invites WHERE token_hash = ? AND expires_at > ?`
)

// CreateInvite stores a link in one transaction with the checks on the
// agent or email it is for.
func (r *agents) CreateInvite(ctx context.Context, in models.InviteInput, now time.Time) (string, error) {
	inv, token, err := models.PrepareInvite(in, now)
	if err != nil {
		return "", err
	}
	ctx, cancel := opCtx(ctx)
	defer cancel()
	err = r.e.write(ctx, "create invite", func(c conn) error {
		if _, err := c.exec(ctx, qDeleteExpiredInvites, ms(now)); err != nil {
			return err
		}
		switch inv.Kind {
		case models.KindInvite:
			var taken bool
			if err := c.row(ctx, qAgentEmailTaken, inv.Email).Scan(&taken); err != nil {
				return err
			}
			if taken {
				return fmt.Errorf("an agent with email %s already exists: %w", inv.Email, models.ErrConflict)
			}
		case models.KindReset:
			err := c.row(ctx, qAgentForReset, inv.AgentID.Hex()).Scan(&inv.Email, &inv.Name, &inv.Role)
			if errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("agent %s: %w", inv.AgentID.Hex(), models.ErrNotFound)
			}
			if err != nil {
				return err
			}
		}
		var agentID, by any
		if inv.Kind == models.KindReset {
			agentID = inv.AgentID.Hex()
		}
		if !inv.By.IsZero() {
			by = inv.By.Hex()
		}
		_, err := c.exec(ctx, qInsertInvite, inv.ReplaceKey(), models.HashToken(token), string(inv.Kind),
			inv.Email, inv.Name, string(inv.Role), agentID, by, ms(now), ms(inv.ExpiresAt))
		return err
	})
	if err != nil {
		return "", err
	}
	return token, nil
}

// CheckInvite returns the unused, unexpired link's invite.
func (r *agents) CheckInvite(ctx context.Context, token string, now time.Time) (*models.Invite, error) {
	ctx, cancel := opCtx(ctx)
	defer cancel()
	var (
		inv       models.Invite
		agentID   sql.NullString
		by        sql.NullString
		expiresAt int64
	)
	err := r.e.reader().row(ctx, qInviteByToken, models.HashToken(token), ms(now)).
		Scan(&inv.Kind, &inv.Email, &inv.Name, &inv.Role, &agentID, &by, &expiresAt)
	if err != nil {
		return nil, r.e.fail("check invite", err)
	}
	inv.ExpiresAt = fromMS(expiresAt)
	if agentID.Valid {
		if inv.AgentID, err = models.ParseID(agentID.String); err != nil {
			return nil, fmt.Errorf("invite for %s has a bad agent id %q", inv.Email, agentID.String)
		}
	}
	if by.Valid {
		inv.By, _ = models.ParseID(by.String) // only kept for the record
	}
	return &inv, nil
}

// UseInvite validates and hashes first, which is slow and needs no
// database, then consumes the link and applies it in one transaction:
// if the agent cannot be stored, the link stays usable.
func (r *agents) UseInvite(ctx context.Context, token, name, password string, now time.Time) (*models.Agent, error) {
	inv, err := r.CheckInvite(ctx, token, now)
	if err != nil {
		return nil, err
	}
	a, hash, err := inv.Apply(name, password)
	if err != nil {
		return nil, err
	}
	wctx, cancel := opCtx(ctx)
	defer cancel()
	err = r.e.write(wctx, "use invite", func(c conn) error {
		res, err := c.exec(wctx, qUseInvite, models.HashToken(token), ms(now))
		if err := affected(res, err); err != nil {
			return fmt.Errorf("invite: %w", err)
		}
		if a != nil {
			return insertAgent(wctx, c, a)
		}
		res, err = c.exec(wctx, qSetPassword, hash, inv.AgentID.Hex())
		return affected(res, err)
	})
	if err != nil {
		return nil, err
	}
	if a != nil {
		return a, nil
	}
	return r.Get(ctx, inv.AgentID)
}
