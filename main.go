// Command ringdesk runs the Ringdesk helpdesk server; its other commands
// (cli.go) manage agents and move, export and back up the data.
package main

import (
	"context"
	"errors"
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
	// Business hours and reports name IANA zones; the database is built
	// in, so a host or image without zone files still has them.
	_ "time/tzdata"

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
	if len(args) > 0 && isHelp(args[0]) {
		fmt.Fprint(stdout, usage)
		return nil
	}
	getenv, err := config.WithDotEnv(getenv, ".env")
	if err != nil {
		return err
	}
	cfg, err := config.Load(getenv)
	if err != nil {
		return err
	}
	log := slog.New(slog.NewTextHandler(stderr, &slog.HandlerOptions{Level: cfg.LogLevel}))
	if len(args) == 0 || args[0] == "serve" {
		return serve(ctx, cfg, log)
	}
	cli := &cli{cfg: cfg, stdin: stdin, stdout: stdout, stderr: stderr}
	return cli.run(ctx, args)
}

// serve wires config -> store -> router -> server and runs until ctx ends.
// Everything that can fail runs before the set-up link is printed, so
// nobody is sent to a link that does not work.
func serve(ctx context.Context, cfg *config.Config, log *slog.Logger) error {
	if err := checkAdmin(cfg); err != nil {
		return err
	}
	if err := cfg.EnsureSessionSecret(); err != nil {
		return err
	}
	// Bind first: with the port taken, a link would point at whatever
	// already runs there.
	ln, err := listen(cfg)
	if err != nil {
		return err
	}
	defer ln.Close()
	log.Info("starting Ringdesk", "config", cfg)

	openCtx, cancel := context.WithTimeout(ctx, 60*time.Second)
	store, err := openStore(openCtx, cfg, log, false)
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
	log.Info("store ready", "store", store.Where())

	setupURL, err := bootstrapAgents(ctx, cfg, store, log)
	if err != nil {
		return err
	}
	if cfg.VoiceProvider == "" {
		log.Info("calling is not configured: pages work, call buttons say so")
	}

	h, err := handlers.New(handlers.StoreDeps(cfg, store, log))
	if err != nil {
		return err
	}
	router, err := h.Routes()
	if err != nil {
		return err
	}
	stopBackground := goBackground(ctx, h.Background)
	defer stopBackground()
	srv := &http.Server{
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
	log.Info("listening", "url", cfg.PublicURL.String(), "addr", ln.Addr().String())
	if setupURL != "" {
		log.Warn("no agent yet: open this one-time link to create the first agent", "url", setupURL)
	}

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

// checkAdmin validates ADMIN_EMAIL and ADMIN_PASSWORD before anything
// starts.
func checkAdmin(cfg *config.Config) error {
	if cfg.AdminEmail == "" {
		return nil
	}
	_, _, err := models.AgentInput{Email: cfg.AdminEmail, Name: "Admin", Password: cfg.AdminPassword}.Validate()
	var verr *models.ValidationError
	if errors.As(err, &verr) {
		return fmt.Errorf("ADMIN_EMAIL, ADMIN_PASSWORD: %s", strings.Join(fieldMessages(verr), " "))
	}
	return err
}

// listen binds HOST:PORT, saying in one line what to do when it cannot.
func listen(cfg *config.Config) (net.Listener, error) {
	addr := net.JoinHostPort(cfg.Host, strconv.Itoa(cfg.Port))
	ln, err := net.Listen("tcp", addr)
	switch {
	case errors.Is(err, syscall.EADDRINUSE):
		return nil, fmt.Errorf("PORT: port %d is already in use by another program; stop that program or set PORT to a free port (and PUBLIC_URL to match)", cfg.Port)
	case errors.Is(err, syscall.EACCES):
		return nil, fmt.Errorf("PORT: not allowed to listen on port %d (ports below 1024 need privileges); set PORT to 1024 or above", cfg.Port)
	case err != nil:
		return nil, fmt.Errorf("HOST, PORT: cannot listen on %s: %w", addr, err)
	}
	return ln, nil
}

// bootstrapAgents creates ADMIN_EMAIL's agent when asked to, and otherwise,
// while no agent exists, returns a one-time set-up link to print.
func bootstrapAgents(ctx context.Context, cfg *config.Config, store *models.Store, log *slog.Logger) (setupURL string, err error) {
	if cfg.AdminEmail != "" {
		_, err := store.Agents.Create(ctx, models.AgentInput{Email: cfg.AdminEmail, Name: "Admin", Password: cfg.AdminPassword})
		var verr *models.ValidationError
		switch {
		case errors.As(err, &verr):
			return "", fmt.Errorf("ADMIN_EMAIL, ADMIN_PASSWORD: %s", strings.Join(fieldMessages(verr), " "))
		case errors.Is(err, models.ErrConflict):
			// Created on an earlier start.
		case err != nil:
			return "", fmt.Errorf("create admin agent: %w", err)
		default:
			log.Info("admin agent created", "email", cfg.AdminEmail)
		}
	}
	exists, err := store.Agents.Exists(ctx)
	if err != nil || exists {
		return "", err
	}
	token, err := store.Setup.NewToken(ctx)
	if err != nil {
		return "", err
	}
	return cfg.PublicURL.String() + "/setup?token=" + token, nil
}
