package models

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"time"
)

// The export format: JSON Lines, a header line and then one item a line.
// ExportVersion changes whenever a reader of the previous version would
// misread a line; Import refuses versions newer than it knows, and reads
// every older one. Version 2 added timeline entries ("activity" lines),
// deletion records ("deletion" lines), tickets' assignees and the pending
// status; a version 1 export is a version 2 export without them.
const (
	exportFormat  = "ringdesk-export"
	ExportVersion = 2
)

type exportHeader struct {
	Format     string    `json:"format"`
	Version    int       `json:"version"`
	ExportedAt time.Time `json:"exportedAt"`
}

// exportLine is one item. The wrappers add what the domain types keep out
// of JSON on purpose (password hashes, idempotency keys): an export must
// carry everything, but the API must not.
type exportLine struct {
	Type     string         `json:"type"`
	Agent    *exportAgent   `json:"agent,omitempty"`
	Ticket   *exportTicket  `json:"ticket,omitempty"`
	Activity *Activity      `json:"activity,omitempty"`
	Call     *Call          `json:"call,omitempty"`
	Deletion *Deletion      `json:"deletion,omitempty"`
	Counter  *exportCounter `json:"counter,omitempty"`
}

type exportAgent struct {
	*Agent
	PasswordHash []byte `json:"passwordHash"`
}

type exportTicket struct {
	*Ticket
	IdempotencyKey string `json:"idempotencyKey"`
}

type exportCounter struct {
	Name  string `json:"name"`
	Value int64  `json:"value"`
}

// TransferStats counts what an export wrote or an import found.
type TransferStats struct {
	Agents, Tickets, Activities, Calls, Deletions, Counters int
	// Inserted counts the items an import stored; the rest were already there.
	Inserted int
}

// Total is the number of items.
func (s TransferStats) Total() int {
	return s.Agents + s.Tickets + s.Activities + s.Calls + s.Deletions + s.Counters
}

func (s *TransferStats) count(it Item) {
	switch {
	case it.Agent != nil:
		s.Agents++
	case it.Ticket != nil:
		s.Tickets++
	case it.Activity != nil:
		s.Activities++
	case it.Call != nil:
		s.Calls++
	case it.Deletion != nil:
		s.Deletions++
	case it.Counter != nil:
		s.Counters++
	}
}

// Export writes every item of the store to w as versioned JSON Lines.
func Export(ctx context.Context, e Engine, w io.Writer, now time.Time) (TransferStats, error) {
	var stats TransferStats
	bw := bufio.NewWriterSize(w, 64<<10)
	enc := json.NewEncoder(bw)
	enc.SetEscapeHTML(false)
	if err := enc.Encode(exportHeader{Format: exportFormat, Version: ExportVersion, ExportedAt: now.UTC()}); err != nil {
		return stats, err
	}
	err := e.Dump(ctx, func(it Item) error {
		stats.count(it)
		return enc.Encode(lineOf(it))
	})
	if err != nil {
		return stats, err
	}
	return stats, bw.Flush()
}

func lineOf(it Item) exportLine {
	switch {
	case it.Agent != nil:
		return exportLine{Type: "agent", Agent: &exportAgent{Agent: it.Agent, PasswordHash: it.Agent.PasswordHash}}
	case it.Ticket != nil:
		return exportLine{Type: "ticket", Ticket: &exportTicket{Ticket: it.Ticket, IdempotencyKey: it.Ticket.IdempotencyKey}}
	case it.Activity != nil:
		return exportLine{Type: "activity", Activity: it.Activity}
	case it.Call != nil:
		return exportLine{Type: "call", Call: it.Call}
	case it.Deletion != nil:
		return exportLine{Type: "deletion", Deletion: it.Deletion}
	default:
		return exportLine{Type: "counter", Counter: &exportCounter{Name: it.Counter.Name, Value: it.Counter.Value}}
	}
}

// ErrExportFormat means the input is not a Ringdesk export this version
// can read.
var ErrExportFormat = errors.New("not a Ringdesk export this version can read")

