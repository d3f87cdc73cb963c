package storetest

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/ringdesk/ringdesk/models"
)

// agentTests runs with the roles and invitations tests, which are kept in
// files of their own.
var agentTests = slices.Concat(accountTests, roleTests, inviteTests)

var accountTests = []test{
	{"CreateStoresHashedPassword", testAgentCreate},
	{"CreateRejectsInvalidInput", testAgentCreateInvalid},
	{"CreateEmailIsUniqueIgnoringCase", testAgentEmailUnique},
	{"Authenticate", testAgentAuthenticate},
	{"Exists", testAgentExists},
	{"GetMissingIsNotFound", testAgentGetMissing},
	{"GetByEmail", testAgentGetByEmail},
	{"ListSortedByEmail", testAgentList},
	{"SetDisabled", testAgentSetDisabled},
	{"SetPasswordHash", testAgentSetPasswordHash},
	{"SetName", testAgentSetName},
	{"ChangePassword", testAgentChangePassword},
	{"UpdatesOfMissingAgentAreNotFound", testAgentUpdateMissing},
}

const adaPassword = "correct horse battery"

func adaInput() models.AgentInput {
	return models.AgentInput{Email: "ada@example.com", Name: "Ada Lovelace", Password: adaPassword}
}

// equateAgents ignores whether "no revoked sessions" reads back as nil
// or as an empty list.
var equateAgents = cmpopts.EquateEmpty()

// createAgent stores an agent, failing the test if it cannot.
func createAgent(t testing.TB, s *models.Store, in models.AgentInput) *models.Agent {
	t.Helper()
	a, err := s.Agents.Create(t.Context(), in)
	if err != nil {
		t.Fatalf("Create agent %s: %v", in.Email, err)
	}
	return a
}

// getAgent reads an agent back, failing the test if it cannot.
func getAgent(t testing.TB, s *models.Store, id models.ID) *models.Agent {
	t.Helper()
	a, err := s.Agents.Get(t.Context(), id)
	if err != nil {
		t.Fatalf("Get agent %v: %v", id, err)
	}
	return a
}

// authenticate asserts whether email and password sign in.
func authenticate(t testing.TB, s *models.Store, email, password string, wantOK bool) {
	t.Helper()
	got, err := s.Agents.Authenticate(t.Context(), email, password)
	switch {
	case wantOK && err != nil:
		t.Errorf("Authenticate(%q, %q) = %v, want success", email, password, err)
	case !wantOK && (!errors.Is(err, models.ErrInvalidCredentials) || got != nil):
		t.Errorf("Authenticate(%q, %q) = %v, %v; want nil, ErrInvalidCredentials", email, password, got, err)
	}
}

func testAgentCreate(t *testing.T, f Factory) {
	s := f.New(t)
	before := time.Now().Truncate(time.Millisecond)
	a := createAgent(t, s, models.AgentInput{Email: " Ada@Example.com ", Name: "Ada", Password: adaPassword})
	if a.ID.IsZero() || a.Email != "ada@example.com" || a.Name != "Ada" || a.CreatedAt.Before(before) || a.Disabled || a.Role != models.RoleAdmin {
		t.Errorf("Create = %+v", a)
	}
	if len(a.PasswordHash) == 0 || strings.Contains(string(a.PasswordHash), adaPassword) {
		t.Errorf("PasswordHash = %q, want a bcrypt hash", a.PasswordHash)
	}
	if diff := cmp.Diff(a, getAgent(t, s, a.ID), equateAgents); diff != "" {
		t.Errorf("stored agent (-created +stored):\n%s", diff)
	}
}

func testAgentCreateInvalid(t *testing.T, f Factory) {
	s := f.New(t)
	in := adaInput()
	in.Password = "short"
	_, err := s.Agents.Create(t.Context(), in)
	var verr *models.ValidationError
	if !errors.As(err, &verr) || verr.Fields["password"] == "" {
		t.Fatalf("Create with a short password = %v, want a ValidationError on password", err)
	}
	if exists, err := s.Agents.Exists(t.Context()); err != nil || exists {
		t.Errorf("Exists after a rejected create = %v, %v; want false", exists, err)
	}
}

