package handlers_test

import (
	"bytes"
	"encoding/binary"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/ringdesk/ringdesk/models"
	"github.com/ringdesk/ringdesk/models/storetest"
	"github.com/ringdesk/ringdesk/voice"
)

// teamMember is an agent with a dashboard open, whose availability the
// test sets as the dashboard would.
type teamMember struct {
	app    *testApp
	client *http.Client
	stream string
	events *eventStream
}

func joinTeam(t *testing.T, app *testApp) *teamMember {
	t.Helper()
	c := app.client(t)
	app.signIn(t, c)
	s := app.openEvents(t, c, "")
	stream := decodeEvent[map[string]string](t, s.next(t, "hello", 2*time.Second))["stream"]
	return &teamMember{app: app, client: c, stream: stream, events: s}
}

// leave closes the member's dashboard.
func (m *teamMember) leave() { m.events.resp.Body.Close() }

func (m *teamMember) set(t *testing.T, ready, away bool) {
	t.Helper()
	m.app.postJSON(t, m.client, "/presence", map[string]any{"stream": m.stream, "ready": ready, "away": away}).
		wantStatus(t, http.StatusNoContent)
}

// TestCallingLine: with the only agent away, customers' calls wait in one
// line with hold music and their place; once the agent is available only
// the caller who has waited longest rings, whoever asks first; when that
// call leaves the line the next one moves up and rings. Run for every
// provider, the answers read back from its own format.
func TestCallingLine(t *testing.T) {
	eachKit(t, func(t *testing.T, kit callingKit) {
		app := newKitApp(t, kit)
		agent := joinTeam(t, app)
		agent.set(t, true, true) // away

		hold := func(name string, r *response, place int) {
			t.Helper()
			got := kit.read(t, app, r)
			say := voice.SayHolding(place)
			if r.Request.URL.Path == "/call/connect" || r.Request.URL.Path == "/webhooks/answer" {
				say = voice.SayJoined(place) // a new call is told why it waits
			}
			if len(got.Rings) != 0 || len(got.Dials) != 0 || got.HangsUp || !slices.Equal(got.Plays, []string{voice.HoldMusicPath}) ||
				len(got.Says) != 1 || got.Says[0] != say {
				t.Fatalf("%s: want hold music and place %d, heard %+v:\n%s", name, place, got, r.body)
			}
		}
		rings := func(name string, r *response) {
			t.Helper()
			if got := kit.read(t, app, r); !slices.Equal(got.Rings, []string{voice.Agent}) || len(got.Plays) != 0 {
				t.Fatalf("%s: want the agents rung, heard %+v:\n%s", name, got, r.body)
			}
		}

		first, second := kit.newSID(), kit.newSID()
		a := kit.answer(t, app, fromCustomer, callRequest{SID: first})[0]
		hold("first caller", a, 1)
		kit.golden(t, "hold", a, nil)
		b := kit.answer(t, app, fromCustomer, callRequest{SID: second})[0]
		hold("second caller", b, 2)

		// Still away: asking again changes nothing.
		a = kit.polled(t, app, a, first, "")
		hold("first caller, agent away", a, 1)

		// Available: the second caller asks first, and still waits.
		agent.set(t, true, false)
		b = kit.polled(t, app, b, second, "")
		hold("second caller, agent free", b, 2)
		a = kit.polled(t, app, a, first, "")
		rings("first caller, agent free", a)
		b = kit.polled(t, app, b, second, "")
		hold("second caller while the first rings", b, 2)

		// The first call goes on (unanswered, to voicemail): the second
		// moves up and rings.
		kit.unanswered(t, app, a, first)
		b = kit.polled(t, app, b, second, "")
		rings("second caller, moved up", b)

		entry, err := app.store.Queue.Get(t.Context(), first)
		if err != nil || entry.State != models.QueueVoicemail {
			t.Errorf("first caller's entry %+v, %v; want gone to voicemail", entry, err)
		}
	})
}

