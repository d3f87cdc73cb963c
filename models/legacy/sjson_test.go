package legacy

import (
	"testing"

	"github.com/google/go-cmp/cmp"
	"go.mongodb.org/mongo-driver/v2/bson"
)

// TestDecodeSJSON covers what the Ringdesk documents in the FerretDB test
// do not hold: every type FerretDB 1.24 writes, and damaged rows.
func TestDecodeSJSON(t *testing.T) {
	oid, _ := bson.ObjectIDFromHex("65e7283d0a1b2c3d4e5f6071")
	tests := []struct {
		name string
		in   string
		want bson.D
	}{
		{"empty document", `{"$s":{}}`, bson.D{}},
		{"null, empty array and empty document",
			`{"$s":{"p":{"a":{"t":"null"},"b":{"t":"array","i":[]},"c":{"t":"object","$s":{}}},"$k":["a","b","c"]},` +
				`"a":null,"b":[],"c":{}}`,
			bson.D{{Key: "a"}, {Key: "b", Value: bson.A{}}, {Key: "c", Value: bson.D{}}}},
		{"scalars",
			`{"$s":{"p":{"d":{"t":"double"},"e":{"t":"double"},"i":{"t":"int"},"l":{"t":"long"},"t":{"t":"date"},` +
				`"ts":{"t":"timestamp"},"o":{"t":"objectId"},"b":{"t":"bool"},"s":{"t":"string"},` +
				`"bin":{"t":"binData","s":4},"re":{"t":"regex","o":"i"}},` +
				`"$k":["d","e","i","l","t","ts","o","b","s","bin","re"]},` +
				`"d":1.5,"e":1e+21,"i":-5,"l":9007199254740993,"t":-1000,"ts":4294967303,` +
				`"o":"65e7283d0a1b2c3d4e5f6071","b":true,"s":"a \"quoted\" ✓","bin":"AAEC","re":"^ab+"}`,
			bson.D{
				{Key: "d", Value: 1.5}, {Key: "e", Value: 1e21}, {Key: "i", Value: int32(-5)},
				{Key: "l", Value: int64(9007199254740993)}, {Key: "t", Value: bson.DateTime(-1000)},
				{Key: "ts", Value: bson.Timestamp{T: 1, I: 7}}, {Key: "o", Value: oid}, {Key: "b", Value: true},
				{Key: "s", Value: `a "quoted" ✓`}, {Key: "bin", Value: bson.Binary{Subtype: 4, Data: []byte{0, 1, 2}}},
				{Key: "re", Value: bson.Regex{Pattern: "^ab+", Options: "i"}},
			}},
		{"nested arrays of mixed types",
			`{"$s":{"p":{"a":{"t":"array","i":[{"t":"array","i":[{"t":"int"},{"t":"string"}]},{"t":"null"}]}},"$k":["a"]},` +
				`"a":[[1,"x"],null]}`,
			bson.D{{Key: "a", Value: bson.A{bson.A{int32(1), "x"}, nil}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := decodeSJSON([]byte(tc.in))
			if err != nil {
				t.Fatalf("decodeSJSON: %v", err)
			}
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("decodeSJSON (-want +got):\n%s", diff)
			}
		})
	}
}

func TestDecodeSJSONDamaged(t *testing.T) {
	for name, in := range map[string]string{
		"not JSON":                 `{"$s":`,
		"no schema":                `{"a":1}`,
		"field not in schema":      `{"$s":{"p":{"a":{"t":"int"}},"$k":["a"]},"a":1,"b":2}`,
		"schema field missing":     `{"$s":{"p":{"a":{"t":"int"}},"$k":["b"]},"a":1}`,
		"unknown type":             `{"$s":{"p":{"a":{"t":"decimal"}},"$k":["a"]},"a":1}`,
		"int out of range":         `{"$s":{"p":{"a":{"t":"int"}},"$k":["a"]},"a":2147483648}`,
		"long ObjectID":            `{"$s":{"p":{"a":{"t":"objectId"}},"$k":["a"]},"a":"65e7283d0a1b2c3d4e5f607165e7283d"}`,
		"ObjectID not hex":         `{"$s":{"p":{"a":{"t":"objectId"}},"$k":["a"]},"a":"65e7283d0a1b2c3d4e5f607z"}`,
		"binary without subtype":   `{"$s":{"p":{"a":{"t":"binData"}},"$k":["a"]},"a":"AAEC"}`,
		"array longer than schema": `{"$s":{"p":{"a":{"t":"array","i":[{"t":"int"}]}},"$k":["a"]},"a":[1,2]}`,
		"string typed as date":     `{"$s":{"p":{"a":{"t":"date"}},"$k":["a"]},"a":"2024-03-05"}`,
		"value without schema":     `{"$s":{"p":{},"$k":["a"]},"a":1}`,
	} {
		if got, err := decodeSJSON([]byte(in)); err == nil {
			t.Errorf("%s: decodeSJSON = %v, want an error", name, got)
		}
	}
}

// TestDecodeLenient checks that numbers written with another BSON type
// than Ringdesk's (by hand, in mongosh) still import, as they would read
// through the MongoDB store.
func TestDecodeLenient(t *testing.T) {
	in := `{"$s":{"p":{"_id":{"t":"string"},"seq":{"t":"double"}},"$k":["_id","seq"]},"_id":"tickets","seq":41.0}`
	d, err := decodeSJSON([]byte(in))
	if err != nil {
		t.Fatal(err)
	}
	raw, err := bson.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	it, err := decodeCounter(raw)
	if err != nil {
		t.Fatalf("decodeCounter: %v", err)
	}
	if it.Counter == nil || it.Counter.Name != "tickets" || it.Counter.Value != 41 {
		t.Errorf("decodeCounter = %+v, want tickets 41", it.Counter)
	}
}
