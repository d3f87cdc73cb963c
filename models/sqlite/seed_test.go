package sqlite

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"
	"time"

	"github.com/ringdesk/ringdesk/models"
)

// seedStart is the creation time of the first seeded ticket; the others
// follow a second apart.
var seedStart = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)

const (
	// seedCustomers is how many customers the seeded tickets come from:
	// at 100,000 tickets, five tickets each.
	seedCustomers = 20_000
	// seedAssignees is how many of the 100 seeded agents hold tickets.
	seedAssignees = 20
)

// seedComplaints are the seeded descriptions, in turn.
var seedComplaints = []string{
	"Headset crackles on long calls; please call back.",
	"Invoice shows the wrong amount for March.",
	"Cannot sign in after the password reset.",
	"No dial tone on the desk phone since Monday.",
	"Voicemail greeting still plays the holiday hours.",
	"Calls to the support line drop after two minutes.",
}

// seedCustomer is the customer of seeded ticket number i, from 1.
func seedCustomer(i int) int { return (i-1)%seedCustomers + 1 }

// seedPhone is customer c's phone number as seedTickets writes it, a
// valid US one, so that models.ParseSearch reads it as a phone search.
func seedPhone(c int) string { return fmt.Sprintf("+1415%07d", 2_000_000+c) }

// seedAgentID is seeded agent a's id (from 1) as seedTickets writes it.
func seedAgentID(a int) models.ID {
	id, err := models.ParseID(fmt.Sprintf("%024x", a))
	if err != nil {
		panic(err)
	}
	return id
}

// seedTickets writes n tickets numbered 1..n straight into the database
// in one transaction (the triggers keep the counts and the search index
// as they would for Create), and 100 agents, "Agent 1" to "Agent 100"
// (ids seedAgentID), with a few revoked sessions each. Ticket i is from
// customer seedCustomer(i), whose name and phone are the same on each of
// their tickets. Every tenth ticket is closed; of the others every
// seventh is pending and the rest open. Two in three are assigned, in
// runs of ten, in turn to the first seedAssignees agents, and the
// descriptions go round seedComplaints in runs of seven, so that each
// agent, status and complaint gets a share of the others: one modulus for
// all would give, say, every closed ticket the same few complaints.
// Every fifth ticket has a call. The rows are generated inside SQLite, so
// a million take seconds, not minutes.
func seedTickets(t testing.TB, e *engine, n int) {
	t.Helper()
	ctx := context.Background()
	complaints, err := json.Marshal(seedComplaints)
	if err != nil {
		t.Fatal(err)
	}
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
		// The assignee goes in with the row, so the insert triggers count
		// it as they would a ticket created assigned.
		{`WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < ?1),
			seed(i, customer, agent) AS (
				SELECT i, (i - 1) % ?2 + 1, CASE WHEN i % 3 <> 0 THEN (i / 10) % ?3 + 1 END FROM seq)
			INSERT INTO tickets (number, id, name, phone, description, status, source,
				idempotency_key, created_at, updated_at, calls, assignee_id, assignee_name)
			SELECT i, lower(hex(randomblob(12))), 'Customer ' || customer, printf('+1415%07d', 2000000 + customer),
				?4 ->> ((i / 7) % json_array_length(?4)),
				CASE WHEN i % 10 = 0 THEN 'closed' WHEN i % 7 = 0 THEN 'pending' ELSE 'open' END,
				'', 'seed-' || i, ?5 + i * 1000, ?5 + i * 1000, '{}',
				iif(agent IS NULL, NULL, printf('%024x', agent)), 'Agent ' || agent
			FROM seed`, []any{n, seedCustomers, seedAssignees, string(complaints), first}},
		{`INSERT INTO calls (` + callCols + `)
			SELECT lower(hex(randomblob(12))), 'CA' || number, 'twilio', id, 'outbound', '+14155550100', phone,
				created_at, json_array(json_object('status', 'completed', 'at', created_at, 'seq', 0)), '', '', 0
			FROM tickets WHERE number % 5 = 0`, nil},
		{qRaiseCounter, []any{models.TicketCounter, n}},
		{`WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < 100)
			INSERT INTO agents (id, email, name, password_hash, created_at, disabled)
			SELECT printf('%024x', i), 'agent' || i || '@example.com', 'Agent ' || i, x'00', 0, 0 FROM seq`, nil},
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

// TestSeedTickets checks that the seeded rows are what the benchmarks
// assume, and that the triggers counted and indexed them as Create would.
func TestSeedTickets(t *testing.T) {
	ctx := context.Background()
	e := openEngine(t, Options{})
	const n = 3000
	seedTickets(t, e, n)
	s := e.store()
	agent := seedAgentID(1)

	got, err := s.Tickets.Counts(ctx, agent)
	if err != nil {
		t.Fatal(err)
	}
	var want models.ViewCounts
	if err := e.r.QueryRow(`SELECT
			count(*) FILTER (WHERE status <> 'closed'),
			count(*) FILTER (WHERE status <> 'closed' AND assignee_id = ?),
			count(*) FILTER (WHERE status <> 'closed' AND assignee_id IS NULL),
			count(*) FILTER (WHERE status = 'pending'),
			count(*) FILTER (WHERE status = 'closed'),
			count(*)
		FROM tickets`, agent.Hex()).Scan(&want.Open, &want.Mine, &want.Unassigned, &want.Pending, &want.Closed, &want.All); err != nil {
		t.Fatal(err)
	}
	if got != want {
		t.Errorf("Counts = %+v, the rows say %+v", got, want)
	}
	if want.Open != n-n/10 || want.Closed != n/10 || want.Pending == 0 || want.Mine == 0 {
		t.Errorf("seeded %+v, want %d not closed, %d closed, some pending and some of agent 1's", want, n-n/10, n/10)
	}
	// Two in three of the tickets still to do are assigned.
	if assigned := float64(want.Open-want.Unassigned) / float64(want.Open); assigned < 0.6 || assigned > 0.7 {
		t.Errorf("%.2f of the open and pending tickets are assigned, want about two thirds", assigned)
	}

	if _, err := e.w.Exec(`INSERT INTO tickets_fts (tickets_fts, rank) VALUES ('integrity-check', 1)`); err != nil {
		t.Errorf("full-text index does not match the tickets: %v", err)
	}
	page, _, err := s.Tickets.Find(ctx, models.Query{View: models.ViewMine, Agent: agent,
		Search: models.ParseSearch("dial tone", "US")}, nil, models.PageSize)
	if err != nil || len(page) == 0 {
		t.Errorf("agent 1's tickets with no dial tone: %d, %v", len(page), err)
	}
	for _, tk := range page {
		if tk.Description != seedComplaints[3] || tk.Assignee == nil || tk.Assignee.ID != agent || tk.Assignee.Name != "Agent 1" {
			t.Errorf("ticket #%d: %q, assignee %+v", tk.Number, tk.Description, tk.Assignee)
		}
	}

	search := models.ParseSearch(seedPhone(seedCustomer(42)), "US")
	history, err := s.Tickets.ForPhone(ctx, search.Phone, 0)
	if err != nil || len(history) != 1 || history[0].Number != 42 || history[0].Name != "Customer 42" {
		t.Errorf("ForPhone(%q) = %+v, %v; want ticket #42 alone", search.Phone, history, err)
	}
}
