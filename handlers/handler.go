// Package handlers is Ringdesk's HTTP layer: every route, its middleware,
// and the pages and JSON it answers with. It is the only package that
// knows about Gin.
package handlers

import (
	"context"
	"fmt"
	"io/fs"
	"log/slog"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ringdesk/ringdesk/config"
	"github.com/ringdesk/ringdesk/models"
	"github.com/ringdesk/ringdesk/public"
	"github.com/ringdesk/ringdesk/views"
	"github.com/ringdesk/ringdesk/voice"
)

// TicketStore is what the handlers need from the ticket repository.
type TicketStore interface {
	Create(ctx context.Context, t *models.Ticket) (created bool, err error)
	Get(ctx context.Context, id models.ID) (*models.Ticket, error)
	SetStatus(ctx context.Context, id models.ID, status models.TicketStatus, by models.AgentRef) error
	List(ctx context.Context, after *models.Cursor, limit int) ([]models.Ticket, *models.Cursor, error)
	CountOpen(ctx context.Context) (int64, error)
	RenameAgent(ctx context.Context, ref models.AgentRef) error
	Assign(ctx context.Context, id models.ID, to *models.AgentRef, by models.AgentRef) error
	AddNote(ctx context.Context, id models.ID, by models.AgentRef, body string) (*models.Activity, error)
	Timeline(ctx context.Context, id models.ID) ([]models.Activity, error)
	Find(ctx context.Context, q models.Query, after *models.Cursor, limit int) ([]models.Ticket, *models.Cursor, error)
	Counts(ctx context.Context, agent models.ID) (models.ViewCounts, error)
	ForPhone(ctx context.Context, phone string, limit int) ([]models.Ticket, error)
	Delete(ctx context.Context, id models.ID, by models.AgentRef) error
	DeleteOpenByPhone(ctx context.Context, phone string, by models.AgentRef) (int64, error)
}

// AgentStore is what the handlers need from the agent repository.
type AgentStore interface {
	Create(ctx context.Context, in models.AgentInput) (*models.Agent, error)
	Get(ctx context.Context, id models.ID) (*models.Agent, error)
	Exists(ctx context.Context) (bool, error)
	Authenticate(ctx context.Context, email, password string) (*models.Agent, error)
	RevokeSession(ctx context.Context, id models.ID, sid string, expires time.Time) error
	DeleteExpiredRevocations(ctx context.Context, now time.Time) (int64, error)
	List(ctx context.Context) ([]models.Agent, error)
	SetRole(ctx context.Context, id models.ID, role models.Role) error
	SetDisabled(ctx context.Context, id models.ID, disabled bool) error
	SetName(ctx context.Context, id models.ID, name string) error
	ChangePassword(ctx context.Context, id models.ID, current, next string) error
	CreateInvite(ctx context.Context, in models.InviteInput, now time.Time) (string, error)
	CheckInvite(ctx context.Context, token string, now time.Time) (*models.Invite, error)
	UseInvite(ctx context.Context, token, name, password string, now time.Time) (*models.Agent, error)
}

// SetupStore holds the first agent's one-time sign-up token.
type SetupStore interface {
	NewToken(ctx context.Context) (string, error)
	Check(ctx context.Context, token string, now time.Time) (bool, error)
	Use(ctx context.Context, token string, now time.Time) (bool, error)
}

// SettingsStore holds what admins set while Ringdesk runs.
type SettingsStore interface {
	Hours(ctx context.Context) (models.Hours, error)
	SetHours(ctx context.Context, h models.Hours) error
}

// QueueStore is the line customers' calls wait in.
type QueueStore interface {
	voice.Queue
	InLine(ctx context.Context) (n int, oldest time.Time, err error)
	Line(ctx context.Context, limit int) ([]models.QueueEntry, error)
}

// CallbackStore keeps the callbacks customers in line asked for.
type CallbackStore interface {
	voice.Callbacks
	Pending(ctx context.Context, limit int) ([]models.Callback, int, error)
}

// PresenceStore keeps what the agents' open pages say of their phones,
// so that every instance counts the whole team.
type PresenceStore interface {
	Set(ctx context.Context, p models.Presence) error
	Drop(ctx context.Context, stream string) error
	Team(ctx context.Context, now time.Time) (models.TeamPresence, error)
	DeleteExpired(ctx context.Context, now time.Time) (int64, error)
}

