package storetest

import (
	"encoding/base64"
	"errors"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ringdesk/ringdesk/models"
)

// Invitations and password resets are one-time links an admin copies:
// whoever holds one gets an account, so each works once, for
// models.InviteTTL, and only the newest one for a person works.
var inviteTests = []test{
	{"InviteCreatesAgent", testInviteCreatesAgent},
	{"InviteValidates", testInviteValidates},
	{"InviteForTakenEmailConflicts", testInviteTakenEmail},
	{"InviteExpires", testInviteExpires},
	{"NewInviteReplacesOld", testInviteReplaces},
	{"InvalidUseLeavesInviteUsable", testInviteInvalidUse},
	{"InviteNameFallsBack", testInviteNameFallback},
	{"EmailTakenBeforeUseConflicts", testInviteEmailTakenMeanwhile},
	{"ResetSetsPassword", testInviteReset},
	{"ResetOfMissingAgentIsNotFound", testInviteResetMissing},
	{"UnknownTokenIsNotFound", testInviteUnknown},
	{"ConcurrentUsesOneWins", testInviteConcurrentUse},
}

const newPassword = "a new and better password"

// invite stores a link, failing the test if it cannot.
func invite(t testing.TB, s *models.Store, in models.InviteInput, now time.Time) string {
	t.Helper()
	token, err := s.Agents.CreateInvite(t.Context(), in, now)
	if err != nil {
		t.Fatalf("CreateInvite(%+v): %v", in, err)
	}
	return token
}

// wantGone asserts that a link is refused by both Check and Use.
func wantGone(t testing.TB, s *models.Store, token string, now time.Time) {
	t.Helper()
	if inv, err := s.Agents.CheckInvite(t.Context(), token, now); !errors.Is(err, models.ErrNotFound) || inv != nil {
		t.Errorf("CheckInvite = %+v, %v; want nil, ErrNotFound", inv, err)
	}
	if a, err := s.Agents.UseInvite(t.Context(), token, "Someone", newPassword, now); !errors.Is(err, models.ErrNotFound) || a != nil {
		t.Errorf("UseInvite = %+v, %v; want nil, ErrNotFound", a, err)
	}
}

// wantValidation asserts a ValidationError on field.
func wantValidation(t testing.TB, what string, err error, field string) {
	t.Helper()
	var verr *models.ValidationError
	if !errors.As(err, &verr) || verr.Fields[field] == "" {
		t.Errorf("%s = %v, want a ValidationError on %s", what, err, field)
	}
}

func testInviteCreatesAgent(t *testing.T, f Factory) {
	s := f.New(t)
	boss := createAgent(t, s, bossInput())
	now := time.Now()
	token := invite(t, s, models.InviteInput{Kind: models.KindInvite, Email: " Grace@Example.com ", Name: "Grace",
		Role: models.RoleAdmin, By: boss.ID}, now)
	if raw, err := base64.RawURLEncoding.DecodeString(token); err != nil || len(raw) != 32 {
		t.Errorf("token %q is not 32 bytes in URL-safe base64 (%v)", token, err)
	}

	got, err := s.Agents.CheckInvite(t.Context(), token, now)
	if err != nil {
		t.Fatalf("CheckInvite: %v", err)
	}
	want := &models.Invite{Kind: models.KindInvite, Email: "grace@example.com", Name: "Grace", Role: models.RoleAdmin,
		By: boss.ID, ExpiresAt: ms(now).Add(models.InviteTTL)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("CheckInvite (-want +got):\n%s", diff)
	}

	a, err := s.Agents.UseInvite(t.Context(), token, " Grace Hopper ", newPassword, now.Add(time.Hour))
	if err != nil {
		t.Fatalf("UseInvite: %v", err)
	}
	if a.Email != "grace@example.com" || a.Name != "Grace Hopper" || a.Role != models.RoleAdmin || a.Disabled {
		t.Errorf("UseInvite made %+v", a)
	}
	if diff := cmp.Diff(a, getAgent(t, s, a.ID), equateAgents); diff != "" {
		t.Errorf("stored agent (-returned +stored):\n%s", diff)
	}
	authenticate(t, s, "grace@example.com", newPassword, true)
	wantGone(t, s, token, now.Add(time.Hour))
}

