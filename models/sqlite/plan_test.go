package sqlite

import (
	"context"
	"fmt"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/ringdesk/ringdesk/models"
)

// TestQueryPlansUseIndexes asks SQLite how it runs every query behind a
// page, a count or a lookup: each must SEARCH an index, never SCAN a
// table or sort in a temporary tree, both on fresh statistics-free
// tables and after ANALYZE has seen thousands of rows.
func TestQueryPlansUseIndexes(t *testing.T) {
	e := openEngine(t, Options{})
	id := models.NewID().Hex()
	queries := []struct {
		name  string
		query string
		args  []any
	}{
		{"List first page", qListTickets, []any{int64(math.MaxInt64), "", 51}},
		{"List next page", qListTickets, []any{int64(1700000000000), id, 51}},
		{"CountOpen", qCountOpen, nil},
		{"Get ticket by id", qGetTicket, []any{id}},
		{"ticket by idempotency key", qTicketByKey, []any{"key"}},
		{"next ticket number", qNextTicketNumber, nil},
		{"calls by ticket", qCallsForTicket, []any{id}},
		{"call by sid", qCallBySID, []any{"CA123"}},
		{"call by id", qCallByID, []any{id}},
		{"calls by start time", qCallsStarted, []any{int64(1700000000000), int64(1800000000000)}},
		{"agent by email", qAgentByEmail, []any{int64(0), "ada@example.com"}},
		{"agent by id", qAgentByID, []any{int64(0), id}},
		{"expired revocations", qDeleteRevoked, []any{int64(0)}},
		{"expired media tokens", qDeleteMediaTokens, []any{int64(0)}},
		{"view counts", qCounts, []any{id}},
		{"a ticket's callbacks made", qCallbacksDone, []any{int64(1), id}},
		{"callback by call", qCallbackBySID, []any{"CA123"}},
		{"calls that stopped asking", qQueueExpire, []any{int64(1), int64(0)}},
		{"customer history", qForPhone, []any{"+14155552671", 11}},
		{"timeline", qTimeline, []any{id}},
		{"open tickets from a phone", qOpenTicketsFromPhone, []any{"+14155552671"}},
		{"a ticket's timeline deleted", qDeleteActivities, []any{id}},
		{"an agent's tickets renamed", qRenameAssignee, []any{"Ada", id}},
		{"queue entry by sid", qQueueBySID, []any{"CA123"}},
		{"team presence", qTeamPresence, []any{int64(1700000000000)}},
		{"expired pages", qExpiredPresence, []any{int64(1700000000000)}},
		{"page closed", qDropPresence, []any{"s1"}},
		{"queue position", qQueuePosition, []any{"CA123"}},
		{"queue state change", qSetQueueState, []any{"answered", int64(1700000000000), "CA123"}},
		{"queue entry exists", qQueueExists, []any{"CA123"}},
	}
	// Every view, alone and with each kind of search, first and later
	// pages: the arguments are the ones Find passes.
	searches := []models.Search{{}, {Number: 1042}, {Phone: "+14155552671"}, {Words: "no dial tone"}}
	later := &models.Cursor{CreatedAt: time.UnixMilli(1700000000000), ID: models.NewID(), Number: 1042}
	for _, v := range models.Views {
		for _, search := range searches {
			for _, after := range []*models.Cursor{nil, later} {
				q, args, err := find(models.Query{View: v, Agent: models.NewID(), Search: search}, after, 51)
				if err != nil || q == "" {
					t.Fatalf("find %s %+v: %q, %v", v, search, q, err)
				}
				queries = append(queries, struct {
					name  string
					query string
					args  []any
				}{fmt.Sprintf("view %s, search %+v, after %v", v, search, after != nil), q, args})
			}
		}
	}
	check := func(t *testing.T) {
		for _, q := range queries {
			plan := explain(t, e, q.query, q.args...)
			t.Logf("%s: %s", q.name, strings.Join(plan, "; "))
			for _, step := range plan {
				// A SELECT of counts has no table: its one constant row
				// is not a scan.
				if step == "SCAN CONSTANT ROW" {
					continue
				}
				// FTS5 reports a MATCH on its index as a scan of the
				// virtual table whose index string holds "M".
				if fts, ok := strings.CutPrefix(step, "SCAN f VIRTUAL TABLE INDEX "); ok && strings.Contains(fts, ":M") {
					continue
				}
				if strings.HasPrefix(step, "SCAN ") || strings.Contains(step, "TEMP B-TREE") {
					t.Errorf("%s: plan step %q; whole plan:\n%s", q.name, step, strings.Join(plan, "\n"))
				}
			}
			if !strings.Contains(strings.Join(plan, "\n"), "SEARCH ") {
				t.Errorf("%s: no SEARCH in the plan:\n%s", q.name, strings.Join(plan, "\n"))
			}
		}
	}
	t.Run("empty", check)
	seedTickets(t, e, 3000)
	if _, err := e.w.Exec("ANALYZE"); err != nil {
		t.Fatal(err)
	}
	t.Run("analyzed", check)
}

