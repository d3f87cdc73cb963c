package handlers

import (
	"net/http"

	"github.com/gin-gonic/gin"
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
	public.POST("/token", h.issueToken)

	// Twilio webhooks: signed by Twilio, checked before anything else.
	tw := r.Group("/call", h.twilioSigned)
	tw.POST("/connect", h.connectCall)
	tw.POST("/status", h.recordCallStatus)
	tw.POST("/dial-result", h.dialResult)
	tw.POST("/voicemail", h.saveVoicemail)

	// Vonage webhooks: signed by Vonage when VONAGE_SIGNATURE_SECRET is set,
	// checked before anything else.
	vo := r.Group("/webhooks", h.vonageSigned)
	vo.GET("/answer", h.answerCall)
	vo.POST("/answer", h.answerCall)
	vo.POST("/event", h.recordCallEvent)
	vo.POST("/events", h.recordCallEvent)
	vo.POST("/recording", h.saveRecording)

	// Sound-check echo sockets: Twilio's signed Media Streams upgrade, and
	// Vonage's upgrade carrying a one-time token.
	r.GET("/media", h.twilioMedia)
	r.GET("/socket", h.vonageSocket)

	// Agents only.
	agent := r.Group("/", h.loadSession, h.requireAgent)
	agent.GET("/dashboard", h.showDashboard)
	agent.GET("/tickets/:id", h.showTicket)
	agent.POST("/tickets/:id/status", h.setTicketStatus)
	agent.GET("/events", h.streamEvents)
	agent.POST("/presence", h.setPresence)
	agent.POST("/calls/taken", h.callTaken)

	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) {
		http.Error(w, "Cross-site request refused: please use the form on this site.", http.StatusForbidden)
	}))
	return cop.Handler(r), nil
}
