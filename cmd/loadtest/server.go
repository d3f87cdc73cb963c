package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"syscall"
	"time"

	"github.com/ringdesk/ringdesk/models"
	"github.com/ringdesk/ringdesk/models/sqlite"
)

// Settings every Ringdesk under test gets. RATE_LIMIT_SCALE is the
// documented way to let one loopback address send thousands of tickets;
// every other security check stays on.
const (
	adminEmail    = "loadtest@example.com"
	adminPassword = "loadtest-password-1"
	rateScale     = "10000"
)

// buildBinaries builds, once and from the repository root, the server and
// the MongoDB stand-in that the outage scenario runs as its database.
func buildBinaries(ctx context.Context, repo, tmp string) (ringdesk, standin string, err error) {
	ringdesk, standin = filepath.Join(tmp, "ringdesk"), filepath.Join(tmp, "mongostandin")
	for bin, pkg := range map[string]string{ringdesk: ".", standin: "./cmd/mongostandin"} {
		cmd := exec.CommandContext(ctx, "go", "build", "-o", bin, pkg)
		cmd.Dir = repo
		if out, err := cmd.CombinedOutput(); err != nil {
			return "", "", fmt.Errorf("go build %s: %v\n%s", pkg, err, out)
		}
	}
	return ringdesk, standin, nil
}

// findRepo walks up from the working directory to the directory holding
// go.mod, so the program works from "go run" and from "go test".
func findRepo() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory; pass -repo")
		}
		dir = parent
	}
}

// freePort asks the kernel for a free loopback port.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}

// process is one child process (Ringdesk or the store) that can be
// started, stopped gracefully, killed and started again with the same
// settings.
type process struct {
	name string
	bin  string
	args []string
	env  []string
	dir  string // working directory; also where the logs go
	cmd  *exec.Cmd
	done chan struct{}
	runs int
}

func (p *process) start() error {
	p.runs++
	logf, err := os.Create(filepath.Join(p.dir, fmt.Sprintf("%s-%d.log", p.name, p.runs)))
	if err != nil {
		return err
	}
	cmd := exec.Command(p.bin, p.args...)
	cmd.Dir = p.dir // no stray .env is read from the repository
	cmd.Env = p.env
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		logf.Close()
		return err
	}
	p.cmd, p.done = cmd, make(chan struct{})
	go func() {
		_ = cmd.Wait()
		logf.Close()
		close(p.done)
	}()
	return nil
}

func (p *process) exited() bool {
	select {
	case <-p.done:
		return true
	default:
		return false
	}
}

// stop sends SIGTERM and waits for a graceful exit.
func (p *process) stop() error {
	if p.cmd == nil || p.exited() {
		return nil
	}
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		if code := p.cmd.ProcessState.ExitCode(); code != 0 {
			return fmt.Errorf("%s exited with status %d after SIGTERM (log in %s)", p.name, code, p.dir)
		}
		return nil
	case <-time.After(40 * time.Second):
		p.kill()
		return fmt.Errorf("%s did not stop within 40 s of SIGTERM", p.name)
	}
}

// kill sends SIGKILL and waits until the process is gone.
func (p *process) kill() {
	if p.cmd == nil || p.exited() {
		return
	}
	_ = p.cmd.Process.Kill()
	<-p.done
}

// ringdesk is a Ringdesk server under test.
type ringdesk struct {
	process
	url     string
	dataDir string
}

// newRingdesk prepares (does not start) a server on a free port with its
// own data directory; extra adds to or overrides the environment.
func newRingdesk(bin, tmp string, extra map[string]string) (*ringdesk, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	data := filepath.Join(tmp, "data")
	if err := os.MkdirAll(data, 0o700); err != nil {
		return nil, err
	}
	url := "http://127.0.0.1:" + strconv.Itoa(port)
	env := map[string]string{
		"PORT":             strconv.Itoa(port),
		"PUBLIC_URL":       url,
		"DATA_DIR":         data,
		"RATE_LIMIT_SCALE": rateScale,
		"ADMIN_EMAIL":      adminEmail,
		"ADMIN_PASSWORD":   adminPassword,
		"LOG_LEVEL":        "warn",
		"PATH":             os.Getenv("PATH"),
		"HOME":             os.Getenv("HOME"),
	}
	for k, v := range extra {
		env[k] = v
	}
	r := &ringdesk{process: process{name: "ringdesk", bin: bin, dir: tmp}, url: url, dataDir: data}
	for k, v := range env {
		r.env = append(r.env, k+"="+v)
	}
	return r, nil
}

// start starts the server and waits for /readyz to answer 200.
func (r *ringdesk) start(ctx context.Context) error {
	if err := r.process.start(); err != nil {
		return err
	}
	deadline := time.Now().Add(60 * time.Second)
	for {
		req, _ := http.NewRequestWithContext(ctx, http.MethodGet, r.url+"/readyz", nil)
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if r.exited() {
			return fmt.Errorf("ringdesk exited during start-up (log in %s)", r.dir)
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			r.kill()
			return fmt.Errorf("ringdesk not ready within 60 s (log in %s)", r.dir)
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// openStore opens the stopped server's data directory, as the next start
// would, for verification.
func (r *ringdesk) openStore(ctx context.Context) (*models.Store, error) {
	ctx, cancel := context.WithTimeout(ctx, 60*time.Second)
	defer cancel()
	return sqlite.Open(ctx, sqlite.Options{Dir: r.dataDir})
}

// lockFree reports whether the embedded store's lock on dir can be taken,
// i.e. no live process holds it.
func lockFree(dir string) (bool, error) {
	held, err := sqlite.InUse(dir)
	return !held && err == nil, err
}

// storeProc is a separate MongoDB-compatible database process (the
// FerretDB stand-in, cmd/mongostandin) on a fixed address, so it can be
// killed and restarted under a running Ringdesk.
type storeProc struct {
	process
	addr string
}

func newStoreProc(bin, tmp string) (*storeProc, error) {
	port, err := freePort()
	if err != nil {
		return nil, err
	}
	addr := "127.0.0.1:" + strconv.Itoa(port)
	dir := filepath.Join(tmp, "store")
	s := &storeProc{addr: addr, process: process{
		name: "store", bin: bin, dir: tmp,
		args: []string{"--dir", dir, "--addr", addr},
		env:  []string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME")},
	}}
	return s, nil
}

func (s *storeProc) uri() string { return "mongodb://" + s.addr + "/" }

// start starts the store and waits until it accepts connections.
func (s *storeProc) start() error {
	if err := s.process.start(); err != nil {
		return err
	}
	deadline := time.Now().Add(30 * time.Second)
	for {
		conn, err := net.DialTimeout("tcp", s.addr, time.Second)
		if err == nil {
			conn.Close()
			return nil
		}
		if s.exited() {
			return fmt.Errorf("store exited during start-up (log in %s)", s.dir)
		}
		if time.Now().After(deadline) {
			s.kill()
			return fmt.Errorf("store not listening within 30 s (log in %s)", s.dir)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
