package e2e

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/input"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"github.com/ringdesk/ringdesk/models"
)

// TestAccessibility checks the pages people use, as rendered by Chromium:
// every form control has a label, text meets WCAG AA contrast, the page
// fits a 375 px phone without sideways scrolling, the keyboard reaches the
// main controls with a visible focus indicator, and call states are
// announced. Pages: home (with field errors), sign-in, the dashboard with
// tickets and calling on (idle, ringing and in a call), a ticket (and its
// note form's error), the deletion step, a search, /agents, /account,
// the business hours (with errors), the reports and the wallboard.
func TestAccessibility(t *testing.T) {
	a := startApp(t, twilioEnv)
	seedTickets(t, a.Store)
	ticket := newestTicket(t, a.Store)
	seedA11yCalls(t, a.Store, ticket.ID)
	ctx := browser(t)

	// Home, after a submit with every field empty.
	run(t, ctx,
		withFakeTwilio(),
		chromedp.Navigate(a.URL+"/"),
		pageWith(`#name`),
		chromedp.Click(`form[action="/tickets"] button[type=submit]`, chromedp.ByQuery),
		pageWith(`#name-error`),
	)
	checkPage(t, ctx, "home with errors", `form[action="/tickets"] button[type=submit]`, "#call-support")
	checkLiveAttr(t, ctx, "home", "#call-status", "aria-live", "polite")

	run(t, ctx, chromedp.Navigate(a.URL+"/login"), pageWith(`#email`))
	checkPage(t, ctx, "sign-in", `#email`, `#password`, `form[action="/login"] button[type=submit]`)

	signIn(t, ctx, a)
	run(t, ctx,
		pageWith(`#ticket-list`),
		waitJS("the device to register", `document.querySelector(".device-status").dataset.state === "ready"`),
		waitJS("the live counters", `document.querySelector("#live-counters").dataset.state === "live"`),
	)
	checkPage(t, ctx, "dashboard", `#ticket-`+ticket.ID.Hex()+` .call-customer`, `#ticket-`+ticket.ID.Hex()+` .status-form button`, `#ticket-`+ticket.ID.Hex()+` .ticket-open-link`)
	checkLiveAttr(t, ctx, "dashboard", ".call-panel-state", "aria-live", "polite")
	checkLiveAttr(t, ctx, "dashboard", ".device-status", "role", "status")
	checkLiveAttr(t, ctx, "dashboard", ".incoming-call", "role", "alert")
	checkLiveAttr(t, ctx, "dashboard", "#live-announcer", "aria-live", "polite")

	// The same dashboard while reconnecting, ringing, and in a call with the
	// keypad open: colours change with each state.
	run(t, ctx, chromedp.Evaluate(`document.querySelector("#live-counters").dataset.state = "reconnecting"`, nil))
	checkContrast(t, ctx, "dashboard, counters reconnecting")
	run(t, ctx,
		chromedp.Evaluate(`document.querySelector("#live-counters").dataset.state = "live"`, nil),
		chromedp.Evaluate(`window.__fake.ring({customerName: "Grace Hopper"})`, nil),
		chromedp.WaitVisible(`.incoming-call`, chromedp.ByQuery),
		chromedp.Sleep(400*time.Millisecond), // the banner's fade-in
	)
	checkContrast(t, ctx, "dashboard, ringing")
	checkNoSideScroll(t, ctx, "dashboard, ringing")
	run(t, ctx,
		chromedp.Click(`.incoming-accept`, chromedp.ByQuery),
		waitText(".call-state-text", "In call"),
		chromedp.Click(`.call-keypad-toggle`, chromedp.ByQuery),
		chromedp.Click(`.call-mute`, chromedp.ByQuery),
		chromedp.Click(`.call-audio summary`, chromedp.ByQuery),
		chromedp.Sleep(400*time.Millisecond),
	)
	checkLabels(t, ctx, "dashboard, in a call")
	checkContrast(t, ctx, "dashboard, in a call")
	checkNoSideScroll(t, ctx, "dashboard, in a call")
	run(t, ctx,
		chromedp.Evaluate(`window.__fake.lastCall.emit("disconnect")`, nil),
		waitJS("the call to end", `document.querySelector(".call-state-text").textContent.startsWith("Call ended")`),
	)
	checkContrast(t, ctx, "dashboard, call ended")

	run(t, ctx,
		chromedp.Navigate(a.URL+"/tickets/"+ticket.ID.Hex()),
		pageWith(`.call-history`),
		waitJS("the device to register", `document.querySelector(".device-status").dataset.state === "ready"`),
	)
	checkPage(t, ctx, "ticket", `.ticket-full .call-customer`, `.ticket-full .status-form button`, `#assign-agent`, `#note-body`)

	// A note with an error, the deletion step, a search with its results,
	// and the admin's and everyone's account pages.
	run(t, ctx,
		chromedp.Click(`.note-form button`, chromedp.ByQuery),
		pageWith(`#note-error`),
	)
	checkPage(t, ctx, "ticket, empty note", `#note-body`)
	run(t, ctx, chromedp.Navigate(a.URL+"/tickets/"+ticket.ID.Hex()+"/delete"), pageWith(`.delete-form`))
	checkPage(t, ctx, "delete confirmation", `.delete-form button`)
	run(t, ctx, chromedp.Navigate(a.URL+"/dashboard?view=all&q=invoices"), pageWith(`#ticket-list`))
	checkPage(t, ctx, "dashboard, search", `#search-q`, `.view-tab[data-view="mine"]`)
	if _, err := a.Store.Callbacks.Request(t.Context(), models.Callback{
		SID: "CA" + strings.Repeat("c", 32), TicketID: ticket.ID, TicketNumber: ticket.Number, Name: ticket.Name, Number: ticket.PhoneNumber,
	}); err != nil {
		t.Fatal(err)
	}
	// Stored straight in the store, the callback reaches the live
	// counters with the next count, which a new stream brings; only then
	// does the Call back view, which reloads when they differ from it,
	// hold still.
	run(t, ctx, chromedp.Navigate(a.URL+"/dashboard"), pageWith(`#ticket-list`), waitLive(),
		waitText(`.view-tab[data-view="callback"] .view-count`, "1"),
		chromedp.Navigate(a.URL+"/dashboard?view=callback"), pageWith(`#callbacks .call-customer`), waitLive())
	checkPage(t, ctx, "call back view", `#callbacks .call-customer`, `.view-tab[data-view="open"]`)
	run(t, ctx, chromedp.Navigate(a.URL+"/agents"), pageWith(`.agents-table`))
	checkPage(t, ctx, "agents", `.agents-table form button`, `.invite-card input`)
	run(t, ctx, chromedp.Navigate(a.URL+"/account"), pageWith(`#current_password`))
	checkPage(t, ctx, "account", `#name`, `#current_password`)
	run(t, ctx, chromedp.Navigate(a.URL+"/settings/hours"), pageWith(`#zone`))
	checkPage(t, ctx, "business hours", `#always`, `#zone`, `#open-1`)
	run(t, ctx,
		chromedp.Click(`#always`, chromedp.ByQuery), // hours, not always open
		chromedp.SetValue(`#zone`, "Mars/Olympus", chromedp.ByQuery),
		chromedp.Click(`.hours-form button[type=submit]`, chromedp.ByQuery),
		pageWith(`#zone-error`),
	)
	checkPage(t, ctx, "business hours with errors", `#zone`)
	run(t, ctx, chromedp.Navigate(a.URL+"/reports"), pageWith(`#from`))
	checkPage(t, ctx, "reports", `#from`, `#to`)
	run(t, ctx, chromedp.Navigate(a.URL+"/wallboard"), pageWith(`#wallboard`))
	checkPage(t, ctx, "wallboard")
}

