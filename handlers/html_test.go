package handlers_test

// Small helpers for reading pages the way a browser would: by element,
// attribute and text, not by substring.

import (
	"strings"
	"testing"

	"golang.org/x/net/html"
)

// findAll returns every element under n for which match is true, in
// document order.
func findAll(n *html.Node, match func(*html.Node) bool) []*html.Node {
	var out []*html.Node
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.ElementNode && match(n) {
			out = append(out, n)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return out
}

// find returns the first element under n for which match is true, or nil.
func find(n *html.Node, match func(*html.Node) bool) *html.Node {
	if all := findAll(n, match); len(all) > 0 {
		return all[0]
	}
	return nil
}

// byID matches the element with that id.
func byID(id string) func(*html.Node) bool {
	return func(n *html.Node) bool { return attr(n, "id") == id }
}

// byClass matches elements carrying the class.
func byClass(class string) func(*html.Node) bool {
	return func(n *html.Node) bool { return hasClass(n, class) }
}

// byTag matches elements with that tag name.
func byTag(tag string) func(*html.Node) bool {
	return func(n *html.Node) bool { return n.Data == tag }
}

// byName matches form controls with that name.
func byName(name string) func(*html.Node) bool {
	return func(n *html.Node) bool {
		return (n.Data == "input" || n.Data == "textarea" || n.Data == "select") && attr(n, "name") == name
	}
}

func attr(n *html.Node, key string) string {
	if n == nil {
		return ""
	}
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func hasAttr(n *html.Node, key string) bool {
	for _, a := range n.Attr {
		if a.Key == key {
			return true
		}
	}
	return false
}

func hasClass(n *html.Node, class string) bool {
	for _, c := range strings.Fields(attr(n, "class")) {
		if c == class {
			return true
		}
	}
	return false
}

// text is the text content of n and its descendants.
func text(n *html.Node) string {
	if n == nil {
		return ""
	}
	var b strings.Builder
	var walk func(*html.Node)
	walk = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c)
		}
	}
	walk(n)
	return b.String()
}

// squash collapses runs of white space, as a browser renders text.
func squash(s string) string { return strings.Join(strings.Fields(s), " ") }

// fieldValue is what a form control holds: an input's value attribute or
// a textarea's text (the parser already drops the newline that may follow
// <textarea>, as browsers do).
func fieldValue(t testing.TB, doc *html.Node, name string) string {
	t.Helper()
	n := find(doc, byName(name))
	if n == nil {
		t.Fatalf("no form field named %q", name)
	}
	if n.Data == "textarea" {
		return text(n)
	}
	return attr(n, "value")
}

// fieldErrors maps each field that has an error element (id
// "<field>-error") to that element's text.
func fieldErrors(doc *html.Node, fields ...string) map[string]string {
	out := map[string]string{}
	for _, f := range fields {
		if n := find(doc, byID(f+"-error")); n != nil {
			out[f] = strings.TrimSpace(text(n))
		}
	}
	return out
}

// flashText is the flash message on a page, or "".
func flashText(doc *html.Node) string {
	return squash(text(find(doc, byClass("flash"))))
}
