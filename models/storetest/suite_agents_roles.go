package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ringdesk/ringdesk/models"
)

// Roles: someone must always be able to manage the team, so the first
// agent is an admin and the last active admin can be neither disabled
// nor demoted, also when admins act at the same moment.
var roleTests = []test{
	{"FirstAgentIsAdmin", testRoleFirstAgentIsAdmin},
	{"CreateRejectsUnknownRole", testRoleCreateInvalid},
	{"SetRole", testRoleSet},
	{"LastAdminCannotBeDemoted", testRoleLastAdminDemote},
	{"LastAdminCannotBeDisabled", testRoleLastAdminDisable},
	{"LastAdminHoldsUnderConcurrency", testRoleLastAdminConcurrent},
	{"DumpRestoreKeepsRoles", testRoleDumpRestore},
	{"RestoreWithoutRolesMakesAnAdmin", testRoleRestoreLegacy},
}

// roleOf reads an agent's stored role.
func roleOf(t testing.TB, s *models.Store, id models.ID) models.Role {
	t.Helper()
	return getAgent(t, s, id).Role
}

// agentNamed returns input for a distinct agent with a given role.
func agentNamed(name string, role models.Role) models.AgentInput {
	return models.AgentInput{Email: name + "@example.com", Name: name, Password: adaPassword, Role: role}
}

// activeAdmins counts the active admins in List.
func activeAdmins(t testing.TB, s *models.Store) int {
	t.Helper()
	list, err := s.Agents.List(t.Context())
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	n := 0
	for _, a := range list {
		if a.IsAdmin() {
			n++
		}
	}
	return n
}

func testRoleFirstAgentIsAdmin(t *testing.T, f Factory) {
	s := f.New(t)
	for _, c := range []struct {
		in   models.AgentInput
		want models.Role
	}{
		{agentNamed("first", models.RoleAgent), models.RoleAdmin}, // whatever it asks for
		{agentNamed("second", ""), models.RoleAgent},
		{agentNamed("third", models.RoleAgent), models.RoleAgent},
		{agentNamed("fourth", models.RoleAdmin), models.RoleAdmin},
	} {
		a := createAgent(t, s, c.in)
		if a.Role != c.want || roleOf(t, s, a.ID) != c.want {
			t.Errorf("Create(%s, role %q) = role %q, stored %q; want %q", c.in.Email, c.in.Role, a.Role, roleOf(t, s, a.ID), c.want)
		}
	}
}

func testRoleCreateInvalid(t *testing.T, f Factory) {
	s := f.New(t)
	_, err := s.Agents.Create(t.Context(), agentNamed("ada", "owner"))
	var verr *models.ValidationError
	if !errors.As(err, &verr) || verr.Fields["role"] == "" {
		t.Fatalf("Create with role owner = %v, want a ValidationError on role", err)
	}
	if exists, err := s.Agents.Exists(t.Context()); err != nil || exists {
		t.Errorf("Exists after a rejected create = %v, %v; want false", exists, err)
	}
}

func testRoleSet(t *testing.T, f Factory) {
	s := f.New(t)
	boss := createAgent(t, s, bossInput())
	ada := createAgent(t, s, adaInput())
	for _, role := range []models.Role{models.RoleAdmin, models.RoleAdmin, models.RoleAgent, models.RoleAgent, models.RoleAdmin} {
		if err := s.Agents.SetRole(t.Context(), ada.ID, role); err != nil {
			t.Fatalf("SetRole(%s): %v", role, err)
		}
		want := *ada
		want.Role = role
		if diff := cmp.Diff(&want, getAgent(t, s, ada.ID), equateAgents); diff != "" {
			t.Errorf("after SetRole(%s) (-want +got):\n%s", role, diff)
		}
	}
	// With Ada an admin too, the boss may step down.
	if err := s.Agents.SetRole(t.Context(), boss.ID, models.RoleAgent); err != nil {
		t.Errorf("SetRole(boss, agent) beside another admin = %v", err)
	}
	err := s.Agents.SetRole(t.Context(), ada.ID, "owner")
	var verr *models.ValidationError
	if !errors.As(err, &verr) || verr.Fields["role"] == "" {
		t.Errorf("SetRole(owner) = %v, want a ValidationError on role", err)
	}
	if roleOf(t, s, ada.ID) != models.RoleAdmin {
		t.Error("a rejected SetRole changed the role")
	}
}

