package sqlite_test

import (
	"testing"

	"github.com/ringdesk/ringdesk/models/storetest"
)

// TestConformance runs the suite every store passes.
func TestConformance(t *testing.T) {
	storetest.Run(t, storetest.Factory{Name: "sqlite", New: storetest.New})
}
