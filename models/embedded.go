package models

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"
)

// Embedded is the in-process MongoDB-compatible server (FerretDB with its
// SQLite backend) that gives Ringdesk a zero-set-up store.
type Embedded struct {
	dir    string
	uri    string
	lock   *os.File
	cancel context.CancelFunc
	done   chan struct{}
}

// EmbeddedOptions configures StartEmbedded.
type EmbeddedOptions struct {
	// Dir holds the SQLite files, the lock file and (by default) the socket.
	Dir string
	// Addr, when set, is a TCP address to listen on instead of the Unix
	// socket in Dir (tests use it to restart the server on the same port).
	Addr string
	// Logger receives the server's own logs; nil discards them, because
	// FerretDB logs every client connection.
	Logger *slog.Logger
}

// ErrDataDirInUse means another process already serves the same DATA_DIR.
var ErrDataDirInUse = errors.New("data directory is in use by another Ringdesk process")

// socketName is short because Unix socket paths are limited to 108 bytes.
const socketName = "mongodb.sock"

// StartEmbedded starts the embedded server and returns once it accepts
// connections. Only one process may serve a directory at a time: SQLite
// copes with several, but FerretDB caches its catalogue in memory.
func StartEmbedded(ctx context.Context, o EmbeddedOptions) (*Embedded, error) {
	dir, err := filepath.Abs(o.Dir)
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("create data directory: %w", err)
	}
	lock, err := lockDir(dir)
	if err != nil {
		return nil, err
	}
	listener := ferretdb.ListenerConfig{TCP: o.Addr}
	sock := filepath.Join(dir, socketName)
	if o.Addr == "" {
		if len(sock) > 100 {
			listener.TCP = "127.0.0.1:0"
		} else {
			// A socket left behind by a killed process would make the
			// listen fail; the lock proves nobody else is using it.
			_ = os.Remove(sock)
			listener.Unix = sock
		}
	}
	logger := o.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	f, err := ferretdb.New(&ferretdb.Config{
		Listener:  listener,
		Handler:   "sqlite",
		SQLiteURL: (&url.URL{Scheme: "file", Path: dir + "/"}).String(),
		Logger:    logger,
	})
	if err != nil {
		lock.Close()
		return nil, fmt.Errorf("start embedded store: %w", err)
	}
	runCtx, cancel := context.WithCancel(context.Background())
	e := &Embedded{dir: dir, lock: lock, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(e.done)
		_ = f.Run(runCtx)
	}()
	if listener.Unix != "" {
		e.uri = "mongodb://" + url.PathEscape(sock) + "/"
	} else {
		e.uri = f.MongoDBURI() // blocks until the listener is up
	}
	if err := e.waitReady(ctx, listener.Unix); err != nil {
		e.Stop()
		return nil, err
	}
	return e, nil
}

// waitReady polls until the listener accepts connections.
func (e *Embedded) waitReady(ctx context.Context, sock string) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		var conn net.Conn
		var err error
		if sock != "" {
			conn, err = net.DialTimeout("unix", sock, time.Second)
		} else {
			u, _ := url.Parse(e.uri)
			conn, err = net.DialTimeout("tcp", u.Host, time.Second)
		}
		if err == nil {
			conn.Close()
			return nil
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("embedded store did not start: %w", err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// URI is the connection string for the driver.
func (e *Embedded) URI() string { return e.uri }

// Dir is where the store keeps its files.
func (e *Embedded) Dir() string { return e.dir }

// Stop closes the listener and the SQLite files. Callers disconnect their
// clients first so that in-flight writes finish.
func (e *Embedded) Stop() {
	e.cancel()
	<-e.done
	e.lock.Close()
}

// lockDir takes an exclusive advisory lock on dir/ringdesk.lock.
func lockDir(dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, "ringdesk.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open lock file: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("%w (%s)", ErrDataDirInUse, dir)
	}
	return f, nil
}

// RunningEmbeddedURI returns the socket URI of a server already running on
// dir, so command-line tools can talk to it instead of opening the files.
func RunningEmbeddedURI(dir string) (string, bool) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return "", false
	}
	sock := filepath.Join(abs, socketName)
	conn, err := net.DialTimeout("unix", sock, time.Second)
	if err != nil {
		return "", false
	}
	conn.Close()
	return "mongodb://" + url.PathEscape(sock) + "/", true
}
