// Package models holds Ringdesk's domain types, their validation and the
// MongoDB repositories that store them. It knows nothing about HTTP.
package models

import (
	"context"
	"errors"
	"fmt"
	"net"
	"strings"

	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/x/mongo/driver/topology"
)

// Domain errors. Handlers map them to status codes in one place; driver
// errors never leave this package unwrapped.
var (
	ErrNotFound           = errors.New("not found")
	ErrConflict           = errors.New("conflict")
	ErrUnavailable        = errors.New("database unavailable")
	ErrInvalidCredentials = errors.New("invalid credentials")
)

// ValidationError lists what is wrong with user input, one message per
// field, worded for the person who typed it.
type ValidationError struct {
	Fields map[string]string
}

func (e *ValidationError) Error() string {
	parts := make([]string, 0, len(e.Fields))
	for k, v := range e.Fields {
		parts = append(parts, k+": "+v)
	}
	return "invalid input: " + strings.Join(parts, "; ")
}

// add records the first problem found for a field.
func (e *ValidationError) add(field, msg string) {
	if e.Fields == nil {
		e.Fields = map[string]string{}
	}
	if _, ok := e.Fields[field]; !ok {
		e.Fields[field] = msg
	}
}

// orNil lets validators return a nil error interface when all is well.
func (e *ValidationError) orNil() error {
	if len(e.Fields) == 0 {
		return nil
	}
	return e
}

// storeErr turns a driver error into a domain error so callers can decide
// on a status without knowing the driver.
func storeErr(op string, err error) error {
	switch {
	case err == nil:
		return nil
	case errors.Is(err, mongo.ErrNoDocuments):
		return ErrNotFound
	case mongo.IsDuplicateKeyError(err):
		return fmt.Errorf("%s: %w", op, ErrConflict)
	case isUnavailable(err):
		return fmt.Errorf("%s: %w: %v", op, ErrUnavailable, err)
	default:
		return fmt.Errorf("%s: %w", op, err)
	}
}

func isUnavailable(err error) bool {
	var netErr net.Error
	var selErr topology.ServerSelectionError
	return isOverloaded(err) || mongo.IsTimeout(err) || mongo.IsNetworkError(err) ||
		errors.Is(err, context.DeadlineExceeded) ||
		errors.As(err, &selErr) || errors.As(err, &netErr) ||
		errors.Is(err, mongo.ErrClientDisconnected)
}

// overloadSigns are how the embedded store (FerretDB on SQLite) reports a
// statement cut short because it waited too long for the single writer:
// the database is busy, not broken, so the caller gets "try again" (503),
// not an internal error.
var overloadSigns = []string{"interrupted", "database is locked", "already been committed or rolled back"}

func isOverloaded(err error) bool {
	var se mongo.ServerError
	if !errors.As(err, &se) {
		return false
	}
	msg := se.Error()
	for _, sign := range overloadSigns {
		if strings.Contains(msg, sign) {
			return true
		}
	}
	return false
}