func testAgentEmailUnique(t *testing.T, f Factory) {
	s := f.New(t)
	first := adaInput()
	first.Email = "Ada@Example.com"
	createAgent(t, s, first)
	for _, email := range []string{"ada@example.com", "ADA@EXAMPLE.COM", " ada@example.com "} {
		again := adaInput()
		again.Email = email
		again.Name = "Impostor"
		if _, err := s.Agents.Create(t.Context(), again); !errors.Is(err, models.ErrConflict) {
			t.Errorf("Create(%q) after Ada@Example.com = %v, want ErrConflict", email, err)
		}
	}
	other := adaInput()
	other.Email = "grace@example.com"
	createAgent(t, s, other)
}

func testAgentAuthenticate(t *testing.T, f Factory) {
	s := f.New(t)
	ada := createAgent(t, s, adaInput())
	createAgent(t, s, models.AgentInput{Email: "grace@example.com", Name: "Grace", Password: "another good password"})

	t.Run("success", func(t *testing.T) {
		for _, email := range []string{"ada@example.com", "  ADA@example.com "} {
			got, err := s.Agents.Authenticate(t.Context(), email, adaPassword)
			if err != nil {
				t.Fatalf("Authenticate(%q): %v", email, err)
			}
			if diff := cmp.Diff(ada, got, equateAgents); diff != "" {
				t.Errorf("Authenticate(%q) (-want +got):\n%s", email, diff)
			}
		}
	})
	failures := []struct {
		name, email, password string
	}{
		{"wrong password", "ada@example.com", "wrong horse battery"},
		{"another agent's password", "ada@example.com", "another good password"},
		{"password with different case", "ada@example.com", strings.ToUpper(adaPassword)},
		{"password with extra space", "ada@example.com", adaPassword + " "},
		{"empty password", "ada@example.com", ""},
		{"unknown email", "nobody@example.com", adaPassword},
		{"empty email", "", adaPassword},
	}
	for _, tt := range failures {
		t.Run(tt.name, func(t *testing.T) {
			authenticate(t, s, tt.email, tt.password, false)
		})
	}
}

func testAgentExists(t *testing.T, f Factory) {
	s := f.New(t)
	if exists, err := s.Agents.Exists(t.Context()); err != nil || exists {
		t.Fatalf("Exists on an empty store = %v, %v; want false", exists, err)
	}
	createAgent(t, s, adaInput())
	if exists, err := s.Agents.Exists(t.Context()); err != nil || !exists {
		t.Errorf("Exists after Create = %v, %v; want true", exists, err)
	}
}

func testAgentGetMissing(t *testing.T, f Factory) {
	s := f.New(t)
	createAgent(t, s, adaInput())
	if got, err := s.Agents.Get(t.Context(), models.NewID()); !errors.Is(err, models.ErrNotFound) || got != nil {
		t.Errorf("Get(missing) = %v, %v; want nil, ErrNotFound", got, err)
	}
}

func testAgentGetByEmail(t *testing.T, f Factory) {
	s := f.New(t)
	ada := createAgent(t, s, adaInput())
	createAgent(t, s, models.AgentInput{Email: "grace@example.com", Name: "Grace", Password: "another good password"})
	for _, email := range []string{"ada@example.com", " ADA@Example.COM\t"} {
		got, err := s.Agents.GetByEmail(t.Context(), email)
		if err != nil {
			t.Fatalf("GetByEmail(%q): %v", email, err)
		}
		if diff := cmp.Diff(ada, got, equateAgents); diff != "" {
			t.Errorf("GetByEmail(%q) (-want +got):\n%s", email, diff)
		}
	}
	for _, email := range []string{"nobody@example.com", "", "ada@example.co"} {
		if got, err := s.Agents.GetByEmail(t.Context(), email); !errors.Is(err, models.ErrNotFound) || got != nil {
			t.Errorf("GetByEmail(%q) = %v, %v; want nil, ErrNotFound", email, got, err)
		}
	}
}

