package mongo_test

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/event"

	"github.com/ringdesk/ringdesk/models"
	"github.com/ringdesk/ringdesk/models/mongo"
	"github.com/ringdesk/ringdesk/models/storetest"
)

func TestRedactURIHidesCredentials(t *testing.T) {
	tests := []struct {
		uri    string
		want   string
		hidden []string
	}{
		{
			uri:    "mongodb://ringdesk:s3cret-pw@db1:27017,db2:27017/?replicaSet=rs0",
			want:   "mongodb://db1:27017,db2:27017/",
			hidden: []string{"s3cret-pw", "ringdesk"},
		},
		{
			uri:    "mongodb+srv://admin:hunter2hunter2@cluster0.example.mongodb.net/",
			want:   "mongodb+srv://cluster0.example.mongodb.net/",
			hidden: []string{"hunter2hunter2", "admin"},
		},
		{
			// Options are left out: some carry secrets.
			uri:    "mongodb://db/?tls=true&tlsCertificateKeyFilePassword=key-pass-value&authMechanism=MONGODB-AWS&authMechanismProperties=AWS_SESSION_TOKEN:aws-token-value",
			want:   "mongodb://db/",
			hidden: []string{"key-pass-value", "aws-token-value"},
		},
		{
			// The configuration's log line.
			uri:    "mongodb://ringdesk:mongo-pw@db.example.com:27017/?authSource=admin&tlsCertificateKeyFilePassword=tls-key-pw",
			want:   "mongodb://db.example.com:27017/",
			hidden: []string{"mongo-pw", "tls-key-pw"},
		},
		{
			uri:  "mongodb://localhost:27017/",
			want: "mongodb://localhost:27017/",
		},
		{
			uri:  "mongodb://localhost:27017/ringdesk",
			want: "mongodb://localhost:27017/ringdesk",
		},
		{
			// url.Parse refuses the escaped socket path.
			uri:    "mongodb://user:sock-pw@%2Ftmp%2Fmongodb-27017.sock/ringdesk?authSource=admin",
			want:   "mongodb://%2Ftmp%2Fmongodb-27017.sock/ringdesk",
			hidden: []string{"sock-pw", "user"},
		},
		{
			// A password whose "/" and "?" were not escaped: the driver
			// refuses the URI, and the message must not show it either.
			uri:    "mongodb://user:pa/ss?wd@db:27017/",
			want:   "mongodb://db:27017/",
			hidden: []string{"pa/ss", "wd"},
		},
		{
			uri:  "not a URI",
			want: "(unparsable URI)",
		},
	}
	for _, tt := range tests {
		got := mongo.RedactURI(tt.uri)
		if got != tt.want {
			t.Errorf("RedactURI(%q) = %q, want %q", tt.uri, got, tt.want)
		}
		for _, s := range tt.hidden {
			if strings.Contains(got, s) {
				t.Errorf("RedactURI(%q) = %q, still contains %q", tt.uri, got, s)
			}
		}
	}
}

// indexes lists a store's indexes as "collection {key:order,...}", with
// " unique" where they are.
func indexes(t *testing.T, s *models.Store) []string {
	t.Helper()
	var out []string
	for _, coll := range []string{"tickets", "agents", "calls", "media_tokens", "activities", "invites", "call_queue", "callbacks"} {
		cur, err := mongo.Collection(s, coll).Indexes().List(t.Context())
		if err != nil {
			t.Fatalf("list indexes of %s: %v", coll, err)
		}
		var specs []struct {
			Key    bson.D `bson:"key"`
			Unique bool   `bson:"unique"`
		}
		if err := cur.All(t.Context(), &specs); err != nil {
			t.Fatalf("read indexes of %s: %v", coll, err)
		}
		for _, spec := range specs {
			keys := make([]string, len(spec.Key))
			for i, e := range spec.Key {
				keys[i] = fmt.Sprintf("%s:%v", e.Key, e.Value)
			}
			ix := coll + " {" + strings.Join(keys, ",") + "}"
			if spec.Unique {
				ix += " unique"
			}
			out = append(out, ix)
		}
	}
	sort.Strings(out)
	return out
}

