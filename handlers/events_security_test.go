package handlers_test

import (
	"bufio"
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/golang-jwt/jwt/v5"

	"github.com/ringdesk/ringdesk/models"
)

// wantStreamEnds waits for s to end within d, failing if a ticket event
// arrives first: what the stream must no longer carry is new tickets.
func wantStreamEnds(t testing.TB, s *eventStream, d time.Duration) {
	t.Helper()
	deadline := time.After(d)
	for {
		select {
		case ev, ok := <-s.events:
			if !ok {
				return
			}
			if ev.Name == "ticket" {
				t.Fatalf("the stream still carries new tickets: %s", truncate(ev.Data, 300))
			}
		case <-deadline:
			t.Fatalf("the event stream is still open after %v", d)
		}
	}
}

// The attack: after POST /logout, the /events stream the dashboard had
// open kept receiving every new ticket (name, phone, description).
func TestEventsEndAtSignOut(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	agent := app.client(t)
	app.signIn(t, agent)
	s := app.openEvents(t, agent, "")
	s.next(t, "hello", 2*time.Second)

	app.postForm(t, agent, "/logout", nil).wantRedirect(t, "/login")
	app.postForm(t, app.client(t), "/tickets", ticketForm("After Logout", "+1 415 555 2671", "must not be streamed")).wantRedirect(t, "/")
	wantStreamEnds(t, s, 2*time.Second)
}

// Signing out ends that session's streams only: the same agent's other
// session (another browser) keeps its dashboard live.
func TestEventsSignOutEndsOnlyItsSession(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	one := app.client(t)
	agent := app.signIn(t, one)
	two := app.client(t)
	app.postForm(t, two, "/login", url.Values{"email": {agent.Email}, "password": {testPassword}}).wantRedirect(t, "/dashboard")
	s1, s2 := app.openEvents(t, one, ""), app.openEvents(t, two, "")
	s1.next(t, "hello", 2*time.Second)
	s2.next(t, "hello", 2*time.Second)

	app.postForm(t, one, "/logout", nil).wantRedirect(t, "/login")
	wantStreamEnds(t, s1, 2*time.Second)
	app.postForm(t, app.client(t), "/tickets", ticketForm("Still Live", "+1 415 555 2671", "for the other session")).wantRedirect(t, "/")
	if ev := decodeEvent[ticketEvent](t, s2.next(t, "ticket", 2*time.Second)); !strings.Contains(ev.HTML, "Still Live") {
		t.Errorf("other session's stream got %s", ev.HTML)
	}
}

// A stream ends when its session expires, without waiting for a request.
func TestEventsEndWhenTheSessionExpires(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	agent := app.newAgent(t)
	now := time.Now()
	cookie, err := jwt.NewWithClaims(jwt.SigningMethodHS256, jwt.MapClaims{
		"name": agent.Name, "iss": "ringdesk", "sub": agent.ID.Hex(), "jti": "short-lived-session",
		"iat": now.Unix(), "exp": now.Add(2 * time.Second).Unix(),
	}).SignedString([]byte(testSecret))
	if err != nil {
		t.Fatal(err)
	}
	c := app.client(t)
	u, _ := url.Parse(app.srv.URL)
	c.Jar.SetCookies(u, []*http.Cookie{{Name: "ringdesk_session", Value: cookie}})
	s := app.openEvents(t, c, "")
	s.next(t, "hello", 2*time.Second)
	wantStreamEnds(t, s, 4*time.Second)
}

// A session signed out on another instance, or an agent disabled from
// the command line, ends the stream at the next check of the session.
func TestEventsEndWhenTheSessionIsRevokedElsewhere(t *testing.T) {
	t.Parallel()
	for _, how := range []string{"disabled", "revoked"} {
		t.Run(how, func(t *testing.T) {
			t.Parallel()
			app := newTestApp(t)
			app.h.SetSessionCheck(100 * time.Millisecond)
			// Another admin, so that this one may be disabled.
			app.newAgent(t)
			c := app.client(t)
			agent := app.signIn(t, c)
			s := app.openEvents(t, c, "")
			s.next(t, "hello", 2*time.Second)

			switch how {
			case "disabled":
				if err := app.store.Agents.SetDisabled(t.Context(), agent.ID, true); err != nil {
					t.Fatal(err)
				}
			case "revoked":
				claims := parseCookie(t, app.sessionCookie(t, c))
				if err := app.store.Agents.RevokeSession(t.Context(), agent.ID, claims.ID, claims.ExpiresAt.Time); err != nil {
					t.Fatal(err)
				}
			}
			wantStreamEnds(t, s, 2*time.Second)
		})
	}
}

// parseCookie reads a session cookie's claims (its signature is the
// server's business).
func parseCookie(t testing.TB, raw string) *jwt.RegisteredClaims {
	t.Helper()
	var claims jwt.RegisteredClaims
	if _, _, err := jwt.NewParser().ParseUnverified(raw, &claims); err != nil {
		t.Fatalf("parse session cookie: %v", err)
	}
	return &claims
}

// The attack: a dashboard client that stops reading leaves the server
// stuck writing its stream, and Shutdown waited its full deadline. Closing
// the streams on shutdown fails that write at once.
func TestEventsStalledClientDoesNotHoldShutdown(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	app.srv.Config.RegisterOnShutdown(app.h.CloseEvents) // as main does
	agent := app.client(t)
	app.signIn(t, agent)
	cookie := app.sessionCookie(t, agent)
	// One big ticket: every status change streams its whole card.
	tk := app.createTicket(t, "Stalled", "+14155552671", strings.Repeat("<>&", models.MaxDescriptionLen/3))

	// A client that reads the headers and then nothing more, with a
	// small receive buffer so the server's writes back up quickly.
	conn, err := net.Dial("tcp", app.srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.(*net.TCPConn).SetReadBuffer(4096)
	fmt.Fprintf(conn, "GET /events HTTP/1.1\r\nHost: %s\r\nAccept: text/event-stream\r\nCookie: ringdesk_session=%s\r\n\r\n",
		app.srv.Listener.Addr(), cookie)
	status, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil || !strings.Contains(status, "200") {
		t.Fatalf("GET /events: %q, %v", status, err)
	}

	// Fill every buffer between the server and the stalled client.
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			c := app.client(t)
			c.Jar = agent.Jar
			for j := range 40 {
				status := []string{"closed", "open"}[(i+j)%2]
				app.postForm(t, c, "/tickets/"+tk.ID.Hex()+"/status", url.Values{"status": {status}})
			}
		})
	}
	wg.Wait()

	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
	defer cancel()
	start := time.Now()
	if err := app.srv.Config.Shutdown(ctx); err != nil {
		t.Fatalf("Shutdown: %v after %v", err, time.Since(start))
	}
	if took := time.Since(start); took > 3*time.Second {
		t.Errorf("Shutdown took %v with a stalled event stream, want under 3 s", took)
	}
}
