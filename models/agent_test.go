package models_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/ringdesk/ringdesk/models"
	"github.com/ringdesk/ringdesk/models/storetest"
)

const adaPassword = "correct horse battery"

func adaInput() models.AgentInput {
	return models.AgentInput{Email: "ada@example.com", Name: "Ada Lovelace", Password: adaPassword}
}

func TestAgentInputValidateAcceptsAndNormalises(t *testing.T) {
	tests := []struct {
		name      string
		in        models.AgentInput
		wantEmail string
		wantName  string
	}{
		{"plain", adaInput(), "ada@example.com", "Ada Lovelace"},
		{"email lower-cased and trimmed", models.AgentInput{Email: "  Ada@Example.COM\n", Name: " Ada ", Password: adaPassword}, "ada@example.com", "Ada"},
		{"plus address and subdomain", models.AgentInput{Email: "ada+support@mail.example.co.uk", Name: "Ada", Password: adaPassword}, "ada+support@mail.example.co.uk", "Ada"},
		{"100-rune name", models.AgentInput{Email: "ada@example.com", Name: strings.Repeat("é", 100), Password: adaPassword}, "ada@example.com", strings.Repeat("é", 100)},
		{"10-byte password", models.AgentInput{Email: "ada@example.com", Name: "Ada", Password: strings.Repeat("p", 10)}, "ada@example.com", "Ada"},
		{"10-rune multi-byte password", models.AgentInput{Email: "ada@example.com", Name: "Ada", Password: strings.Repeat("ß", 10)}, "ada@example.com", "Ada"},
		{"72-byte password", models.AgentInput{Email: "ada@example.com", Name: "Ada", Password: strings.Repeat("p", 72)}, "ada@example.com", "Ada"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			email, name, err := tt.in.Validate()
			if err != nil {
				t.Fatalf("Validate: %v", err)
			}
			if email != tt.wantEmail || name != tt.wantName {
				t.Errorf("Validate = %q, %q; want %q, %q", email, name, tt.wantEmail, tt.wantName)
			}
		})
	}
}

func TestAgentInputValidateRejectsBadInput(t *testing.T) {
	tests := []struct {
		name       string
		edit       func(*models.AgentInput)
		wantFields []string
	}{
		{"empty email", func(in *models.AgentInput) { in.Email = "" }, []string{"email"}},
		{"email without @", func(in *models.AgentInput) { in.Email = "ada.example.com" }, []string{"email"}},
		{"email without domain", func(in *models.AgentInput) { in.Email = "ada@" }, []string{"email"}},
		{"email without local part", func(in *models.AgentInput) { in.Email = "@example.com" }, []string{"email"}},
		{"email with a display name", func(in *models.AgentInput) { in.Email = "Ada <ada@example.com>" }, []string{"email"}},
		{"email with a space", func(in *models.AgentInput) { in.Email = "ada lovelace@example.com" }, []string{"email"}},
		{"two emails", func(in *models.AgentInput) { in.Email = "ada@example.com, bob@example.com" }, []string{"email"}},
		{"email over 254 bytes", func(in *models.AgentInput) {
			in.Email = strings.Repeat("a", 64) + "@" + strings.Repeat("b", 63) + "." + strings.Repeat("c", 63) + "." + strings.Repeat("d", 63) + ".com"
		}, []string{"email"}},
		{"blank name", func(in *models.AgentInput) { in.Name = "" }, []string{"name"}},
		{"whitespace name", func(in *models.AgentInput) { in.Name = " \t " }, []string{"name"}},
		{"101-rune name", func(in *models.AgentInput) { in.Name = strings.Repeat("é", 101) }, []string{"name"}},
		{"empty password", func(in *models.AgentInput) { in.Password = "" }, []string{"password"}},
		{"9-character password", func(in *models.AgentInput) { in.Password = "123456789" }, []string{"password"}},
		{"73-byte password", func(in *models.AgentInput) { in.Password = strings.Repeat("p", 73) }, []string{"password"}},
		{"37 two-byte runes (74 bytes)", func(in *models.AgentInput) { in.Password = strings.Repeat("é", 37) }, []string{"password"}},
		{"everything wrong", func(in *models.AgentInput) { *in = models.AgentInput{} }, []string{"email", "name", "password"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			in := adaInput()
			tt.edit(&in)
			_, _, err := in.Validate()
			if err == nil {
				t.Fatalf("Validate(%+q) = nil error, want errors on %v", in, tt.wantFields)
			}
			var verr *models.ValidationError
			if !errors.As(err, &verr) {
				t.Fatalf("error %v is not a *models.ValidationError", err)
			}
			if diff := cmp.Diff(tt.wantFields, keys(verr.Fields)); diff != "" {
				t.Errorf("field keys (-want +got):\n%s\nmessages: %v", diff, verr.Fields)
			}
			checkHumanMessages(t, verr.Fields)
		})
	}
}

func TestAgentCreateStoresHashedPassword(t *testing.T) {
	s := storetest.New(t)
	ctx := t.Context()
	before := time.Now().Truncate(time.Millisecond)
	a, err := s.Agents.Create(ctx, models.AgentInput{Email: " Ada@Example.com ", Name: "Ada", Password: adaPassword})
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	if a.ID.IsZero() || a.Email != "ada@example.com" || a.Name != "Ada" || a.CreatedAt.Before(before) {
		t.Errorf("Create = %+v", a)
	}
	if len(a.PasswordHash) == 0 || strings.Contains(string(a.PasswordHash), adaPassword) {
		t.Errorf("PasswordHash = %q, want a bcrypt hash", a.PasswordHash)
	}
	got, err := s.Agents.Get(ctx, a.ID)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	if diff := cmp.Diff(a, got); diff != "" {
		t.Errorf("stored agent (-created +stored):\n%s", diff)
	}
}