// checkPage runs every check on the loaded page; targets are controls the
// keyboard must reach.
func checkPage(t *testing.T, ctx context.Context, page string, targets ...string) {
	t.Helper()
	checkLabels(t, ctx, page)
	checkNames(t, ctx, page)
	checkContrast(t, ctx, page)
	checkTabOrder(t, ctx, page, targets...)
	checkNoSideScroll(t, ctx, page)
}

// checkLabels: every input, select and textarea has an accessible label:
// a <label for>, an enclosing <label>, aria-label or aria-labelledby,
// each with text.
func checkLabels(t *testing.T, ctx context.Context, page string) {
	t.Helper()
	var missing []string
	run(t, ctx, chromedp.Evaluate(jsHelpers+`
		[...document.querySelectorAll("input, select, textarea")]
			.filter((el) => el.type !== "hidden")
			.filter((el) => {
				const text = (s) => (s ?? "").replace(/\s+/g, " ").trim() !== "";
				if (text(el.getAttribute("aria-label"))) return false;
				const by = el.getAttribute("aria-labelledby");
				if (by && by.split(/\s+/).every((id) => text(document.getElementById(id)?.textContent))) return false;
				return ![...(el.labels ?? [])].some((l) => text(l.textContent));
			})
			.map(describe)`, &missing))
	for _, m := range missing {
		t.Errorf("%s: form control without a label: %s", page, m)
	}
}