func testInviteValidates(t *testing.T, f Factory) {
	s := f.New(t)
	createAgent(t, s, bossInput())
	for _, c := range []struct {
		name  string
		in    models.InviteInput
		field string
	}{
		{"bad email", models.InviteInput{Kind: models.KindInvite, Email: "not-an-email"}, "email"},
		{"no email", models.InviteInput{Kind: models.KindInvite}, "email"},
		{"unknown role", models.InviteInput{Kind: models.KindInvite, Email: "grace@example.com", Role: "owner"}, "role"},
		{"name with bidi controls", models.InviteInput{Kind: models.KindInvite, Email: "grace@example.com", Name: "Grace\u202e"}, "name"},
	} {
		token, err := s.Agents.CreateInvite(t.Context(), c.in, time.Now())
		wantValidation(t, "CreateInvite with "+c.name, err, c.field)
		if token != "" {
			t.Errorf("CreateInvite with %s returned a token", c.name)
		}
	}
	if _, err := s.Agents.CreateInvite(t.Context(), models.InviteInput{Kind: "promote", Email: "grace@example.com"}, time.Now()); err == nil {
		t.Error("CreateInvite of an unknown kind succeeded")
	}
	// Neither a name nor a role is needed: the agent types a name, and
	// the role is agent.
	token := invite(t, s, models.InviteInput{Kind: models.KindInvite, Email: "grace@example.com"}, time.Now())
	if inv, err := s.Agents.CheckInvite(t.Context(), token, time.Now()); err != nil || inv.Role != models.RoleAgent {
		t.Errorf("CheckInvite of an invite with no role = %+v, %v; want role agent", inv, err)
	}
}

func testInviteTakenEmail(t *testing.T, f Factory) {
	s := f.New(t)
	createAgent(t, s, bossInput())
	createAgent(t, s, adaInput())
	_, err := s.Agents.CreateInvite(t.Context(), models.InviteInput{Kind: models.KindInvite, Email: "ADA@example.com"}, time.Now())
	if !errors.Is(err, models.ErrConflict) {
		t.Errorf("CreateInvite for an agent's email = %v, want ErrConflict", err)
	}
}

func testInviteExpires(t *testing.T, f Factory) {
	s := f.New(t)
	createAgent(t, s, bossInput())
	issued := time.Now()
	token := invite(t, s, models.InviteInput{Kind: models.KindInvite, Email: "grace@example.com", Name: "Grace"}, issued)

	expired := issued.Add(models.InviteTTL + time.Second)
	wantGone(t, s, token, expired)
	// Refusing an expired link does not consume it: it was never good.
	almost := issued.Add(models.InviteTTL - time.Minute)
	if _, err := s.Agents.CheckInvite(t.Context(), token, almost); err != nil {
		t.Fatalf("CheckInvite just before expiry: %v", err)
	}
	if _, err := s.Agents.UseInvite(t.Context(), token, "", newPassword, almost); err != nil {
		t.Fatalf("UseInvite just before expiry: %v", err)
	}

	// Expired links are cleared out when the next one is made, and that
	// takes nothing from a live one.
	live := invite(t, s, models.InviteInput{Kind: models.KindInvite, Email: "alan@example.com"}, issued)
	old := invite(t, s, models.InviteInput{Kind: models.KindInvite, Email: "old@example.com"}, issued.Add(-models.InviteTTL))
	invite(t, s, models.InviteInput{Kind: models.KindInvite, Email: "new@example.com"}, issued)
	if _, err := s.Agents.CheckInvite(t.Context(), live, issued); err != nil {
		t.Errorf("CheckInvite of a live link after a sweep: %v", err)
	}
	// Asked about a time when it was good, the swept link is gone.
	wantGone(t, s, old, issued.Add(-time.Hour))
}

