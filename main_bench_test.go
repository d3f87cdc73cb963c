package main

import (
	"bufio"
	"context"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ringdesk/ringdesk/models/sqlite"
	"github.com/ringdesk/ringdesk/models/storetest"
)

// BenchmarkStartup builds the binary, then per iteration starts it on the
// embedded store and a free port, and reports the wall time from exec to
// the first /readyz 200 and the resident memory (VmRSS) after two seconds
// idle: on a fresh DATA_DIR, and on one holding 100,000 tickets (seeded
// once, straight into the store). Linux only (it reads /proc).
func BenchmarkStartup(b *testing.B) {
	if _, err := os.Stat("/proc/self/status"); err != nil {
		b.Skip("needs /proc")
	}
	bin := filepath.Join(b.TempDir(), "ringdesk")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		b.Fatalf("go build: %v\n%s", err, out)
	}
	for _, tickets := range []int{0, 100000} {
		b.Run("tickets="+strconv.Itoa(tickets), func(b *testing.B) {
			dir := ""
			if tickets > 0 {
				dir = b.TempDir()
				s := storetest.NewSQLite(b, sqlite.Options{Dir: filepath.Join(dir, "data")})
				storetest.SeedTickets(b, s, tickets)
				if err := s.Close(context.Background()); err != nil {
					b.Fatal(err)
				}
			}
			var ready time.Duration
			var rss float64
			n := 0
			for b.Loop() {
				d, kib := startOnce(b, bin, dir)
				ready += d
				rss += float64(kib) / 1024
				n++
			}
			b.ReportMetric(float64(ready.Milliseconds())/float64(n), "ms-to-ready")
			b.ReportMetric(rss/float64(n), "RSS-MiB")
		})
	}
}

// startOnce starts the binary in dir (a fresh one when empty), with its
// DATA_DIR in dir/data.
func startOnce(b *testing.B, bin, dir string) (time.Duration, int) {
	b.Helper()
	if dir == "" {
		dir = b.TempDir()
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()

	cmd := exec.Command(bin)
	cmd.Dir = dir // no stray .env from the working tree
	cmd.Env = []string{"PORT=" + strconv.Itoa(port), "DATA_DIR=" + filepath.Join(dir, "data"), "HOME=" + dir, "PATH=" + os.Getenv("PATH")}
	var log strings.Builder
	cmd.Stdout, cmd.Stderr = &log, &log
	start := time.Now()
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	defer func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-exited:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			<-exited
		}
	}()

	url := "http://127.0.0.1:" + strconv.Itoa(port) + "/readyz"
	client := &http.Client{Timeout: time.Second}
	var ready time.Duration
	for deadline := start.Add(60 * time.Second); ready == 0; {
		if time.Now().After(deadline) {
			b.Fatalf("not ready within 60 s:\n%s", log.String())
		}
		select {
		case err := <-exited:
			exited <- err // for the deferred stop
			b.Fatalf("exited early: %v\n%s", err, log.String())
		default:
		}
		if resp, err := client.Get(url); err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				ready = time.Since(start)
				break
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	client.CloseIdleConnections()

	time.Sleep(2 * time.Second)
	f, err := os.Open("/proc/" + strconv.Itoa(cmd.Process.Pid) + "/status")
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kib, err := strconv.Atoi(strings.TrimSuffix(strings.TrimSpace(rest), " kB"))
			if err != nil {
				b.Fatalf("VmRSS %q: %v", rest, err)
			}
			return ready, kib
		}
	}
	b.Fatal("no VmRSS in /proc/<pid>/status")
	return 0, 0
}