// TestCallingLineAcrossInstances: two Ringdesk instances on one MongoDB
// (the stand-in, or MONGODB_TEST_URI). The agent's dashboard is served
// by one; the customers' webhooks reach the other, which holds them
// while the agent is away and rings once the agent is available. When
// the dashboard closes, or its instance dies and stops renewing it, the
// agent stops counting there too.
func TestCallingLineAcrossInstances(t *testing.T) {
	eachKit(t, func(t *testing.T, kit callingKit) {
		store := storetest.NewMongo(t)
		desk, hooks := newKitApp(t, kit, withStore(store)), newKitApp(t, kit, withStore(store))
		agent := joinTeam(t, desk)
		agent.set(t, true, true) // away

		first := kit.newSID()
		a := kit.answer(t, hooks, fromCustomer, callRequest{SID: first})[0]
		if got := kit.read(t, hooks, a); len(got.Rings) != 0 || !slices.Equal(got.Plays, []string{voice.HoldMusicPath}) {
			t.Fatalf("agent away on the other instance: heard %+v, want hold music:\n%s", got, a.body)
		}
		agent.set(t, true, false)
		if got := kit.read(t, hooks, kit.polled(t, hooks, a, first, "")); !slices.Equal(got.Rings, []string{voice.Agent}) {
			t.Fatalf("agent available on the other instance: heard %+v, want the agents rung", got)
		}

		// The instance stops renewing (it died): after models.PresenceTTL
		// nobody counts, and a call rings at once as with nobody in.
		hooks.h.SetClock(func() time.Time { return time.Now().Add(models.PresenceTTL + time.Second) })
		if got := kit.read(t, hooks, kit.answer(t, hooks, fromCustomer, callRequest{})[0]); !slices.Equal(got.Rings, []string{voice.Agent}) {
			t.Fatalf("the agent's instance silent for a TTL: heard %+v, want the agents rung at once", got)
		}
		hooks.h.SetClock(time.Now)

		// Closing the dashboard drops its page at once.
		agent.set(t, true, true)
		if got := kit.read(t, hooks, kit.answer(t, hooks, fromCustomer, callRequest{})[0]); len(got.Rings) != 0 {
			t.Fatalf("agent away again: heard %+v, want hold", got)
		}
		agent.leave()
		deadline := time.Now().Add(5 * time.Second)
		for {
			got := kit.read(t, hooks, kit.answer(t, hooks, fromCustomer, callRequest{})[0])
			if slices.Equal(got.Rings, []string{voice.Agent}) {
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("5 s after the dashboard closed, a call still heard %+v; want the agents rung at once", got)
			}
			time.Sleep(100 * time.Millisecond)
		}
	})
}

// TestHeaderFollowsTheTeamOnAnotherInstance: without change streams (the
// stand-in has none), an instance's header still learns within its next
// reading of the team that an agent of another instance became available,
// and that their instance died (their page expired).
func TestHeaderFollowsTheTeamOnAnotherInstance(t *testing.T) {
	t.Parallel()
	store := storetest.NewMongo(t)
	desk, board := newTwilioApp(t, withStore(store)), newTwilioApp(t, withStore(store))
	board.agents.Add(100) // its agents' emails must not meet the desk's
	go board.h.FollowTeam(t.Context(), 50*time.Millisecond)
	viewer := board.client(t)
	board.signIn(t, viewer)
	header := board.openEvents(t, viewer, "")
	header.next(t, "hello", 2*time.Second)

	agent := joinTeam(t, desk)
	agent.set(t, true, false)
	wantTeam := func(what string, want counterEvent, within time.Duration) {
		t.Helper()
		deadline := time.After(within)
		for {
			select {
			case <-deadline:
				t.Fatalf("%s: the other instance's header never showed %d available, %d away", what, want.AgentsOnline, want.AgentsAway)
			default:
			}
			got := decodeEvent[counterEvent](t, header.next(t, "counters", within))
			if got.AgentsOnline == want.AgentsOnline && got.AgentsAway == want.AgentsAway {
				return
			}
		}
	}
	// The viewer counts as away (no phone on their page).
	wantTeam("the agent became available", counterEvent{AgentsOnline: 1, AgentsAway: 1}, 5*time.Second)

	// The desk's instance dies: nothing renews the agent's page, which
	// expires after models.PresenceTTL (and, by the board's clock moved
	// on, so has the viewer's own, which its stream has not renewed yet).
	board.h.SetClock(func() time.Time { return time.Now().Add(models.PresenceTTL + time.Second) })
	wantTeam("the agent's instance died", counterEvent{AgentsOnline: 0, AgentsAway: 0}, 5*time.Second)
}

