package main

import (
	"bytes"
	"context"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/ringdesk/ringdesk/models"
	"github.com/ringdesk/ringdesk/models/mongo"
	"github.com/ringdesk/ringdesk/models/sqlite"
	"github.com/ringdesk/ringdesk/models/storetest"
)

// cliRun runs one command the way a shell would, and returns its output.
func cliRun(t *testing.T, env map[string]string, stdin string, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	var out, errOut bytes.Buffer
	err = run(t.Context(), args, func(k string) string { return env[k] }, strings.NewReader(stdin), &out, &errOut)
	return out.String(), errOut.String(), err
}

func mustCLI(t *testing.T, env map[string]string, stdin string, args ...string) (stdout, stderr string) {
	t.Helper()
	stdout, stderr, err := cliRun(t, env, stdin, args...)
	if err != nil {
		t.Fatalf("ringdesk %s: %v\nstdout: %s\nstderr: %s", strings.Join(args, " "), err, stdout, stderr)
	}
	return stdout, stderr
}

func TestHelpExitsZero(t *testing.T) {
	t.Chdir(t.TempDir())
	for _, args := range [][]string{{"help"}, {"--help"}, {"-h"}, {"agent", "add", "--help"}, {"export", "-h"}, {"backup", "--help"}} {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			out, _ := mustCLI(t, map[string]string{"DATA_DIR": t.TempDir()}, "", args...)
			if !strings.Contains(out, "usage: ringdesk") {
				t.Errorf("output %q does not show the usage", out)
			}
		})
	}
}

// TestCLIBesideRunningServer manages agents and backs up the embedded
// store from the shell while a server runs on the same DATA_DIR: every
// change must be one the server sees at once.
func TestCLIBesideRunningServer(t *testing.T) {
	t.Chdir(t.TempDir())
	dataDir := t.TempDir()
	port := freePort(t)
	env := map[string]string{"PORT": strconv.Itoa(port), "DATA_DIR": dataDir}
	srv := startRun(t, func(k string) string { return env[k] })
	base := "http://127.0.0.1:" + strconv.Itoa(port)
	waitForReady(t, base+"/readyz", srv)

	// The first agent is the admin, who cannot be disabled while the
	// only one; Sam, the second, can.
	mustCLI(t, env, "long enough password\n", "agent", "add", "--email", "lead@example.com", "--name", "Team Lead")
	_, stderr := mustCLI(t, env, "long enough password\n", "agent", "add", "--email", "Sam@Example.com", "--name", "Sam Rivera")
	if abs, _ := filepath.Abs(dataDir); !strings.Contains(stderr, abs) || !strings.Contains(stderr, "shared with the running Ringdesk") {
		t.Errorf("agent add did not say which store it used: %q", stderr)
	}
	signIn := func(password string) (*http.Client, bool) {
		c := newClient(t)
		resp := postForm(t, c, base+"/login", url.Values{"email": {"sam@example.com"}, "password": {password}})
		return c, resp.StatusCode == http.StatusSeeOther && resp.Header.Get("Location") == "/dashboard"
	}
	sam, ok := signIn("long enough password")
	if !ok {
		t.Fatal("the running server did not see the agent added from the shell")
	}
	out, _ := mustCLI(t, env, "", "agent", "list")
	if !strings.Contains(out, "sam@example.com") || !strings.Contains(out, "Sam Rivera") || !strings.Contains(out, "active") {
		t.Errorf("agent list = %q", out)
	}

	mustCLI(t, env, "", "agent", "disable", "sam@example.com")
	if resp, _ := get(t, sam, base+"/dashboard"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("a disabled agent's open session still gets the dashboard (%d)", resp.StatusCode)
	}
	if _, ok := signIn("long enough password"); ok {
		t.Error("a disabled agent could sign in")
	}
	if out, _ := mustCLI(t, env, "", "agent", "list"); !strings.Contains(out, "disabled") {
		t.Errorf("agent list does not show the agent disabled: %q", out)
	}
	mustCLI(t, env, "", "agent", "enable", "sam@example.com")
	mustCLI(t, env, "a brand new password\n", "agent", "reset-password", "sam@example.com")
	if _, ok := signIn("long enough password"); ok {
		t.Error("the old password still works after reset-password")
	}
	if _, ok := signIn("a brand new password"); !ok {
		t.Error("the new password does not work after reset-password")
	}
	for _, bad := range [][]string{{"agent", "disable", "nobody@example.com"}, {"agent", "reset-password", "nobody@example.com"}} {
		if _, _, err := cliRun(t, env, "a brand new password\n", bad...); err == nil || !strings.Contains(err.Error(), "no agent has the email") {
			t.Errorf("ringdesk %s: err = %v, want one saying no agent has that email", strings.Join(bad, " "), err)
		}
	}
	if _, _, err := cliRun(t, env, "short\n", "agent", "reset-password", "sam@example.com"); err == nil || !strings.Contains(err.Error(), "10 characters") {
		t.Errorf("a short new password: err = %v, want the password rule", err)
	}

	// An online backup while the server runs holds what was acknowledged.
	resp := postForm(t, newClient(t), base+"/tickets", url.Values{
		"name": {"Backed Up"}, "phone_number": {"+14155552671"}, "description": {"In the snapshot"},
	})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("POST /tickets = %d", resp.StatusCode)
	}
	restored := t.TempDir()
	mustCLI(t, env, "", "backup", filepath.Join(restored, "ringdesk.db"))
	if _, _, err := cliRun(t, env, "", "backup", filepath.Join(restored, "ringdesk.db")); err == nil {
		t.Error("backup overwrote an existing file")
	}
	srv.stop(t)
	s := storetest.NewSQLite(t, sqlite.Options{Dir: restored})
	tickets, _, err := s.Tickets.List(t.Context(), nil, 10)
	if err != nil || len(tickets) != 1 || tickets[0].Name != "Backed Up" {
		t.Errorf("restored backup lists %v, %v; want the one ticket", tickets, err)
	}
}

