package handlers_test

// The calling policy, once for every provider: each row places a call the
// way the provider reports it (signed, in its format), lets Ringdesk plan
// it, and reads the rendered answer back. This is the one place that
// says a customer can never reach a phone.

import (
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ringdesk/ringdesk/models"
	"github.com/ringdesk/ringdesk/voice"
)

func TestCallingPolicy(t *testing.T) {
	eachKit(t, func(t *testing.T, kit callingKit) {
		app := newKitApp(t, kit, withEnv("DIAL_COUNTRIES", "US,GB"))
		tk := app.createTicket(t, "Ada Lovelace", "+1 415 555 2671", "Headset crackles")
		other := app.createTicket(t, "Grace Hopper", "+44 20 7946 0958", "Needs a call")
		noPhone := &models.Ticket{Name: "Website caller", Description: "Voicemail", Source: "voicemail"}
		if _, err := app.store.Tickets.Create(t.Context(), noPhone); err != nil {
			t.Fatal(err)
		}
		paris := app.createTicket(t, "Marie Curie", "+33 1 42 68 53 00", "Call me in Paris")
		premium := &models.Ticket{Name: "Mallory", PhoneNumber: "+19002345678", Description: "Call me back please"}
		if _, err := app.store.Tickets.Create(t.Context(), premium); err != nil {
			t.Fatal(err)
		}
		_, ref := openTicketAsCustomer(t, app, "Linus")
		refTicket, _, _ := strings.Cut(ref, ".")
		refID, _ := models.ParseID(refTicket)
		_, otherRef := openTicketAsCustomer(t, app, "Margaret")
		_, otherSig, _ := strings.Cut(otherRef, ".")

		dial := func(number string) heard { return heard{Dials: []string{number}} }
		say := func(text string) heard { return heard{Says: []string{text}, HangsUp: true} }
		type r = callRequest
		tests := []struct {
			name   string
			caller string
			req    callRequest
			want   heard // for agents; every other caller must ring the agents only
			golden string
			ids    []models.ID
		}{
			{"agent, ticketId", fromAgent, r{TicketID: tk.ID.Hex()}, dial("+14155552671"), "agent_ticket", []models.ID{tk.ID}},
			{"agent, ticketId wins over phoneNumber", fromAgent, r{TicketID: tk.ID.Hex(), PhoneNumber: "+44 20 7946 0958"}, dial("+14155552671"), "agent_ticket", []models.ID{tk.ID}},
			{"agent, phoneNumber national", fromAgent, r{PhoneNumber: "(415) 555-2671"}, dial("+14155552671"), "agent_number_us", nil},
			{"agent, phoneNumber E.164", fromAgent, r{PhoneNumber: "+14155552671"}, dial("+14155552671"), "agent_number_us", nil},
			{"agent, phoneNumber international", fromAgent, r{PhoneNumber: "+44 20 7946 0958"}, dial("+442079460958"), "agent_number_gb", nil},
			{"agent, invalid phoneNumber", fromAgent, r{PhoneNumber: "12345"}, say(voice.SayBadNumber), "agent_bad_number", nil},
			{"agent, phoneNumber with markup", fromAgent, r{PhoneNumber: `+1 555 <b>&"'`}, say(voice.SayBadNumber), "agent_bad_number", nil},
			{"agent, valid number followed by markup", fromAgent, r{PhoneNumber: `+1 415 555 2671 <b>&"'`}, say(voice.SayBadNumber), "agent_bad_number", nil},
			{"agent, phoneNumber that closes the element", fromAgent, r{PhoneNumber: `</Number><Client>x</Client>`}, say(voice.SayBadNumber), "agent_bad_number", nil},
			{"agent, valid number followed by JSON", fromAgent, r{PhoneNumber: `+1 415 555 2671"}],"x":[{"`}, say(voice.SayBadNumber), "agent_bad_number", nil},
			{"agent, typed premium-rate", fromAgent, r{PhoneNumber: "+1 900 234 5678"}, say(voice.SayPremiumNumber), "", nil},
			{"agent, typed shared-cost", fromAgent, r{PhoneNumber: "+34 901 123 456"}, say(voice.SaySharedCost), "", nil},
			{"agent, typed GB premium-rate", fromAgent, r{PhoneNumber: "+44 901 234 5678"}, say(voice.SayPremiumNumber), "", nil},
			{"agent, typed country not allowed", fromAgent, r{PhoneNumber: "+33 1 42 68 53 00"}, say(voice.SayCountryBlocked), "", nil},
			{"agent, typed Jamaica, +1 but not US", fromAgent, r{PhoneNumber: "+1 876 234 5678"}, say(voice.SayCountryBlocked), "", nil},
			{"agent, ticket abroad stays callable", fromAgent, r{TicketID: paris.ID.Hex()}, dial("+33142685300"), "", nil},
			{"agent, ticket with a premium-rate number", fromAgent, r{TicketID: premium.ID.Hex()}, say(voice.SayPremiumNumber), "", nil},
			{"agent, unknown ticketId", fromAgent, r{TicketID: models.NewID().Hex()}, say(voice.SayTicketGone), "agent_ticket_gone", nil},
			{"agent, malformed ticketId", fromAgent, r{TicketID: `nope"><Number>+1`}, say(voice.SayTicketGone), "agent_ticket_gone", nil},
			{"agent, malformed ticketId closing JSON", fromAgent, r{TicketID: `nope"}]`}, say(voice.SayTicketGone), "agent_ticket_gone", nil},
			{"agent, ticket without a phone", fromAgent, r{TicketID: noPhone.ID.Hex()}, say(voice.SayTicketNoPhone), "agent_ticket_no_phone", nil},
			{"agent, neither", fromAgent, r{}, say(voice.SayNoTarget), "agent_no_target", nil},

			{"customer", fromCustomer, r{}, heard{}, "customer", nil},
			{"customer with phoneNumber", fromCustomer, r{PhoneNumber: "+14155552671"}, heard{}, "customer", nil},
			{"customer with ticketId", fromCustomer, r{TicketID: other.ID.Hex()}, heard{}, "customer", nil},
			{"customer with both", fromCustomer, r{TicketID: other.ID.Hex(), PhoneNumber: "+44 20 7946 0958"}, heard{}, "customer", nil},
			{"customer claiming the agent", fromCustomer, r{PhoneNumber: "+14155552671", Claims: map[string]string{"identity": "support_agent", "role": "agent", "from_user": "support_agent"}}, heard{}, "customer", nil},
			{"a phone calling", fromPhone, r{PhoneNumber: "+14155552671"}, heard{}, "customer_phone", nil},
			{"a caller named like the agent", fromLookalike, r{PhoneNumber: "+14155552671"}, heard{}, "customer", nil},
			{"a caller named in capitals", fromCapitals, r{PhoneNumber: "+14155552671"}, heard{}, "customer", nil},
			{"no caller at all", fromNobody, r{}, heard{}, "customer", nil},
			{"customer with ticketRef", fromCustomer, r{TicketRef: ref, PhoneNumber: "+14155552671"}, heard{}, "customer_ticket", []models.ID{refID}},
			{"customer with a forged ticketRef", fromCustomer, r{TicketRef: other.ID.Hex() + ".forged"}, heard{}, "customer", nil},
			{"customer with another ticket's ref signature", fromCustomer, r{TicketRef: other.ID.Hex() + "." + otherSig}, heard{}, "customer", nil},
			{"customer with a bare ticket id as ref", fromCustomer, r{TicketRef: other.ID.Hex()}, heard{}, "customer", nil},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				for _, resp := range kit.answer(t, app, tt.caller, tt.req) {
					got := kit.read(t, app, resp)
					if tt.caller != fromAgent {
						// A customer's call rings the agents' browsers and
						// nothing else, whatever the browser asked for.
						if len(got.Dials) != 0 || !slices.Equal(got.Rings, []string{voice.Agent}) || got.Socket != "" {
							t.Errorf("a %q call must ring only %s, never a phone (heard %+v):\n%s", tt.caller, voice.Agent, got, resp.body)
						}
					} else if diff := cmp.Diff(tt.want, got, ignoreCallbacks); diff != "" {
						t.Errorf("agent's call (-want +heard):\n%s\n%s", diff, resp.body)
					}
					if raw := unescaped(resp.body); len(raw) != 0 {
						t.Errorf("answer contains request text unescaped %q:\n%s", raw, resp.body)
					}
					if tt.golden != "" {
						kit.golden(t, tt.golden, resp, tt.ids)
					}
				}
			})
		}
	})
}

