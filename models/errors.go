// Package models holds Ringdesk's domain types, their validation, the
// repository interfaces the app needs and the errors they return. It
// knows nothing about HTTP or any database driver: models/sqlite and
// models/mongo implement the repositories.
package models

import (
	"errors"
	"strings"
)

// Domain errors. Handlers map them to status codes in one place; driver
// errors never leave a store unwrapped.
var (
	ErrNotFound           = errors.New("not found")
	ErrConflict           = errors.New("conflict")
	ErrUnavailable        = errors.New("database unavailable")
	ErrInvalidCredentials = errors.New("invalid credentials")
	// ErrLastAdmin refuses a change that would leave no active admin to
	// manage the team.
	ErrLastAdmin = errors.New("the last active admin cannot be disabled or demoted")
	// ErrDataDirInUse means another process already owns the DATA_DIR.
	ErrDataDirInUse = errors.New("data directory is in use by another Ringdesk process")
	// ErrNoChangeStreams means the database cannot report changes (a
	// standalone MongoDB, the embedded store): live updates then reach
	// only the dashboards of the instance that made the change.
	ErrNoChangeStreams = errors.New("change streams are not available")
	// ErrOneProcess, beside ErrNoChangeStreams, means no other instance
	// can ever share the store (the embedded one), so there is nothing to
	// watch for, now or later.
	ErrOneProcess = errors.New("one process owns the store")
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