func testAgentList(t *testing.T, f Factory) {
	s := f.New(t)
	if got, err := s.Agents.List(t.Context()); err != nil || len(got) != 0 {
		t.Fatalf("List of no agents = %v, %v; want none", got, err)
	}
	var want []models.Agent
	for _, in := range []models.AgentInput{
		{Email: "charlie@example.com", Name: "Charlie", Password: adaPassword},
		{Email: "ada@example.com", Name: "Ada", Password: adaPassword},
		{Email: "Bob@Example.com", Name: "Bob", Password: adaPassword},
	} {
		want = append(want, *createAgent(t, s, in))
	}
	// Charlie, the first, is the admin, so Ada is the one to disable.
	if err := s.Agents.SetDisabled(t.Context(), want[1].ID, true); err != nil {
		t.Fatalf("SetDisabled: %v", err)
	}
	want[1].Disabled = true
	want = []models.Agent{want[1], want[2], want[0]} // ada, bob, charlie
	got, err := s.Agents.List(t.Context())
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if diff := cmp.Diff(want, got, equateAgents); diff != "" {
		t.Errorf("List (-want +got):\n%s", diff)
	}
}

func testAgentSetDisabled(t *testing.T, f Factory) {
	s := f.New(t)
	createAgent(t, s, bossInput()) // the admin, so that Ada is not the last one
	ada := createAgent(t, s, adaInput())
	for _, disabled := range []bool{true, true, false, true, false} {
		if err := s.Agents.SetDisabled(t.Context(), ada.ID, disabled); err != nil {
			t.Fatalf("SetDisabled(%v): %v", disabled, err)
		}
		want := *ada
		want.Disabled = disabled
		if diff := cmp.Diff(&want, getAgent(t, s, ada.ID), equateAgents); diff != "" {
			t.Errorf("after SetDisabled(%v) (-want +got):\n%s", disabled, diff)
		}
		authenticate(t, s, ada.Email, adaPassword, !disabled)
	}
}

func testAgentSetPasswordHash(t *testing.T, f Factory) {
	s := f.New(t)
	ada := createAgent(t, s, adaInput())
	const newPassword = "a new and better password"
	hash, err := models.HashPassword(newPassword)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Agents.SetPasswordHash(t.Context(), ada.ID, hash); err != nil {
		t.Fatalf("SetPasswordHash: %v", err)
	}
	want := *ada
	want.PasswordHash = hash
	if diff := cmp.Diff(&want, getAgent(t, s, ada.ID), equateAgents); diff != "" {
		t.Errorf("after SetPasswordHash (-want +got):\n%s", diff)
	}
	authenticate(t, s, ada.Email, newPassword, true)
	authenticate(t, s, ada.Email, adaPassword, false)
}

// bossInput is an agent created first in tests that need the admin out
// of the way: the first agent is always an admin.
func bossInput() models.AgentInput {
	return models.AgentInput{Email: "boss@example.com", Name: "Boss", Password: "the boss's own password"}
}

