package storetest

import (
	"errors"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ringdesk/ringdesk/models"
)

var setupTests = []test{
	{"WithoutTokenChecksFalse", testSetupNoToken},
	{"Check", testSetupCheck},
	{"UseSucceedsOnce", testSetupUseOnce},
	{"NewTokenReplacesOldOne", testSetupReplace},
	{"ConcurrentUseSucceedsOnce", testSetupConcurrentUse},
	{"AgentCreateKillsToken", testSetupAgentCreateKillsToken},
	{"AnyAgentKillsToken", testSetupAnyAgentKillsToken},
	{"TokenExpires", testSetupTokenExpires},
}

var mediaTests = []test{
	{"UseOnce", testMediaUseOnce},
	{"UseRace", testMediaUseRace},
	{"DeleteExpired", testMediaDeleteExpired},
}

// checkToken asserts what Check says about token.
func checkToken(t testing.TB, s *models.Store, token string, want bool) {
	t.Helper()
	got, err := s.Setup.Check(t.Context(), token, time.Now())
	if err != nil {
		t.Fatalf("Check(%q): %v", token, err)
	}
	if got != want {
		t.Errorf("Check(%q) = %v, want %v", token, got, want)
	}
}

// useToken asserts what Use says about token.
func useToken(t testing.TB, s *models.Store, token string, want bool) {
	t.Helper()
	got, err := s.Setup.Use(t.Context(), token, time.Now())
	if err != nil {
		t.Fatalf("Use(%q): %v", token, err)
	}
	if got != want {
		t.Errorf("Use(%q) = %v, want %v", token, got, want)
	}
}

func newSetupToken(t testing.TB, s *models.Store) string {
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

func testSetupNoToken(t *testing.T, f Factory) {
	s := f.New(t)
	checkToken(t, s, "", false)
	checkToken(t, s, "anything", false)
	useToken(t, s, "anything", false)
}

func testSetupCheck(t *testing.T, f Factory) {
	s := f.New(t)
	token := newSetupToken(t, s)
	checkToken(t, s, token, true)
	checkToken(t, s, token, true) // Check does not consume it
	checkToken(t, s, "wrong", false)
	checkToken(t, s, "", false)
	checkToken(t, s, token+"x", false)
	checkToken(t, s, token[:len(token)-1], false)
}

func testSetupUseOnce(t *testing.T, f Factory) {
	s := f.New(t)
	token := newSetupToken(t, s)
	useToken(t, s, "wrong", false)
	checkToken(t, s, token, true) // a wrong guess does not burn the token
	useToken(t, s, token, true)
	useToken(t, s, token, false)
	checkToken(t, s, token, false)
}

func testSetupReplace(t *testing.T, f Factory) {
	s := f.New(t)
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

func testSetupConcurrentUse(t *testing.T, f Factory) {
	s := f.New(t)
	token := newSetupToken(t, s)
	var (
		wg  sync.WaitGroup
		won atomic.Int32
	)
	for range 10 {
		wg.Go(func() {
			ok, err := s.Setup.Use(t.Context(), token, time.Now())
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

func testMediaUseOnce(t *testing.T, f Factory) {
	s := f.New(t)
	expires := time.Now().Add(2 * time.Minute)
	if err := s.Media.Use(t.Context(), "token-a", expires); err != nil {
		t.Fatalf("first Use: %v", err)
	}
	if err := s.Media.Use(t.Context(), "token-a", expires); !errors.Is(err, models.ErrConflict) {
		t.Fatalf("second Use = %v, want ErrConflict", err)
	}
	if err := s.Media.Use(t.Context(), "token-b", expires); err != nil {
		t.Fatalf("Use of another token: %v", err)
	}
}

// testMediaUseRace presents one token from many goroutines at once, as
// several instances behind a load balancer could: exactly one wins.
func testMediaUseRace(t *testing.T, f Factory) {
	s := f.New(t)
	expires := time.Now().Add(2 * time.Minute)
	const n = 16
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() { errs[i] = s.Media.Use(t.Context(), "contested", expires) })
	}
	wg.Wait()
	won := 0
	for _, err := range errs {
		switch {
		case err == nil:
			won++
		case !errors.Is(err, models.ErrConflict):
			t.Errorf("Use: %v, want nil or ErrConflict", err)
		}
	}
	if won != 1 {
		t.Errorf("%d of %d concurrent uses succeeded, want exactly 1", won, n)
	}
}

func testMediaDeleteExpired(t *testing.T, f Factory) {
	s := f.New(t)
	now := time.Now()
	for id, expires := range map[string]time.Time{
		"expired-long-ago": now.Add(-time.Hour),
		"expired-just-now": now.Add(-time.Second),
		"live":             now.Add(time.Minute),
	} {
		if err := s.Media.Use(t.Context(), id, expires); err != nil {
			t.Fatalf("Use(%s): %v", id, err)
		}
	}
	n, err := s.Media.DeleteExpired(t.Context(), now)
	if err != nil || n != 2 {
		t.Fatalf("DeleteExpired = %d, %v; want 2, nil", n, err)
	}
	// The live record is kept, so its token stays used.
	if err := s.Media.Use(t.Context(), "live", now.Add(time.Minute)); !errors.Is(err, models.ErrConflict) {
		t.Errorf("Use of the live token after the sweep = %v, want ErrConflict", err)
	}
	if n, err := s.Media.DeleteExpired(t.Context(), now); err != nil || n != 0 {
		t.Errorf("second DeleteExpired = %d, %v; want 0, nil", n, err)
	}
}
