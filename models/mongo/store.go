// Package mongo is the MongoDB store: the repositories of package models
// on the official driver, for several Ringdesk instances sharing one
// replica set. Atomicity comes from the database ($inc, findOneAndUpdate,
// upserts with $addToSet), never from locks held in this process, which
// other instances could not see.
package mongo

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/event"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"

	"github.com/ringdesk/ringdesk/models"
)

// The driver's own deadlines are set so that a vanished server produces
// an error within seconds instead of the driver's 30-second default; no
// single call may wait longer than models.OpTimeout.
const (
	selectTimeout     = 3 * time.Second
	connectTimeout    = 3 * time.Second
	heartbeatInterval = 2 * time.Second
	pingTimeout       = 2 * time.Second
)

// Options says which database to open.
type Options struct {
	URI, Database string
	Logger        *slog.Logger // may be nil
	// Monitor sees every command the client sends, e.g. for a test that
	// counts the queries behind a page.
	Monitor *event.CommandMonitor
}

// DB is the connection to MongoDB: the Engine of the store that Open
// returns.
type DB struct {
	client *mongo.Client
	db     *mongo.Database
	where  string
}

// connect opens a client; the driver connects lazily, so this does not
// wait for the server.
func connect(o Options) (*DB, error) {
	opts := options.Client().ApplyURI(o.URI).
		SetAppName("ringdesk").
		SetServerSelectionTimeout(selectTimeout).
		SetConnectTimeout(connectTimeout).
		SetHeartbeatInterval(heartbeatInterval).
		SetTimeout(models.OpTimeout)
	if o.Monitor != nil {
		opts.SetMonitor(o.Monitor)
	}
	client, err := mongo.Connect(opts)
	if err != nil {
		return nil, fmt.Errorf("connect to %s: %w", RedactURI(o.URI), err)
	}
	name := o.Database
	if name == "" {
		name = "ringdesk"
	}
	return &DB{client: client, db: client.Database(name), where: "MongoDB at " + RedactURI(o.URI)}, nil
}

// store builds the repositories on d.
func (d *DB) store() *models.Store {
	tickets := d.db.Collection("tickets")
	return &models.Store{
		Tickets:   &ticketRepo{coll: tickets, counters: d.db.Collection("counters")},
		Agents:    &agentRepo{coll: d.db.Collection("agents")},
		Setup:     &setupRepo{coll: d.db.Collection("setup")},
		Calls:     &callRepo{coll: d.db.Collection("calls"), tickets: tickets},
		Media:     &mediaRepo{coll: d.db.Collection("media_tokens")},
		Callbacks: &callbackRepo{coll: d.db.Collection("callbacks")},
		Settings:  &settingsRepo{coll: d.db.Collection("settings")},
		Queue:     &queueRepo{coll: d.db.Collection("call_queue")},
		Presence:  &presenceRepo{coll: d.db.Collection("presence")},
		Engine:    d,
	}
}

// Ping reports whether the database answers.
func (d *DB) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, pingTimeout)
	defer cancel()
	return storeErr("ping "+d.where, d.db.RunCommand(ctx, bson.D{{Key: "ping", Value: 1}}).Err())
}

// Where describes the store for the start-up log and the CLI.
func (d *DB) Where() string { return d.where }

// Close disconnects the client, waiting for in-flight operations, which
// models.OpTimeout bounds anyway.
func (d *DB) Close(ctx context.Context) error {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	return storeErr("disconnect from "+d.where, d.client.Disconnect(ctx))
}

// Drop deletes the whole database. Tests use it to clean up.
func (d *DB) Drop(ctx context.Context) error {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	return storeErr("drop database", d.db.Drop(ctx))
}

