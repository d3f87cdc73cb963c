package storetest

import (
	"testing"
	"time"

	"github.com/ringdesk/ringdesk/models"
)

var presenceTests = []test{
	{"CountsAgentsNotPages", testPresenceTeam},
	{"ExpiresUnlessRenewed", testPresenceExpiry},
}

// testPresenceTeam sets pages one by one and checks the count after each
// (the rule is models.TeamCount's; this checks the stores feed it every
// field).
func testPresenceTeam(t *testing.T, f Factory) {
	s := f.New(t)
	now := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	until := now.Add(models.PresenceTTL)
	ada, sam := models.NewID(), models.NewID()
	steps := []struct {
		what string
		page models.Presence
		drop string
		want models.TeamPresence
	}{
		{"Ada opens a page", models.Presence{Stream: "a1", AgentID: ada}, "", models.TeamPresence{Away: 1}},
		{"its phone registers", models.Presence{Stream: "a1", AgentID: ada, Ready: true}, "", models.TeamPresence{Available: 1}},
		{"Sam opens a page, Away", models.Presence{Stream: "s1", AgentID: sam, Ready: true, Away: true}, "", models.TeamPresence{Available: 1, Away: 1}},
		{"Ada opens a second page, not registered", models.Presence{Stream: "a2", AgentID: ada}, "", models.TeamPresence{Available: 1, Away: 1}},
		{"a call is up on Ada's second page", models.Presence{Stream: "a2", AgentID: ada, OnCall: true}, "", models.TeamPresence{OnCall: 1, Away: 1}},
		{"the call ends", models.Presence{Stream: "a2", AgentID: ada}, "", models.TeamPresence{Available: 1, Away: 1}},
		{"Ada closes her first page", models.Presence{}, "a1", models.TeamPresence{Away: 2}},
		{"Sam closes his", models.Presence{}, "s1", models.TeamPresence{Away: 1}},
		{"a page already gone closes again", models.Presence{}, "s1", models.TeamPresence{Away: 1}},
	}
	for _, st := range steps {
		if st.drop != "" {
			if err := s.Presence.Drop(t.Context(), st.drop); err != nil {
				t.Fatalf("%s: %v", st.what, err)
			}
		} else {
			st.page.ExpiresAt = until
			if err := s.Presence.Set(t.Context(), st.page); err != nil {
				t.Fatalf("%s: %v", st.what, err)
			}
		}
		got, err := s.Presence.Team(t.Context(), now)
		if err != nil || got != st.want {
			t.Fatalf("%s: team = %+v, %v; want %+v", st.what, got, err, st.want)
		}
	}
}

func testPresenceExpiry(t *testing.T, f Factory) {
	s := f.New(t)
	now := time.Date(2026, 12, 2, 9, 0, 0, 0, time.UTC)
	ada, sam := models.NewID(), models.NewID()
	for _, p := range []models.Presence{
		{Stream: "a1", AgentID: ada, Ready: true, ExpiresAt: now.Add(10 * time.Second)},
		{Stream: "s1", AgentID: sam, Ready: true, ExpiresAt: now.Add(40 * time.Second)},
	} {
		if err := s.Presence.Set(t.Context(), p); err != nil {
			t.Fatal(err)
		}
	}
	later := now.Add(20 * time.Second)
	if got, err := s.Presence.Team(t.Context(), later); err != nil || got != (models.TeamPresence{Available: 1}) {
		t.Errorf("after Ada's page expired: team = %+v, %v; want Sam alone", got, err)
	}
	// Renewing is setting again with a later expiry.
	if err := s.Presence.Set(t.Context(), models.Presence{Stream: "s1", AgentID: sam, Ready: true, ExpiresAt: later.Add(models.PresenceTTL)}); err != nil {
		t.Fatal(err)
	}
	if n, err := s.Presence.DeleteExpired(t.Context(), later); err != nil || n != 1 {
		t.Errorf("DeleteExpired = %d, %v; want Ada's one page", n, err)
	}
	if got, err := s.Presence.Team(t.Context(), now.Add(time.Minute)); err != nil || got != (models.TeamPresence{Available: 1}) {
		t.Errorf("after Sam's page was renewed: team = %+v, %v; want Sam", got, err)
	}
	if n, err := s.Presence.DeleteExpired(t.Context(), later); err != nil || n != 0 {
		t.Errorf("DeleteExpired again = %d, %v; want nothing", n, err)
	}
}
