package handlers_test

import (
	"bytes"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/ringdesk/ringdesk/models"
)

// formNonce loads the home page with c and returns the form's one-time nonce.
func formNonce(t testing.TB, app *testApp, c *http.Client) string {
	t.Helper()
	resp := app.get(t, c, "/")
	resp.wantStatus(t, http.StatusOK)
	nonce := fieldValue(t, resp.doc(t), "nonce")
	if len(nonce) != 32 {
		t.Fatalf("nonce = %q, want 32 hex characters", nonce)
	}
	return nonce
}

func TestCreateTicketForm(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	c := app.client(t)

	form := ticketForm("Ada Lovelace", "(415) 555-2671", "My analytical engine\nwill not start.")
	form.Set("nonce", formNonce(t, app, c))
	app.postForm(t, c, "/tickets", form).wantRedirect(t, "/")

	tickets := allTickets(t, app.store)
	if len(tickets) != 1 {
		t.Fatalf("store holds %d tickets, want 1", len(tickets))
	}
	got := tickets[0]
	want := models.Ticket{
		ID: got.ID, Number: got.Number, CreatedAt: got.CreatedAt, UpdatedAt: got.UpdatedAt,
		Name:        "Ada Lovelace",
		PhoneNumber: "+14155552671",
		Description: "My analytical engine\nwill not start.",
		Status:      models.StatusOpen,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("stored ticket (-want +got):\n%s", diff)
	}

	// The flash appears on the next page, once.
	home := app.get(t, c, "/")
	home.wantStatus(t, http.StatusOK)
	msg := flashText(home.doc(t))
	for _, part := range []string{"#" + strconv.FormatInt(got.Number, 10), "Ada Lovelace", "+1 415-555-2671"} {
		if !strings.Contains(msg, part) {
			t.Errorf("flash %q does not mention %q", msg, part)
		}
	}
	if again := flashText(app.get(t, c, "/").doc(t)); again != "" {
		t.Errorf("flash shown twice: %q", again)
	}
}

func TestCreateTicketFormInvalid(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)

	long := strings.Repeat("Lorem ipsum <dolor> & \"sit\" amet. ", 600) // ~20 kB
	if len(long) < 20000 {
		t.Fatalf("test description is only %d bytes", len(long))
	}
	tests := []struct {
		name  string
		form  url.Values
		wrong []string // fields that should carry an error, sorted
	}{
		{"all blank", ticketForm("", "", ""), []string{"description", "name", "phone_number"}},
		{"only spaces", ticketForm("   ", "  ", " \n "), []string{"description", "name", "phone_number"}},
		{"impossible number", ticketForm("Ada", "12345", "Help"), []string{"phone_number"}},
		{"letters for a number", ticketForm("Ada", "call me maybe", "Help"), []string{"phone_number"}},
		{"20 kB description", ticketForm("Ada", "+14155552671", long), []string{"description"}},
		{"300-character name", ticketForm(strings.Repeat("N", 300), "+14155552671", "Help"), []string{"name"}},
		{"markup kept as text", ticketForm(`<b>"Ada" & co</b>`, `<script>`, `</textarea><script>alert(1)</script>`), []string{"phone_number"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := app.client(t)
			resp := app.postForm(t, c, "/tickets", tt.form)
			resp.wantStatus(t, http.StatusUnprocessableEntity)
			doc := resp.doc(t)

			// Each bad field has its own message, the one validation gives.
			_, err := models.TicketInput{
				Name: tt.form.Get("name"), PhoneNumber: tt.form.Get("phone_number"), Description: tt.form.Get("description"),
			}.Validate("US")
			verr, ok := err.(*models.ValidationError)
			if !ok {
				t.Fatalf("test input is valid; Validate = %v", err)
			}
			if diff := cmp.Diff(tt.wrong, sortedKeys(verr.Fields)); diff != "" {
				t.Fatalf("test expects other bad fields (-test +validation):\n%s", diff)
			}
			if diff := cmp.Diff(verr.Fields, fieldErrors(doc, "name", "phone_number", "description")); diff != "" {
				t.Errorf("field errors (-want +got):\n%s", diff)
			}
			for _, f := range tt.wrong {
				if in := find(doc, byName(f)); attr(in, "aria-invalid") != "true" {
					t.Errorf("field %s is not marked aria-invalid", f)
				}
			}

			// Everything typed is still there, exactly.
			for _, f := range []string{"name", "phone_number", "description"} {
				if got, want := fieldValue(t, doc, f), tt.form.Get(f); got != want {
					t.Errorf("field %s holds %q, want the typed %q", f, truncate(got, 80), truncate(want, 80))
				}
			}
			if n := len(allTickets(t, app.store)); n != 0 {
				t.Errorf("store holds %d tickets after an invalid post", n)
			}
		})
	}
}

