package mongo

import (
	"go.mongodb.org/mongo-driver/v2/mongo"

	"github.com/ringdesk/ringdesk/models"
)

// Collection gives tests the raw collection behind a store that Open
// returned, to check what the repositories wrote.
func Collection(s *models.Store, name string) *mongo.Collection {
	return s.Engine.(*DB).db.Collection(name)
}
