package storetest

import (
	"testing"
	"time"

	"github.com/ringdesk/ringdesk/models"
)

// The set-up link creates a full agent, so it must die as soon as it is
// no longer needed: when any agent exists, and after models.SetupTokenTTL.

// setupAt asserts what Check and then Use say about token at now.
func setupAt(t testing.TB, s *models.Store, token string, now time.Time, wantCheck, wantUse bool) {
	t.Helper()
	if got, err := s.Setup.Check(t.Context(), token, now); err != nil || got != wantCheck {
		t.Errorf("Check at %v = %v, %v; want %v, nil", now, got, err, wantCheck)
	}
	if got, err := s.Setup.Use(t.Context(), token, now); err != nil || got != wantUse {
		t.Errorf("Use at %v = %v, %v; want %v, nil", now, got, err, wantUse)
	}
}

// testSetupAgentCreateKillsToken: an agent created another way (the CLI,
// ADMIN_EMAIL) deletes the token, and a token issued while an agent
// exists is refused too.
func testSetupAgentCreateKillsToken(t *testing.T, f Factory) {
	s := f.New(t)
	token := newSetupToken(t, s)
	createAgent(t, s, adaInput())
	setupAt(t, s, token, time.Now(), false, false)

	late := newSetupToken(t, s)
	setupAt(t, s, late, time.Now(), false, false)
}

// testSetupAnyAgentKillsToken: an agent that arrives without Create (an
// import) still closes the set-up link, although the token is still
// stored.
func testSetupAnyAgentKillsToken(t *testing.T, f Factory) {
	s := f.New(t)
	token := newSetupToken(t, s)
	a, err := models.NewAgent(adaInput())
	if err != nil {
		t.Fatal(err)
	}
	restore(t, s, models.Item{Agent: a})
	setupAt(t, s, token, time.Now(), false, false)
}

func testSetupTokenExpires(t *testing.T, f Factory) {
	s := f.New(t)
	issued := time.Now()
	token := newSetupToken(t, s)

	expired := issued.Add(models.SetupTokenTTL + time.Second)
	setupAt(t, s, token, expired, false, false)
	// Refusing an expired token does not consume it: it was never good.
	checkToken(t, s, token, true)

	almost := issued.Add(models.SetupTokenTTL - time.Minute)
	setupAt(t, s, token, almost, true, true)
	checkToken(t, s, token, false)
}