func testInviteReplaces(t *testing.T, f Factory) {
	s := f.New(t)
	createAgent(t, s, bossInput())
	ada := createAgent(t, s, adaInput())
	now := time.Now()
	first := invite(t, s, models.InviteInput{Kind: models.KindInvite, Email: "grace@example.com", Name: "Grace"}, now)
	second := invite(t, s, models.InviteInput{Kind: models.KindInvite, Email: "Grace@example.com", Name: "Grace H"}, now)
	other := invite(t, s, models.InviteInput{Kind: models.KindInvite, Email: "alan@example.com"}, now)
	wantGone(t, s, first, now)
	if inv, err := s.Agents.CheckInvite(t.Context(), second, now); err != nil || inv.Name != "Grace H" {
		t.Errorf("CheckInvite(second) = %+v, %v; want Grace H's invite", inv, err)
	}
	if _, err := s.Agents.CheckInvite(t.Context(), other, now); err != nil {
		t.Errorf("another email's invite was replaced too: %v", err)
	}

	r1 := invite(t, s, models.InviteInput{Kind: models.KindReset, AgentID: ada.ID}, now)
	r2 := invite(t, s, models.InviteInput{Kind: models.KindReset, AgentID: ada.ID}, now)
	wantGone(t, s, r1, now)
	if _, err := s.Agents.UseInvite(t.Context(), r2, "", newPassword, now); err != nil {
		t.Errorf("UseInvite(newest reset): %v", err)
	}
}

func testInviteInvalidUse(t *testing.T, f Factory) {
	s := f.New(t)
	boss := createAgent(t, s, bossInput())
	now := time.Now()
	token := invite(t, s, models.InviteInput{Kind: models.KindInvite, Email: "grace@example.com"}, now)
	for _, c := range []struct {
		what, name, password, field string
	}{
		{"a short password", "Grace", "short", "password"},
		{"a name too long", strings.Repeat("a", models.MaxNameLen+1), newPassword, "name"},
		{"no name", "  ", newPassword, "name"},
	} {
		a, err := s.Agents.UseInvite(t.Context(), token, c.name, c.password, now)
		wantValidation(t, "UseInvite with "+c.what, err, c.field)
		if a != nil {
			t.Errorf("UseInvite with %s returned an agent", c.what)
		}
	}
	if _, err := s.Agents.UseInvite(t.Context(), token, "Grace", newPassword, now); err != nil {
		t.Errorf("UseInvite after invalid attempts: %v", err)
	}

	reset := invite(t, s, models.InviteInput{Kind: models.KindReset, AgentID: boss.ID}, now)
	_, err := s.Agents.UseInvite(t.Context(), reset, "", "short", now)
	wantValidation(t, "UseInvite(reset) with a short password", err, "password")
	if _, err := s.Agents.UseInvite(t.Context(), reset, "", newPassword, now); err != nil {
		t.Errorf("UseInvite(reset) after an invalid attempt: %v", err)
	}
}

func testInviteNameFallback(t *testing.T, f Factory) {
	s := f.New(t)
	createAgent(t, s, bossInput())
	now := time.Now()
	token := invite(t, s, models.InviteInput{Kind: models.KindInvite, Email: "grace@example.com", Name: "Grace"}, now)
	a, err := s.Agents.UseInvite(t.Context(), token, "", newPassword, now)
	if err != nil || a.Name != "Grace" || a.Role != models.RoleAgent {
		t.Errorf("UseInvite with no name = %+v, %v; want Grace, an agent", a, err)
	}
}