func TestCreateTicketFormNonce(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name        string
		second      url.Values
		wantTickets int
	}{
		{"double click", ticketForm("Grace", "+14155552671", "Compiler bug"), 1},
		{"new text, same page", ticketForm("Grace", "+14155552671", "Another bug"), 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			app := newTestApp(t)
			c := app.client(t)
			nonce := formNonce(t, app, c)
			first := ticketForm("Grace", "+14155552671", "Compiler bug")
			first.Set("nonce", nonce)
			tt.second.Set("nonce", nonce)
			app.postForm(t, c, "/tickets", first).wantRedirect(t, "/")
			app.postForm(t, c, "/tickets", tt.second).wantRedirect(t, "/")

			var got []string
			for _, tk := range allTickets(t, app.store) {
				got = append(got, tk.Description)
			}
			if len(got) != tt.wantTickets {
				t.Errorf("store holds %d tickets %q, want %d", len(got), got, tt.wantTickets)
			}
		})
	}
}

func TestCreateTicketJSON(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)

	tests := []struct {
		name string
		body map[string]string
	}{
		{"snake_case phone", map[string]string{"name": "Alan", "phone_number": "+44 20 7946 0958", "description": "Enigma"}},
		{"camelCase phone", map[string]string{"name": "Alan", "phoneNumber": "+44 20 7946 0958", "description": "Enigma"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			resp := app.postJSON(t, app.client(t), "/tickets", tt.body)
			resp.wantStatus(t, http.StatusCreated)
			var got map[string]any
			resp.json(t, &got)

			wantKeys := []string{"assignee", "createdAt", "description", "id", "name", "number", "phoneNumber", "status", "updatedAt"}
			if diff := cmp.Diff(wantKeys, sortedKeys(got)); diff != "" {
				t.Fatalf("JSON fields (-want +got):\n%s", diff)
			}
			for _, k := range []string{"createdAt", "updatedAt"} {
				if _, err := time.Parse(time.RFC3339, got[k].(string)); err != nil {
					t.Errorf("%s = %v is not RFC 3339: %v", k, got[k], err)
				}
			}
			want := map[string]any{"name": "Alan", "phoneNumber": "+442079460958", "description": "Enigma", "status": "open"}
			for k, v := range want {
				if got[k] != v {
					t.Errorf("%s = %v, want %v", k, got[k], v)
				}
			}

			// The answer describes the stored ticket.
			id := got["id"].(string)
			stored := findTicket(t, app.store, id)
			if stored == nil {
				t.Fatalf("ticket %s is not in the store", id)
			}
			if float64(stored.Number) != got["number"] || stored.PhoneNumber != "+442079460958" {
				t.Errorf("stored %+v does not match answer %v", stored, got)
			}
		})
	}
}

func TestCreateTicketJSONErrors(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	c := app.client(t)

	t.Run("invalid fields", func(t *testing.T) {
		resp := app.postJSON(t, c, "/tickets", map[string]string{"name": "", "phoneNumber": "12345", "description": " "})
		resp.wantStatus(t, http.StatusUnprocessableEntity)
		var got struct{ Errors map[string]string }
		resp.json(t, &got)
		if diff := cmp.Diff([]string{"description", "name", "phoneNumber"}, sortedKeys(got.Errors)); diff != "" {
			t.Errorf("error keys (-want +got):\n%s", diff)
		}
		for k, msg := range got.Errors {
			if msg == "" {
				t.Errorf("error for %s is empty", k)
			}
		}
	})

	for _, body := range []string{`{"name": "Ada",`, `not json`, `[1, 2]`} {
		t.Run("malformed "+body, func(t *testing.T) {
			resp := app.postJSON(t, c, "/tickets", body)
			resp.wantStatus(t, http.StatusBadRequest)
			var got map[string]string
			resp.json(t, &got)
			if got["error"] == "" {
				t.Errorf("body = %s, want an error message", resp.body)
			}
		})
	}
	if n := len(allTickets(t, app.store)); n != 0 {
		t.Errorf("store holds %d tickets after bad posts", n)
	}
}

func TestCreateTicketIdempotencyKey(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	c := app.client(t)
	body := map[string]string{"name": "Katherine", "phoneNumber": "+14155552671", "description": "Orbit maths"}

	first := app.postJSON(t, c, "/tickets", body, "Idempotency-Key", "key-1")
	first.wantStatus(t, http.StatusCreated)
	if h := first.Header.Get("Idempotent-Replayed"); h != "" {
		t.Errorf("first answer has Idempotent-Replayed: %q", h)
	}
	var a, b models.Ticket
	first.json(t, &a)

	replay := app.postJSON(t, c, "/tickets", body, "Idempotency-Key", "key-1")
	replay.wantStatus(t, http.StatusOK)
	if h := replay.Header.Get("Idempotent-Replayed"); h != "true" {
		t.Errorf("Idempotent-Replayed = %q, want true", h)
	}
	replay.json(t, &b)
	if diff := cmp.Diff(a, b); diff != "" {
		t.Errorf("replayed ticket differs (-first +replay):\n%s", diff)
	}

	other := map[string]string{"name": "Katherine", "phoneNumber": "+14155552671", "description": "Something else"}
	conflict := app.postJSON(t, c, "/tickets", other, "Idempotency-Key", "key-1")
	conflict.wantStatus(t, http.StatusConflict)
	if strings.Contains(conflict.body, "Orbit maths") {
		t.Errorf("409 discloses the first ticket: %s", conflict.body)
	}

	if n := len(allTickets(t, app.store)); n != 1 {
		t.Errorf("store holds %d tickets, want 1", n)
	}
}

