package storetest

import (
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/ringdesk/ringdesk/models"
)

// Factory describes one store implementation for Run.
type Factory struct {
	Name string
	// New returns an empty store, closed when the test ends.
	New func(t testing.TB) *models.Store
	// StandIn is true on the FerretDB 1.24 wire-protocol stand-in for
	// MongoDB, which runs findAndModify and updates as read-then-write:
	// tests that need the database's atomicity under concurrency skip
	// there with t.Skip naming that weakness.
	StandIn bool
}

// test is one conformance test; each gets its own store from the factory.
type test struct {
	name string
	run  func(t *testing.T, f Factory)
}

// Run runs the conformance suite against f. A store implementation is
// done when it passes.
func Run(t *testing.T, f Factory) {
	groups := []struct {
		name  string
		tests []test
	}{
		{"Tickets", ticketTests},
		{"TicketList", ticketListTests},
		{"Agents", agentTests},
		{"Sessions", sessionTests},
		{"Calls", callTests},
		{"CallsConcurrent", callConcurrencyTests},
		{"Reports", reportTests},
		{"Setup", setupTests},
		{"Media", mediaTests},
		{"Settings", settingsTests},
		{"Callbacks", callbackTests},
		{"Queue", queueTests},
		{"Presence", presenceTests},
		{"Engine", engineTests},
		{"DumpRestore", dumpTests},
	}
	for _, g := range groups {
		t.Run(g.name, func(t *testing.T) {
			for _, tt := range g.tests {
				t.Run(tt.name, func(t *testing.T) {
					// Each test has its own database, so they cannot see
					// each other; running them side by side also puts the
					// store under the load of its neighbours.
					t.Parallel()
					tt.run(t, f)
				})
			}
		})
	}
}

// skipOnStandIn skips a test that needs the database to apply concurrent
// updates atomically, which the FerretDB stand-in does not.
func skipOnStandIn(t *testing.T, f Factory, why string) {
	t.Helper()
	if f.StandIn {
		t.Skip("FerretDB 1.24 stand-in: " + why)
	}
}

// ignoreKey compares tickets as List returns them: whether a listed
// ticket carries its idempotency key is the store's choice.
var ignoreKey = cmpopts.IgnoreFields(models.Ticket{}, "IdempotencyKey")

// newTicket returns a validated ticket whose description carries i, so
// tickets in one test differ.
func newTicket(t testing.TB, i int) *models.Ticket {
	t.Helper()
	tk, err := models.TicketInput{
		Name:        fmt.Sprintf("Customer %d", i),
		PhoneNumber: "+14155552671",
		Description: fmt.Sprintf("Problem number %d", i),
	}.Validate("US")
	if err != nil {
		t.Fatalf("validate ticket %d: %v", i, err)
	}
	return &tk
}

// createTickets stores n tickets one after another, numbered from first
// in their descriptions, and returns them in creation order.
func createTickets(t testing.TB, s *models.Store, first, n int) []models.Ticket {
	t.Helper()
	out := make([]models.Ticket, 0, n)
	for i := first; i < first+n; i++ {
		tk := newTicket(t, i)
		if created, err := s.Tickets.Create(t.Context(), tk); err != nil || !created {
			t.Fatalf("create ticket %d = %v, %v; want true, nil", i, created, err)
		}
		out = append(out, *tk)
	}
	return out
}

// getTicket reads a ticket back, failing the test if it cannot.
func getTicket(t testing.TB, s *models.Store, id models.ID) *models.Ticket {
	t.Helper()
	tk, err := s.Tickets.Get(t.Context(), id)
	if err != nil {
		t.Fatalf("Get ticket %v: %v", id, err)
	}
	return tk
}

// restore stores it through the Engine, which is how tests put records
// with chosen ids, numbers and times into a store without a driver.
func restore(t testing.TB, s *models.Store, it models.Item) {
	t.Helper()
	inserted, err := s.Restore(t.Context(), it)
	if err != nil || !inserted {
		t.Fatalf("Restore(%s) = %v, %v; want true, nil", describe(it), inserted, err)
	}
}

// describe names an item for failure messages.
func describe(it models.Item) string {
	switch {
	case it.Agent != nil:
		return "agent " + it.Agent.Email
	case it.Ticket != nil:
		return fmt.Sprintf("ticket #%d", it.Ticket.Number)
	case it.Call != nil:
		return "call " + it.Call.SID
	case it.Counter != nil:
		return fmt.Sprintf("counter %s=%d", it.Counter.Name, it.Counter.Value)
	}
	return "empty item"
}

// ms is a time the stores keep exactly: UTC, whole milliseconds.
func ms(at time.Time) time.Time { return at.UTC().Truncate(time.Millisecond) }
