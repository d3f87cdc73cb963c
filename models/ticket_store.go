package models

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"go.mongodb.org/mongo-driver/v2/bson"
	"go.mongodb.org/mongo-driver/v2/mongo"
	"go.mongodb.org/mongo-driver/v2/mongo/options"
)

// PageSize is how many tickets the dashboard shows at once.
const PageSize = 50

// maxNumberAttempts bounds Create's retries when concurrent creates draw
// the same ticket number.
const maxNumberAttempts = 50

// TicketStore keeps tickets in the "tickets" collection and their numbers
// in "counters".
type TicketStore struct {
	coll     *mongo.Collection
	counters *mongo.Collection
	locks    *docLocks // per ticket, shared with CallStore
	gate     writeGate // one writer at a time on the embedded store
}

// Create stores t, giving it an id, a sequential number and a creation time.
//
// If a ticket with the same idempotency key exists (a double-click or a
// retried request) the stored ticket is returned with created=false. A key
// reused for different content is ErrConflict: returning the first ticket
// would disclose it to whoever guessed the key.
func (s *TicketStore) Create(ctx context.Context, t *Ticket) (created bool, err error) {
	ctx, cancel := withTimeout(ctx)
	defer cancel()

	if t.IdempotencyKey == "" {
		t.IdempotencyKey = "gen:" + randomHex(16)
	}
	leave, err := s.gate.enter(ctx)
	if err != nil {
		return false, err
	}
	defer leave()
	// The number is taken before the insert, so a rejected duplicate
	// leaves a gap; numbers stay unique and increasing, which is what
	// agents rely on when they quote them.
	//
	// The embedded store runs $inc as a read followed by a write, so
	// concurrent creates can draw the same number (and racing upserts of
	// the counter can clash). The unique index on number turns a shared
	// number into a duplicate-key error, and we draw again.
	var first Ticket
	for attempt := 1; ; attempt++ {
		if attempt > maxNumberAttempts {
			return false, fmt.Errorf("insert ticket: no free ticket number after %d attempts", maxNumberAttempts)
		}
		num, err := s.nextNumber(ctx)
		if errors.Is(err, ErrConflict) {
			continue
		}
		if err != nil {
			return false, err
		}
		now := time.Now().UTC().Truncate(time.Millisecond) // BSON dates hold milliseconds
		t.ID = bson.NewObjectID()
		t.Number = num
		t.Status = StatusOpen
		t.CreatedAt, t.UpdatedAt = now, now

		_, err = s.coll.InsertOne(ctx, t)
		if err == nil {
			return true, nil
		}
		if !mongo.IsDuplicateKeyError(err) {
			return false, storeErr("insert ticket", err)
		}
		// The duplicate is either the idempotency key or the number.
		err = s.coll.FindOne(ctx, bson.M{"idempotencyKey": t.IdempotencyKey}).Decode(&first)
		if errors.Is(err, mongo.ErrNoDocuments) {
			continue
		}
		if err != nil {
			return false, storeErr("find ticket by idempotency key", err)
		}
		break
	}
	if first.Name != t.Name || first.PhoneNumber != t.PhoneNumber || first.Description != t.Description {
		return false, fmt.Errorf("idempotency key reused for a different ticket: %w", ErrConflict)
	}
	*t = first
	return false, nil
}

// nextNumber atomically increments the ticket counter.
func (s *TicketStore) nextNumber(ctx context.Context) (int64, error) {
	var doc struct {
		Seq int64 `bson:"seq"`
	}
	err := s.counters.FindOneAndUpdate(ctx,
		bson.M{"_id": "tickets"},
		bson.M{"$inc": bson.M{"seq": int64(1)}},
		options.FindOneAndUpdate().SetUpsert(true).SetReturnDocument(options.After),
	).Decode(&doc)
	if err != nil {
		return 0, storeErr("next ticket number", err)
	}
	return doc.Seq, nil
}