func TestCreateTicketBodyTooLarge(t *testing.T) {
	t.Parallel()
	app := newTestApp(t)
	c := app.client(t)
	big := strings.Repeat("a", 70<<10)
	form := ticketForm("Ada", "+14155552671", big).Encode()
	js := `{"name":"Ada","phoneNumber":"+14155552671","description":"` + big + `"}`

	tests := []struct {
		name        string
		contentType string
		accept      string
		body        string
		chunked     bool // no Content-Length: the limit is met while reading
	}{
		{"form", "application/x-www-form-urlencoded", "", form, false},
		{"form chunked", "application/x-www-form-urlencoded", "", form, true},
		{"JSON", "application/json", "", js, false},
		{"JSON chunked", "application/json", "", js, true},
		{"JSON chunked, Accept */*", "application/json", "*/*", js, true},
		{"JSON chunked, Accept JSON", "application/json", "application/json", js, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var body io.Reader = strings.NewReader(tt.body)
			if tt.chunked {
				body = io.MultiReader(bytes.NewReader([]byte(tt.body))) // hides the length
			}
			req := app.newRequest(t, http.MethodPost, "/tickets", body, "Content-Type", tt.contentType)
			if tt.accept != "" {
				req.Header.Set("Accept", tt.accept)
			}
			if tt.chunked {
				req.ContentLength = -1
			}
			resp := app.do(t, c, req)
			resp.wantStatus(t, http.StatusRequestEntityTooLarge)
			if tt.contentType == "application/json" {
				var got map[string]string
				resp.json(t, &got)
				if got["error"] == "" {
					t.Errorf("body = %s, want {\"error\": ...}", resp.body)
				}
			}
		})
	}
	if n := len(allTickets(t, app.store)); n != 0 {
		t.Errorf("store holds %d tickets after oversized posts", n)
	}
}

// TestCreateTicketRateLimit also shows that X-Forwarded-For is ignored
// without trusted proxies: every post claims another address.
func TestCreateTicketRateLimit(t *testing.T) {
	t.Parallel()
	app := newTestApp(t, withRealRateLimits())
	c := app.client(t)

	for i := range 10 {
		form := ticketForm("Customer "+strconv.Itoa(i), "+14155552671", "Ticket "+strconv.Itoa(i))
		app.postForm(t, c, "/tickets", form, "X-Forwarded-For", "203.0.113."+strconv.Itoa(i+1)).
			wantRedirect(t, "/")
	}

	t.Run("form", func(t *testing.T) {
		form := ticketForm("Eleventh", "+14155552671", "One too many\nbut keep my text")
		resp := app.postForm(t, c, "/tickets", form, "X-Forwarded-For", "198.51.100.7")
		resp.wantStatus(t, http.StatusTooManyRequests)
		wantRetryAfter(t, resp)
		doc := resp.doc(t)
		for _, f := range []string{"name", "phone_number", "description"} {
			if got := fieldValue(t, doc, f); got != form.Get(f) {
				t.Errorf("field %s holds %q, want the typed %q", f, got, form.Get(f))
			}
		}
		if flashText(doc) == "" {
			t.Errorf("429 page does not say why")
		}
	})
	t.Run("JSON", func(t *testing.T) {
		resp := app.postJSON(t, c, "/tickets", map[string]string{"name": "Twelfth", "phoneNumber": "+14155552671", "description": "x"})
		resp.wantStatus(t, http.StatusTooManyRequests)
		wantRetryAfter(t, resp)
	})
	if n := len(allTickets(t, app.store)); n != 10 {
		t.Errorf("store holds %d tickets, want 10", n)
	}
}

// wantRetryAfter checks for a Retry-After of a positive number of seconds.
func wantRetryAfter(t testing.TB, resp *response) {
	t.Helper()
	ra := resp.Header.Get("Retry-After")
	if n, err := strconv.Atoi(ra); err != nil || n <= 0 {
		t.Errorf("Retry-After = %q, want a positive number of seconds", ra)
	}
}

// findTicket returns the stored ticket with that hex id, or nil.
func findTicket(t testing.TB, s *models.Store, id string) *models.Ticket {
	t.Helper()
	for _, tk := range allTickets(t, s) {
		if tk.ID.Hex() == id {
			return &tk
		}
	}
	return nil
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