// indexes are what the queries rely on; see DESIGN.md, "Storage". It
// builds them afresh for each call because the driver writes the index
// name into the options it is given: shared options would race when two
// stores open at once.
func indexes() []struct {
	coll  string
	model mongo.IndexModel
} {
	return []struct {
		coll  string
		model mongo.IndexModel
	}{
		{"tickets", mongo.IndexModel{Keys: bson.D{{Key: "createdAt", Value: -1}, {Key: "_id", Value: -1}}}},
		// The views' pages, each in the page's order: Open, Pending and
		// Closed by status (Open merging the open and pending ranges),
		// Mine and Unassigned by assignee, a customer's tickets by phone.
		{"tickets", mongo.IndexModel{Keys: bson.D{{Key: "status", Value: 1}, {Key: "createdAt", Value: -1}, {Key: "_id", Value: -1}}}},
		{"tickets", mongo.IndexModel{Keys: bson.D{{Key: "assignee.id", Value: 1}, {Key: "status", Value: 1}, {Key: "createdAt", Value: -1}, {Key: "_id", Value: -1}}}},
		{"tickets", mongo.IndexModel{Keys: bson.D{{Key: "phoneNumber", Value: 1}, {Key: "createdAt", Value: -1}, {Key: "_id", Value: -1}}}},
		{"tickets", mongo.IndexModel{Keys: bson.D{{Key: "number", Value: 1}}, Options: options.Index().SetUnique(true)}},
		// Every ticket carries a key (models.PrepareTicket generates one when
		// the client sent none), so the index needs no partial filter.
		{"tickets", mongo.IndexModel{Keys: bson.D{{Key: "idempotencyKey", Value: 1}}, Options: options.Index().SetUnique(true)}},
		{"agents", mongo.IndexModel{Keys: bson.D{{Key: "email", Value: 1}}, Options: options.Index().SetUnique(true)}},
		// "Is another active admin left?", asked by every demotion and disabling.
		{"agents", mongo.IndexModel{Keys: bson.D{{Key: "role", Value: 1}, {Key: "disabled", Value: 1}}}},
		{"invites", mongo.IndexModel{Keys: bson.D{{Key: "tokenHash", Value: 1}}, Options: options.Index().SetUnique(true)}},
		{"invites", mongo.IndexModel{Keys: bson.D{{Key: "expiresAt", Value: 1}}}},
		{"calls", mongo.IndexModel{Keys: bson.D{{Key: "sid", Value: 1}}, Options: options.Index().SetUnique(true)}},
		{"calls", mongo.IndexModel{Keys: bson.D{{Key: "ticketId", Value: 1}, {Key: "startedAt", Value: -1}}}},
		{"calls", mongo.IndexModel{Keys: bson.D{{Key: "startedAt", Value: 1}, {Key: "_id", Value: 1}}}}, // reports, by start time
		{"media_tokens", mongo.IndexModel{Keys: bson.D{{Key: "expiresAt", Value: 1}}}},
		{"call_queue", mongo.IndexModel{Keys: bson.D{{Key: "sid", Value: 1}}, Options: options.Index().SetUnique(true)}},
		// The line in order: a call's position is one range of it.
		{"call_queue", mongo.IndexModel{Keys: bson.D{{Key: "state", Value: 1}, {Key: "joinedAt", Value: 1}, {Key: "_id", Value: 1}}}},
		{"call_queue", mongo.IndexModel{Keys: bson.D{{Key: "state", Value: 1}, {Key: "updatedAt", Value: 1}}}},
		{"callbacks", mongo.IndexModel{Keys: bson.D{{Key: "sid", Value: 1}}, Options: options.Index().SetUnique(true)}},
		{"callbacks", mongo.IndexModel{Keys: bson.D{{Key: "doneAt", Value: 1}, {Key: "requestedAt", Value: 1}, {Key: "_id", Value: 1}}}},
		{"callbacks", mongo.IndexModel{Keys: bson.D{{Key: "ticketId", Value: 1}, {Key: "doneAt", Value: 1}}}},
		// The team count and the sweep: the pages not yet expired.
		{"presence", mongo.IndexModel{Keys: bson.D{{Key: "expiresAt", Value: 1}}}},
		// A ticket's timeline, newest first, and its deletion.
		{"activities", mongo.IndexModel{Keys: bson.D{{Key: "ticketId", Value: 1}, {Key: "at", Value: -1}, {Key: "_id", Value: -1}}}},
	}
}