// Pinger reports whether the database answers.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Deps are the handlers' dependencies.
type Deps struct {
	Config   *config.Config
	Tickets  TicketStore
	Agents   AgentStore
	Setup    SetupStore
	Calls    CallStore
	Media    MediaTokenStore
	Settings SettingsStore
	// Queue is the line customers' calls wait in; nil: calls ring the
	// agents at once.
	Queue QueueStore
	// Callbacks are the customers in line who asked to be called back.
	Callbacks CallbackStore
	// Presence is the agents' open pages; nil: each instance counts its
	// own.
	Presence PresenceStore
	DB       Pinger
	// Changes reports other instances' writes; nil when not watched.
	Changes ChangeWatcher
	// Provider is the calling provider's adapter; nil when calling is off.
	Provider Provider
	Logger   *slog.Logger
	// Registry receives the HTTP and ticket metrics; nil makes a new one.
	Registry *prometheus.Registry
}

// Handler holds the dependencies every route needs.
type Handler struct {
	cfg       *config.Config
	tickets   TicketStore
	agents    AgentStore
	setup     SetupStore
	calls     CallStore
	media     MediaTokenStore
	settings  SettingsStore
	queue     QueueStore
	callbacks CallbackStore
	presence  PresenceStore
	changes   ChangeWatcher
	db        Pinger
	log       *slog.Logger
	tmpl      templates
	static    fs.FS
	etags     map[string]string // static file path -> ETag

	voice        string         // provider name for the pages, "" when calling is off
	provider     Provider       // nil when calling is off
	calling      *voice.Service // nil when calling is off
	metrics      *metrics
	live         *live
	limits       *limits
	sockets      *mediaSockets // the sound-check WebSockets
	now          func() time.Time
	sessionCheck time.Duration // how often an event stream re-reads its session
	watchRetry   time.Duration // first wait before following other instances again
}

// New builds the handler set; it fails only if a template does not parse.
func New(d Deps) (*Handler, error) {
	tmpl, err := parseTemplates(views.FS)
	if err != nil {
		return nil, err
	}
	if d.Logger == nil {
		d.Logger = slog.Default()
	}
	if d.Registry == nil {
		d.Registry = prometheus.NewRegistry()
	}
	etags, err := hashFiles(public.FS)
	if err != nil {
		return nil, fmt.Errorf("read static files: %w", err)
	}
	m, err := newMetrics(d.Registry)
	if err != nil {
		return nil, fmt.Errorf("register metrics: %w", err)
	}
	h := &Handler{
		cfg:       d.Config,
		tickets:   d.Tickets,
		agents:    d.Agents,
		setup:     d.Setup,
		calls:     d.Calls,
		media:     d.Media,
		settings:  d.Settings,
		queue:     d.Queue,
		callbacks: d.Callbacks,
		presence:  d.Presence,
		changes:   d.Changes,
		db:        d.DB,
		log:       d.Logger,
		tmpl:      tmpl,
		static:    public.FS,
		etags:     etags,
		metrics:   m,
		live:      newLive(),
		limits:    newLimits(d.Config.RateLimitScale, d.Config.TicketRateLimit),
		sockets:   newMediaSockets(m.mediaStreams),
		now:       time.Now,

		sessionCheck: sessionCheckEvery,
		watchRetry:   time.Second,
	}
	if d.Provider != nil {
		h.voice, h.provider = d.Provider.Name(), d.Provider
		h.calling = h.newCalling(d.Provider)
	}
	return h, nil
}

// StoreDeps fills Deps from one store and the configured provider: the
// same wiring for the server and for the tests that drive it.
func StoreDeps(cfg *config.Config, store *models.Store, log *slog.Logger) Deps {
	d := Deps{
		Config:    cfg,
		Tickets:   store.Tickets,
		Agents:    store.Agents,
		Setup:     store.Setup,
		Calls:     store.Calls,
		Media:     store.Media,
		Settings:  store.Settings,
		Queue:     store.Queue,
		Callbacks: store.Callbacks,
		Presence:  store.Presence,
		DB:        store,
		Changes:   store,
		Logger:    log,
	}
	if p := NewProvider(cfg, log); p != nil {
		d.Provider = p
	}
	return d
}