// ignoreCallbacks leaves out where a plan's events go: the flow tests
// follow them.
var ignoreCallbacks = cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".Callback" }, cmp.Ignore())

// TestCallingVoicemail follows a customer's call that no agent answers,
// as each provider would: the caller is offered voicemail, and the
// message joins the caller's ticket, or a new ticket for a caller who
// opened none (once, however often the provider delivers it).
func TestCallingVoicemail(t *testing.T) {
	eachKit(t, func(t *testing.T, kit callingKit) {
		app := newKitApp(t, kit)
		tk, ref := openTicketAsCustomer(t, app, "Ada Lovelace")

		// A caller with a ticket.
		sid := kit.newSID()
		answer := kit.answer(t, app, fromCustomer, callRequest{TicketRef: ref, SID: sid})[0]
		offer := kit.unanswered(t, app, answer, sid)
		if got := kit.read(t, app, offer); !got.Records || len(got.Says) == 0 || got.Says[0] != voice.SayVoicemailPrompt {
			t.Fatalf("unanswered call: want the voicemail prompt and a recording, heard %+v:\n%s", got, offer.body)
		}
		kit.golden(t, "voicemail_ticket", offer, []models.ID{tk.ID})
		kit.recorded(t, app, offer, sid, 17)
		c := storedCall(t, app, sid)
		if c.TicketID == nil || *c.TicketID != tk.ID || c.RecordingURL != kit.recordingURL || c.RecordingDuration != 17 || c.Direction != models.CallInbound {
			t.Errorf("call log %+v, want inbound on ticket %s with the recording", c, tk.ID.Hex())
		}
		if sum := findTicket(t, app.store, tk.ID.Hex()).Calls[sid]; sum.Status != models.CallVoicemail || !sum.Voicemail || sum.Duration != 17 {
			t.Errorf("ticket summary %+v, want voicemail of 17 s", sum)
		}
		if n := len(allTickets(t, app.store)); n != 1 {
			t.Errorf("%d tickets, want the caller's one", n)
		}

		// A caller without one; the provider delivers the message 3 times.
		sid = kit.newSID()
		answer = kit.answer(t, app, fromCustomer, callRequest{SID: sid})[0]
		offer = kit.unanswered(t, app, answer, sid)
		kit.golden(t, "voicemail", offer, nil)
		for range 3 {
			kit.recorded(t, app, offer, sid, 75)
		}
		tickets := allTickets(t, app.store)
		if len(tickets) != 2 {
			t.Fatalf("%d tickets after 3 deliveries of one voicemail, want 2", len(tickets))
		}
		nt := tickets[0]
		if nt.Name != "Website caller" || nt.Source != "voicemail" || nt.PhoneNumber != "" || !strings.Contains(nt.Description, "1:15") {
			t.Errorf("voicemail ticket %+v", nt)
		}
		if sum, ok := nt.Calls[sid]; !ok || sum.Status != models.CallVoicemail || sum.Duration != 75 {
			t.Errorf("ticket calls %+v, want the voicemail", nt.Calls)
		}
		if c := storedCall(t, app, sid); c.TicketID == nil || *c.TicketID != nt.ID || c.RecordingURL != kit.recordingURL {
			t.Errorf("call log %+v, want it on ticket %s", c, nt.ID.Hex())
		}

		// A phone caller without one: their ticket has the number they
		// called from, to call back.
		sid = kit.newSID()
		answer = kit.answer(t, app, fromPhone, callRequest{SID: sid})[0]
		offer = kit.unanswered(t, app, answer, sid)
		kit.golden(t, "voicemail_phone", offer, nil)
		kit.recorded(t, app, offer, sid, 20)
		tickets = allTickets(t, app.store)
		if len(tickets) != 3 {
			t.Fatalf("%d tickets after a phone caller's voicemail, want 3", len(tickets))
		}
		caller := map[string]string{"twilio": "+14155550100", "vonage": "+14155550111"}[kit.name] // the kits' phone
		if pt := tickets[0]; pt.Name != "Phone caller" || pt.Source != "voicemail" || pt.PhoneNumber == "" || pt.PhoneNumber != caller ||
			!strings.Contains(pt.Description, "Call back on the number it came from") {
			t.Errorf("a phone caller's voicemail ticket %+v; want their number %q", pt, caller)
		}

		// Nothing said: nothing kept.
		sid = kit.newSID()
		offer = kit.unanswered(t, app, kit.answer(t, app, fromCustomer, callRequest{SID: sid})[0], sid)
		kit.recorded(t, app, offer, sid, 0)
		if n := len(allTickets(t, app.store)); n != 3 {
			t.Errorf("%d tickets after an empty recording, want 3", n)
		}
	})
}

