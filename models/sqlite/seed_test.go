package sqlite

import (
	"context"
	"testing"
	"time"

	"github.com/ringdesk/ringdesk/models"
)

// seedStart is the creation time of the first seeded ticket; the others
// follow a second apart.
var seedStart = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

// seedTickets writes n tickets numbered 1..n straight into the database
// in one transaction (the triggers keep the counts and the search index
// as they would for Create), every tenth closed and every fifth with a
// call, and 100 agents with a few revoked sessions each. The rows are
// generated inside SQLite, so a million take seconds, not minutes.
func seedTickets(t testing.TB, e *engine, n int) {
	t.Helper()
	ctx := context.Background()
	tx, err := e.w.BeginTx(ctx, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer tx.Rollback()
	first := ms(seedStart)
	steps := []struct {
		query string
		args  []any
	}{
		{`WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < ?)
			INSERT INTO tickets (number, id, name, phone, description, status, source,
				idempotency_key, created_at, updated_at, calls)
			SELECT i, lower(hex(randomblob(12))), 'Customer ' || i, '+14155552671',
				'Headset crackles on long calls; please call back.',
				CASE WHEN i % 10 = 0 THEN 'closed' ELSE 'open' END, '', 'seed-' || i,
				? + i * 1000, ? + i * 1000, '{}'
			FROM seq`, []any{n, first, first}},
		{`INSERT INTO calls (` + callCols + `)
			SELECT lower(hex(randomblob(12))), 'CA' || number, 'twilio', id, 'outbound', '+14155550100', phone,
				created_at, json_array(json_object('status', 'completed', 'at', created_at, 'seq', 0)), '', '', 0
			FROM tickets WHERE number % 5 = 0`, nil},
		{qRaiseCounter, []any{models.TicketCounter, n}},
		{`WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < 100)
			INSERT INTO agents (id, email, name, password_hash, created_at, disabled)
			SELECT lower(hex(randomblob(12))), 'agent' || i || '@example.com', 'Agent ' || i, x'00', 0, 0 FROM seq`, nil},
		{`WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < 5)
			INSERT INTO revoked_sessions (sid, agent_id, expires_at)
			SELECT a.id || '-' || i, a.id, i FROM agents a, seq`, nil},
	}
	for _, st := range steps {
		if _, err := tx.ExecContext(ctx, st.query, st.args...); err != nil {
			t.Fatalf("seed: %v\n%s", err, st.query)
		}
	}
	if err := tx.Commit(); err != nil {
		t.Fatal(err)
	}
}