// TestCallingRingsAtOnceWithNobodyIn: with no agent's dashboard open
// there is nobody to wait for: a customer's call rings (and, unanswered,
// goes to voicemail) as it always has.
func TestCallingRingsAtOnceWithNobodyIn(t *testing.T) {
	eachKit(t, func(t *testing.T, kit callingKit) {
		app := newKitApp(t, kit)
		got := kit.read(t, app, kit.answer(t, app, fromCustomer, callRequest{})[0])
		if !slices.Equal(got.Rings, []string{voice.Agent}) {
			t.Errorf("with nobody in, heard %+v; want the agents rung at once", got)
		}
	})
}

// TestHoldMusic: the hold music is a WAV file the providers can play:
// 16-bit mono PCM at 8 kHz, HoldSeconds long, neither silent nor loud,
// and cacheable.
func TestHoldMusic(t *testing.T) {
	t.Parallel()
	app := newTwilioApp(t)
	resp := app.get(t, app.client(t), voice.HoldMusicPath)
	resp.wantStatus(t, http.StatusOK)
	if ct := resp.Header.Get("Content-Type"); ct != "audio/wav" {
		t.Errorf("Content-Type = %q", ct)
	}
	b := []byte(resp.body)
	var hdr struct {
		Riff     [4]byte
		Size     uint32
		Wave     [8]byte
		FmtSize  uint32
		Format   uint16
		Channels uint16
		Rate     uint32
		ByteRate uint32
		Align    uint16
		Bits     uint16
		Data     [4]byte
		DataSize uint32
	}
	if err := binary.Read(bytes.NewReader(b), binary.LittleEndian, &hdr); err != nil {
		t.Fatal(err)
	}
	if string(hdr.Riff[:]) != "RIFF" || string(hdr.Wave[:]) != "WAVEfmt " || string(hdr.Data[:]) != "data" ||
		hdr.Format != 1 || hdr.Channels != 1 || hdr.Rate != 8000 || hdr.Bits != 16 ||
		int(hdr.DataSize) != voice.HoldSeconds*8000*2 || len(b) != 44+int(hdr.DataSize) || int(hdr.Size) != len(b)-8 {
		t.Fatalf("WAV header %+v for %d bytes", hdr, len(b))
	}
	samples := make([]int16, hdr.DataSize/2)
	if err := binary.Read(bytes.NewReader(b[44:]), binary.LittleEndian, samples); err != nil {
		t.Fatal(err)
	}
	var peak int
	for _, s := range samples {
		peak = max(peak, abs(int(s)))
	}
	if peak < 2000 || peak > 16000 {
		t.Errorf("peak %d of 32767: want audible and well below full scale", peak)
	}
	if first, last := abs(int(samples[0])), abs(int(samples[len(samples)-1])); first > 50 || last > 50 {
		t.Errorf("ends at %d and %d: want faded, so the loop does not click", first, last)
	}
	again := app.get(t, app.client(t), voice.HoldMusicPath, "If-None-Match", resp.Header.Get("ETag"))
	again.wantStatus(t, http.StatusNotModified)

	// Without calling there is nothing to play it to.
	off := newTestApp(t)
	off.get(t, off.client(t), voice.HoldMusicPath).wantStatus(t, http.StatusNotFound)
}

func abs(n int) int {
	if n < 0 {
		return -n
	}
	return n
}