// Get returns one ticket, or ErrNotFound.
func (s *TicketStore) Get(ctx context.Context, id bson.ObjectID) (*Ticket, error) {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	var t Ticket
	if err := s.coll.FindOne(ctx, bson.M{"_id": id}).Decode(&t); err != nil {
		return nil, storeErr("get ticket", err)
	}
	return &t, nil
}

// SetStatus opens or closes a ticket.
func (s *TicketStore) SetStatus(ctx context.Context, id bson.ObjectID, status TicketStatus) error {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	leave, err := s.gate.enter(ctx)
	if err != nil {
		return err
	}
	defer leave()
	unlock, err := s.locks.lock(ctx, id.Hex()) // see docLocks
	if err != nil {
		return err
	}
	defer unlock()
	res, err := s.coll.UpdateOne(ctx, bson.M{"_id": id},
		bson.M{"$set": bson.M{"status": status, "updatedAt": time.Now().UTC().Truncate(time.Millisecond)}})
	if err != nil {
		return storeErr("set ticket status", err)
	}
	if res.MatchedCount == 0 {
		return ErrNotFound
	}
	return nil
}

// Cursor marks a position in the newest-first ticket list: the last ticket
// shown. Paging by value, not by skip, keeps every page one indexed query
// and stable while new tickets arrive.
type Cursor struct {
	CreatedAt time.Time
	ID        bson.ObjectID
}

// String encodes the cursor for a URL.
func (c Cursor) String() string {
	return strconv.FormatInt(c.CreatedAt.UnixMilli(), 10) + "-" + c.ID.Hex()
}

// ErrBadCursor means a page link was tampered with or truncated.
var ErrBadCursor = errors.New("bad page cursor")

// ParseCursor decodes Cursor.String.
func ParseCursor(s string) (Cursor, error) {
	ms, hexID, ok := strings.Cut(s, "-")
	if !ok {
		return Cursor{}, ErrBadCursor
	}
	n, err := strconv.ParseInt(ms, 10, 64)
	if err != nil {
		return Cursor{}, ErrBadCursor
	}
	id, err := bson.ObjectIDFromHex(hexID)
	if err != nil {
		return Cursor{}, ErrBadCursor
	}
	return Cursor{CreatedAt: time.UnixMilli(n).UTC(), ID: id}, nil
}

// List returns up to limit tickets, newest first, after the cursor (nil
// for the first page), and the cursor of the next page when there is one.
// It runs exactly one query: one extra row tells whether a next page exists.
func (s *TicketStore) List(ctx context.Context, after *Cursor, limit int) ([]Ticket, *Cursor, error) {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	filter := bson.M{}
	if after != nil {
		filter = bson.M{"$or": bson.A{
			bson.M{"createdAt": bson.M{"$lt": after.CreatedAt}},
			bson.M{"createdAt": after.CreatedAt, "_id": bson.M{"$lt": after.ID}},
		}}
	}
	opts := options.Find().
		SetSort(bson.D{{Key: "createdAt", Value: -1}, {Key: "_id", Value: -1}}).
		SetLimit(int64(limit + 1)).
		SetProjection(bson.M{"idempotencyKey": 0})
	cur, err := s.coll.Find(ctx, filter, opts)
	if err != nil {
		return nil, nil, storeErr("list tickets", err)
	}
	tickets := make([]Ticket, 0, limit+1)
	if err := cur.All(ctx, &tickets); err != nil {
		return nil, nil, storeErr("read tickets", err)
	}
	var next *Cursor
	if len(tickets) > limit {
		tickets = tickets[:limit]
		last := tickets[limit-1]
		next = &Cursor{CreatedAt: last.CreatedAt, ID: last.ID}
	}
	return tickets, next, nil
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b)
}

// CountOpen counts the open tickets. MongoDB answers from the
// {status, createdAt} index; the embedded store scans, so callers keep it
// off hot paths (the dashboard counter refreshes at most once a second).
func (s *TicketStore) CountOpen(ctx context.Context) (int64, error) {
	ctx, cancel := withTimeout(ctx)
	defer cancel()
	n, err := s.coll.CountDocuments(ctx, bson.M{"status": StatusOpen})
	return n, storeErr("count open tickets", err)
}
