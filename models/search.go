package models

import (
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"
)

// View is one of the dashboard's ticket lists.
type View string

// The views. Open, Mine and Unassigned hold only tickets that are not
// closed (open or pending): they are the team's work still to do.
const (
	ViewOpen       View = "open" // not closed; the default
	ViewMine       View = "mine" // not closed, assigned to Query.Agent
	ViewUnassigned View = "unassigned"
	ViewPending    View = "pending"
	ViewClosed     View = "closed"
	ViewAll        View = "all"
)

// Views lists every view in the order the dashboard offers them.
var Views = []View{ViewOpen, ViewMine, ViewUnassigned, ViewPending, ViewClosed, ViewAll}

// ParseView reads a view's name; "" is ViewOpen.
func ParseView(s string) (View, bool) {
	if s == "" {
		return ViewOpen, true
	}
	for _, v := range Views {
		if string(v) == s {
			return v, true
		}
	}
	return "", false
}

// Includes reports whether t belongs in view v for agent (whose tickets
// are "mine"). The stores answer the same question with their indexes;
// this is for deciding, say, whether a changed ticket's card belongs on a
// dashboard showing v.
func (v View) Includes(t *Ticket, agent ID) bool {
	live := t.Status != StatusClosed
	switch v {
	case ViewOpen:
		return live
	case ViewMine:
		return live && t.Assignee != nil && !agent.IsZero() && t.Assignee.ID == agent
	case ViewUnassigned:
		return live && t.Assignee == nil
	case ViewPending:
		return t.Status == StatusPending
	case ViewClosed:
		return t.Status == StatusClosed
	case ViewAll:
		return true
	}
	return false
}

// MaxSearchLen caps the words of a search, in characters.
const MaxSearchLen = 200

// Search is what the dashboard's search box asked for: at most one field
// is set, and none for no search.
type Search struct {
	Number int64  // a ticket number
	Phone  string // a phone number in E.164
	Words  string // words from names and descriptions
}

// IsZero reports an empty search.
func (s Search) IsZero() bool { return s == Search{} }

// ParseSearch reads the search box. "1042" and "#1042" (one to nine
// digits) are a ticket number; something phone-like (digits with + ( ) -
// . and spaces, at least seven digits) that NormalizePhone accepts with
// region is a phone number, in E.164; anything else is words, trimmed and
// cut to MaxSearchLen characters. An empty box is no search.
func ParseSearch(raw, region string) Search {
	s := strings.TrimSpace(strings.ToValidUTF8(raw, ""))
	if s == "" {
		return Search{}
	}
	if n, ok := ticketNumber(s); ok {
		return Search{Number: n}
	}
	if phoneLike(s) {
		if e164, msg := NormalizePhone(s, region); msg == "" {
			return Search{Phone: e164}
		}
	}
	// Control characters would only confuse the full-text query.
	s = strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return ' '
		}
		return r
	}, s)
	if utf8.RuneCountInString(s) > MaxSearchLen {
		s = string([]rune(s)[:MaxSearchLen])
	}
	return Search{Words: strings.TrimSpace(s)}
}

// ticketNumber reads "1042" or "#1042".
func ticketNumber(s string) (int64, bool) {
	s = strings.TrimPrefix(s, "#")
	if len(s) < 1 || len(s) > 9 {
		return 0, false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 1 {
		return 0, false
	}
	return n, true
}

// phoneLike reports text made of what people type in phone numbers,
// with at least seven digits.
func phoneLike(s string) bool {
	digits := 0
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9':
			digits++
		case strings.ContainsRune("+()-.", r), unicode.IsSpace(r):
		default:
			return false
		}
	}
	return digits >= 7
}

// Terms splits a word search into the words both stores look up, each
// to be matched whole: quotes are dropped (the stores quote each term
// themselves) and so are terms with no letter or digit, which no index
// holds.
func (s Search) Terms() []string {
	var out []string
	for _, f := range strings.Fields(s.Words) {
		f = strings.ReplaceAll(f, `"`, "")
		if strings.IndexFunc(f, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsNumber(r) }) >= 0 {
			out = append(out, f)
		}
	}
	return out
}

// Query selects tickets for Find: a view, and a search within it.
type Query struct {
	View   View
	Agent  ID // whose tickets ViewMine shows
	Search Search
}

// ViewCounts counts the tickets in each view, for the dashboard's tabs.
type ViewCounts struct {
	Open       int64 `json:"open"`
	Mine       int64 `json:"mine"`
	Unassigned int64 `json:"unassigned"`
	Pending    int64 `json:"pending"`
	Closed     int64 `json:"closed"`
	All        int64 `json:"all"`
}

// Of returns view v's count.
func (c ViewCounts) Of(v View) int64 {
	switch v {
	case ViewOpen:
		return c.Open
	case ViewMine:
		return c.Mine
	case ViewUnassigned:
		return c.Unassigned
	case ViewPending:
		return c.Pending
	case ViewClosed:
		return c.Closed
	case ViewAll:
		return c.All
	}
	return 0
}
