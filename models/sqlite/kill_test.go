package sqlite_test

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"os/exec"
	"testing"
	"time"

	"github.com/ringdesk/ringdesk/models"
	"github.com/ringdesk/ringdesk/models/sqlite"
)

// writerEnv makes a re-run of this test binary the writer that gets
// killed: it creates tickets in the directory it names, printing each id
// once Create has returned.
const writerEnv = "RINGDESK_SQLITE_KILLED_WRITER"

// TestAcknowledgedWritesSurviveKill9 kills a process in the middle of
// creating tickets: every ticket it was told had been created is there
// when the store is opened again.
func TestAcknowledgedWritesSurviveKill9(t *testing.T) {
	if dir := os.Getenv(writerEnv); dir != "" {
		s, err := sqlite.Open(context.Background(), sqlite.Options{Dir: dir})
		if err != nil {
			t.Fatal(err)
		}
		for {
			tk := ticket(t, "kill -9")
			if _, err := s.Tickets.Create(context.Background(), tk); err != nil {
				t.Fatal(err)
			}
			fmt.Println(tk.ID.Hex())
		}
	}
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	cmd := exec.Command(self, "-test.run=^TestAcknowledgedWritesSurviveKill9$")
	cmd.Env = append(os.Environ(), writerEnv+"="+dir)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	var acked []models.ID
	lines := bufio.NewScanner(out)
	deadline := time.Now().Add(20 * time.Second)
	for len(acked) < 300 && time.Now().Before(deadline) && lines.Scan() {
		if id, err := models.ParseID(lines.Text()); err == nil {
			acked = append(acked, id)
		}
	}
	if err := cmd.Process.Kill(); err != nil { // SIGKILL
		t.Fatal(err)
	}
	// Ids printed before the kill landed in the pipe's buffer.
	for lines.Scan() {
		if id, err := models.ParseID(lines.Text()); err == nil {
			acked = append(acked, id)
		}
	}
	_ = cmd.Wait()
	if len(acked) == 0 {
		t.Fatal("the writer acknowledged no ticket before it was killed")
	}

	s := open(t, sqlite.Options{Dir: dir})
	for _, id := range acked {
		if _, err := s.Tickets.Get(context.Background(), id); err != nil {
			t.Fatalf("acknowledged ticket %v lost after kill -9: %v", id, err)
		}
	}
	if n, err := s.Tickets.CountOpen(context.Background()); err != nil || n < int64(len(acked)) {
		t.Errorf("CountOpen after kill -9 = %d, %v; want at least %d", n, err, len(acked))
	}
	t.Logf("%d acknowledged tickets survived kill -9", len(acked))
}
