package sqlite

import (
	"context"
	"fmt"
	"time"

	"github.com/ringdesk/ringdesk/models"
)

// presence implements models.PresenceRepository.
type presence struct{ e *engine }

const (
	qSetPresence = `INSERT INTO presence (stream, agent_id, ready, away, on_call, expires_at) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
		ON CONFLICT (stream) DO UPDATE SET agent_id = ?2, ready = ?3, away = ?4, on_call = ?5, expires_at = ?6`
	qDropPresence    = `DELETE FROM presence WHERE stream = ?`
	qTeamPresence    = `SELECT agent_id, ready, away, on_call FROM presence WHERE expires_at > ?`
	qExpiredPresence = `DELETE FROM presence WHERE expires_at < ?`
)

func (r *presence) Set(ctx context.Context, p models.Presence) error {
	ctx, cancel := opCtx(ctx)
	defer cancel()
	_, err := r.e.writer().exec(ctx, qSetPresence, p.Stream, p.AgentID.Hex(), p.Ready, p.Away, p.OnCall, ms(p.ExpiresAt))
	return r.e.fail("record an agent's presence", err)
}

func (r *presence) Drop(ctx context.Context, stream string) error {
	ctx, cancel := opCtx(ctx)
	defer cancel()
	_, err := r.e.writer().exec(ctx, qDropPresence, stream)
	return r.e.fail("forget an agent's page", err)
}

func (r *presence) Team(ctx context.Context, now time.Time) (models.TeamPresence, error) {
	ctx, cancel := opCtx(ctx)
	defer cancel()
	rows, err := r.e.reader().query(ctx, qTeamPresence, ms(now))
	if err != nil {
		return models.TeamPresence{}, r.e.fail("count the team", err)
	}
	defer rows.Close()
	var pages []models.Presence
	for rows.Next() {
		var (
			p     models.Presence
			agent string
		)
		if err := rows.Scan(&agent, &p.Ready, &p.Away, &p.OnCall); err != nil {
			return models.TeamPresence{}, r.e.fail("count the team", err)
		}
		if p.AgentID, err = models.ParseID(agent); err != nil {
			return models.TeamPresence{}, fmt.Errorf("count the team: a page has a bad agent id %q", agent)
		}
		pages = append(pages, p)
	}
	if err := rows.Err(); err != nil {
		return models.TeamPresence{}, r.e.fail("count the team", err)
	}
	return models.TeamCount(pages), nil
}

func (r *presence) DeleteExpired(ctx context.Context, now time.Time) (int64, error) {
	ctx, cancel := opCtx(ctx)
	defer cancel()
	res, err := r.e.writer().exec(ctx, qExpiredPresence, ms(now))
	if err != nil {
		return 0, r.e.fail("delete expired pages", err)
	}
	n, err := res.RowsAffected()
	return n, r.e.fail("delete expired pages", err)
}