func TestOpenCreatesTheIndexesOnceAcrossOpens(t *testing.T) {
	uri, name := storetest.MongoURI(t), "test_"+models.RandomHex(6)
	first := storetest.NewMongoWith(t, mongo.Options{URI: uri, Database: name})
	want := []string{
		"activities {_id:1}",
		"activities {ticketId:1,at:-1,_id:-1}",
		"agents {_id:1}",
		"agents {email:1} unique",
		"agents {role:1,disabled:1}",
		"call_queue {_id:1}",
		"call_queue {sid:1} unique",
		"call_queue {state:1,joinedAt:1,_id:1}",
		"call_queue {state:1,updatedAt:1}",
		"callbacks {_id:1}",
		"callbacks {doneAt:1,requestedAt:1,_id:1}",
		"callbacks {sid:1} unique",
		"callbacks {ticketId:1,doneAt:1}",
		"calls {_id:1}",
		"calls {sid:1} unique",
		"calls {startedAt:1,_id:1}",
		"calls {ticketId:1,startedAt:-1}",
		"invites {_id:1}",
		"invites {expiresAt:1}",
		"invites {tokenHash:1} unique",
		"media_tokens {_id:1}",
		"media_tokens {expiresAt:1}",
		"tickets {_id:1}",
		"tickets {assignee.id:1,status:1,createdAt:-1,_id:-1}",
		"tickets {createdAt:-1,_id:-1}",
		"tickets {idempotencyKey:1} unique",
		"tickets {number:1} unique",
		"tickets {phoneNumber:1,createdAt:-1,_id:-1}",
		"tickets {status:1,createdAt:-1,_id:-1}",
	}
	if diff := cmp.Diff(want, indexes(t, first)); diff != "" {
		t.Errorf("indexes after the first Open (-want +got):\n%s", diff)
	}

	// A second instance starting on the same database finds them all
	// there already.
	second, err := mongo.Open(t.Context(), mongo.Options{URI: uri, Database: name})
	if err != nil {
		t.Fatalf("second Open on %s: %v", name, err)
	}
	t.Cleanup(func() { _ = second.Close(context.Background()) })
	if diff := cmp.Diff(want, indexes(t, second)); diff != "" {
		t.Errorf("indexes after the second Open (-want +got):\n%s", diff)
	}
}

func TestIDsAreStoredAsObjectIDs(t *testing.T) {
	s := storetest.NewMongo(t)
	tk := &models.Ticket{Name: "Ada", PhoneNumber: "+14155552671", Description: "No dial tone."}
	if _, err := s.Tickets.Create(t.Context(), tk); err != nil {
		t.Fatalf("Create: %v", err)
	}
	raw, err := mongo.Collection(s, "tickets").FindOne(t.Context(), bson.M{"_id": tk.ID}).Raw()
	if err != nil {
		t.Fatalf("find the ticket by its models.ID: %v", err)
	}
	if got := raw.Lookup("_id"); got.Type != bson.TypeObjectID || got.ObjectID() != bson.ObjectID(tk.ID) {
		t.Errorf("stored _id = %v, want ObjectID %s", got, tk.ID.Hex())
	}

	if _, err := s.Calls.Record(t.Context(), models.CallEvent{
		Provider: "twilio", SID: "CA1", TicketID: &tk.ID, Direction: models.CallOutbound, Status: models.CallRinging,
	}); err != nil {
		t.Fatalf("Record: %v", err)
	}
	// A filter holding a *models.ID matches the ObjectID stored from one.
	var c models.Call
	if err := mongo.Collection(s, "calls").FindOne(t.Context(), bson.M{"ticketId": &tk.ID}).Decode(&c); err != nil {
		t.Fatalf("find the call by a *models.ID: %v", err)
	}
	if c.TicketID == nil || *c.TicketID != tk.ID || c.ID.IsZero() {
		t.Errorf("decoded call has id %v and ticket %v, want a fresh id and ticket %v", c.ID, c.TicketID, tk.ID)
	}
	raw, err = mongo.Collection(s, "calls").FindOne(t.Context(), bson.M{"_id": c.ID}).Raw()
	if err != nil {
		t.Fatalf("find the call by its id: %v", err)
	}
	if got := raw.Lookup("ticketId"); got.Type != bson.TypeObjectID {
		t.Errorf("stored ticketId has BSON type %v, want ObjectID", got.Type)
	}
}

