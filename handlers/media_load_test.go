package handlers_test

// Load on the sound-check sockets: many streams at once, each sending a
// frame every 20 ms as a call does, every echo checked for order and
// timed. TestVonageSocketsUnderLoad is the load test;
// BenchmarkEchoLatency measures per-frame echo latency next to a bare
// coder/websocket echo handler in the same run.

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"slices"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/ringdesk/ringdesk/handlers"
	"github.com/ringdesk/ringdesk/handlers/twiliotest"
)

// framePeriod is the audio both providers send: one frame per 20 ms.
const framePeriod = 20 * time.Millisecond

// frameCodec writes and reads one provider's audio frames, each carrying
// its sequence number and send time so that the echo can be checked and
// timed.
type frameCodec interface {
	encode(dst []byte, seq, sentNs int64) (websocket.MessageType, []byte)
	decode(typ websocket.MessageType, b []byte) (seq, sentNs int64, ok bool)
}

// vonageFrames are 640-byte binary frames (16-bit 16 kHz mono, 20 ms).
type vonageFrames struct{}

func (vonageFrames) encode(dst []byte, seq, sentNs int64) (websocket.MessageType, []byte) {
	dst = slices.Grow(dst[:0], 640)[:640]
	clear(dst)
	binary.LittleEndian.PutUint64(dst, uint64(seq))
	binary.LittleEndian.PutUint64(dst[8:], uint64(sentNs))
	return websocket.MessageBinary, dst
}

func (vonageFrames) decode(typ websocket.MessageType, b []byte) (int64, int64, bool) {
	if typ != websocket.MessageBinary || len(b) != 640 {
		return 0, 0, false
	}
	return int64(binary.LittleEndian.Uint64(b)), int64(binary.LittleEndian.Uint64(b[8:])), true
}

// twilioFrames are Media Streams media messages: 160 bytes of μ-law
// (8 kHz, 20 ms) as base64 in JSON. An echo must name the same stream.
type twilioFrames struct{ sid string }

func (f twilioFrames) encode(dst []byte, seq, sentNs int64) (websocket.MessageType, []byte) {
	var audio [160]byte
	binary.LittleEndian.PutUint64(audio[:], uint64(seq))
	binary.LittleEndian.PutUint64(audio[8:], uint64(sentNs))
	n := strconv.FormatInt(seq+2, 10)
	dst = append(dst[:0], `{"event":"media","sequenceNumber":"`+n+`","media":{"track":"inbound","chunk":"`+n+
		`","timestamp":"`+strconv.FormatInt(seq*20, 10)+`","payload":"`...)
	dst = base64.StdEncoding.AppendEncode(dst, audio[:])
	return websocket.MessageText, append(dst, `"},"streamSid":"`+f.sid+`"}`...)
}

func (f twilioFrames) decode(typ websocket.MessageType, b []byte) (int64, int64, bool) {
	var msg struct {
		Event     string `json:"event"`
		StreamSID string `json:"streamSid"`
		Media     struct {
			Payload string `json:"payload"`
		} `json:"media"`
	}
	if typ != websocket.MessageText || json.Unmarshal(b, &msg) != nil || msg.Event != "media" || msg.StreamSID != f.sid {
		return 0, 0, false
	}
	audio, err := base64.StdEncoding.DecodeString(msg.Media.Payload)
	if err != nil || len(audio) != 160 {
		return 0, 0, false
	}
	return int64(binary.LittleEndian.Uint64(audio)), int64(binary.LittleEndian.Uint64(audio[8:])), true
}

// echoStream is one stream under load. sent and got are counted by its
// sender and receiver; the rest is read once both have finished.
type echoStream struct {
	conn      *websocket.Conn
	codec     frameCodec
	sent, got atomic.Int64
	bad       int64 // echoes out of order or not as sent
	latency   []time.Duration
	writeErr  error
	readErr   error
}

// echoLoad drives streams: each sends a frame every framePeriod, the
// streams staggered across the period, and reads its echoes.
type echoLoad struct {
	streams []*echoStream
	frames  int64 // per stream; 0 sends until finish
	epoch   time.Time
	stop    chan struct{}
	senders sync.WaitGroup
	readers sync.WaitGroup
}

// startLoad starts the streams; each sends frames frames, or until
// finish when frames is 0.
func startLoad(streams []*echoStream, frames int64) *echoLoad {
	l := &echoLoad{streams: streams, frames: frames, epoch: time.Now(), stop: make(chan struct{})}
	for i, s := range streams {
		s.latency = make([]time.Duration, 0, 512)
		offset := framePeriod * time.Duration(i) / time.Duration(len(streams))
		l.senders.Go(func() { l.send(s, offset, frames) })
		l.readers.Go(func() { l.receive(s) })
	}
	return l
}