// checkNames: every visible button and link has a name to read out.
func checkNames(t *testing.T, ctx context.Context, page string) {
	t.Helper()
	var nameless []string
	run(t, ctx, chromedp.Evaluate(jsHelpers+`
		[...document.querySelectorAll("button, a[href], summary")]
			.filter(visible)
			.filter((el) => !(el.getAttribute("aria-label") ?? "").trim() && !el.textContent.trim())
			.map(describe)`, &nameless))
	for _, n := range nameless {
		t.Errorf("%s: control with no accessible name: %s", page, n)
	}
}

type contrastIssue struct {
	Element string  `json:"element"`
	Text    string  `json:"text"`
	Ratio   float64 `json:"ratio"`
	Need    float64 `json:"need"`
	Color   string  `json:"color"`
	Back    string  `json:"back"`
}

// checkContrast computes, for every visible element with text of its own,
// the WCAG contrast between its colour and the background it sits on (the
// nearest ancestor background that is not transparent, semi-transparent
// layers blended, opacity applied to the text). Text on a gradient or
// image is skipped. AA: 4.5, or 3 for large text (24 px, or 18.66 px bold).
func checkContrast(t *testing.T, ctx context.Context, page string) {
	t.Helper()
	var issues []contrastIssue
	var checked int
	run(t, ctx,
		// Colours read mid-transition (a button re-enabled a moment ago
		// fades from grey to its colour) are neither state's.
		waitJS("colour transitions to end", `document.getAnimations().every((a) => !(a instanceof CSSTransition) || a.playState !== "running")`),
		chromedp.Evaluate(jsHelpers+contrastJS+`; contrastIssues()`, &issues),
		chromedp.Evaluate(jsHelpers+contrastJS+`; textElements().length`, &checked),
	)
	t.Logf("%s: contrast checked on %d text elements", page, checked)
	if checked < 5 {
		t.Errorf("%s: contrast check found only %d text elements", page, checked)
	}
	for _, is := range issues {
		t.Errorf("%s: contrast %.2f:1 < %.1f:1 for %s %q (colour %s on %s)", page, is.Ratio, is.Need, is.Element, is.Text, is.Color, is.Back)
	}
}