func TestAgentCreateRejectsInvalidInput(t *testing.T) {
	s := storetest.New(t)
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

func TestAgentCreateEmailIsUniqueIgnoringCase(t *testing.T) {
	s := storetest.New(t)
	ctx := t.Context()
	first := adaInput()
	first.Email = "Ada@Example.com"
	if _, err := s.Agents.Create(ctx, first); err != nil {
		t.Fatalf("first Create: %v", err)
	}
	for _, email := range []string{"ada@example.com", "ADA@EXAMPLE.COM", " ada@example.com "} {
		again := adaInput()
		again.Email = email
		again.Name = "Impostor"
		if _, err := s.Agents.Create(ctx, again); !errors.Is(err, models.ErrConflict) {
			t.Errorf("Create(%q) after Ada@Example.com = %v, want ErrConflict", email, err)
		}
	}
	other := adaInput()
	other.Email = "grace@example.com"
	if _, err := s.Agents.Create(ctx, other); err != nil {
		t.Errorf("Create with another email: %v", err)
	}
}

func TestAgentAuthenticate(t *testing.T) {
	s := storetest.New(t)
	ctx := t.Context()
	ada, err := s.Agents.Create(ctx, adaInput())
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	if _, err := s.Agents.Create(ctx, models.AgentInput{Email: "grace@example.com", Name: "Grace", Password: "another good password"}); err != nil {
		t.Fatalf("Create: %v", err)
	}

	t.Run("success", func(t *testing.T) {
		for _, email := range []string{"ada@example.com", "  ADA@example.com "} {
			got, err := s.Agents.Authenticate(ctx, email, adaPassword)
			if err != nil {
				t.Fatalf("Authenticate(%q): %v", email, err)
			}
			if diff := cmp.Diff(ada, got); diff != "" {
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
			got, err := s.Agents.Authenticate(ctx, tt.email, tt.password)
			if !errors.Is(err, models.ErrInvalidCredentials) || got != nil {
				t.Errorf("Authenticate(%q, %q) = %v, %v; want nil, ErrInvalidCredentials", tt.email, tt.password, got, err)
			}
		})
	}
}

func TestAgentExists(t *testing.T) {
	s := storetest.New(t)
	ctx := t.Context()
	if exists, err := s.Agents.Exists(ctx); err != nil || exists {
		t.Fatalf("Exists on an empty store = %v, %v; want false", exists, err)
	}
	if _, err := s.Agents.Create(ctx, adaInput()); err != nil {
		t.Fatalf("Create: %v", err)
	}
	if exists, err := s.Agents.Exists(ctx); err != nil || !exists {
		t.Errorf("Exists after Create = %v, %v; want true", exists, err)
	}
}

func TestAgentGetMissingIsNotFound(t *testing.T) {
	s := storetest.New(t)
	if got, err := s.Agents.Get(t.Context(), bson.NewObjectID()); !errors.Is(err, models.ErrNotFound) || got != nil {
		t.Errorf("Get(missing) = %v, %v; want nil, ErrNotFound", got, err)
	}
}

func TestAgentRevokeSession(t *testing.T) {
	s := storetest.New(t)
	ctx := t.Context()
	ada, err := s.Agents.Create(ctx, adaInput())
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	if ada.SessionRevoked("s1") {
		t.Fatal("new agent has a revoked session")
	}
	if err := s.Agents.RevokeSession(ctx, ada.ID, "s1", time.Now().Add(time.Hour)); err != nil {
		t.Fatalf("RevokeSession: %v", err)
	}
	got, err := s.Agents.Get(ctx, ada.ID)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
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

func TestAgentRevokeSessionPrunesExpiredRevocations(t *testing.T) {
	s := storetest.New(t)
	ctx := t.Context()
	ada, err := s.Agents.Create(ctx, adaInput())
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	now := time.Now().UTC().Truncate(time.Millisecond)
	revoke := func(sid string, expires time.Time) {
		t.Helper()
		if err := s.Agents.RevokeSession(ctx, ada.ID, sid, expires); err != nil {
			t.Fatalf("RevokeSession(%s): %v", sid, err)
		}
	}
	revoke("expired", now.Add(-time.Minute))
	revoke("live", now.Add(time.Hour))
	// Revoking "live" again must not list it twice.
	revoke("live", now.Add(2*time.Hour))
	revoke("new", now.Add(time.Hour))

	got, err := s.Agents.Get(ctx, ada.ID)
	if err != nil {
		t.Fatalf("Get: %v", err)
	}
	want := []models.RevokedSession{
		{ID: "live", ExpiresAt: now.Add(2 * time.Hour)},
		{ID: "new", ExpiresAt: now.Add(time.Hour)},
	}
	sortByID := cmpopts.SortSlices(func(a, b models.RevokedSession) bool { return a.ID < b.ID })
	if diff := cmp.Diff(want, got.RevokedSessions, sortByID); diff != "" {
		t.Errorf("revoked sessions (-want +got):\n%s", diff)
	}
	if got.SessionRevoked("expired") {
		t.Error("expired revocation was kept")
	}
}

func TestAgentRevokeSessionOfMissingAgentIsNotFound(t *testing.T) {
	s := storetest.New(t)
	err := s.Agents.RevokeSession(t.Context(), bson.NewObjectID(), "s1", time.Now().Add(time.Hour))
	if !errors.Is(err, models.ErrNotFound) {
		t.Errorf("RevokeSession(missing agent) = %v, want ErrNotFound", err)
	}
}