// TestCallingRoutesOnlyForTheProvider: only the configured provider's
// addresses exist; with another provider, or none, each answers 404 and
// nothing is logged.
func TestCallingRoutesOnlyForTheProvider(t *testing.T) {
	eachKit(t, func(t *testing.T, kit callingKit) {
		apps := map[string]*testApp{"no provider": newTestApp(t, withEnv("PUBLIC_URL", twilioPublicURL))}
		for _, other := range callingKits {
			if other.name != kit.name {
				apps[other.name] = newKitApp(t, other)
			}
		}
		for name, app := range apps {
			for _, hook := range kit.hooks {
				if resp := kit.hook(t, app, hook); resp.StatusCode != http.StatusNotFound {
					t.Errorf("%s: %s = %d, want 404", name, hook, resp.StatusCode)
				}
			}
			if n := countCalls(t, app.store); n != 0 {
				t.Errorf("%s: %d call logs written with %s off", name, n, kit.name)
			}
		}
		// The control: on its own app every address exists.
		app := newKitApp(t, kit)
		for _, hook := range kit.hooks {
			if resp := kit.hook(t, app, hook); resp.StatusCode == http.StatusNotFound {
				t.Errorf("%s: %s = 404 with %s configured", kit.name, hook, kit.name)
			}
		}
	})
}