// checkTabOrder presses Tab from the top of the page until every target
// has had focus, and checks that each element the keyboard lands on shows
// a focus indicator (an outline or a box-shadow ring).
func checkTabOrder(t *testing.T, ctx context.Context, page string, targets ...string) {
	t.Helper()
	const maxTabs = 80
	run(t, ctx, chromedp.Evaluate(`document.activeElement?.blur(), window.scrollTo(0, 0)`, nil))
	reached := map[string]bool{}
	for i := 0; i < maxTabs && len(reached) < len(targets); i++ {
		var stop struct {
			Element string          `json:"element"`
			Outline bool            `json:"outline"`
			Shadow  bool            `json:"shadow"`
			Matches map[string]bool `json:"matches"`
		}
		sels, _ := jsonString(targets)
		run(t, ctx,
			tab(),
			chromedp.Evaluate(jsHelpers+`(() => {
				const el = document.activeElement;
				if (!el || el === document.body) return {element: "body", outline: true, shadow: false, matches: {}};
				const cs = getComputedStyle(el);
				return {
					element: describe(el),
					outline: cs.outlineStyle !== "none" && parseFloat(cs.outlineWidth) > 0,
					shadow: cs.boxShadow !== "none",
					matches: Object.fromEntries(`+sels+`.map((s) => [s, el.matches(s)])),
				};
			})()`, &stop),
		)
		if !stop.Outline && !stop.Shadow {
			t.Errorf("%s: Tab stop %d (%s) has no visible focus indicator", page, i+1, stop.Element)
		}
		for sel, ok := range stop.Matches {
			if ok {
				reached[sel] = true
			}
		}
	}
	for _, sel := range targets {
		if !reached[sel] {
			t.Errorf("%s: %d presses of Tab never reached %s", page, maxTabs, sel)
		}
	}
}

// checkNoSideScroll: at 375×800 the page is no wider than the screen.
func checkNoSideScroll(t *testing.T, ctx context.Context, page string) {
	t.Helper()
	var width int
	var wide []string
	run(t, ctx,
		chromedp.EmulateViewport(375, 800),
		chromedp.Sleep(100*time.Millisecond),
		chromedp.Evaluate(`document.documentElement.scrollWidth`, &width),
		chromedp.Evaluate(jsHelpers+`[...document.querySelectorAll("body *")].filter(visible)
			.filter((el) => el.getBoundingClientRect().right > 375.5).slice(0, 5).map(describe)`, &wide),
		chromedp.EmulateReset(),
	)
	if width > 375 {
		t.Errorf("%s: %d px wide at 375 px, so it scrolls sideways; widest: %v", page, width, wide)
	}
}

// checkLiveAttr checks that a status line is announced to screen readers.
func checkLiveAttr(t *testing.T, ctx context.Context, page, sel, attr, want string) {
	t.Helper()
	var got string
	run(t, ctx, chromedp.Evaluate(fmt.Sprintf(`document.querySelector(%s)?.getAttribute(%s) ?? "(missing)"`, strconv.Quote(sel), strconv.Quote(attr)), &got))
	if got != want {
		t.Errorf("%s: %s %s = %q, want %q", page, sel, attr, got, want)
	}
}

// tab presses the Tab key as a person would (focus-visible applies).
func tab() chromedp.Action {
	return chromedp.ActionFunc(func(ctx context.Context) error {
		for _, typ := range []input.KeyType{input.KeyDown, input.KeyUp} {
			ev := input.DispatchKeyEvent(typ).WithKey("Tab").WithCode("Tab").WithWindowsVirtualKeyCode(9).WithNativeVirtualKeyCode(9)
			if typ == input.KeyDown {
				ev = ev.WithText(kb.Tab)
			}
			if err := ev.Do(ctx); err != nil {
				return err
			}
		}
		return nil
	})
}

func jsonString(v []string) (string, error) {
	quoted := make([]string, len(v))
	for i, s := range v {
		quoted[i] = strconv.Quote(s)
	}
	return "[" + strings.Join(quoted, ",") + "]", nil
}

// seedA11yCalls gives a ticket an answered outgoing call and a missed
// incoming one, so call lists are on the pages.
func seedA11yCalls(t *testing.T, s *models.Store, ticketID models.ID) {
	t.Helper()
	now := time.Now().UTC()
	for _, ev := range []models.CallEvent{
		{Provider: "twilio", SID: "CA-a11y-1", TicketID: &ticketID, Direction: models.CallOutbound, Status: models.CallInitiated, At: now.Add(-30 * time.Minute)},
		{Provider: "twilio", SID: "CA-a11y-1", TicketID: &ticketID, Direction: models.CallOutbound, Status: models.CallAnswered, At: now.Add(-29 * time.Minute)},
		{Provider: "twilio", SID: "CA-a11y-1", TicketID: &ticketID, Direction: models.CallOutbound, Status: models.CallCompleted, At: now.Add(-25 * time.Minute), Duration: 242},
		{Provider: "twilio", SID: "CA-a11y-2", TicketID: &ticketID, Direction: models.CallInbound, Status: models.CallRinging, At: now.Add(-10 * time.Minute)},
		{Provider: "twilio", SID: "CA-a11y-2", TicketID: &ticketID, Direction: models.CallInbound, Status: models.CallNoAnswer, At: now.Add(-9 * time.Minute)},
	} {
		if _, err := s.Calls.Record(context.Background(), ev); err != nil {
			t.Fatal(err)
		}
	}
}

