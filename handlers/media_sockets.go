package handlers

import (
	"bytes"
	"context"
	"errors"
	"net/http"
	"sync"
	"time"

	"github.com/coder/websocket"
	"github.com/gin-gonic/gin"
	"github.com/prometheus/client_golang/prometheus"
)

// The sound-check sockets' limits. A sound check is a short call, and
// both providers send audio every 20 ms, silence included, so a socket
// with nothing to read for mediaIdleTimeout has lost its caller.
const (
	maxMediaStreams  = 1000
	mediaIdleTimeout = 15 * time.Second
	mediaMaxLength   = 2 * time.Minute
)

// Close reasons; the status codes say what happened, these say it to a
// person reading a provider's logs.
const (
	reasonIdle     = "idle timeout"
	reasonTimeUp   = "sound check time is up"
	reasonShutdown = "server shutting down"
)

// errSocketsClosed refuses a socket that arrives while the server stops.
var errSocketsClosed = errors.New("media sockets are closed")

// socketLimits bound every media socket.
type socketLimits struct {
	maxStreams int
	idle       time.Duration
	maxLength  time.Duration
}

// mediaSockets tracks the live sound-check sockets. The HTTP server
// forgets a connection once it is hijacked, so closing them on shutdown
// is up to this set; it also holds the cap on concurrent streams.
type mediaSockets struct {
	gauge prometheus.Gauge

	mu       sync.Mutex
	limits   socketLimits
	streams  int // reserved slots: upgrading or open
	live     map[*mediaSocket]struct{}
	closing  bool
	drained  chan struct{} // closed when closing and streams reaches 0
	shutdown context.Context
	stop     context.CancelFunc
}

func newMediaSockets(gauge prometheus.Gauge) *mediaSockets {
	ctx, stop := context.WithCancel(context.Background())
	return &mediaSockets{
		gauge:    gauge,
		limits:   socketLimits{maxStreams: maxMediaStreams, idle: mediaIdleTimeout, maxLength: mediaMaxLength},
		live:     map[*mediaSocket]struct{}{},
		drained:  make(chan struct{}),
		shutdown: ctx,
		stop:     stop,
	}
}

// reserve takes a stream slot, if the cap and the server's state allow.
// Every successful reserve is matched by one release.
func (s *mediaSockets) reserve() (socketLimits, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing || s.streams >= s.limits.maxStreams {
		return socketLimits{}, false
	}
	s.streams++
	return s.limits, true
}

func (s *mediaSockets) release() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.streams--
	if s.closing && s.streams == 0 {
		close(s.drained)
	}
}

// add registers an open socket, unless the server has begun to stop.
func (s *mediaSockets) add(ms *mediaSocket) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return false
	}
	s.live[ms] = struct{}{}
	s.gauge.Inc()
	return true
}

func (s *mediaSockets) remove(ms *mediaSocket) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.live[ms]; ok {
		delete(s.live, ms)
		s.gauge.Dec()
	}
}

// closeAll refuses new sockets and starts closing every open one with
// 1001 (going away). It does not wait; see wait.
func (s *mediaSockets) closeAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closing {
		return
	}
	s.closing = true
	s.stop()
	for ms := range s.live {
		go ms.end(websocket.StatusGoingAway, reasonShutdown)
	}
	if s.streams == 0 {
		close(s.drained)
	}
}

