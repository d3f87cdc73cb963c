// Package legacy reads the data directories of Ringdesk's former embedded
// store, FerretDB 1.24 over SQLite, so that teams can import them into the
// current store. It reads the SQLite files directly, read-only, and
// decodes FerretDB's storage format itself: the running binary must not
// link FerretDB, and a team upgrading should not need the old binary.
package legacy

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"go.mongodb.org/mongo-driver/v2/bson"

	"github.com/ringdesk/ringdesk/models"
)

// FerretDB keeps one SQLite file per MongoDB database, "<database>.sqlite",
// with a table mapping collection names to the tables that hold them.
const (
	fileExt       = ".sqlite"
	metadataTable = "_ferretdb_collections"
	dataColumn    = "_ferretdb_sjson"
)

// Files lists FerretDB database files in dir: the "*.sqlite" files that
// have FerretDB's metadata table. Other files, SQLite or not, are left
// out; a directory that does not exist has none.
func Files(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("list legacy store files in %s: %w: %w", dir, models.ErrUnavailable, err)
	}
	var files []string
	for _, e := range entries {
		if e.IsDir() || !strings.HasSuffix(e.Name(), fileExt) {
			continue
		}
		path := filepath.Join(dir, e.Name())
		ok, err := isFerretDBFile(path)
		if err != nil {
			return nil, err
		}
		if ok {
			files = append(files, path)
		}
	}
	return files, nil
}

// isFerretDBFile reports whether path is a SQLite file written by FerretDB.
func isFerretDBFile(path string) (bool, error) {
	ctx, cancel := context.WithTimeout(context.Background(), models.OpTimeout)
	defer cancel()
	f, err := openFile(ctx, path)
	if errors.Is(err, errNotSQLite) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	defer f.close()
	return f.hasMetadata(ctx)
}

// collections are read in the order Engine.Dump gives, so that an import
// treats a legacy file and an export alike. The other collections
// ("setup", "media_tokens") hold nothing worth keeping across an upgrade.
var collections = []struct {
	name   string
	decode func(doc []byte) (models.Item, error)
}{
	{"agents", decodeAgent},
	{"tickets", decodeTicket},
	{"calls", decodeCall},
	{"counters", decodeCounter},
}

// Read decodes every document of the legacy database file into models
// items, in the order agents, tickets, calls, counters, calling fn for
// each. An error from fn stops the reading and is returned as it is.
func Read(ctx context.Context, file string, fn func(models.Item) error) error {
	f, err := open(ctx, file)
	if err != nil {
		return err
	}
	defer f.close()
	tables, err := f.tables(ctx)
	if err != nil {
		return err
	}
	for _, c := range collections {
		table, ok := tables[c.name]
		if !ok {
			continue
		}
		err := f.scan(ctx, table, func(rowid int64, data []byte) error {
			doc, err := decodeSJSON(data)
			if err != nil {
				return fmt.Errorf("legacy store %s: %s row %d: %w", f.path, c.name, rowid, err)
			}
			raw, err := bson.Marshal(doc)
			if err != nil {
				return fmt.Errorf("legacy store %s: %s %s: %w", f.path, c.name, docID(doc), err)
			}
			it, err := c.decode(raw)
			if err != nil {
				return fmt.Errorf("legacy store %s: %s %s: %w", f.path, c.name, docID(doc), err)
			}
			return fn(it)
		})
		if err != nil {
			return err
		}
	}
	return nil
}

// open opens a file for Read, which must be FerretDB's.
func open(ctx context.Context, file string) (*dbFile, error) {
	octx, cancel := context.WithTimeout(ctx, models.OpTimeout)
	defer cancel()
	f, err := openFile(octx, file)
	if err != nil {
		return nil, err
	}
	ok, err := f.hasMetadata(octx)
	if err == nil && !ok {
		err = fmt.Errorf("%s is not a FerretDB database file: it has no %s table", f.path, metadataTable)
	}
	if err != nil {
		f.close()
		return nil, err
	}
	return f, nil
}

// errNoID reports a document that cannot be imported under its own id.
var errNoID = errors.New("document has no _id")

func decodeAgent(doc []byte) (models.Item, error) {
	var a models.Agent
	if err := bson.Unmarshal(doc, &a); err != nil {
		return models.Item{}, err
	}
	if a.ID.IsZero() {
		return models.Item{}, errNoID
	}
	return models.Item{Agent: &a}, nil
}

func decodeTicket(doc []byte) (models.Item, error) {
	var t models.Ticket
	if err := bson.Unmarshal(doc, &t); err != nil {
		return models.Item{}, err
	}
	if t.ID.IsZero() {
		return models.Item{}, errNoID
	}
	return models.Item{Ticket: &t}, nil
}

func decodeCall(doc []byte) (models.Item, error) {
	var c models.Call
	if err := bson.Unmarshal(doc, &c); err != nil {
		return models.Item{}, err
	}
	if c.ID.IsZero() {
		return models.Item{}, errNoID
	}
	return models.Item{Call: &c}, nil
}

// decodeCounter reads {_id: name, seq: value}, the shape the old store's
// $inc left behind.
func decodeCounter(doc []byte) (models.Item, error) {
	var c struct {
		Name  string `bson:"_id"`
		Value int64  `bson:"seq"`
	}
	if err := bson.Unmarshal(doc, &c); err != nil {
		return models.Item{}, err
	}
	if c.Name == "" {
		return models.Item{}, errNoID
	}
	return models.Item{Counter: &models.Counter{Name: c.Name, Value: c.Value}}, nil
}

// docID names a document in an error message.
func docID(doc bson.D) string {
	for _, e := range doc {
		if e.Key != "_id" {
			continue
		}
		if id, ok := e.Value.(bson.ObjectID); ok {
			return id.Hex()
		}
		return fmt.Sprintf("%q", fmt.Sprint(e.Value))
	}
	return "without _id"
}
