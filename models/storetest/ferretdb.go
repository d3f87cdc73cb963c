package storetest

import (
	"context"
	"fmt"
	"log/slog"
	"net"
	"net/url"
	"os"
	"path/filepath"
	"syscall"
	"time"

	"github.com/FerretDB/FerretDB/ferretdb"

	"github.com/ringdesk/ringdesk/models"
)

// FerretDB is a FerretDB 1.24 server with its SQLite backend, in this
// process, standing in for MongoDB where tests cannot count on one. It
// speaks the wire protocol, so the MongoDB store runs on it unchanged,
// but it is weaker than MongoDB: no change streams, and findAndModify and
// updates run as a read followed by a write. Test tooling only: nothing
// that ships imports it.
type FerretDB struct {
	uri    string
	lock   *os.File // nil for an in-memory server
	cancel context.CancelFunc
	done   chan struct{}
}

// FerretDBOptions configures StartFerretDB.
type FerretDBOptions struct {
	// Dir holds the SQLite files, a lock file and, without Addr, the
	// Unix socket. Empty keeps the data in memory, gone at Stop, and
	// listens on a free loopback port.
	Dir string
	// Addr is a TCP address to listen on instead of the socket, so that a
	// restarted server is found where its clients left it.
	Addr string
	// Logger receives the server's logs; nil discards them, because
	// FerretDB logs every client connection.
	Logger *slog.Logger
}

// socketName is short because Unix socket paths are limited to 108 bytes.
const socketName = "mongodb.sock"

// StartFerretDB starts a server and returns once it accepts connections.
// Only one server may use a directory at a time: FerretDB caches its
// catalogue in memory.
func StartFerretDB(ctx context.Context, o FerretDBOptions) (*FerretDB, error) {
	f := &FerretDB{done: make(chan struct{})}
	listener := ferretdb.ListenerConfig{TCP: o.Addr}
	sqliteURL := "file:/?mode=memory"
	if o.Dir != "" {
		dir, err := filepath.Abs(o.Dir)
		if err != nil {
			return nil, err
		}
		if err := os.MkdirAll(dir, 0o700); err != nil {
			return nil, fmt.Errorf("create FerretDB directory: %w", err)
		}
		if f.lock, err = lockDir(dir); err != nil {
			return nil, err
		}
		sqliteURL = (&url.URL{Scheme: "file", Path: dir + "/"}).String()
		if sock := filepath.Join(dir, socketName); o.Addr == "" && len(sock) <= 100 {
			// A socket left behind by a killed process would make the
			// listen fail; the lock proves nobody else is using it.
			_ = os.Remove(sock)
			listener.Unix = sock
		}
	}
	if listener.TCP == "" && listener.Unix == "" {
		listener.TCP = "127.0.0.1:0"
	}
	logger := o.Logger
	if logger == nil {
		logger = slog.New(slog.DiscardHandler)
	}
	srv, err := ferretdb.New(&ferretdb.Config{
		Listener:  listener,
		Handler:   "sqlite",
		SQLiteURL: sqliteURL,
		Logger:    logger,
	})
	if err != nil {
		f.unlock()
		return nil, fmt.Errorf("start FerretDB: %w", err)
	}
	runCtx, cancel := context.WithCancel(context.Background())
	f.cancel = cancel
	go func() {
		defer close(f.done)
		_ = srv.Run(runCtx)
	}()
	network, addr := "unix", listener.Unix
	if addr != "" {
		f.uri = "mongodb://" + url.PathEscape(addr) + "/"
	} else {
		f.uri = srv.MongoDBURI() // blocks until the listener is up
		u, _ := url.Parse(f.uri)
		network, addr = "tcp", u.Host
	}
	if err := waitListening(ctx, network, addr); err != nil {
		f.Stop()
		return nil, err
	}
	return f, nil
}

// waitListening polls until addr accepts connections.
func waitListening(ctx context.Context, network, addr string) error {
	deadline := time.Now().Add(10 * time.Second)
	for {
		conn, err := net.DialTimeout(network, addr, time.Second)
		if err == nil {
			return conn.Close()
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("FerretDB did not start listening on %s: %w", addr, err)
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(20 * time.Millisecond):
		}
	}
}

// URI is the connection string for the driver.
func (f *FerretDB) URI() string { return f.uri }

// Stop closes the listener and the SQLite files. Callers disconnect their
// clients first so that in-flight writes finish.
func (f *FerretDB) Stop() {
	f.cancel()
	<-f.done
	f.unlock()
}

func (f *FerretDB) unlock() {
	if f.lock != nil {
		f.lock.Close()
	}
}

// lockDir takes an exclusive advisory lock on dir/ringdesk.lock.
func lockDir(dir string) (*os.File, error) {
	f, err := os.OpenFile(filepath.Join(dir, "ringdesk.lock"), os.O_CREATE|os.O_RDWR, 0o600)
	if err != nil {
		return nil, fmt.Errorf("open lock file: %w", err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		return nil, fmt.Errorf("%w (%s)", models.ErrDataDirInUse, dir)
	}
	return f, nil
}