// wait returns once closeAll has run and every socket has finished, or
// when ctx ends.
func (s *mediaSockets) wait(ctx context.Context) error {
	select {
	case <-s.drained:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// CloseSockets starts closing the sound-check sockets, which the HTTP
// server no longer tracks once upgraded, with 1001 (going away), and
// refuses new ones. Register it with http.Server.RegisterOnShutdown.
func (h *Handler) CloseSockets() { h.sockets.closeAll() }

// WaitSockets waits, after CloseSockets, until every sound-check socket
// has closed, or until ctx ends.
func (h *Handler) WaitSockets(ctx context.Context) error { return h.sockets.wait(ctx) }

// mediaSocket is one open sound-check socket. Its handler goroutine reads
// and echoes; timers and shutdown end it from outside with a close frame,
// which makes the blocked read return.
type mediaSocket struct {
	conn      *websocket.Conn
	buf       bytes.Buffer // the message being read, reused
	idleAfter time.Duration
	idle      *time.Timer
	timeUp    *time.Timer
	endOnce   sync.Once
}

// socketEnd is why an echo loop stopped, as the close frame will say it.
type socketEnd struct {
	code   websocket.StatusCode
	reason string
}

func (e socketEnd) Error() string { return e.reason }

func (e socketEnd) CloseStatus() (websocket.StatusCode, string) { return e.code, e.reason }

// soundCheck handles the provider's sound-check socket ("GET /media",
// "GET /socket"): it checks that c is a WebSocket upgrade, takes a
// stream slot, has the provider check the upgrade, consumes the one-time
// token the plan gave (at the upgrade, or when the stream shows it),
// upgrades, and hands the socket to the provider's echo until it returns
// or a limit or shutdown ends it.
func (h *Handler) soundCheck(c *gin.Context) {
	if !c.IsWebsocket() {
		c.Header("Upgrade", "websocket")
		h.fail(c, refuse(http.StatusUpgradeRequired, "This address only accepts WebSocket connections.").inJSON())
		return
	}
	limits, ok := h.sockets.reserve()
	if !ok {
		h.fail(c, refuse(http.StatusServiceUnavailable, "Too many sound checks right now. Please try again in a minute.").inJSON())
		return
	}
	defer h.sockets.release()
	token, inStream, err := h.provider.AcceptSocket(c.Request)
	if err != nil {
		h.webhookFail(c, err)
		return
	}
	if !inStream {
		switch err := h.useMediaToken(c, token); {
		case errors.Is(err, errMediaToken):
			h.log.Warn("rejected "+h.provider.Name()+" media socket: bad token", "ip", c.ClientIP())
			h.fail(c, refuse(http.StatusForbidden, "This sound check link is not valid.").inJSON())
			return
		case err != nil:
			h.fail(c, err)
			return
		}
	}
	// Accept hijacks the connection, and net/http clears the server's read
	// and write deadlines when it hands a connection over, so the socket's
	// own limits below are the only ones. The Origin check guards sockets
	// that a browser's cookies authenticate; these take only a provider's
	// signature or a one-time token, which no browser sends by itself, and
	// a provider's client may name any origin (or the public host, which a
	// proxy's Host does not match).
	conn, err := websocket.Accept(c.Writer, c.Request, &websocket.AcceptOptions{InsecureSkipVerify: true})
	if err != nil {
		h.log.Warn("media socket: upgrade failed", "path", c.Request.URL.Path, "err", err)
		return // Accept has answered
	}
	conn.SetReadLimit(h.provider.SocketReadLimit())
	ms := &mediaSocket{conn: conn, idleAfter: limits.idle}
	ms.idle = time.AfterFunc(limits.idle, func() { ms.end(websocket.StatusPolicyViolation, reasonIdle) })
	ms.timeUp = time.AfterFunc(limits.maxLength, func() { ms.end(websocket.StatusNormalClosure, reasonTimeUp) })
	defer ms.idle.Stop()
	defer ms.timeUp.Stop()
	if !h.sockets.add(ms) {
		ms.end(websocket.StatusGoingAway, reasonShutdown)
		return
	}
	defer h.sockets.remove(ms)
	defer ms.end(websocket.StatusInternalError, "") // only if echo panicked

	err = h.provider.Echo(ms.read, ms.write, h.startStream)
	code, reason := websocket.StatusNormalClosure, ""
	if end, ok := errors.AsType[closeStatus](err); ok {
		code, reason = end.CloseStatus()
	} else if errors.Is(err, websocket.ErrMessageTooBig) {
		code, reason = websocket.StatusMessageTooBig, "message too big" // already sent by the library
	}
	// Otherwise the peer closed or vanished, or a timer or shutdown has
	// closed the socket; closing again only waits for that to finish.
	h.log.Debug("media socket closed", "path", c.Request.URL.Path, "err", err)
	ms.end(code, reason)
}

// Why a stream whose token arrives on the socket is refused.
var (
	endRefused  = socketEnd{websocket.StatusPolicyViolation, "stream refused"}
	endTryLater = socketEnd{websocket.StatusTryAgainLater, "try again later"}
)

// startStream consumes a token that arrived on the socket.
func (h *Handler) startStream(token string) error {
	ctx, cancel := context.WithTimeout(h.sockets.shutdown, 5*time.Second)
	defer cancel()
	err := h.useMediaToken(ctx, token)
	switch {
	case errors.Is(err, errMediaToken):
		h.log.Warn("rejected " + h.provider.Name() + " media stream: bad token")
		return endRefused
	case err != nil:
		h.log.Warn(h.provider.Name()+" media stream: check token", "err", err)
		return endTryLater
	}
	return nil
}

// read returns the next message, valid until the next read. Any message
// counts as activity for the idle timeout.
func (ms *mediaSocket) read() (websocket.MessageType, []byte, error) {
	typ, r, err := ms.conn.Reader(context.Background())
	if err != nil {
		return 0, nil, err
	}
	ms.idle.Reset(ms.idleAfter)
	ms.buf.Reset()
	// The read limit bounds the buffer: past it the library closes the
	// socket with 1009 and the read fails.
	if _, err := ms.buf.ReadFrom(r); err != nil {
		return 0, nil, err
	}
	return typ, ms.buf.Bytes(), nil
}

// write sends one message. It has no deadline of its own: a peer that
// stops reading has stopped sending too, and the idle timer ends it.
func (ms *mediaSocket) write(typ websocket.MessageType, p []byte) error {
	return ms.conn.Write(context.Background(), typ, p)
}

// end closes the socket with a close frame, once, whoever asks first; the
// handshake can take a few seconds, and a later caller waits for it.
func (ms *mediaSocket) end(code websocket.StatusCode, reason string) {
	ms.endOnce.Do(func() { _ = ms.conn.Close(code, reason) })
}