// explain returns the detail column of EXPLAIN QUERY PLAN.
func explain(t *testing.T, e *engine, query string, args ...any) []string {
	t.Helper()
	rows, err := e.w.QueryContext(context.Background(), "EXPLAIN QUERY PLAN "+query, args...)
	if err != nil {
		t.Fatalf("explain %s: %v", query, err)
	}
	defer rows.Close()
	var plan []string
	for rows.Next() {
		var id, parent, unused int
		var detail string
		if err := rows.Scan(&id, &parent, &unused, &detail); err != nil {
			t.Fatal(err)
		}
		plan = append(plan, detail)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return plan
}

// TestQueueCountReadsOnlyTheLine checks that InLine reads the partial
// index of the calls in line and nothing else: a scan, but of the line
// alone, however many calls have left it.
func TestQueueCountReadsOnlyTheLine(t *testing.T) {
	e := openEngine(t, Options{})
	plan := strings.Join(explain(t, e, qQueueInLine), "\n")
	// Either index reads only the calls in line: the line's own, or the
	// one by state for the two states of the line.
	switch plan {
	case "SCAN call_queue USING COVERING INDEX call_queue_line", "SEARCH call_queue USING INDEX call_queue_left (state=?)":
	default:
		t.Errorf("InLine's plan:\n%s\nwant only the calls in line read, through call_queue_line or call_queue_left", plan)
	}
	// The wallboard's list walks the line's index in its order, and stops
	// at the limit: no sort, nothing but the line.
	if plan := strings.Join(explain(t, e, qQueueLine, 10), "\n"); plan != "SCAN call_queue USING INDEX call_queue_line" {
		t.Errorf("Line's plan:\n%s\nwant the line's own index walked in order", plan)
	}
}

// TestPendingCallbacksReadOnlyThePending checks that the dashboard's Call
// back list and its count walk a partial index of the pending callbacks:
// scans, but of those alone, however many callbacks were ever made.
func TestPendingCallbacksReadOnlyThePending(t *testing.T) {
	e := openEngine(t, Options{})
	for _, q := range []struct {
		name  string
		query string
		args  []any
	}{{"list", qPendingCallbacks, []any{50}}, {"count", qCountCallbacks, nil}} {
		plan := strings.Join(explain(t, e, q.query, q.args...), "\n")
		switch plan {
		case "SCAN callbacks USING INDEX callbacks_pending", "SCAN callbacks USING COVERING INDEX callbacks_pending",
			"SCAN callbacks USING INDEX callbacks_pending_ticket", "SCAN callbacks USING COVERING INDEX callbacks_pending_ticket":
		default:
			t.Errorf("%s's plan:\n%s\nwant a scan of a pending callbacks' index alone", q.name, plan)
		}
	}
}
