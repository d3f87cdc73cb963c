// Command ringdesk runs the Ringdesk helpdesk server, and adds agents from
// the shell with "ringdesk agent add".
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"
	"time"

	"golang.org/x/term"

	"github.com/ringdesk/ringdesk/config"
	"github.com/ringdesk/ringdesk/handlers"
	"github.com/ringdesk/ringdesk/models"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "ringdesk:", err)
		os.Exit(1)
	}
}

func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	getenv, err := config.WithDotEnv(getenv, ".env")
	if err != nil {
		return err
	}
	cfg, err := config.Load(getenv)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: cfg.LogLevel}))

	switch {
	case len(args) == 0 || args[0] == "serve":
		return serve(ctx, cfg, log)
	case len(args) >= 2 && args[0] == "agent" && args[1] == "add":
		return addAgent(ctx, cfg, args[2:], stdin, stdout)
	case args[0] == "store": // hidden: the load tests' separate database process
		return runStore(ctx, args[1:], stdout, log)
	case args[0] == "help" || args[0] == "-h" || args[0] == "--help":
		fmt.Fprintln(stdout, "usage: ringdesk [serve]\n       ringdesk agent add --email EMAIL --name NAME   (password on stdin)")
		return nil
	}
	return fmt.Errorf("unknown command %q (try: ringdesk help)", strings.Join(args, " "))
}

// serve wires config -> store -> router -> server and runs until ctx ends.
func serve(ctx context.Context, cfg *config.Config, log *slog.Logger) error {
	if err := cfg.EnsureSessionSecret(); err != nil {
		return err
	}
	log.Info("starting Ringdesk", "config", cfg)

	openCtx, cancel := context.WithTimeout(ctx, 60*time.Second)
	store, err := models.Open(openCtx, models.OpenOptions{
		URI: cfg.MongoURI, Database: cfg.MongoDatabase, DataDir: cfg.DataDir, Logger: log,
	})
	cancel()
	if err != nil {
		return err
	}
	defer func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := store.Close(ctx); err != nil {
			log.Error("close store", "err", err)
		}
		log.Info("store closed")
	}()
	log.Info("store ready", "store", store.Where(), "database", cfg.MongoDatabase)

	if err := bootstrapAgents(ctx, cfg, store, log); err != nil {
		return err
	}
	if cfg.VoiceProvider == "" {
		log.Info("calling is not configured: pages work, call buttons say so")
	}

	h, err := handlers.New(handlers.StoreDeps(cfg, store, log))
	if err != nil {
		return err
	}
	stopBackground := goBackground(ctx, h.Background)
	defer stopBackground()
	router, err := h.Routes()
	if err != nil {
		return err
	}
	srv := &http.Server{
		Addr:              ":" + strconv.Itoa(cfg.Port),
		Handler:           router,
		ReadHeaderTimeout: 5 * time.Second,
		ReadTimeout:       15 * time.Second,
		WriteTimeout:      30 * time.Second,
		IdleTimeout:       120 * time.Second,
		MaxHeaderBytes:    32 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
	}
	// Shutdown forgets hijacked connections: the sound-check sockets are
	// closed (1001, going away) by the handler, and waited for below.
	srv.RegisterOnShutdown(h.CloseSockets)
	srv.RegisterOnShutdown(h.CloseEvents)
	ln, err := net.Listen("tcp", srv.Addr)
	if err != nil {
		return fmt.Errorf("PORT: cannot listen on %s: %w", srv.Addr, err)
	}
	log.Info("listening", "url", cfg.PublicURL.String(), "addr", ln.Addr().String())

	errc := make(chan error, 1)
	go func() { errc <- srv.Serve(ln) }()
	select {
	case err := <-errc:
		return err
	case <-ctx.Done():
	}
	log.Info("shutting down: finishing in-flight requests")
	shutCtx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shutdown: %w", err)
	}
	if err := h.WaitSockets(shutCtx); err != nil {
		log.Warn("shutdown: sound-check sockets still closing", "err", err)
	}
	return nil
}

// goBackground runs fn until ctx ends; the returned func cancels it and
// waits for it to return.
func goBackground(ctx context.Context, fn func(context.Context)) (stop func()) {
	ctx, cancel := context.WithCancel(ctx)
	done := make(chan struct{})
	go func() {
		defer close(done)
		fn(ctx)
	}()
	return func() { cancel(); <-done }
}