// TestCallingAfterHours: outside the business hours a customer's call is
// told when support opens and offered voicemail, which becomes a ticket;
// the agents' own calls go out as always.
func TestCallingAfterHours(t *testing.T) {
	eachKit(t, func(t *testing.T, kit callingKit) {
		app := newKitApp(t, kit)
		// Open only on the day after tomorrow: closed now. (The clock
		// stays real: Vonage's signed webhooks carry the time.)
		now := time.Now().UTC()
		next := time.Date(now.Year(), now.Month(), now.Day()+2, 9, 0, 0, 0, time.UTC)
		week := make([]models.DayHours, 7)
		week[next.Weekday()] = models.DayHours{Open: "09:00", Close: "17:00"}
		if err := app.store.Settings.SetHours(t.Context(), models.Hours{Zone: "UTC", Week: week}); err != nil {
			t.Fatal(err)
		}

		sid := kit.newSID()
		resp := kit.answer(t, app, fromCustomer, callRequest{SID: sid})[0]
		got := kit.read(t, app, resp)
		said := voice.SayClosed(next, time.Now(), true)
		if !got.Records || len(got.Says) == 0 || got.Says[0] != said || len(got.Rings) != 0 || len(got.Dials) != 0 {
			t.Fatalf("a call out of hours: want the hours, voicemail and nobody rung, heard %+v:\n%s", got, resp.body)
		}
		if want := "We open again on " + next.Format("Monday") + " at 9:00 AM, UTC time."; !strings.Contains(said, want) {
			t.Errorf("caller hears %q, want %q", said, want)
		}
		kit.golden(t, "after_hours", resp, nil, said)
		kit.recorded(t, app, resp, sid, 40)
		tickets := allTickets(t, app.store)
		if len(tickets) != 1 || !strings.Contains(tickets[0].Description, "outside business hours (0:40)") || tickets[0].Source != "voicemail" {
			t.Errorf("tickets after an out-of-hours voicemail: %+v", tickets)
		}

		// The agents call out whatever the hours.
		agent := kit.read(t, app, kit.answer(t, app, fromAgent, callRequest{PhoneNumber: "+14155552671"})[0])
		if !slices.Equal(agent.Dials, []string{"+14155552671"}) {
			t.Errorf("an agent's call out of hours heard %+v, want it dialled", agent)
		}
	})
}
