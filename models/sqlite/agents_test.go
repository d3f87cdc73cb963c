package sqlite

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ringdesk/ringdesk/models"
)

// rolesVersion is the migration that brought roles and invitations.
const rolesVersion = 4

// TestUpgradeGivesRoles opens a database made before roles: every agent
// becomes an agent, except the earliest-created active one, who becomes
// the admin (a disabled one could not manage anybody).
func TestUpgradeGivesRoles(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	db := rawDB(t, dir)
	if err := migrate(ctx, db, filepath.Join(dir, dbName), rolesVersion-1, slog.New(slog.DiscardHandler)); err != nil {
		t.Fatalf("migrate to version %d: %v", rolesVersion-1, err)
	}
	base := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	var ids []models.ID
	for i, name := range []string{"gone", "first", "second"} {
		id := models.NewID()
		ids = append(ids, id)
		mustExec(t, db, `INSERT INTO agents (id, email, name, password_hash, created_at, disabled) VALUES (?, ?, ?, ?, ?, ?)`,
			id.Hex(), name+"@example.com", name, []byte("hash"), ms(base.Add(time.Duration(i)*time.Minute)), name == "gone")
	}
	db.Close()

	s := openEngine(t, Options{Dir: dir}).store()
	for i, want := range []models.Role{models.RoleAgent, models.RoleAdmin, models.RoleAgent} {
		a, err := s.Agents.Get(ctx, ids[i])
		if err != nil {
			t.Fatalf("Get: %v", err)
		}
		if a.Role != want {
			t.Errorf("%s after the upgrade: role %q, want %q", a.Name, a.Role, want)
		}
	}
	if err := s.Agents.SetDisabled(ctx, ids[1], true); !errors.Is(err, models.ErrLastAdmin) {
		t.Errorf("SetDisabled(the promoted admin) = %v, want ErrLastAdmin", err)
	}
}

// TestAgentQueryPlansUseIndexes: the checks that every demotion, disabling
// and one-time link makes are index lookups, as TestQueryPlansUseIndexes
// demands of the pages.
func TestAgentQueryPlansUseIndexes(t *testing.T) {
	e := openEngine(t, Options{})
	for i := range 200 {
		// The rows matter, not the hashes: bcrypt would be slow.
		a := &models.Agent{ID: models.NewID(), Email: fmt.Sprintf("a%d@example.com", i), Name: "A",
			PasswordHash: []byte("hash"), CreatedAt: models.Now(), Role: models.RoleAgent}
		if err := e.write(context.Background(), "seed", func(c conn) error { return insertAgent(context.Background(), c, a) }); err != nil {
			t.Fatal(err)
		}
	}
	id := models.NewID().Hex()
	queries := []struct {
		name  string
		query string
		args  []any
	}{
		{"last admin", qLastAdmin, []any{id}},
		{"email taken", qAgentEmailTaken, []any{"ada@example.com"}},
		{"agent for a reset", qAgentForReset, []any{id}},
		{"invite by token", qInviteByToken, []any{"hash", int64(0)}},
		{"use invite", qUseInvite, []any{"hash", int64(0)}},
		{"expired invites", qDeleteExpiredInvites, []any{int64(0)}},
	}
	for _, analyzed := range []bool{false, true} {
		if analyzed {
			if _, err := e.w.Exec("ANALYZE"); err != nil {
				t.Fatal(err)
			}
		}
		for _, q := range queries {
			plan := explain(t, e, q.query, q.args...)
			for _, step := range plan {
				if strings.HasPrefix(step, "SCAN ") && step != "SCAN CONSTANT ROW" || strings.Contains(step, "TEMP B-TREE") {
					t.Errorf("%s (analyzed %v): plan step %q; whole plan:\n%s", q.name, analyzed, step, strings.Join(plan, "\n"))
				}
			}
		}
	}
}
