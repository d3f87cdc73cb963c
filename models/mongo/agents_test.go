package mongo_test

import (
	"errors"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/ringdesk/ringdesk/models"
	"github.com/ringdesk/ringdesk/models/mongo"
	"github.com/ringdesk/ringdesk/models/storetest"
)

// TestOpenGivesRoles opens a database written before roles: every agent
// gets one, the earliest-created active agent becomes the admin (a
// disabled one could not manage anybody), and opening again, as every
// instance does at start, changes nothing.
func TestOpenGivesRoles(t *testing.T) {
	uri, name := storetest.MongoURI(t), "test_"+models.RandomHex(6)
	first := storetest.NewMongoWith(t, mongo.Options{URI: uri, Database: name})
	base := time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)
	var ids []models.ID
	for i, who := range []string{"gone", "first", "second"} {
		id := models.NewID()
		ids = append(ids, id)
		doc := bson.M{"_id": id, "email": who + "@example.com", "name": who, "passwordHash": []byte("hash"),
			"createdAt": base.Add(time.Duration(i) * time.Minute)}
		if who == "gone" {
			doc["disabled"] = true
		}
		if _, err := mongo.Collection(first, "agents").InsertOne(t.Context(), doc); err != nil {
			t.Fatal(err)
		}
	}
	// Read before any start has given them roles.
	if a, err := first.Agents.Get(t.Context(), ids[1]); err != nil || a.Role != models.RoleAgent {
		t.Errorf("an agent stored before roles = %+v, %v; want role agent", a, err)
	}

	want := []models.Role{models.RoleAgent, models.RoleAdmin, models.RoleAgent}
	for range 2 {
		s, err := mongo.Open(t.Context(), mongo.Options{URI: uri, Database: name})
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		for i, role := range want {
			var raw struct {
				Role models.Role `bson:"role"`
			}
			if err := mongo.Collection(s, "agents").FindOne(t.Context(), bson.M{"_id": ids[i]}).Decode(&raw); err != nil {
				t.Fatal(err)
			}
			if raw.Role != role {
				t.Errorf("agent %d after Open: stored role %q, want %q", i, raw.Role, role)
			}
		}
		if err := s.Agents.SetDisabled(t.Context(), ids[1], true); !errors.Is(err, models.ErrLastAdmin) {
			t.Errorf("SetDisabled(the promoted admin) = %v, want ErrLastAdmin", err)
		}
		_ = s.Close(t.Context())
	}
}