func testAgentSetName(t *testing.T, f Factory) {
	s := f.New(t)
	ada := createAgent(t, s, adaInput())
	if err := s.Agents.SetName(t.Context(), ada.ID, "  Countess of Lovelace "); err != nil {
		t.Fatalf("SetName: %v", err)
	}
	want := *ada
	want.Name = "Countess of Lovelace"
	if diff := cmp.Diff(&want, getAgent(t, s, ada.ID), equateAgents); diff != "" {
		t.Errorf("after SetName (-want +got):\n%s", diff)
	}
	for _, bad := range []string{"", "   ", strings.Repeat("a", models.MaxNameLen+1), "Ada\u202eevil"} {
		err := s.Agents.SetName(t.Context(), ada.ID, bad)
		var verr *models.ValidationError
		if !errors.As(err, &verr) || verr.Fields["name"] == "" {
			t.Errorf("SetName(%q) = %v, want a ValidationError on name", bad, err)
		}
	}
	if got := getAgent(t, s, ada.ID).Name; got != want.Name {
		t.Errorf("name after rejected renames = %q, want %q", got, want.Name)
	}
}

func testAgentChangePassword(t *testing.T, f Factory) {
	s := f.New(t)
	createAgent(t, s, bossInput())
	ada := createAgent(t, s, adaInput())
	const next = "a new and better password"

	err := s.Agents.ChangePassword(t.Context(), ada.ID, "wrong horse battery", next)
	if !errors.Is(err, models.ErrInvalidCredentials) {
		t.Errorf("ChangePassword with a wrong current password = %v, want ErrInvalidCredentials", err)
	}
	err = s.Agents.ChangePassword(t.Context(), ada.ID, adaPassword, "short")
	var verr *models.ValidationError
	if !errors.As(err, &verr) || verr.Fields["password"] == "" {
		t.Errorf("ChangePassword to a short password = %v, want a ValidationError on password", err)
	}
	authenticate(t, s, ada.Email, adaPassword, true)

	if err := s.Agents.ChangePassword(t.Context(), ada.ID, adaPassword, next); err != nil {
		t.Fatalf("ChangePassword: %v", err)
	}
	authenticate(t, s, ada.Email, next, true)
	authenticate(t, s, ada.Email, adaPassword, false)
	// The old password is no longer the current one.
	if err := s.Agents.ChangePassword(t.Context(), ada.ID, adaPassword, "yet another password"); !errors.Is(err, models.ErrInvalidCredentials) {
		t.Errorf("ChangePassword with the replaced password = %v, want ErrInvalidCredentials", err)
	}

	// A disabled agent has no session to change it from.
	if err := s.Agents.SetDisabled(t.Context(), ada.ID, true); err != nil {
		t.Fatal(err)
	}
	if err := s.Agents.ChangePassword(t.Context(), ada.ID, next, "yet another password"); !errors.Is(err, models.ErrInvalidCredentials) {
		t.Errorf("ChangePassword of a disabled agent = %v, want ErrInvalidCredentials", err)
	}
}

// testAgentUpdateMissing: an administrator's action on an agent deleted
// meanwhile must say so rather than succeed silently.
func testAgentUpdateMissing(t *testing.T, f Factory) {
	s := f.New(t)
	createAgent(t, s, adaInput())
	missing := models.NewID()
	for _, disabled := range []bool{true, false} {
		if err := s.Agents.SetDisabled(t.Context(), missing, disabled); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("SetDisabled(missing, %v) = %v, want ErrNotFound", disabled, err)
		}
	}
	for _, role := range []models.Role{models.RoleAdmin, models.RoleAgent} {
		if err := s.Agents.SetRole(t.Context(), missing, role); !errors.Is(err, models.ErrNotFound) {
			t.Errorf("SetRole(missing, %s) = %v, want ErrNotFound", role, err)
		}
	}
	if err := s.Agents.SetName(t.Context(), missing, "Nobody"); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("SetName(missing) = %v, want ErrNotFound", err)
	}
	if err := s.Agents.ChangePassword(t.Context(), missing, adaPassword, "a new and better password"); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("ChangePassword(missing) = %v, want ErrNotFound", err)
	}
	hash, err := models.HashPassword("a new and better password")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Agents.SetPasswordHash(t.Context(), missing, hash); !errors.Is(err, models.ErrNotFound) {
		t.Errorf("SetPasswordHash(missing) = %v, want ErrNotFound", err)
	}
}
