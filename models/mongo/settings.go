package mongo

import (
	"context"
	"errors"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/ringdesk/ringdesk/models"
)

// settingsRepo keeps each setting in "settings" as {_id: name, value}.
type settingsRepo struct {
	coll *mongo.Collection
}

// settingHours names the business hours' document.
const settingHours = "hours"

func (r *settingsRepo) Hours(ctx context.Context) (models.Hours, error) {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	var doc struct {
		Value models.Hours `bson:"value"`
	}
	err := r.coll.FindOne(ctx, bson.M{"_id": settingHours}).Decode(&doc)
	if errors.Is(err, mongo.ErrNoDocuments) {
		return models.Hours{}, nil
	}
	if err != nil {
		return models.Hours{}, storeErr("read business hours", err)
	}
	return doc.Value, nil
}

func (r *settingsRepo) SetHours(ctx context.Context, h models.Hours) error {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	_, err := r.coll.ReplaceOne(ctx, bson.M{"_id": settingHours},
		bson.M{"_id": settingHours, "value": h, "updatedAt": models.Now()}, options.Replace().SetUpsert(true))
	return storeErr("save business hours", err)
}