// bootstrapAgents creates ADMIN_EMAIL's agent when asked to, and otherwise
// prints a one-time set-up link while no agent exists.
func bootstrapAgents(ctx context.Context, cfg *config.Config, store *models.Store, log *slog.Logger) error {
	if cfg.AdminEmail != "" {
		created, err := store.Agents.EnsureAgent(ctx, models.AgentInput{Email: cfg.AdminEmail, Name: "Admin", Password: cfg.AdminPassword})
		var verr *models.ValidationError
		if errors.As(err, &verr) {
			return fmt.Errorf("ADMIN_EMAIL, ADMIN_PASSWORD: %s", strings.Join(fieldMessages(verr), " "))
		}
		if err != nil {
			return fmt.Errorf("create admin agent: %w", err)
		}
		if created {
			log.Info("admin agent created", "email", cfg.AdminEmail)
		}
	}
	exists, err := store.Agents.Exists(ctx)
	if err != nil || exists {
		return err
	}
	token, err := store.Setup.NewToken(ctx)
	if err != nil {
		return err
	}
	log.Warn("no agent yet: open this one-time link to create the first agent",
		"url", cfg.PublicURL.String()+"/setup?token="+token)
	return nil
}

// addAgent implements "ringdesk agent add --email E --name N", reading the
// password from stdin (without echo on a terminal).
func addAgent(ctx context.Context, cfg *config.Config, args []string, stdin io.Reader, stdout io.Writer) error {
	fs := flag.NewFlagSet("agent add", flag.ContinueOnError)
	fs.SetOutput(stdout)
	email := fs.String("email", "", "agent's email (used to sign in)")
	name := fs.String("name", "", "agent's name as shown on the dashboard")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if *email == "" || *name == "" {
		return errors.New("agent add: --email and --name are required")
	}
	password, err := readPassword(stdin, stdout)
	if err != nil {
		return err
	}
	openCtx, cancel := context.WithTimeout(ctx, 15*time.Second)
	defer cancel()
	store, err := models.Open(openCtx, models.OpenOptions{
		URI: cfg.MongoURI, Database: cfg.MongoDatabase, DataDir: cfg.DataDir, ShareRunning: true,
	})
	if err != nil {
		return err
	}
	defer store.Close(context.Background())
	a, err := store.Agents.Create(openCtx, models.AgentInput{Email: *email, Name: *name, Password: password})
	var verr *models.ValidationError
	switch {
	case errors.As(err, &verr):
		return errors.New("agent add: " + strings.Join(fieldMessages(verr), " "))
	case errors.Is(err, models.ErrConflict):
		return fmt.Errorf("agent add: an agent with email %s already exists", *email)
	case err != nil:
		return err
	}
	fmt.Fprintf(stdout, "Agent %s <%s> added. They can sign in at %s/login\n", a.Name, a.Email, cfg.PublicURL)
	return nil
}

// runStore implements "ringdesk store --dir DIR --addr HOST:PORT": only the
// embedded store, on TCP, until ctx ends, so that a test can stop and
// restart the database under a running Ringdesk.
func runStore(ctx context.Context, args []string, stdout io.Writer, log *slog.Logger) error {
	fs := flag.NewFlagSet("store", flag.ContinueOnError)
	fs.SetOutput(stdout)
	dir := fs.String("dir", "./data", "directory for the store's files")
	addr := fs.String("addr", "127.0.0.1:27017", "TCP address to listen on")
	if err := fs.Parse(args); err != nil {
		return err
	}
	e, err := models.StartEmbedded(ctx, models.EmbeddedOptions{Dir: *dir, Addr: *addr})
	if err != nil {
		return err
	}
	defer e.Stop()
	log.Info("store ready", "uri", e.URI(), "dir", e.Dir())
	<-ctx.Done()
	return nil
}

func readPassword(stdin io.Reader, stdout io.Writer) (string, error) {
	if f, ok := stdin.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(stdout, "Password (at least 10 characters): ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(stdout)
		return string(b), err
	}
	line, err := bufio.NewReader(stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", err
	}
	return strings.TrimRight(line, "\r\n"), nil
}

func fieldMessages(v *models.ValidationError) []string {
	msgs := make([]string, 0, len(v.Fields))
	for _, m := range v.Fields {
		msgs = append(msgs, m)
	}
	return msgs
}
