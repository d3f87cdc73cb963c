package mongo_test

import (
	"testing"

	"github.com/ringdesk/ringdesk/models/storetest"
)

func TestConformance(t *testing.T) {
	storetest.Run(t, storetest.Factory{Name: "mongo", New: storetest.NewMongo, StandIn: storetest.StandIn()})
}