// Import reads an export and restores every item into the store. Items
// already there (same id) are left alone, so importing twice changes
// nothing.
func Import(ctx context.Context, e Engine, r io.Reader) (TransferStats, error) {
	dec := json.NewDecoder(bufio.NewReaderSize(r, 64<<10))
	var h exportHeader
	if err := dec.Decode(&h); err != nil || h.Format != exportFormat {
		return TransferStats{}, fmt.Errorf("%w: the first line is not a %s header", ErrExportFormat, exportFormat)
	}
	if h.Version > ExportVersion || h.Version < 1 {
		return TransferStats{}, fmt.Errorf("%w: it is format version %d and this Ringdesk reads up to version %d; import it with a newer Ringdesk",
			ErrExportFormat, h.Version, ExportVersion)
	}
	return ImportItems(ctx, e, func(restore func(Item) error) error {
		for line := 2; ; line++ {
			var l exportLine
			err := dec.Decode(&l)
			if errors.Is(err, io.EOF) {
				return nil
			}
			if err != nil {
				return fmt.Errorf("%w: line %d: %v", ErrExportFormat, line, err)
			}
			it, err := itemOf(l)
			if err != nil {
				return fmt.Errorf("%w: line %d: %v", ErrExportFormat, line, err)
			}
			if err := restore(it); err != nil {
				return fmt.Errorf("line %d: %w", line, err)
			}
		}
	})
}

// ImportItems restores every item read calls its function with, counting
// what it found and what was new. Import uses it for an export; the CLI
// for the previous embedded store's files.
func ImportItems(ctx context.Context, e Engine, read func(fn func(Item) error) error) (TransferStats, error) {
	var stats TransferStats
	err := read(func(it Item) error {
		inserted, err := e.Restore(ctx, it)
		if err != nil {
			return err
		}
		stats.count(it)
		if inserted {
			stats.Inserted++
		}
		return nil
	})
	return stats, err
}

func itemOf(l exportLine) (Item, error) {
	switch {
	case l.Type == "agent" && l.Agent != nil && l.Agent.Agent != nil:
		a := l.Agent.Agent
		a.PasswordHash = l.Agent.PasswordHash
		if a.ID.IsZero() || a.Email == "" || len(a.PasswordHash) == 0 {
			return Item{}, errors.New("agent without id, email or password hash")
		}
		return Item{Agent: a}, nil
	case l.Type == "ticket" && l.Ticket != nil && l.Ticket.Ticket != nil:
		t := l.Ticket.Ticket
		t.IdempotencyKey = l.Ticket.IdempotencyKey
		if t.ID.IsZero() || t.Number < 1 || t.IdempotencyKey == "" {
			return Item{}, errors.New("ticket without id, number or idempotency key")
		}
		if !ValidStatus(t.Status) {
			return Item{}, fmt.Errorf("ticket #%d has unknown status %q", t.Number, t.Status)
		}
		if t.Assignee != nil && t.Assignee.ID.IsZero() {
			return Item{}, fmt.Errorf("ticket #%d has an assignee without id", t.Number)
		}
		return Item{Ticket: t}, nil
	case l.Type == "activity" && l.Activity != nil:
		a := l.Activity
		if a.ID.IsZero() || a.TicketID.IsZero() {
			return Item{}, errors.New("timeline entry without id or ticket id")
		}
		if !ValidActivityKind(a.Kind) {
			return Item{}, fmt.Errorf("timeline entry %s has unknown kind %q", a.ID.Hex(), a.Kind)
		}
		if a.Kind == ActivityStatus && !ValidStatus(a.Status) {
			return Item{}, fmt.Errorf("timeline entry %s has unknown status %q", a.ID.Hex(), a.Status)
		}
		if a.Kind == ActivityAssigned && (a.Assignee == nil || a.Assignee.ID.IsZero()) {
			return Item{}, fmt.Errorf("timeline entry %s assigns the ticket to nobody", a.ID.Hex())
		}
		return Item{Activity: a}, nil
	case l.Type == "deletion" && l.Deletion != nil:
		if l.Deletion.ID.IsZero() || l.Deletion.TicketID.IsZero() {
			return Item{}, errors.New("deletion record without id or ticket id")
		}
		return Item{Deletion: l.Deletion}, nil
	case l.Type == "call" && l.Call != nil:
		if l.Call.ID.IsZero() || l.Call.SID == "" {
			return Item{}, errors.New("call without id or sid")
		}
		return Item{Call: l.Call}, nil
	case l.Type == "counter" && l.Counter != nil:
		return Item{Counter: &Counter{Name: l.Counter.Name, Value: l.Counter.Value}}, nil
	}
	return Item{}, fmt.Errorf("unknown item type %q", l.Type)
}
