package models_test

import (
	"sync"
	"sync/atomic"
	"testing"

	"github.com/ringdesk/ringdesk/models"
	"github.com/ringdesk/ringdesk/models/storetest"
)

// checkToken asserts what Check says about token.
func checkToken(t *testing.T, s *models.Store, token string, want bool) {
	t.Helper()
	got, err := s.Setup.Check(t.Context(), token)
	if err != nil {
		t.Fatalf("Check(%q): %v", token, err)
	}
	if got != want {
		t.Errorf("Check(%q) = %v, want %v", token, got, want)
	}
}

// useToken asserts what Use says about token.
func useToken(t *testing.T, s *models.Store, token string, want bool) {
	t.Helper()
	got, err := s.Setup.Use(t.Context(), token)
	if err != nil {
		t.Fatalf("Use(%q): %v", token, err)
	}
	if got != want {
		t.Errorf("Use(%q) = %v, want %v", token, got, want)
	}
}

func newSetupToken(t *testing.T, s *models.Store) string {
	t.Helper()
	token, err := s.Setup.NewToken(t.Context())
	if err != nil {
		t.Fatalf("NewToken: %v", err)
	}
	if len(token) < 32 {
		t.Fatalf("NewToken = %q, want at least 32 characters", token)
	}
	return token
}

func TestSetupTokenWithoutTokenChecksFalse(t *testing.T) {
	s := storetest.New(t)
	checkToken(t, s, "", false)
	checkToken(t, s, "anything", false)
	useToken(t, s, "anything", false)
}

func TestSetupTokenCheck(t *testing.T) {
	s := storetest.New(t)
	token := newSetupToken(t, s)
	checkToken(t, s, token, true)
	checkToken(t, s, token, true) // Check does not consume it
	checkToken(t, s, "wrong", false)
	checkToken(t, s, "", false)
	checkToken(t, s, token+"x", false)
	checkToken(t, s, token[:len(token)-1], false)
}

func TestSetupTokenUseSucceedsOnce(t *testing.T) {
	s := storetest.New(t)
	token := newSetupToken(t, s)
	useToken(t, s, "wrong", false)
	checkToken(t, s, token, true) // a wrong guess does not burn the token
	useToken(t, s, token, true)
	useToken(t, s, token, false)
	checkToken(t, s, token, false)
}

func TestSetupNewTokenReplacesOldOne(t *testing.T) {
	s := storetest.New(t)
	old := newSetupToken(t, s)
	token := newSetupToken(t, s)
	if token == old {
		t.Fatal("NewToken returned the same token twice")
	}
	checkToken(t, s, old, false)
	checkToken(t, s, token, true)
	useToken(t, s, old, false)
	useToken(t, s, token, true)
}

func TestSetupTokenConcurrentUseSucceedsOnce(t *testing.T) {
	s := storetest.New(t)
	token := newSetupToken(t, s)
	var (
		wg  sync.WaitGroup
		won atomic.Int32
	)
	for range 10 {
		wg.Go(func() {
			ok, err := s.Setup.Use(t.Context(), token)
			if err != nil {
				t.Errorf("Use: %v", err)
			}
			if ok {
				won.Add(1)
			}
		})
	}
	wg.Wait()
	if n := won.Load(); n != 1 {
		t.Errorf("%d of 10 concurrent Use calls succeeded, want exactly 1", n)
	}
}
