package storetest

import (
	"errors"
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/ringdesk/ringdesk/models"
)

var sessionTests = []test{
	{"RevokeSession", testRevokeSession},
	{"RevokeSessionPrunesExpiredRevocations", testRevokePrunes},
	{"RevokeSessionConcurrentlyKeepsAll", testRevokeConcurrently},
	{"RevokeSessionOfMissingAgentIsNotFound", testRevokeMissing},
	{"DeleteExpiredRevocations", testDeleteExpiredRevocations},
}

var sortSessions = cmpopts.SortSlices(func(a, b models.RevokedSession) bool { return a.ID < b.ID })

// revoke records a sign-out, failing the test if it cannot.
func revoke(t testing.TB, s *models.Store, id models.ID, sid string, expires time.Time) {
	t.Helper()
	if err := s.Agents.RevokeSession(t.Context(), id, sid, expires); err != nil {
		t.Fatalf("RevokeSession(%s): %v", sid, err)
	}
}

func testRevokeSession(t *testing.T, f Factory) {
	s := f.New(t)
	ada := createAgent(t, s, adaInput())
	if ada.SessionRevoked("s1") {
		t.Fatal("new agent has a revoked session")
	}
	revoke(t, s, ada.ID, "s1", time.Now().Add(time.Hour))
	got := getAgent(t, s, ada.ID)
	if !got.SessionRevoked("s1") {
		t.Error("SessionRevoked(s1) = false after RevokeSession")
	}
	if got.SessionRevoked("s2") {
		t.Error("SessionRevoked(s2) = true, but only s1 was revoked")
	}
	if got.SessionRevoked("") {
		t.Error(`SessionRevoked("") = true`)
	}
}

func testRevokePrunes(t *testing.T, f Factory) {
	s := f.New(t)
	ada := createAgent(t, s, adaInput())
	now := models.Now()
	revoke(t, s, ada.ID, "expired", now.Add(-time.Minute))
	revoke(t, s, ada.ID, "live", now.Add(time.Hour))
	// Revoking "live" again must not list it twice.
	revoke(t, s, ada.ID, "live", now.Add(2*time.Hour))
	revoke(t, s, ada.ID, "new", now.Add(time.Hour))

	got := getAgent(t, s, ada.ID)
	want := []models.RevokedSession{
		{ID: "live", ExpiresAt: now.Add(2 * time.Hour)},
		{ID: "new", ExpiresAt: now.Add(time.Hour)},
	}
	if diff := cmp.Diff(want, got.RevokedSessions, sortSessions); diff != "" {
		t.Errorf("revoked sessions (-want +got):\n%s", diff)
	}
	if got.SessionRevoked("expired") {
		t.Error("expired revocation was kept")
	}
}

// testRevokeConcurrently signs one agent out of many sessions at once
// (every tab, every device): each revocation is one atomic write, so none
// overwrites another.
func testRevokeConcurrently(t *testing.T, f Factory) {
	skipOnStandIn(t, f, "it applies concurrent updates of one agent as read-then-write, so simultaneous revocations overwrite each other")
	s := f.New(t)
	ada := createAgent(t, s, adaInput())
	const n = 20
	expires := models.Now().Add(time.Hour)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { errs[i] = s.Agents.RevokeSession(t.Context(), ada.ID, fmt.Sprintf("s%d", i), expires) })
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Errorf("RevokeSession(s%d): %v", i, err)
		}
	}
	got := getAgent(t, s, ada.ID)
	lost := 0
	for i := range n {
		if !got.SessionRevoked(fmt.Sprintf("s%d", i)) {
			lost++
		}
	}
	if lost > 0 || len(got.RevokedSessions) != n {
		t.Errorf("%d of %d concurrent revocations lost; %d stored, want %d", lost, n, len(got.RevokedSessions), n)
	}
}

func testRevokeMissing(t *testing.T, f Factory) {
	s := f.New(t)
	createAgent(t, s, adaInput())
	err := s.Agents.RevokeSession(t.Context(), models.NewID(), "s1", time.Now().Add(time.Hour))
	if !errors.Is(err, models.ErrNotFound) {
		t.Errorf("RevokeSession(missing agent) = %v, want ErrNotFound", err)
	}
}

func testDeleteExpiredRevocations(t *testing.T, f Factory) {
	s := f.New(t)
	now := models.Now()
	ada := createAgent(t, s, adaInput())
	grace := createAgent(t, s, models.AgentInput{Email: "grace@example.com", Name: "Grace", Password: adaPassword})
	bob := createAgent(t, s, models.AgentInput{Email: "bob@example.com", Name: "Bob", Password: adaPassword})
	// One expired revocation per agent that has any, so the count is the
	// same whether a store counts revocations or agents.
	revoke(t, s, ada.ID, "ada-soon", now.Add(time.Hour))
	revoke(t, s, ada.ID, "ada-later", now.Add(3*time.Hour))
	revoke(t, s, grace.ID, "grace-soon", now.Add(time.Hour))
	revoke(t, s, grace.ID, "grace-later", now.Add(3*time.Hour))
	revoke(t, s, bob.ID, "bob-later", now.Add(3*time.Hour))

	// Two hours on, the first two have expired.
	sweep := now.Add(2 * time.Hour)
	if n, err := s.Agents.DeleteExpiredRevocations(t.Context(), sweep); err != nil || n != 2 {
		t.Errorf("DeleteExpiredRevocations = %d, %v; want 2, nil", n, err)
	}
	for _, c := range []struct {
		agent *models.Agent
		want  []models.RevokedSession
	}{
		{ada, []models.RevokedSession{{ID: "ada-later", ExpiresAt: now.Add(3 * time.Hour)}}},
		{grace, []models.RevokedSession{{ID: "grace-later", ExpiresAt: now.Add(3 * time.Hour)}}},
		{bob, []models.RevokedSession{{ID: "bob-later", ExpiresAt: now.Add(3 * time.Hour)}}},
	} {
		if diff := cmp.Diff(c.want, getAgent(t, s, c.agent.ID).RevokedSessions, sortSessions); diff != "" {
			t.Errorf("%s's revoked sessions after the sweep (-want +got):\n%s", c.agent.Name, diff)
		}
	}
	if n, err := s.Agents.DeleteExpiredRevocations(t.Context(), sweep); err != nil || n != 0 {
		t.Errorf("second DeleteExpiredRevocations = %d, %v; want 0, nil", n, err)
	}
}
