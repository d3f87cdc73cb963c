package legacy

import (
	"bytes"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"

	"go.mongodb.org/mongo-driver/v2/bson"
)

// FerretDB 1.24 stores each document as JSON in which every value has lost
// its BSON type (a date is a number, an ObjectID a string); the type lives
// in a schema under "$s" that mirrors the document's shape. Decoding
// walks data and schema together and rebuilds the BSON document, which
// the models structs' bson tags then read exactly as the MongoDB store
// does: one mapping from documents to models, not two.

// schema describes the fields of a document, in their stored order.
type schema struct {
	Props map[string]*elem `json:"p"`
	Keys  []string         `json:"$k"`
}

// elem is the type of one value; the optional parts depend on it.
type elem struct {
	Type    string  `json:"t"`
	Doc     *schema `json:"$s"` // object
	Items   []*elem `json:"i"`  // array, one per item
	Subtype *int    `json:"s"`  // binData
	Options *string `json:"o"`  // regex
}

// decodeSJSON turns one stored row into a BSON document.
func decodeSJSON(data []byte) (bson.D, error) {
	var fields map[string]json.RawMessage
	if err := json.Unmarshal(data, &fields); err != nil {
		return nil, fmt.Errorf("document is not a JSON object: %w", err)
	}
	raw, ok := fields["$s"]
	if !ok {
		return nil, errors.New(`document has no "$s" schema`)
	}
	var sch schema
	if err := json.Unmarshal(raw, &sch); err != nil {
		return nil, fmt.Errorf("bad schema: %w", err)
	}
	delete(fields, "$s")
	return decodeFields(fields, &sch)
}

// decodeFields rebuilds a document from its fields and its schema.
func decodeFields(fields map[string]json.RawMessage, sch *schema) (bson.D, error) {
	if len(fields) == 0 {
		// Empty documents are written with an empty schema, or none.
		return bson.D{}, nil
	}
	if sch == nil || len(sch.Keys) != len(fields) {
		return nil, fmt.Errorf("schema lists other fields than the document holds")
	}
	d := make(bson.D, 0, len(sch.Keys))
	for _, k := range sch.Keys {
		raw, ok := fields[k]
		if !ok {
			return nil, fmt.Errorf("field %q is in the schema but not in the document", k)
		}
		v, err := decodeValue(raw, sch.Props[k])
		if err != nil {
			return nil, fmt.Errorf("field %q: %w", k, err)
		}
		d = append(d, bson.E{Key: k, Value: v})
	}
	return d, nil
}

// decodeValue converts one JSON value to the BSON value its schema names.
func decodeValue(raw json.RawMessage, el *elem) (any, error) {
	raw = bytes.TrimSpace(raw)
	if string(raw) == "null" {
		// Null needs no schema to be read, whatever the schema says.
		return nil, nil
	}
	if el == nil {
		return nil, errors.New("value has no schema")
	}
	switch el.Type {
	case "object":
		var fields map[string]json.RawMessage
		if err := json.Unmarshal(raw, &fields); err != nil {
			return nil, err
		}
		return decodeFields(fields, el.Doc)
	case "array":
		var items []json.RawMessage
		if err := json.Unmarshal(raw, &items); err != nil {
			return nil, err
		}
		if len(items) != len(el.Items) {
			return nil, fmt.Errorf("array has %d items, its schema %d", len(items), len(el.Items))
		}
		a := make(bson.A, len(items))
		for i, item := range items {
			v, err := decodeValue(item, el.Items[i])
			if err != nil {
				return nil, fmt.Errorf("item %d: %w", i, err)
			}
			a[i] = v
		}
		return a, nil
	case "string":
		var s string
		err := json.Unmarshal(raw, &s)
		return s, err
	case "bool":
		var b bool
		err := json.Unmarshal(raw, &b)
		return b, err
	case "double":
		return strconv.ParseFloat(string(raw), 64)
	case "int":
		n, err := strconv.ParseInt(string(raw), 10, 32)
		return int32(n), err
	case "long":
		return strconv.ParseInt(string(raw), 10, 64)
	case "date":
		// Milliseconds since the epoch, as BSON dates are.
		ms, err := strconv.ParseInt(string(raw), 10, 64)
		return bson.DateTime(ms), err
	case "timestamp":
		ts, err := strconv.ParseUint(string(raw), 10, 64)
		return bson.Timestamp{T: uint32(ts >> 32), I: uint32(ts)}, err
	case "objectId":
		return decodeObjectID(raw)
	case "binData":
		return decodeBinary(raw, el)
	case "regex":
		var pattern string
		if err := json.Unmarshal(raw, &pattern); err != nil {
			return nil, err
		}
		if el.Options == nil {
			return nil, errors.New("regex schema has no options")
		}
		return bson.Regex{Pattern: pattern, Options: *el.Options}, nil
	case "null":
		return nil, fmt.Errorf("null in the schema, %.20s in the document", raw)
	}
	return nil, fmt.Errorf("unknown type %q in schema", el.Type)
}

// decodeObjectID reads the 24 hex digits FerretDB writes for an ObjectID.
func decodeObjectID(raw json.RawMessage) (bson.ObjectID, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return bson.ObjectID{}, err
	}
	var id bson.ObjectID
	if len(s) != hex.EncodedLen(len(id)) {
		return id, fmt.Errorf("bad ObjectID %q", s)
	}
	if _, err := hex.Decode(id[:], []byte(s)); err != nil {
		return bson.ObjectID{}, fmt.Errorf("bad ObjectID %q", s)
	}
	return id, nil
}

// decodeBinary reads base64 data; the subtype is only in the schema.
func decodeBinary(raw json.RawMessage, el *elem) (bson.Binary, error) {
	var data []byte
	if err := json.Unmarshal(raw, &data); err != nil {
		return bson.Binary{}, err
	}
	if el.Subtype == nil || *el.Subtype < 0 || *el.Subtype > 0xff {
		return bson.Binary{}, errors.New("binary schema has no valid subtype")
	}
	if data == nil {
		data = []byte{}
	}
	return bson.Binary{Subtype: byte(*el.Subtype), Data: data}, nil
}
