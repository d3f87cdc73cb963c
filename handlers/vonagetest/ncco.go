package vonagetest

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// NCCO is a parsed NCCO: its actions as generic JSON objects, so that two
// answers that differ only in key order or spacing compare equal.
type NCCO []map[string]any

// ParseNCCO parses an answer strictly: a JSON array of objects, each with
// an action, and nothing after it.
func ParseNCCO(b []byte) (NCCO, error) {
	d := json.NewDecoder(bytes.NewReader(b))
	d.UseNumber()
	var n NCCO
	if err := d.Decode(&n); err != nil {
		return nil, err
	}
	if d.More() {
		return nil, errors.New("data after the NCCO")
	}
	if len(n) == 0 {
		return nil, errors.New("empty NCCO")
	}
	for i, a := range n {
		if s, _ := a["action"].(string); s == "" {
			return nil, fmt.Errorf("action %d has no action name", i)
		}
	}
	return n, nil
}

// MustParseNCCO parses b or fails the test, showing it.
func MustParseNCCO(t testing.TB, b []byte) NCCO {
	t.Helper()
	n, err := ParseNCCO(b)
	if err != nil {
		t.Fatalf("NCCO does not parse: %v\n%s", err, b)
	}
	return n
}

// Actions lists the action names, in order.
func (n NCCO) Actions() []string {
	out := make([]string, len(n))
	for i, a := range n {
		out[i], _ = a["action"].(string)
	}
	return out
}

// Endpoints returns every endpoint of every connect action, in order.
func (n NCCO) Endpoints() []map[string]any {
	var out []map[string]any
	for _, a := range n {
		eps, _ := a["endpoint"].([]any)
		for _, ep := range eps {
			if m, ok := ep.(map[string]any); ok {
				out = append(out, m)
			}
		}
	}
	return out
}

// Strings returns every string in the tree named key (e.g. "eventUrl",
// "uri", "text"), in document order, looking inside arrays.
func (n NCCO) Strings(key string) []string {
	var out []string
	var walk func(v any)
	walk = func(v any) {
		switch v := v.(type) {
		case map[string]any:
			for k, x := range v {
				if k == key {
					switch x := x.(type) {
					case string:
						out = append(out, x)
					case []any:
						for _, s := range x {
							if s, ok := s.(string); ok {
								out = append(out, s)
							}
						}
					}
				}
			}
			for _, k := range slices.Sorted(maps.Keys(v)) {
				walk(v[k])
			}
		case []any:
			for _, x := range v {
				walk(x)
			}
		}
	}
	for _, a := range n {
		walk(a)
	}
	return out
}

// Replace returns a copy with every occurrence of old in string values
// replaced by new, e.g. a generated id by a placeholder, so that golden
// files stay stable.
func (n NCCO) Replace(old, new string) NCCO {
	var repl func(v any) any
	repl = func(v any) any {
		switch v := v.(type) {
		case string:
			return strings.ReplaceAll(v, old, new)
		case map[string]any:
			m := make(map[string]any, len(v))
			for k, x := range v {
				m[k] = repl(x)
			}
			return m
		case []any:
			s := make([]any, len(v))
			for i, x := range v {
				s[i] = repl(x)
			}
			return s
		}
		return v
	}
	out := make(NCCO, len(n))
	for i, a := range n {
		out[i] = repl(a).(map[string]any)
	}
	return out
}

// JSON writes the NCCO indented, keys sorted, HTML characters unescaped.
func (n NCCO) JSON() []byte {
	var buf bytes.Buffer
	e := json.NewEncoder(&buf)
	e.SetEscapeHTML(false)
	e.SetIndent("", "  ")
	if err := e.Encode(n); err != nil {
		panic(err) // values come from a parsed document
	}
	return buf.Bytes()
}

// Golden compares got with the NCCO in the golden file at path, both
// parsed. With update set it rewrites the file from got instead (run the
// tests with -update, then review the diff).
func Golden(t testing.TB, path string, got NCCO, update bool) {
	t.Helper()
	if update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got.JSON(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run with -update to create it): %v", err)
	}
	want, err := ParseNCCO(raw)
	if err != nil {
		t.Fatalf("golden file %s does not parse: %v", path, err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("NCCO differs from %s (-want +got):\n%s\ngot:\n%s", path, diff, got.JSON())
	}
}