// textIndex serves word searches: names and descriptions, with
// MongoDB's default English stemming, case and accent folding. A server
// that cannot build it still opens, so long as it says so with one of
// noTextIndex's codes: FerretDB, the tests' stand-in, has no text
// indexes, and there only word searches fail.
func textIndex() mongo.IndexModel {
	return mongo.IndexModel{
		Keys:    bson.D{{Key: "name", Value: "text"}, {Key: "description", Value: "text"}},
		Options: options.Index().SetName("tickets_text"),
	}
}

// noTextIndex are the codes of a server without text indexes:
// IndexNotFound (FerretDB's answer to a "text" key), NotImplemented and
// CommandNotSupported.
var noTextIndex = []int{27, 238, 115}

// superseded names indexes that an earlier Ringdesk created and a longer
// one above now serves. Start-up drops them, so that every write does
// not keep them up for nothing.
var superseded = []struct{ coll, name string }{
	{"tickets", "status_1_createdAt_-1"},
	{"tickets", "phoneNumber_1"},
}

// ensureIndexes creates the indexes. It is idempotent, so every instance
// runs it at start-up.
func (d *DB) ensureIndexes(ctx context.Context) error {
	// One index per command: FerretDB 1.24 (the test stand-in) panics and
	// drops the connection when one createIndexes lists two or more
	// indexes that already exist, which is every start after the first.
	for _, ix := range indexes() {
		if err := d.createIndex(ctx, ix.coll, ix.model); err != nil {
			return err
		}
	}
	err := d.createIndex(ctx, "tickets", textIndex())
	var ce mongo.CommandError
	if err != nil && (!errors.As(err, &ce) || !slices.Contains(noTextIndex, int(ce.Code))) {
		return err
	}
	for _, ix := range superseded {
		if err := d.dropIndex(ctx, ix.coll, ix.name); err != nil {
			return err
		}
	}
	return nil
}

// dropIndex drops an index if it is there.
func (d *DB) dropIndex(ctx context.Context, coll, name string) error {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	err := d.db.Collection(coll).Indexes().DropOne(ctx, name)
	var ce mongo.CommandError
	if errors.As(err, &ce) && (ce.Code == 26 || ce.Code == 27) { // NamespaceNotFound, IndexNotFound
		return nil
	}
	return storeErr("drop index "+name+" on "+coll, err)
}

func (d *DB) createIndex(ctx context.Context, coll string, m mongo.IndexModel) error {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	_, err := d.db.Collection(coll).Indexes().CreateOne(ctx, m)
	return storeErr("create index on "+coll, err)
}

// RedactURI shows only where a MongoDB URI points (scheme, hosts and
// database), so it can be logged or shown in an error. User names and
// passwords are left out, and so are the options: several carry secrets
// (tlsCertificateKeyFilePassword, the AWS_SESSION_TOKEN in
// authMechanismProperties) and a list of them would fall behind the
// driver's. Everything up to the last "@" counts as credentials, so a
// password whose "/" or "?" was not escaped stays hidden too. The URI is
// taken apart by hand because url.Parse refuses some that the driver
// accepts, such as a Unix socket path escaped into the host.
func RedactURI(uri string) string {
	scheme, rest, ok := strings.Cut(uri, "://")
	if !ok {
		return "(unparsable URI)"
	}
	if i := strings.LastIndex(rest, "@"); i >= 0 {
		rest = rest[i+1:]
	}
	where, _, _ := strings.Cut(rest, "?")
	return scheme + "://" + where
}

// closeCursor releases a cursor or change stream on the server, within
// the usual bound even when the caller's work has ended.
func closeCursor(c interface{ Close(context.Context) error }) {
	ctx, cancel := withTimeout(context.Background())
	defer cancel()
	_ = c.Close(ctx)
}

// withTimeout bounds one repository call even when the caller's context
// has no deadline of its own.
func withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	return context.WithTimeout(ctx, models.OpTimeout)
}
