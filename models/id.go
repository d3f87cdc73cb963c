package models

import (
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"sync/atomic"
	"time"
)

// ID identifies a ticket, agent or call. It is laid out as a MongoDB
// ObjectID (12 bytes, 24 hex digits in URLs and JSON: a 4-byte creation
// time in seconds, 5 bytes chosen at random per process, a 3-byte counter)
// so that both stores keep the same ids and an export from one imports
// into the other unchanged. The counter keeps one process's ids in
// creation order within a second, which the newest-first lists use to
// break ties between tickets created in the same millisecond.
type ID [12]byte

// ErrBadID means a string is not 24 hex digits.
var ErrBadID = errors.New("not a valid id")

// processUnique and idCounter make ids unique across instances without
// coordination, and ordered within one.
var (
	processUnique [5]byte
	idCounter     atomic.Uint32
)

func init() {
	var seed [4]byte
	_, _ = rand.Read(processUnique[:]) // crypto/rand.Read never fails on supported platforms
	_, _ = rand.Read(seed[:])
	idCounter.Store(binary.BigEndian.Uint32(seed[:]))
}

// NewID returns a fresh id.
func NewID() ID {
	var id ID
	binary.BigEndian.PutUint32(id[:4], uint32(time.Now().Unix()))
	copy(id[4:9], processUnique[:])
	n := idCounter.Add(1)
	id[9], id[10], id[11] = byte(n>>16), byte(n>>8), byte(n)
	return id
}

// ParseID decodes the 24 hex digits of ID.Hex.
func ParseID(s string) (ID, error) {
	var id ID
	if len(s) != 24 {
		return id, ErrBadID
	}
	if _, err := hex.Decode(id[:], []byte(s)); err != nil {
		return ID{}, ErrBadID
	}
	return id, nil
}

// Hex is the id's text form, used in URLs, JSON and the SQLite store.
func (id ID) Hex() string { return hex.EncodeToString(id[:]) }

// String is Hex, so ids print well in logs.
func (id ID) String() string { return id.Hex() }

// IsZero reports whether the id was never set.
func (id ID) IsZero() bool { return id == ID{} }

// MarshalText writes the hex form, for JSON and log output.
func (id ID) MarshalText() ([]byte, error) { return []byte(id.Hex()), nil }

// UnmarshalText reads the hex form.
func (id *ID) UnmarshalText(b []byte) error {
	v, err := ParseID(string(b))
	if err != nil {
		return err
	}
	*id = v
	return nil
}

// bsonObjectID is BSON's type byte for an ObjectID.
const bsonObjectID = 0x07

// MarshalBSONValue stores the id as a BSON ObjectID, without this package
// importing a driver: the MongoDB driver looks for this method by name.
func (id ID) MarshalBSONValue() (byte, []byte, error) {
	b := id
	return bsonObjectID, b[:], nil
}

// UnmarshalBSONValue reads a BSON ObjectID.
func (id *ID) UnmarshalBSONValue(typ byte, data []byte) error {
	if typ != bsonObjectID || len(data) != len(id) {
		return ErrBadID
	}
	copy(id[:], data)
	return nil
}