// jsHelpers: visible(el) and describe(el) ("div.card > p.muted").
const jsHelpers = `
var visible = (el) => {
	if (!el.getClientRects().length) return false;
	const cs = getComputedStyle(el);
	if (cs.visibility === "hidden") return false;
	const r = el.getBoundingClientRect();
	return r.width > 1 && r.height > 1;
};
var describe = (el) => {
	const parts = [];
	for (let n = el; n && n !== document.body && parts.length < 3; n = n.parentElement) {
		let s = n.tagName.toLowerCase();
		if (n.id) {
			parts.unshift(s + "#" + n.id);
			break;
		}
		if (n.classList.length) s += "." + [...n.classList].join(".");
		parts.unshift(s);
	}
	return parts.join(" > ");
};
`

const contrastJS = `
var parseColor = (c) => {
	const m = /rgba?\(([^)]+)\)/.exec(c);
	if (!m) return null;
	const p = m[1].split(/[\s,\/]+/).filter(Boolean).map(Number);
	return {r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1};
};
var blend = (top, under) => ({
	r: top.r * top.a + under.r * (1 - top.a),
	g: top.g * top.a + under.g * (1 - top.a),
	b: top.b * top.a + under.b * (1 - top.a),
	a: 1,
});
var luminance = ({r, g, b}) => {
	const f = (v) => (v /= 255) <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4);
	return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
};
var backgroundOf = (el) => {
	const layers = [];
	for (let n = el; n; n = n.parentElement) {
		const cs = getComputedStyle(n);
		if (cs.backgroundImage !== "none") return null;
		const c = parseColor(cs.backgroundColor);
		if (c && c.a > 0) {
			layers.push(c);
			if (c.a >= 1) break;
		}
	}
	let bg = {r: 255, g: 255, b: 255, a: 1};
	for (const layer of layers.reverse()) bg = blend(layer, bg);
	return bg;
};
var textElements = () => [...document.querySelectorAll("body *")]
	.filter((el) => !["SCRIPT", "STYLE", "OPTION", "TEMPLATE"].includes(el.tagName))
	.filter((el) => [...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim()))
	.filter(visible)
	.filter((el) => !el.closest(".visually-hidden"));
var contrastIssues = () => textElements().flatMap((el) => {
	const cs = getComputedStyle(el);
	const bg = backgroundOf(el);
	if (!bg) return [];
	const fg = parseColor(cs.color);
	if (!fg) return [];
	let opacity = 1;
	for (let n = el; n; n = n.parentElement) opacity *= Number(getComputedStyle(n).opacity);
	const text = blend({...fg, a: fg.a * opacity}, bg);
	const [hi, lo] = [luminance(text), luminance(bg)].sort((x, y) => y - x);
	const ratio = (hi + 0.05) / (lo + 0.05);
	const size = parseFloat(cs.fontSize);
	const large = size >= 24 || (size >= 18.66 && Number(cs.fontWeight) >= 700);
	const need = large ? 3 : 4.5;
	if (ratio >= need) return [];
	const rgb = (c) => "rgb(" + [c.r, c.g, c.b].map(Math.round).join(" ") + ")";
	return [{element: describe(el), text: el.textContent.replace(/\s+/g, " ").trim().slice(0, 40),
		ratio: Math.round(ratio * 100) / 100, need, color: rgb(text), back: rgb(bg)}];
})
`
