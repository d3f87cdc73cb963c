package handlers

import (
	"net/http"

	"github.com/gin-gonic/gin"

	"github.com/ringdesk/ringdesk/voice"
)

// Routes returns the whole application: every route and its middleware on
// one screen, wrapped in cross-origin protection.
func (h *Handler) Routes() (http.Handler, error) {
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.ContextWithFallback = true // handlers pass c as a context.Context
	// Only the proxies named in TRUSTED_PROXIES may set the client address;
	// with none, X-Forwarded-For is ignored.
	if err := r.SetTrustedProxies(h.cfg.TrustedProxies); err != nil {
		return nil, err
	}
	r.Use(h.recoverPanic, h.observe, securityHeaders(h.cfg.Secure(), contentSecurityPolicy(h.voice)), limitBody(maxBodyBytes))
	r.NoRoute(h.notFound)
	r.HandleMethodNotAllowed = true
	r.NoMethod(h.methodNotAllowed)

	// Operations.
	r.GET("/healthz", h.healthz)
	r.GET("/readyz", h.readyz)
	r.GET("/metrics", h.showMetrics)
	r.GET("/static/*path", h.serveStatic)

	// Pages and forms for everyone; a session, when present, is read.
	public := r.Group("/", h.loadSession)
	public.GET("/", h.showHome)
	public.POST("/tickets", h.createTicket)
	public.GET("/login", h.showLogin)
	public.POST("/login", h.login)
	public.POST("/logout", h.logout)
	public.GET("/setup", h.showSetup)
	public.POST("/setup", h.createFirstAgent)
	public.GET("/invite", h.showInvite)
	public.POST("/invite", h.acceptInvite)
	public.POST("/token", h.issueToken)

	// The configured provider's webhooks, each checked against its
	// signature before anything else, and its sound-check socket (which
	// checks its own). The other provider's paths are not mounted.
	if h.provider != nil {
		// The hold music, fetched by the provider's cloud for callers in
		// line: public, like any file a call plays.
		r.GET(voice.HoldMusicPath, h.holdMusic)
		r.HEAD(voice.HoldMusicPath, h.holdMusic)
		for _, hook := range h.provider.Hooks() {
			for _, method := range hook.Methods {
				switch hook.Kind {
				case voice.HookAnswer:
					r.Handle(method, hook.Path, h.signedWebhook, h.answerCall)
				case voice.HookEvent:
					r.Handle(method, hook.Path, h.signedWebhook, h.callEvent)
				case voice.HookRecording:
					r.Handle(method, hook.Path, h.signedWebhook, h.saveRecording)
				case voice.HookSoundCheck:
					r.Handle(method, hook.Path, h.soundCheck)
				case voice.HookQueue:
					r.Handle(method, hook.Path, h.signedWebhook, h.holdCall)
				}
			}
		}
	}

	// Agents only.
	agent := r.Group("/", h.loadSession, h.requireAgent)
	agent.GET("/dashboard", h.showDashboard)
	agent.GET("/tickets/:id", h.showTicket)
	agent.POST("/tickets/:id/status", h.setTicketStatus)
	agent.POST("/tickets/:id/assign", h.assignTicket)
	agent.POST("/tickets/:id/notes", h.addNote)
	agent.GET("/tickets/:id/delete", h.confirmDelete)
	agent.POST("/tickets/:id/delete", h.deleteTicket)
	agent.GET("/events", h.streamEvents)
	agent.POST("/presence", h.setPresence)
	agent.POST("/calls/taken", h.callTaken)
	agent.POST("/calls/caller-ticket", h.openCallerTicket)
	agent.GET("/wallboard", h.showWallboard)
	agent.GET("/account", h.showAccount)
	agent.POST("/account", h.updateAccount)
	agent.GET("/reports", h.showReports)
	agent.GET("/reports/calls.csv", h.downloadCallsCSV)

	// Admins only.
	admin := r.Group("/", h.loadSession, h.requireAgent, h.requireAdmin)
	admin.GET("/agents", h.listAgents)
	admin.POST("/agents/invite", h.inviteAgent)
	admin.POST("/agents/:id/disable", h.disableAgent)
	admin.POST("/agents/:id/enable", h.enableAgent)
	admin.POST("/agents/:id/reset", h.resetPassword)
	admin.POST("/agents/:id/role", h.setAgentRole)
	admin.GET("/settings/hours", h.showHours)
	admin.POST("/settings/hours", h.saveHours)

	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "Cross-site request refused: please use the form on this site.", http.StatusForbidden)
	}))
	return cop.Handler(r), nil
}