// TestExportImportRoundTrip moves a team's data from the embedded store to
// MongoDB and back, the documented way, and checks nothing changed; a
// second import of the same file changes nothing.
func TestExportImportRoundTrip(t *testing.T) {
	t.Chdir(t.TempDir())
	first := map[string]string{"DATA_DIR": t.TempDir()}
	seedDir(t, first["DATA_DIR"])
	exported := filepath.Join(t.TempDir(), "first.jsonl")
	mustCLI(t, first, "", "export", exported)

	mongoEnv := map[string]string{"MONGODB_URI": storetest.MongoURI(t), "MONGODB_DATABASE": "test_" + models.RandomHex(6), "DATA_DIR": t.TempDir()}
	storetest.NewMongoWith(t, mongo.Options{Database: mongoEnv["MONGODB_DATABASE"]}) // dropped when the test ends
	_, stderr := mustCLI(t, mongoEnv, "", "import", exported)
	if !strings.Contains(stderr, "MongoDB at") || !strings.Contains(stderr, "0 already there") {
		t.Errorf("first import into MongoDB said %q", stderr)
	}
	if _, stderr := mustCLI(t, mongoEnv, "", "import", exported); !strings.Contains(stderr, " 0 new") {
		t.Errorf("second import said %q, want nothing new", stderr)
	}
	fromMongo, _ := mustCLI(t, mongoEnv, "", "export")

	back := map[string]string{"DATA_DIR": t.TempDir()}
	mustCLI(t, back, fromMongo, "import")
	final, _ := mustCLI(t, back, "", "export")

	original, err := os.ReadFile(exported)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(withoutHeader(string(original)), withoutHeader(final)); diff != "" {
		t.Errorf("embedded -> MongoDB -> embedded changed the data (-before +after):\n%s", diff)
	}

	// A newer format is refused with a clear line, before anything is read.
	newer := strings.Replace(string(original), fmt.Sprintf(`"version":%d`, models.ExportVersion), `"version":99`, 1)
	if newer == string(original) {
		t.Fatal("the export's header carries no version to change")
	}
	if _, _, err := cliRun(t, back, newer, "import"); err == nil || !strings.Contains(err.Error(), "newer Ringdesk") {
		t.Errorf("import of a newer format: err = %v, want one asking for a newer Ringdesk", err)
	}
}

