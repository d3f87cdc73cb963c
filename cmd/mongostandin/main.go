// Command mongostandin runs the FerretDB 1.24 server that tests use in
// place of MongoDB, until SIGTERM or SIGINT: test tooling for the load
// test's outage scenario, which kills and restarts "MongoDB" under a
// running Ringdesk. Ringdesk itself never starts FerretDB.
//
//	mongostandin --dir DIR --addr 127.0.0.1:PORT
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	"time"

	"github.com/ringdesk/ringdesk/models/storetest"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "mongostandin:", err)
		os.Exit(1)
	}
}

// run serves until ctx ends. Data written before a stop is on disk in
// dir, so a restart on the same dir and address picks up where it was.
func run(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("mongostandin", flag.ContinueOnError)
	fs.SetOutput(stdout)
	dir := fs.String("dir", "", "directory for the SQLite files (required)")
	addr := fs.String("addr", "127.0.0.1:27017", "TCP address to listen on")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *dir == "" {
		return errors.New("--dir is required")
	}
	startCtx, cancel := context.WithTimeout(ctx, 20*time.Second)
	defer cancel()
	srv, err := storetest.StartFerretDB(startCtx, storetest.FerretDBOptions{Dir: *dir, Addr: *addr})
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "mongostandin: serving %s from %s\n", srv.URI(), *dir)
	<-ctx.Done()
	srv.Stop()
	return nil
}