func (l *echoLoad) send(s *echoStream, offset time.Duration, frames int64) {
	select {
	case <-time.After(offset):
	case <-l.stop:
		return
	}
	tick := time.NewTicker(framePeriod)
	defer tick.Stop()
	var buf []byte
	for seq := int64(0); frames == 0 || seq < frames; seq++ {
		typ, msg := s.codec.encode(buf, seq, int64(time.Since(l.epoch)))
		buf = msg
		// No deadline: a context would cost the client an allocation per
		// frame, and finish closes a stuck stream.
		if err := s.conn.Write(context.Background(), typ, msg); err != nil {
			s.writeErr = err
			return
		}
		s.sent.Add(1)
		select {
		case <-tick.C:
		case <-l.stop:
			return
		}
	}
}

func (l *echoLoad) receive(s *echoStream) {
	var buf bytes.Buffer
	for {
		typ, r, err := s.conn.Reader(context.Background())
		if err == nil {
			buf.Reset()
			_, err = buf.ReadFrom(r)
		}
		if err != nil {
			s.readErr = err
			return
		}
		msg := buf.Bytes()
		now := time.Since(l.epoch)
		seq, sentNs, ok := s.codec.decode(typ, msg)
		if !ok || seq != s.got.Load() {
			s.bad++
		}
		if ok {
			s.latency = append(s.latency, now-time.Duration(sentNs))
		}
		s.got.Add(1)
	}
}

// finish lets the senders send all their frames, or stops them when
// sending until finish, then waits up to wait for every echo, closes the
// streams and returns every echo's latency (sorted) and the frames sent,
// lost (never echoed) and bad.
func (l *echoLoad) finish(wait time.Duration) (latency []time.Duration, sent, lost, bad int64) {
	if l.frames == 0 {
		close(l.stop)
	}
	// A sender stuck on a socket the server no longer reads is stopped
	// when the wait is over.
	giveUp := time.AfterFunc(time.Duration(l.frames)*framePeriod+wait, l.closeAll)
	defer giveUp.Stop()
	l.senders.Wait()
	for deadline := time.Now().Add(wait); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		if !slices.ContainsFunc(l.streams, func(s *echoStream) bool { return s.got.Load() < s.sent.Load() }) {
			break
		}
	}
	l.closeAll()
	l.readers.Wait()
	for _, s := range l.streams {
		latency = append(latency, s.latency...)
		sent += s.sent.Load()
		lost += max(0, s.sent.Load()-s.got.Load())
		bad += s.bad
	}
	slices.Sort(latency)
	return latency, sent, lost, bad
}

func (l *echoLoad) closeAll() {
	for _, s := range l.streams {
		s.conn.CloseNow()
	}
}

// percentile returns the p-th percentile of sorted durations.
func percentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(float64(len(sorted))*p/100))]
}

// openVonageStreams opens n Vonage sound-check sockets.
func openVonageStreams(t testing.TB, srv *httptest.Server, h *handlers.Handler, n int) []*echoStream {
	t.Helper()
	streams := make([]*echoStream, n)
	for i := range streams {
		streams[i] = &echoStream{conn: openVonage(t, srv, h), codec: vonageFrames{}}
	}
	return streams
}

// TestVonageSocketsUnderLoad is the load test: 200 concurrent
// streams at 50 frames a second each for 10 s, every frame echoed, in
// order. It takes about 11 s.
func TestVonageSocketsUnderLoad(t *testing.T) {
	if testing.Short() {
		t.Skip("10-second load test")
	}
	t.Parallel()
	const streams, frames = 200, 500 // 10 s at 50 frames/s
	app := newVonageApp(t)
	load := startLoad(openVonageStreams(t, app.srv, app.h, streams), frames)
	latency, sent, lost, bad := load.finish(3 * time.Second)
	for i, s := range load.streams {
		if s.writeErr != nil {
			t.Errorf("stream %d: write: %v", i, s.writeErr)
		}
	}
	if sent != streams*frames || lost != 0 || bad != 0 {
		t.Fatalf("sent %d frames (want %d), %d never echoed, %d echoed out of order or altered", sent, streams*frames, lost, bad)
	}
	t.Logf("%d frames echoed; latency p50 %v, p99 %v, max %v", sent, percentile(latency, 50), percentile(latency, 99), latency[len(latency)-1])
}