// seedDir fills an embedded store with an agent, tickets with call
// history, and a closed ticket.
func seedDir(t *testing.T, dir string) {
	t.Helper()
	s := storetest.NewSQLite(t, sqlite.Options{Dir: dir})
	ctx := t.Context()
	if _, err := s.Agents.Create(ctx, models.AgentInput{Email: "ada@example.com", Name: "Ada", Password: "correct horse battery"}); err != nil {
		t.Fatal(err)
	}
	var last models.Ticket
	for i := range 3 {
		tk, err := models.TicketInput{Name: "Customer " + strconv.Itoa(i), PhoneNumber: "+442079460958", Description: "Line " + strconv.Itoa(i)}.Validate("US")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := s.Tickets.Create(ctx, &tk); err != nil {
			t.Fatal(err)
		}
		last = tk
	}
	if err := s.Tickets.SetStatus(ctx, last.ID, models.StatusClosed, models.AgentRef{}); err != nil {
		t.Fatal(err)
	}
	for _, st := range []models.CallStatus{models.CallInitiated, models.CallAnswered, models.CallCompleted} {
		if _, err := s.Calls.Record(ctx, models.CallEvent{Provider: "twilio", SID: "CA01", TicketID: &last.ID, Direction: models.CallOutbound,
			From: "client:support_agent", To: last.PhoneNumber, Status: st, Duration: 42}); err != nil {
			t.Fatal(err)
		}
	}
	if err := s.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
}

func withoutHeader(export string) string {
	_, rest, _ := strings.Cut(export, "\n")
	return rest
}

// TestBinaryDoesNotLinkFerretDB: the MongoDB stand-in is for tests only.
func TestBinaryDoesNotLinkFerretDB(t *testing.T) {
	out, err := exec.Command("go", "list", "-deps", ".").CombinedOutput()
	if err != nil {
		t.Fatalf("go list: %v\n%s", err, out)
	}
	if strings.Contains(string(out), "FerretDB") {
		t.Error("the ringdesk binary links FerretDB")
	}
	for _, want := range []string{"modernc.org/sqlite", "go.mongodb.org/mongo-driver/v2/mongo"} {
		if !strings.Contains(string(out), want) {
			t.Errorf("the binary does not link %s", want)
		}
	}
}

// TestLegacyDataDir starts on a DATA_DIR written by the previous embedded
// store (FerretDB's files): start-up stops with one line saying how to
// carry the data over, and following it brings every agent and ticket
// across.
func TestLegacyDataDir(t *testing.T) {
	t.Chdir(t.TempDir())
	old := filepath.Join(t.TempDir(), "data")
	if err := os.MkdirAll(old, 0o700); err != nil {
		t.Fatal(err)
	}
	srv, err := storetest.StartFerretDB(t.Context(), storetest.FerretDBOptions{Dir: old})
	if err != nil {
		t.Fatal(err)
	}
	// The previous Ringdesk wrote the documents the MongoDB store writes.
	s, err := mongo.Open(t.Context(), mongo.Options{URI: srv.URI(), Database: "ringdesk"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.Agents.Create(t.Context(), models.AgentInput{Email: "ada@example.com", Name: "Ada", Password: "correct horse battery"}); err != nil {
		t.Fatal(err)
	}
	tk, _ := models.TicketInput{Name: "Old Customer", PhoneNumber: "+442079460958", Description: "From before the upgrade"}.Validate("US")
	if _, err := s.Tickets.Create(t.Context(), &tk); err != nil {
		t.Fatal(err)
	}
	if err := s.Close(context.Background()); err != nil {
		t.Fatal(err)
	}
	srv.Stop()

	env := map[string]string{"DATA_DIR": old, "PORT": strconv.Itoa(freePort(t))}
	_, _, err = cliRun(t, env, "")
	if err == nil || !strings.HasPrefix(err.Error(), "DATA_DIR") || !strings.Contains(err.Error(), "ringdesk import --legacy") {
		t.Fatalf("start on a legacy DATA_DIR: err = %v, want one line saying how to carry the data over", err)
	}

	moved := old + ".old"
	if err := os.Rename(old, moved); err != nil {
		t.Fatal(err)
	}
	_, stderr := mustCLI(t, env, "", "import", "--legacy", moved)
	if !strings.Contains(stderr, "1 agents, 1 tickets") {
		t.Errorf("import --legacy said %q", stderr)
	}
	if out, _ := mustCLI(t, env, "", "agent", "list"); !strings.Contains(out, "ada@example.com") {
		t.Errorf("after the import, agent list = %q", out)
	}
	store := storetest.NewSQLite(t, sqlite.Options{Dir: old})
	got, _, err := store.Tickets.List(t.Context(), nil, 10)
	if err != nil || len(got) != 1 || got[0].ID != tk.ID || got[0].Number != 1 {
		t.Errorf("after the import, tickets = %+v, %v; want the old ticket with its id and number", got, err)
	}
}