func testInviteEmailTakenMeanwhile(t *testing.T, f Factory) {
	s := f.New(t)
	createAgent(t, s, bossInput())
	now := time.Now()
	token := invite(t, s, models.InviteInput{Kind: models.KindInvite, Email: "ada@example.com"}, now)
	ada := createAgent(t, s, adaInput()) // from the shell, say
	if a, err := s.Agents.UseInvite(t.Context(), token, "Impostor", newPassword, now); !errors.Is(err, models.ErrConflict) || a != nil {
		t.Errorf("UseInvite for an email taken since = %+v, %v; want nil, ErrConflict", a, err)
	}
	if got := getAgent(t, s, ada.ID); got.Name != ada.Name {
		t.Errorf("the existing agent changed: %+v", got)
	}
	authenticate(t, s, ada.Email, adaPassword, true)
}

func testInviteReset(t *testing.T, f Factory) {
	s := f.New(t)
	boss := createAgent(t, s, bossInput())
	ada := createAgent(t, s, adaInput())
	now := time.Now()
	token := invite(t, s, models.InviteInput{Kind: models.KindReset, AgentID: ada.ID, By: boss.ID}, now)
	got, err := s.Agents.CheckInvite(t.Context(), token, now)
	if err != nil {
		t.Fatalf("CheckInvite: %v", err)
	}
	want := &models.Invite{Kind: models.KindReset, Email: ada.Email, Name: ada.Name, Role: models.RoleAgent,
		AgentID: ada.ID, By: boss.ID, ExpiresAt: ms(now).Add(models.InviteTTL)}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("CheckInvite (-want +got):\n%s", diff)
	}

	a, err := s.Agents.UseInvite(t.Context(), token, "Ignored Name", newPassword, now)
	if err != nil {
		t.Fatalf("UseInvite: %v", err)
	}
	if a.ID != ada.ID || a.Name != ada.Name || a.Email != ada.Email {
		t.Errorf("UseInvite(reset) returned %+v, want Ada", a)
	}
	authenticate(t, s, ada.Email, newPassword, true)
	authenticate(t, s, ada.Email, adaPassword, false)
	wantGone(t, s, token, now)
}

func testInviteResetMissing(t *testing.T, f Factory) {
	s := f.New(t)
	createAgent(t, s, bossInput())
	_, err := s.Agents.CreateInvite(t.Context(), models.InviteInput{Kind: models.KindReset, AgentID: models.NewID()}, time.Now())
	if !errors.Is(err, models.ErrNotFound) {
		t.Errorf("CreateInvite(reset of a missing agent) = %v, want ErrNotFound", err)
	}
}

func testInviteUnknown(t *testing.T, f Factory) {
	s := f.New(t)
	createAgent(t, s, bossInput())
	invite(t, s, models.InviteInput{Kind: models.KindInvite, Email: "grace@example.com"}, time.Now())
	for _, token := range []string{"", "x", models.NewInviteToken()} {
		wantGone(t, s, token, time.Now())
	}
}

// testInviteConcurrentUse: a link used twice at once (a double-click,
// a forwarded link) makes one agent, or resets once.
func testInviteConcurrentUse(t *testing.T, f Factory) {
	skipOnStandIn(t, f, "it runs findAndModify as read-then-write, so two uses of one link can both consume it")
	s := f.New(t)
	ada := createAgent(t, s, adaInput())
	now := time.Now()
	for _, in := range []models.InviteInput{
		{Kind: models.KindInvite, Email: "grace@example.com"},
		{Kind: models.KindReset, AgentID: ada.ID},
	} {
		token := invite(t, s, in, now)
		const n = 6
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() {
				_, errs[i] = s.Agents.UseInvite(t.Context(), token, "Grace", newPassword, now)
			})
		}
		wg.Wait()
		won := 0
		for _, err := range errs {
			switch {
			case err == nil:
				won++
			case !errors.Is(err, models.ErrNotFound) && !errors.Is(err, models.ErrConflict):
				t.Errorf("%s: UseInvite: %v", in.Kind, err)
			}
		}
		if won != 1 {
			t.Errorf("%s: %d of %d concurrent uses succeeded, want 1", in.Kind, won, n)
		}
	}
}