// BenchmarkEchoLatency measures per-frame echo latency on the sound-check
// sockets with 50, 200 and 500 concurrent streams, each sending a frame
// every 20 ms, next to a bare coder/websocket echo handler fed the same
// frames in the same run: Vonage's binary frames against a bare echo of
// binary frames, Twilio's JSON media messages against a bare echo of the
// same messages. Each iteration is one 20 ms frame period; the figures
// are p50-µs and p99-µs per frame, and lost frames (never echoed).
func BenchmarkEchoLatency(b *testing.B) {
	// Each provider's socket exists only on an app configured for it.
	vonage := newTestApp(b, withVonage(b, vonagePublicURL))
	twilio := newTestApp(b, withTwilio(twilioPublicURL))
	for _, a := range []*testApp{vonage, twilio} {
		a.h.SetSocketLimits(10000, 15*time.Second, time.Hour)
	}
	bare := httptest.NewServer(http.HandlerFunc(bareEcho))
	b.Cleanup(bare.Close)

	open := map[string]func(b *testing.B, n int) []*echoStream{
		"vonage": func(b *testing.B, n int) []*echoStream { return openVonageStreams(b, vonage.srv, vonage.h, n) },
		"vonage-bare": func(b *testing.B, n int) []*echoStream {
			streams := make([]*echoStream, n)
			for i := range streams {
				streams[i] = &echoStream{conn: mustDial(b, bare, "/", nil), codec: vonageFrames{}}
			}
			return streams
		},
		"twilio": func(b *testing.B, n int) []*echoStream {
			streams := make([]*echoStream, n)
			for i := range streams {
				s := newTwilioStream(mustDial(b, twilio.srv, "/media", signedStream()))
				s.start(b, map[string]string{"token": handlers.NewMediaToken(twilio.h, "twilio")})
				streams[i] = &echoStream{conn: s.conn, codec: twilioFrames{sid: s.sid}}
			}
			return streams
		},
		"twilio-bare": func(b *testing.B, n int) []*echoStream {
			streams := make([]*echoStream, n)
			for i := range streams {
				streams[i] = &echoStream{conn: mustDial(b, bare, "/", nil), codec: twilioFrames{sid: twiliotest.NewSID("MZ")}}
			}
			return streams
		},
	}
	for _, n := range []int{50, 200, 500} {
		for _, name := range []string{"vonage", "vonage-bare", "twilio", "twilio-bare"} {
			b.Run(fmt.Sprintf("%s/streams=%d", name, n), func(b *testing.B) {
				streams := open[name](b, n)
				warmUp(b, streams)
				load := startLoad(streams, 0)
				for b.Loop() {
					time.Sleep(framePeriod)
				}
				b.StopTimer()
				latency, sent, lost, bad := load.finish(5 * time.Second)
				if bad > 0 {
					b.Errorf("%d of %d echoes out of order or altered", bad, sent)
				}
				b.ReportMetric(float64(percentile(latency, 50).Microseconds()), "p50-µs")
				b.ReportMetric(float64(percentile(latency, 99).Microseconds()), "p99-µs")
				b.ReportMetric(float64(lost), "lost")
				b.ReportMetric(0, "ns/op") // one op is one 20 ms frame period
			})
		}
	}
}

// warmUp sends one frame on every stream and waits for its echo, so that
// the measured frames find each stream started (for Twilio, its token
// checked).
func warmUp(b *testing.B, streams []*echoStream) {
	b.Helper()
	for _, s := range streams {
		typ, msg := s.codec.encode(nil, -1, 0)
		write(b, s.conn, typ, msg)
	}
	for _, s := range streams {
		typ, msg := readMessage(b, s.conn)
		if seq, _, ok := s.codec.decode(typ, msg); !ok || seq != -1 {
			b.Fatalf("warm-up echo %q is not the frame sent", truncate(string(msg), 200))
		}
	}
}

// bareEcho is the smallest echo handler coder/websocket allows: the
// yardstick for the sound-check sockets.
func bareEcho(w http.ResponseWriter, r *http.Request) {
	conn, err := websocket.Accept(w, r, nil)
	if err != nil {
		return
	}
	defer conn.CloseNow()
	conn.SetReadLimit(64 << 10)
	ctx := context.Background()
	for {
		typ, msg, err := conn.Read(ctx)
		if err != nil {
			return
		}
		if err := conn.Write(ctx, typ, msg); err != nil {
			return
		}
	}
}
