package twiliotest

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// Node is one element of a parsed TwiML document. Attributes are a map,
// so two documents that differ only in attribute order compare equal.
type Node struct {
	Name     string
	Attrs    map[string]string
	Text     string // character data; whitespace between child elements is dropped
	Children []*Node
}

// ParseTwiML parses a whole TwiML document strictly: one root element,
// nothing but whitespace, comments and the XML declaration around it.
func ParseTwiML(doc []byte) (*Node, error) {
	d := xml.NewDecoder(bytes.NewReader(doc))
	d.Strict = true
	var root *Node
	var stack []*Node
	for {
		tok, err := d.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
		switch tok := tok.(type) {
		case xml.StartElement:
			if tok.Name.Space != "" {
				return nil, fmt.Errorf("element %s:%s has a namespace", tok.Name.Space, tok.Name.Local)
			}
			n := &Node{Name: tok.Name.Local}
			for _, a := range tok.Attr {
				if n.Attrs == nil {
					n.Attrs = map[string]string{}
				}
				if _, dup := n.Attrs[a.Name.Local]; dup {
					return nil, fmt.Errorf("<%s> has attribute %s twice", n.Name, a.Name.Local)
				}
				n.Attrs[a.Name.Local] = a.Value
			}
			switch {
			case len(stack) > 0:
				parent := stack[len(stack)-1]
				parent.Children = append(parent.Children, n)
			case root != nil:
				return nil, errors.New("more than one root element")
			default:
				root = n
			}
			stack = append(stack, n)
		case xml.EndElement:
			n := stack[len(stack)-1]
			if len(n.Children) > 0 && strings.TrimSpace(n.Text) == "" {
				n.Text = ""
			}
			stack = stack[:len(stack)-1]
		case xml.CharData:
			if len(stack) == 0 {
				if strings.TrimSpace(string(tok)) != "" {
					return nil, fmt.Errorf("text %q outside the root element", tok)
				}
				continue
			}
			stack[len(stack)-1].Text += string(tok)
		case xml.Directive:
			return nil, fmt.Errorf("unexpected directive <!%s>", tok)
		}
	}
	if root == nil {
		return nil, errors.New("no root element")
	}
	return root, nil
}

// MustParseTwiML parses doc or fails the test, showing the document.
func MustParseTwiML(t testing.TB, doc []byte) *Node {
	t.Helper()
	n, err := ParseTwiML(doc)
	if err != nil {
		t.Fatalf("TwiML does not parse: %v\n%s", err, doc)
	}
	return n
}

// All returns every element named name in the tree, in document order.
func (n *Node) All(name string) []*Node {
	var out []*Node
	var walk func(*Node)
	walk = func(n *Node) {
		if n.Name == name {
			out = append(out, n)
		}
		for _, c := range n.Children {
			walk(c)
		}
	}
	walk(n)
	return out
}

// Names lists the names of n's children: the verbs of a <Response>.
func (n *Node) Names() []string {
	out := make([]string, len(n.Children))
	for i, c := range n.Children {
		out[i] = c.Name
	}
	return out
}

// Replace returns a copy of the tree with every occurrence of old in
// attribute values and text replaced by new, e.g. a generated id by a
// placeholder, so that golden files stay stable.
func (n *Node) Replace(old, new string) *Node {
	c := &Node{Name: n.Name, Text: strings.ReplaceAll(n.Text, old, new)}
	if n.Attrs != nil {
		c.Attrs = make(map[string]string, len(n.Attrs))
		for k, v := range n.Attrs {
			c.Attrs[k] = strings.ReplaceAll(v, old, new)
		}
	}
	for _, ch := range n.Children {
		c.Children = append(c.Children, ch.Replace(old, new))
	}
	return c
}

// XML writes the tree as an indented document, attributes sorted by name.
func (n *Node) XML() []byte {
	var buf bytes.Buffer
	buf.WriteString(xml.Header)
	e := xml.NewEncoder(&buf)
	e.Indent("", "  ")
	var write func(*Node) error
	write = func(n *Node) error {
		start := xml.StartElement{Name: xml.Name{Local: n.Name}}
		keys := make([]string, 0, len(n.Attrs))
		for k := range n.Attrs {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		for _, k := range keys {
			start.Attr = append(start.Attr, xml.Attr{Name: xml.Name{Local: k}, Value: n.Attrs[k]})
		}
		if err := e.EncodeToken(start); err != nil {
			return err
		}
		if n.Text != "" {
			if err := e.EncodeToken(xml.CharData(n.Text)); err != nil {
				return err
			}
		}
		for _, c := range n.Children {
			if err := write(c); err != nil {
				return err
			}
		}
		return e.EncodeToken(start.End())
	}
	if err := write(n); err != nil {
		panic(err) // names come from a parsed document, so they are valid
	}
	if err := e.Flush(); err != nil {
		panic(err)
	}
	buf.WriteByte('\n')
	return buf.Bytes()
}

// Golden compares got with the TwiML in the golden file at path, both
// parsed, so attribute order and indentation do not matter. With update
// set it rewrites the file from got instead (run the tests with -update,
// then review the diff).
func Golden(t testing.TB, path string, got *Node, update bool) {
	t.Helper()
	if update {
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, got.XML(), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (run with -update to create it): %v", err)
	}
	want, err := ParseTwiML(raw)
	if err != nil {
		t.Fatalf("golden file %s does not parse: %v", path, err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("TwiML differs from %s (-want +got):\n%s\ngot:\n%s", path, diff, got.XML())
	}
}
