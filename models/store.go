package models

import (
	"context"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/event"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// Deadlines for database work. A request must be able to answer within
// about five seconds even when the database is gone, so no single call may
// wait longer than opTimeout.
const (
	opTimeout         = 4 * time.Second
	selectTimeout     = 3 * time.Second
	connectTimeout    = 3 * time.Second
	heartbeatInterval = 2 * time.Second
)

// Store is the connection to MongoDB and the repositories built on it.
type Store struct {
	client *mongo.Client
	db     *mongo.Database

	Tickets *TicketStore
	Agents  *AgentStore
	Setup   *SetupStore
	Calls   *CallStore
	Media   *MediaTokenStore

	embedded *Embedded // nil when connected to an external MongoDB
	where    string
}

// ConnectOption adjusts the driver client that Connect opens.
type ConnectOption func(*options.ClientOptions)

// WithMonitor reports every command the client sends to m, e.g. for a
// test that counts the queries behind a page.
func WithMonitor(m *event.CommandMonitor) ConnectOption {
	return func(o *options.ClientOptions) { o.SetMonitor(m) }
}

// Connect opens a client to uri and the named database. The driver's own
// timeouts are set so that a vanished server produces an error within
// seconds instead of the driver's 30-second default.
func Connect(ctx context.Context, uri, database string, extra ...ConnectOption) (*Store, error) {
	opts := options.Client().ApplyURI(uri).
		SetAppName("ringdesk").
		SetServerSelectionTimeout(selectTimeout).
		SetConnectTimeout(connectTimeout).
		SetHeartbeatInterval(heartbeatInterval).
		SetTimeout(opTimeout)
	for _, o := range extra {
		o(opts)
	}
	client, err := mongo.Connect(opts)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", redactURI(uri), err)
	}
	db := client.Database(database)
	ticketLocks := newDocLocks()
	s := &Store{
		client:  client,
		db:      db,
		Tickets: &TicketStore{coll: db.Collection("tickets"), counters: db.Collection("counters"), locks: ticketLocks},
		Agents:  &AgentStore{coll: db.Collection("agents")},
		Setup:   &SetupStore{coll: db.Collection("setup")},
		Media:   &MediaTokenStore{coll: db.Collection("media_tokens")},
		Calls:   &CallStore{coll: db.Collection("calls"), tickets: db.Collection("tickets"), callLocks: newDocLocks(), ticketLocks: ticketLocks},
	}
	s.where = "MongoDB at " + redactURI(uri)
	return s, nil
}

// Ping reports whether the database answers.
func (s *Store) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 2*time.Second)
	defer cancel()
	return storeErr("ping", s.db.RunCommand(ctx, bson.D{{Key: "ping", Value: 1}}).Err())
}

// EnsureIndexes creates the indexes the queries rely on. It is idempotent,
// so every instance runs it at start-up.
func (s *Store) EnsureIndexes(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	all := map[string][]mongo.IndexModel{
		"tickets": {
			{Keys: bson.D{{Key: "createdAt", Value: -1}, {Key: "_id", Value: -1}}},
			{Keys: bson.D{{Key: "status", Value: 1}, {Key: "createdAt", Value: -1}}},
			// Every ticket carries a key (generated when the client sent
			// none) because the embedded store has no partial indexes.
			{Keys: bson.D{{Key: "idempotencyKey", Value: 1}}, Options: options.Index().SetUnique(true)},
			// Unique because the embedded store's $inc is not atomic:
			// TicketStore.Create retries when two creates draw one number.
			{Keys: bson.D{{Key: "number", Value: 1}}, Options: options.Index().SetUnique(true)},
		},
		"agents": {
			{Keys: bson.D{{Key: "email", Value: 1}}, Options: options.Index().SetUnique(true)},
		},
		"calls": {
			{Keys: bson.D{{Key: "sid", Value: 1}}, Options: options.Index().SetUnique(true)},
			{Keys: bson.D{{Key: "ticketId", Value: 1}, {Key: "startedAt", Value: -1}}},
		},
	}
	for name, models := range all {
		// One index per command: FerretDB 1.24 panics (and drops the
		// connection) when one createIndexes lists two or more indexes
		// that already exist, which is every start after the first.
		for _, m := range models {
			if _, err := s.db.Collection(name).Indexes().CreateOne(ctx, m); err != nil {
				return storeErr("create indexes on "+name, err)
			}
		}
	}
	return nil
}

// Close disconnects the client, waiting for in-flight operations, and then
// stops the embedded server, if any, so its files are closed cleanly.
func (s *Store) Close(ctx context.Context) error {
	err := s.client.Disconnect(ctx)
	if s.embedded != nil {
		s.embedded.Stop()
	}
	return err
}

// Collection exposes a raw collection for benchmarks and tests that compare
// the repositories with the bare driver.
func (s *Store) Collection(name string) *mongo.Collection {
	return s.db.Collection(name)
}

// redactURI hides credentials so a URI can be logged or shown in an error.
func redactURI(uri string) string {
	u, err := url.Parse(uri)
	if err != nil {
		return "(unparsable URI)"
	}
	if u.User != nil {
		u.User = url.User("***")
	}
	// Some options carry secrets too: tlsCertificateKeyFilePassword, and
	// the AWS_SESSION_TOKEN in authMechanismProperties.
	if u.RawQuery != "" {
		q := u.Query()
		for k := range q {
			if lk := strings.ToLower(k); strings.Contains(lk, "password") || lk == "authmechanismproperties" {
				q.Set(k, "***")
			}
		}
		u.RawQuery = q.Encode()
	}
	return u.String()
}

// RedactURI is redactURI for other packages' log lines.
func RedactURI(uri string) string { return redactURI(uri) }

// withTimeout bounds one repository call even when the caller's context has
// no deadline of its own.
func withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, opTimeout)
}

// IsUnavailable reports whether err means the database could not be reached.
func IsUnavailable(err error) bool { return errors.Is(err, ErrUnavailable) }

// Drop deletes the whole database. Tests use it to clean up.
func (s *Store) Drop(ctx context.Context) error {
	return storeErr("drop database", s.db.Drop(ctx))
}