func TestWatchChanges(t *testing.T) {
	s := storetest.NewMongo(t)
	ctx, cancel := context.WithTimeout(t.Context(), 15*time.Second)
	defer cancel()
	changes := make(chan models.Change, 100)
	done := make(chan error, 1)
	go func() { done <- s.WatchChanges(ctx, func(c models.Change) { changes <- c }) }()

	if storetest.StandIn() {
		select {
		case err := <-done:
			t.Logf("WatchChanges on FerretDB: %v", err)
			if !errors.Is(err, models.ErrNoChangeStreams) {
				t.Errorf("WatchChanges on FerretDB = %v, want ErrNoChangeStreams", err)
			}
		case <-ctx.Done():
			t.Fatal("WatchChanges on FerretDB did not return")
		}
		return
	}
	// The stream may open after a write, so write until one is seen.
	tick := time.NewTicker(200 * time.Millisecond)
	defer tick.Stop()
	for i := 0; ; i++ {
		select {
		case c := <-changes:
			if c.Collection != "tickets" || c.ID.IsZero() {
				t.Errorf("change = %+v, want a ticket", c)
			}
			return
		case err := <-done:
			if errors.Is(err, models.ErrNoChangeStreams) {
				t.Skipf("MONGODB_TEST_URI cannot watch (not a replica set): %v", err)
			}
			t.Fatalf("WatchChanges = %v before any change", err)
		case <-tick.C:
			tk := &models.Ticket{Name: "Ada", PhoneNumber: "+14155552671", Description: fmt.Sprint("change ", i)}
			if _, err := s.Tickets.Create(t.Context(), tk); err != nil {
				t.Fatalf("Create: %v", err)
			}
		case <-ctx.Done():
			t.Fatal("no change reported within 15s")
		}
	}
}

// commands counts the commands a client sends, by name.
type commands struct {
	mu sync.Mutex
	n  map[string]int
}

func (c *commands) monitor() *event.CommandMonitor {
	return &event.CommandMonitor{Started: func(_ context.Context, e *event.CommandStartedEvent) {
		c.mu.Lock()
		defer c.mu.Unlock()
		c.n[e.CommandName]++
	}}
}

func (c *commands) take() map[string]int {
	c.mu.Lock()
	defer c.mu.Unlock()
	n := c.n
	c.n = map[string]int{}
	return n
}

func TestListIsOneQueryAndDumpStreamsInBatches(t *testing.T) {
	cmds := &commands{n: map[string]int{}}
	s := storetest.NewMongoWith(t, mongo.Options{Monitor: cmds.monitor()})
	const n = 250 // more than the server's first batch of 101
	storetest.SeedTickets(t, s, n)

	cmds.take()
	page, next, err := s.Tickets.List(t.Context(), nil, models.PageSize)
	if err != nil || len(page) != models.PageSize || next == nil {
		t.Fatalf("List = %d tickets, next %v, %v; want a full page and a next page", len(page), next, err)
	}
	if got := cmds.take(); !cmp.Equal(got, map[string]int{"find": 1}) {
		t.Errorf("List sent %v, want one find", got)
	}

	var tickets, counters int
	err = s.Dump(t.Context(), func(it models.Item) error {
		switch {
		case it.Ticket != nil:
			tickets++
		case it.Counter != nil:
			counters++
		}
		return nil
	})
	if err != nil || tickets != n || counters != 1 {
		t.Errorf("Dump = %d tickets, %d counters, %v; want %d, 1, nil", tickets, counters, err, n)
	}
	if got := cmds.take(); got["getMore"] == 0 {
		t.Errorf("Dump sent %v, want the tickets streamed with getMore", got)
	}
}