func testRoleLastAdminDemote(t *testing.T, f Factory) {
	s := f.New(t)
	boss := createAgent(t, s, bossInput())
	ada := createAgent(t, s, adaInput())
	if err := s.Agents.SetRole(t.Context(), boss.ID, models.RoleAgent); !errors.Is(err, models.ErrLastAdmin) {
		t.Errorf("SetRole(only admin, agent) = %v, want ErrLastAdmin", err)
	}
	// A disabled admin does not count: nobody could sign in as them.
	if err := s.Agents.SetRole(t.Context(), ada.ID, models.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	if err := s.Agents.SetDisabled(t.Context(), ada.ID, true); err != nil {
		t.Fatal(err)
	}
	if err := s.Agents.SetRole(t.Context(), boss.ID, models.RoleAgent); !errors.Is(err, models.ErrLastAdmin) {
		t.Errorf("SetRole(only active admin, agent) beside a disabled admin = %v, want ErrLastAdmin", err)
	}
	// Demoting the disabled admin takes no active admin away.
	if err := s.Agents.SetRole(t.Context(), ada.ID, models.RoleAgent); err != nil {
		t.Errorf("SetRole(disabled admin, agent) = %v", err)
	}
	// Setting the role the last admin already has changes nothing.
	if err := s.Agents.SetRole(t.Context(), boss.ID, models.RoleAdmin); err != nil {
		t.Errorf("SetRole(only admin, admin) = %v", err)
	}
	if roleOf(t, s, boss.ID) != models.RoleAdmin || activeAdmins(t, s) != 1 {
		t.Error("the last admin lost the role")
	}
}

func testRoleLastAdminDisable(t *testing.T, f Factory) {
	s := f.New(t)
	boss := createAgent(t, s, bossInput())
	ada := createAgent(t, s, adaInput())
	if err := s.Agents.SetDisabled(t.Context(), boss.ID, true); !errors.Is(err, models.ErrLastAdmin) {
		t.Errorf("SetDisabled(only admin) = %v, want ErrLastAdmin", err)
	}
	authenticate(t, s, boss.Email, "the boss's own password", true)
	if err := s.Agents.SetDisabled(t.Context(), ada.ID, true); err != nil {
		t.Errorf("SetDisabled(an agent) = %v", err)
	}
	// With a second admin, either may go, but not both.
	if err := s.Agents.SetDisabled(t.Context(), ada.ID, false); err != nil {
		t.Fatal(err)
	}
	if err := s.Agents.SetRole(t.Context(), ada.ID, models.RoleAdmin); err != nil {
		t.Fatal(err)
	}
	if err := s.Agents.SetDisabled(t.Context(), boss.ID, true); err != nil {
		t.Errorf("SetDisabled(boss) beside another admin = %v", err)
	}
	if err := s.Agents.SetDisabled(t.Context(), ada.ID, true); !errors.Is(err, models.ErrLastAdmin) {
		t.Errorf("SetDisabled(the admin left) = %v, want ErrLastAdmin", err)
	}
	// Disabling again one who is already disabled takes nobody away.
	if err := s.Agents.SetDisabled(t.Context(), boss.ID, true); err != nil {
		t.Errorf("SetDisabled(disabled admin) again = %v", err)
	}
	if err := s.Agents.SetDisabled(t.Context(), boss.ID, false); err != nil {
		t.Errorf("SetDisabled(boss, false) = %v", err)
	}
	if n := activeAdmins(t, s); n != 2 {
		t.Errorf("active admins = %d, want 2", n)
	}
}

// testRoleLastAdminConcurrent has three admins try, all at once, to
// disable and demote one another: some must be refused, and an active
// admin must remain. The embedded store serialises the checks, so
// exactly the changes that leave an admin go through; MongoDB checks
// after writing and may refuse more than it must, never fewer.
func testRoleLastAdminConcurrent(t *testing.T, f Factory) {
	skipOnStandIn(t, f, "it runs findAndModify and updates as read-then-write, so an undo can overwrite a concurrent change of the same agent")
	for round := range 5 {
		s := f.New(t)
		var admins []*models.Agent
		for i := range 3 {
			admins = append(admins, createAgent(t, s, agentNamed(fmt.Sprintf("admin%d-%d", round, i), models.RoleAdmin)))
		}
		var wg sync.WaitGroup
		errs := make([]error, 2*len(admins))
		for i, a := range admins {
			wg.Go(func() { errs[2*i] = s.Agents.SetDisabled(t.Context(), a.ID, true) })
			wg.Go(func() { errs[2*i+1] = s.Agents.SetRole(t.Context(), a.ID, models.RoleAgent) })
		}
		wg.Wait()
		refused := 0
		for i, err := range errs {
			switch {
			case errors.Is(err, models.ErrLastAdmin):
				refused++
			case err != nil:
				t.Errorf("round %d, change %d: %v", round, i, err)
			}
		}
		if refused == 0 {
			t.Errorf("round %d: all six changes went through", round)
		}
		if n := activeAdmins(t, s); n != 1 && !(n > 1 && f.Name == "mongo") {
			t.Errorf("round %d: %d active admins left, want 1", round, n)
		}
	}
}

func testRoleDumpRestore(t *testing.T, f Factory) {
	a := f.New(t)
	boss := createAgent(t, a, bossInput())
	ada := createAgent(t, a, adaInput())
	grace := createAgent(t, a, agentNamed("grace", models.RoleAdmin))
	// The first agent need not stay the admin.
	if err := a.Agents.SetRole(t.Context(), boss.ID, models.RoleAgent); err != nil {
		t.Fatal(err)
	}
	if _, err := a.Agents.CreateInvite(t.Context(), models.InviteInput{Kind: models.KindInvite, Email: "new@example.com"}, time.Now()); err != nil {
		t.Fatal(err)
	}
	items := dump(t, a)
	for _, it := range items {
		if kind(it) < 0 {
			t.Errorf("Dump gave %s with several fields set", describe(it))
		}
	}
	b := f.New(t)
	restoreAll(t, b, items, true)
	if diff := cmp.Diff(items, dump(t, b), sameItems); diff != "" {
		t.Errorf("Dump of the copy (-original +copy):\n%s", diff)
	}
	for _, c := range []struct {
		agent *models.Agent
		want  models.Role
	}{{boss, models.RoleAgent}, {ada, models.RoleAgent}, {grace, models.RoleAdmin}} {
		if got := roleOf(t, b, c.agent.ID); got != c.want {
			t.Errorf("%s's role in the copy = %q, want %q", c.agent.Name, got, c.want)
		}
	}
}

// testRoleRestoreLegacy restores agents exported before roles existed:
// they arrive without one, and the earliest-created active one becomes
// the admin, as the upgrade of a store in place does.
func testRoleRestoreLegacy(t *testing.T, f Factory) {
	s := f.New(t)
	base := time.Now().Add(-time.Hour)
	var agents []*models.Agent
	for i, name := range []string{"disabled", "first", "second"} {
		a, err := models.NewAgent(agentNamed(name, ""))
		if err != nil {
			t.Fatal(err)
		}
		a.Role = "" // as an old export has it
		a.CreatedAt = ms(base.Add(time.Duration(i) * time.Minute))
		a.Disabled = name == "disabled"
		agents = append(agents, a)
		restore(t, s, models.Item{Agent: a})
	}
	for i, want := range []models.Role{models.RoleAgent, models.RoleAdmin, models.RoleAgent} {
		if got := roleOf(t, s, agents[i].ID); got != want {
			t.Errorf("restored %s: role %q, want %q", agents[i].Name, got, want)
		}
	}
}
