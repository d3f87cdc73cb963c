package models

import (
	"context"
	"errors"
	"testing"
	"time"

	"go.mongodb.org/mongo-driver/v2/mongo"
)

func TestWriteGateLetsOneWriterIn(t *testing.T) {
	g := make(writeGate, 1)
	leave, err := g.enter(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	// A second writer waits; when its deadline passes it is told the
	// store is unavailable, not left hanging.
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	if _, err := g.enter(ctx); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("second enter = %v, want ErrUnavailable after its deadline", err)
	}
	leave()
	leave2, err := g.enter(t.Context())
	if err != nil {
		t.Fatalf("enter after leave: %v", err)
	}
	leave2()

	var none writeGate // a real MongoDB: no gate
	if leave, err := none.enter(ctx); err != nil {
		t.Fatalf("nil gate: %v", err)
	} else {
		leave()
	}
}

func TestOverloadedStoreErrorsAreUnavailable(t *testing.T) {
	for _, msg := range []string{
		"interrupted (9)",
		"database is locked (517)",
		"sql: transaction has already been committed or rolled back",
	} {
		err := storeErr("insert ticket", mongo.CommandError{Code: 1, Name: "InternalError", Message: msg})
		if !IsUnavailable(err) {
			t.Errorf("%q: %v is not ErrUnavailable", msg, err)
		}
	}
	if err := storeErr("insert ticket", mongo.CommandError{Code: 2, Message: "BadValue"}); IsUnavailable(err) {
		t.Errorf("a bad value is reported as unavailable: %v", err)
	}
}