// TestCallingCallback: a caller in line with a number to call back hears
// the offer and presses 1: the call ends with the number read back, the
// callback waits at the top of every dashboard, and an agent calling the
// ticket makes it. A phone caller with no ticket gets one; a website
// caller with no ticket has no number, and is not offered one.
func TestCallingCallback(t *testing.T) {
	eachKit(t, func(t *testing.T, kit callingKit) {
		app := newKitApp(t, kit)
		agent := joinTeam(t, app)
		agent.set(t, true, true) // away: calls wait
		tk, ref := openTicketAsCustomer(t, app, "Ada Lovelace")

		sid := kit.newSID()
		a := kit.answer(t, app, fromCustomer, callRequest{SID: sid, TicketRef: ref})[0]
		if got := kit.read(t, app, a); len(got.Says) != 1 || got.Says[0] != voice.SayJoined(1)+" "+voice.SayCallbackOffer {
			t.Fatalf("a caller with a ticket: want the offer, heard %+v:\n%s", got, a.body)
		}
		kit.golden(t, "hold_callback", a, []models.ID{tk.ID})
		booked := kit.polled(t, app, a, sid, voice.CallbackKey)
		if got := kit.read(t, app, booked); !got.HangsUp || len(got.Says) != 1 || got.Says[0] != voice.SayCallbackBooked("+14155552671") || len(got.Rings) != 0 {
			t.Fatalf("pressed 1: want the number read back and goodbye, heard %+v:\n%s", got, booked.body)
		}
		if got := voice.SayCallbackBooked("+14155552671"); !strings.Contains(got, "1 4 1 5 5 5 5 2 6 7 1") {
			t.Errorf("the number is read as %q", got)
		}
		if e, err := app.store.Queue.Get(t.Context(), sid); err != nil || e.State != models.QueueCallback {
			t.Errorf("entry %+v, %v; want left for a callback", e, err)
		}
		list, n, err := app.store.Callbacks.Pending(t.Context(), 10)
		if err != nil || n != 1 || list[0].TicketID != tk.ID || list[0].Number != "+14155552671" || list[0].TicketNumber != tk.Number {
			t.Fatalf("pending callbacks %+v (%d), %v; want one on ticket #%d", list, n, err, tk.Number)
		}

		// Every view's first tab is Call back, with its count, and a
		// line above the tickets points to it.
		dash := app.get(t, agent.client, "/dashboard?view=closed").doc(t)
		tabs := findAll(dash, byClass("view-tab"))
		if len(tabs) == 0 || attr(tabs[0], "data-view") != "callback" || squash(text(tabs[0])) != "Call back 1" || attr(tabs[0], "href") != "/dashboard?view=callback" {
			t.Fatalf("the first view tab is %q; want Call back 1", squash(text(tabs[0])))
		}
		if notice := find(dash, byID("callbacks-notice")); notice == nil || hasAttr(notice, "hidden") || !strings.Contains(text(notice), "1 waiting for a call back") {
			t.Error("the closed view does not say that a customer waits for a call back")
		}
		// The Call back view lists it, with its button.
		view := app.get(t, agent.client, "/dashboard?view=callback").doc(t)
		section := find(view, byID("callbacks"))
		if section == nil || attr(section, "data-count") != "1" || find(view, byID("ticket-list")) != nil {
			t.Fatal("the Call back view has no list of one callback, or lists tickets")
		}
		button := find(section, byClass("call-customer"))
		if attr(button, "data-ticket-id") != tk.ID.Hex() || attr(button, "data-phone") != "+14155552671" {
			t.Errorf("Call back button carries ticket %q and phone %q", attr(button, "data-ticket-id"), attr(button, "data-phone"))
		}

		// A phone caller with no ticket: one is opened for the callback.
		phone := kit.newSID()
		p := kit.answer(t, app, fromPhone, callRequest{SID: phone})[0]
		if got := kit.read(t, app, p); len(got.Says) != 1 || !strings.HasSuffix(got.Says[0], voice.SayCallbackOffer) {
			t.Fatalf("a phone caller: want the offer, heard %+v", got)
		}
		kit.polled(t, app, p, phone, voice.CallbackKey)
		list, n, _ = app.store.Callbacks.Pending(t.Context(), 10)
		if n != 2 || list[1].Name != "Phone caller" {
			t.Fatalf("pending callbacks %+v, want the phone caller's second", list)
		}
		opened := findTicket(t, app.store, list[1].TicketID.Hex())
		if opened.PhoneNumber != list[1].Number || opened.Source != "callback" {
			t.Errorf("the phone caller's ticket %+v", opened)
		}

		// A website caller with no ticket has no number to call back.
		web := kit.newSID()
		w := kit.answer(t, app, fromCustomer, callRequest{SID: web})[0]
		if got := kit.read(t, app, w); strings.Contains(strings.Join(got.Says, " "), "press 1") {
			t.Errorf("a caller with no number was offered a callback: %+v", got)
		}
		if kit.name == "vonage" {
			// Vonage's hold always takes a key; pressing it changes nothing.
			if got := kit.read(t, app, kit.polled(t, app, w, web, voice.CallbackKey)); len(got.Plays) != 1 {
				t.Errorf("a caller with no number pressed 1: want them still on hold, heard %+v", got)
			}
		}

		// The agent calls Ada's ticket back: done.
		kit.answer(t, app, fromAgent, callRequest{TicketID: tk.ID.Hex()})
		if list, n, _ := app.store.Callbacks.Pending(t.Context(), 10); n != 1 || list[0].TicketID == tk.ID {
			t.Errorf("after calling the ticket, pending %+v; want only the phone caller's", list)
		}
	})
}
