package main

import (
	"bufio"
	"context"
	"net"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ringdesk/ringdesk/models"
	"github.com/ringdesk/ringdesk/models/mongo"
)

// TestMain lets a test run this binary as the command itself.
func TestMain(m *testing.M) {
	if os.Getenv("MONGOSTANDIN_RUN_MAIN") == "1" {
		main()
		os.Exit(0)
	}
	os.Exit(m.Run())
}

// freeAddr returns a loopback address nobody listens on right now.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("listen: %v", err)
	}
	defer l.Close()
	return l.Addr().String()
}

// startStandIn runs the command on dir and addr and returns once it says
// it is serving.
func startStandIn(t *testing.T, dir, addr string) *exec.Cmd {
	t.Helper()
	cmd := exec.Command(os.Args[0], "--dir", dir, "--addr", addr)
	cmd.Env = append(os.Environ(), "MONGOSTANDIN_RUN_MAIN=1")
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("start mongostandin: %v", err)
	}
	t.Cleanup(func() { _ = cmd.Process.Kill() })
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || !strings.Contains(line, "mongodb://"+addr+"/") {
		t.Fatalf("first line = %q, %v; want it serving on %s", line, err, addr)
	}
	return cmd
}

// stop sends SIGTERM and waits for a clean exit.
func stop(t *testing.T, cmd *exec.Cmd) {
	t.Helper()
	if err := cmd.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	select {
	case err := <-done:
		if err != nil {
			t.Errorf("mongostandin after SIGTERM: %v, want exit status 0", err)
		}
	case <-time.After(10 * time.Second):
		t.Fatal("mongostandin still running 10s after SIGTERM")
	}
}

func TestServesUntilSIGTERMAndKeepsDataAcrossRestarts(t *testing.T) {
	dir, addr := t.TempDir(), freeAddr(t)
	cmd := startStandIn(t, dir, addr)
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	s, err := mongo.Open(ctx, mongo.Options{URI: "mongodb://" + addr + "/", Database: "ringdesk"})
	if err != nil {
		t.Fatalf("open a store on mongostandin: %v", err)
	}
	t.Cleanup(func() { _ = s.Close(context.Background()) })
	tk := &models.Ticket{Name: "Ada", PhoneNumber: "+14155552671", Description: "Kept across restarts."}
	if _, err := s.Tickets.Create(ctx, tk); err != nil {
		t.Fatalf("Create: %v", err)
	}
	stop(t, cmd)
	if conn, err := net.DialTimeout("tcp", addr, time.Second); err == nil {
		conn.Close()
		t.Fatalf("%s still accepts connections after SIGTERM", addr)
	}

	cmd = startStandIn(t, dir, addr)
	for {
		got, err := s.Tickets.Get(ctx, tk.ID)
		if err == nil {
			if got.Number != tk.Number || got.Description != tk.Description {
				t.Errorf("ticket after restart = #%d %q, want #%d %q", got.Number, got.Description, tk.Number, tk.Description)
			}
			break
		}
		if ctx.Err() != nil {
			t.Fatalf("Get after restart: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
	_ = s.Close(context.Background()) // before the stop, which waits for clients
	stop(t, cmd)
}

func TestRefusesToRunWithoutADir(t *testing.T) {
	var out strings.Builder
	if err := run(t.Context(), []string{"--addr", freeAddr(t)}, &out); err == nil || !strings.Contains(err.Error(), "--dir") {
		t.Errorf("run without --dir = %v, want an error naming --dir", err)
	}
}
