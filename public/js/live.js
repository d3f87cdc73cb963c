// The live dashboard: Server-Sent Events from "GET /events" keep agents'
// pages current without reloading. New tickets appear at the top of the
// newest dashboard page, changed cards are replaced in place, the header
// counters ("3 open · 1 waiting · 2 available · 1 on a call · 0 away") and the view tabs'
// counts follow the server, cards join and leave the dashboard's view as
// they are assigned, closed or deleted, and when one agent answers a
// customer's call the other agents' phones stop ringing.
//
// Cards arrive as HTML rendered by the server's html/template engine with
// the same "ticket-card" template as the page; they are turned into nodes
// with a <template> element and never built from data fields here. CSP
// keeps any script out all the same.
//
// The softphone (agent-phone.js) talks to this module through `live`:
// setPhoneReady(bool) (is its device registered: presence), setAway(bool)
// (the agent chose Away), setOnCall(bool) (a call is up), setBusy(bool)
// (a call rings or is up: no reload now), callTaken(id) (this agent
// answered), and the "taken", "card" and "caller" events it emits.

import { showTimes } from "./times.js";
import { Emitter } from "./voice-core.js";

/** The page's link to the live stream; see the top of this file. */
class Live extends Emitter {
  stream = ""; // this connection's id, from "hello"
  ready = false; // the softphone's device is registered
  away = false; // the agent chose Away
  onCall = false; // a call is up on this page's phone
  busy = false; // a call rings or is in progress
  #onIdle = [];

  /** The softphone's device registered (true) or lost its registration (false). */
  setPhoneReady(ready) {
    ready = !!ready;
    if (ready === this.ready) return;
    this.ready = ready;
    this.sendPresence();
  }

  /** The agent chose Away (true) or Available (false). */
  setAway(away) {
    away = !!away;
    if (away === this.away) return;
    this.away = away;
    this.sendPresence();
  }

  /** A call is up on this page's phone (true), or not any more. */
  setOnCall(onCall) {
    onCall = !!onCall;
    if (onCall === this.onCall) return;
    this.onCall = onCall;
    this.sendPresence();
  }

  /** Tells the server whether this page's phone takes calls: registered, Available, not on a call. */
  sendPresence() {
    if (!this.stream) return; // "hello" sends it once connected
    postJSON("/presence", { stream: this.stream, ready: this.ready, away: this.away, onCall: this.onCall }).catch((err) =>
      console.warn("ringdesk: presence", err),
    );
  }

  /** This agent accepted an incoming call: the others' banners stop ringing. */
  callTaken(callId) {
    if (!callId) return;
    postJSON("/calls/taken", { call: String(callId) }).catch((err) => console.warn("ringdesk: calls/taken", err));
  }

  /** A call rings or is up (true), or not any more (false). */
  setBusy(busy) {
    this.busy = !!busy;
    if (this.busy) return;
    for (const fn of this.#onIdle.splice(0)) fn();
  }

  /** Runs fn now, or once no call rings or is in progress. */
  whenIdle(fn) {
    if (this.busy) this.#onIdle.push(fn);
    else fn();
  }
}

export const live = new Live();

async function postJSON(url, body) {
  const res = await fetch(url, {
    method: "POST",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", Accept: "application/json" },
    body: JSON.stringify(body),
  });
  if (!res.ok) throw new Error(`POST ${url}: ${res.status}`);
  return res;
}

// ---- Start ------------------------------------------------------------------

const HIGHLIGHT_MS = 2_500; // also the CSS animation's length
const TICKET_PAGE_DEBOUNCE_MS = 300;
const RETRY_CLOSED_MS = 10_000;

/**
 * Connects agents' pages to /events. The header's counters are in the page
 * only for a signed-in agent, so they say whether to start at all.
 */
export function startLive(doc) {
  const counters = doc.getElementById("live-counters");
  if (!counters || typeof EventSource === "undefined") return;

  const list = doc.getElementById("ticket-list");
  const wallboard = doc.getElementById("wallboard");
  const ui = {
    counters,
    counts: Object.fromEntries([...counters.querySelectorAll("[data-count]")].map((el) => [el.dataset.count, el])),
    announcer: doc.getElementById("live-announcer"),
    notice: doc.getElementById("live-notice"),
    noticeText: doc.querySelector("#live-notice .live-notice-text"),
    noticeReload: doc.querySelector("#live-notice .live-notice-reload"),
  };
  const myAgentId = counters.dataset.agentId ?? "";

  ui.noticeReload?.addEventListener("click", () => location.reload());

  function setState(state) {
    counters.dataset.state = state;
    // Shown once there is something true to show; while reconnecting it
    // keeps the last numbers, marked as stale.
    counters.hidden = state === "connecting";
    counters.setAttribute("aria-busy", String(state !== "live"));
  }

  function announce(text) {
    if (!ui.announcer) return;
    // A new text node each time, so the same words are read again.
    ui.announcer.textContent = "";
    setTimeout(() => {
      ui.announcer.textContent = text;
    }, 50);
  }

  function showNotice(text) {
    if (!ui.notice) return;
    ui.noticeText.textContent = text;
    ui.notice.hidden = false;
    announce(text);
  }

  // Reloads the page, now or once the call ends.
  let reloading = false;
  function reloadSoon() {
    if (reloading) return;
    reloading = true;
    if (live.busy) showNotice("Updates paused — the page reloads when the call ends.");
    live.whenIdle(() => location.reload());
  }

  // ---- The stream -----------------------------------------------------------

  let source = null;

  function connect() {
    setState("connecting");
    // The page says which event it was rendered after, so a ticket created
    // between rendering and connecting still arrives.
    const since = counters.dataset.liveSince ?? "";
    const query = new URLSearchParams();
    if (since) query.set("since", since);
    if (wallboard) query.set("wallboard", "1"); // today's call figures too
    source = new EventSource(query.size ? `/events?${query}` : "/events");
    source.addEventListener("hello", (event) => {
      const data = parse(event);
      live.stream = String(data?.stream ?? "");
      live.sendPresence(); // a new stream each connection: say it again
    });
    // Every connection sends the counters after hello (and after any
    // replay): from then on what the page shows is current.
    source.addEventListener("counters", (event) => {
      showCounters(parse(event));
      if (live.stream) setState("live");
    });
    source.addEventListener("ticket", (event) => onTicket(parse(event)));
    source.addEventListener("deleted", (event) => onDeleted(parse(event)));
    source.addEventListener("caller", (event) => {
      const data = parse(event);
      if (data && typeof data.call === "string") live.emit("caller", data);
    });
    source.addEventListener("taken", (event) => {
      const data = parse(event);
      if (!data?.call) return;
      live.emit("taken", {
        callId: String(data.call),
        agent: String(data.agent ?? ""),
        mine: !!myAgentId && data.agentId === myAgentId,
      });
    });
    source.addEventListener("resync", () => reloadSoon());
    source.addEventListener("error", () => {
      if (source.readyState === EventSource.CONNECTING) {
        live.stream = "";
        setState(counters.dataset.state === "connecting" ? "connecting" : "reconnecting");
        return; // the browser retries by itself, with Last-Event-ID
      }
      // Closed for good: the server refused the stream (signed out, or an
      // error). Without Last-Event-ID a new stream could miss events, so
      // the way back is a reload.
      source.close();
      source = null;
      live.stream = "";
      setState("reconnecting");
      closed();
    });
  }

  async function closed() {
    let res;
    try {
      // Any agent route answers JSON 401 once the session is gone; this one
      // has no side effects with an empty body.
      res = await fetch("/presence", {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/json", Accept: "application/json" },
        body: "{}",
      });
    } catch {
      setTimeout(closed, RETRY_CLOSED_MS); // the server is out of reach: ask again later
      return;
    }
    if (res.status === 401) {
      live.whenIdle(() => location.assign(`/login?next=${encodeURIComponent(location.pathname + location.search)}`));
      return;
    }
    setTimeout(reloadSoon, RETRY_CLOSED_MS); // still signed in: the stream failed; start afresh
  }

  function showCounters(data) {
    if (!data) return;
    showWallboard(data);
    // A callback asked for or made: the Call back view's list is the
    // server's to render, so that view reloads once no call is up; the
    // other views show a line while any wait.
    const callbacks = Number(data.callbacks);
    if (Number.isFinite(callbacks)) {
      const shown = doc.getElementById("callbacks");
      if (shown && callbacks !== Number(shown.dataset.count)) reloadSoon();
      const notice = doc.getElementById("callbacks-notice");
      if (notice) notice.hidden = callbacks === 0;
    }
    for (const [key, el] of Object.entries(ui.counts)) {
      const n = Number(data[key]);
      if (Number.isFinite(n) && el.textContent !== String(n)) el.textContent = String(n);
    }
    // The dashboard's view tabs: the shared views, and this agent's own.
    const views = { ...(data.views ?? {}) };
    if (data.mine && myAgentId in data.mine) views.mine = data.mine[myAgentId];
    for (const el of doc.querySelectorAll("[data-view-count]")) {
      const n = Number(views[el.dataset.viewCount]);
      if (Number.isFinite(n) && el.textContent !== String(n)) el.textContent = String(n);
    }
  }

  // ---- Wallboard ---------------------------------------------------------------
  // Tiles name their figure in the counters by path ("today.answered");
  // the longest wait counts up between events from when it began.

  function showWallboard(data) {
    if (!wallboard) return;
    for (const el of wallboard.querySelectorAll("[data-wb]")) {
      const value = el.dataset.wb.split(".").reduce((v, key) => v?.[key], data);
      if (value === undefined) continue;
      const text = formatFigure(value, el.dataset.wbFormat);
      if (el.textContent !== text) el.textContent = text;
    }
    const since = wallboard.querySelector("[data-wait-since]");
    if (since) since.dataset.waitSince = String(Number(data.waitingSince) || 0);
    if (Array.isArray(data.line)) showLine(data.line);
    tickWait();
  }

  // The line, first caller first: built from the counters with
  // textContent only, so a label can never be markup.
  function showLine(callers) {
    const list = wallboard.querySelector("#wallboard-line");
    if (!list) return;
    const items = callers.map((c) => {
      const li = doc.createElement("li");
      li.className = c.ringing ? "wallboard-caller wallboard-caller-ringing" : "wallboard-caller";
      for (const [cls, text] of [
        ["wallboard-place", String(Number(c.place) || "")],
        ["wallboard-who", String(c.label ?? "")],
        ["wallboard-state", c.ringing ? "ringing" : "on hold"],
        ["wallboard-wait", "–"],
      ]) {
        const span = doc.createElement("span");
        span.className = cls;
        span.textContent = text;
        if (cls === "wallboard-wait") span.dataset.since = String(Number(c.since) || 0);
        li.append(span);
      }
      return li;
    });
    list.replaceChildren(...items);
  }

  function formatFigure(value, format) {
    if (format === "percent") return value === null ? "–" : `${Math.round(Number(value))}%`;
    if (format === "seconds") {
      const s = Math.round(Number(value) || 0);
      return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
    }
    return String(value);
  }

  function tickWait() {
    if (!wallboard) return;
    const waits = [];
    const longest = wallboard.querySelector("[data-wait-since]");
    if (longest) waits.push([longest, Number(longest.dataset.waitSince)]);
    for (const el of wallboard.querySelectorAll("[data-since]")) waits.push([el, Number(el.dataset.since)]);
    for (const [el, since] of waits) {
      const text = since > 0 ? formatFigure(Math.max(0, (Date.now() - since) / 1000), "seconds") : "–";
      if (el.textContent !== text) el.textContent = text;
    }
  }
  if (wallboard) {
    tickWait();
    setInterval(tickWait, 1000);
  }

  // ---- Ticket cards -----------------------------------------------------------

  function onTicket(data) {
    if (!data || typeof data.id !== "string" || typeof data.html !== "string") return;
    if (!/^[0-9a-f]{24}$/.test(data.id)) return;
    if (list) updateList(data);
    else updateTicketPage(data);
  }

  // Whether a card belongs in the list's view, from what the card says
  // of itself: its status and assignee.
  function belongs(card) {
    const status = card.dataset.status ?? "";
    const assignee = card.dataset.assigneeId ?? "";
    switch (list.dataset.view) {
      case "all": return true;
      case "closed": return status === "closed";
      case "pending": return status === "pending";
      case "mine": return status !== "closed" && !!myAgentId && assignee === myAgentId;
      case "unassigned": return status !== "closed" && !assignee;
      default: return status !== "closed"; // "open": everything not closed
    }
  }

  function updateList({ id, created, html }) {
    const old = doc.getElementById(`ticket-${id}`);
    // A search's results are the server's to choose: only cards already
    // shown change. Otherwise a card that now belongs in this view joins
    // it, on the newest page.
    if (!old && !("liveInsert" in list.dataset)) return;
    const card = cardFrom(html, id);
    if (!card) return;
    const fits = belongs(card);
    if (old) {
      if (!fits) {
        old.remove();
        announce(`Ticket #${numberOf(card)} left this view`);
        showEmptyState();
        return;
      }
      const wasOpen = !old.classList.contains("ticket-closed");
      replaceKeepingFocus(old, card);
      const nowOpen = !card.classList.contains("ticket-closed");
      if (wasOpen !== nowOpen) announce(`Ticket #${numberOf(card)} ${nowOpen ? "reopened" : "closed"}`);
    } else {
      if (!fits || !insertInOrder(card)) return;
      doc.getElementById("ticket-list-empty")?.setAttribute("hidden", "");
      announce(created ? `New ticket #${numberOf(card)} from ${nameOf(card)}` : `Ticket #${numberOf(card)} joined this view`);
    }
    highlight(card);
    live.emit("card", card);
  }

  // Puts a card where the page's order (newest first) has it; false when
  // it belongs on a later page.
  function insertInOrder(card) {
    const order = card.dataset.order ?? "";
    for (const other of list.querySelectorAll(":scope > .ticket")) {
      if ((other.dataset.order ?? "") < order) {
        other.before(card);
        return true;
      }
    }
    if (doc.querySelector(".pagination-next")) return false;
    list.append(card);
    return true;
  }

  function showEmptyState() {
    if (!list.querySelector(":scope > .ticket")) doc.getElementById("ticket-list-empty")?.removeAttribute("hidden");
  }

  // A deleted ticket leaves every list; deleting by number takes every
  // open card with that number. A page showing a deleted ticket says so.
  function onDeleted(data) {
    if (!data || typeof data.id !== "string") return;
    const gone = [doc.getElementById(`ticket-${data.id}`)];
    if (typeof data.phone === "string" && data.phone) {
      for (const card of doc.querySelectorAll(".ticket[data-phone]")) {
        if (card.dataset.phone === data.phone && card.dataset.status !== "closed") gone.push(card);
      }
    }
    for (const card of gone) {
      if (!card) continue;
      if (!list) {
        showNotice("This ticket was deleted.");
        return;
      }
      card.remove();
    }
    if (list) showEmptyState();
  }

  // The ticket page: its article and call history come afresh from the
  // page itself, as a reload would show them.
  let pageTimer = 0;
  let pageFetch = null;
  function updateTicketPage({ id }) {
    const article = doc.getElementById(`ticket-${id}`);
    if (!article) return;
    clearTimeout(pageTimer);
    pageTimer = setTimeout(async () => {
      if (pageFetch) {
        // One at a time; the one under way may predate this change.
        await pageFetch.catch(() => {});
      }
      pageFetch = refreshTicketPage(id);
      pageFetch.catch((err) => {
        console.warn("ringdesk: refresh ticket", err);
        showNotice("This ticket changed.");
      }).finally(() => {
        pageFetch = null;
      });
    }, TICKET_PAGE_DEBOUNCE_MS);
  }

  async function refreshTicketPage(id) {
    const res = await fetch(location.pathname, { credentials: "same-origin", headers: { Accept: "text/html" } });
    if (!res.ok || res.redirected) throw new Error(`GET ${location.pathname}: ${res.status}`);
    // An inert document: nothing in it runs, and only server-rendered
    // parts of it are moved into the page.
    const fresh = new DOMParser().parseFromString(await res.text(), "text/html");
    let changed = false;
    for (const sel of [`#ticket-${id}`, ".call-history"]) {
      const now = doc.querySelector(sel);
      const next = fresh.querySelector(sel);
      if (!now || !next) continue;
      showTimes(next); // as the page shows its times, or nothing compares equal
      if (now.innerHTML === next.innerHTML) continue;
      const node = doc.importNode(next, true);
      replaceKeepingFocus(now, node);
      highlight(node);
      if (sel !== ".call-history") live.emit("card", node);
      changed = true;
    }
    if (changed) announce("This ticket was updated.");
  }

  function cardFrom(html, id) {
    const tpl = doc.createElement("template");
    tpl.innerHTML = html; // server-rendered by html/template; see the top
    const card = tpl.content.firstElementChild;
    if (!card || card.id !== `ticket-${id}`) return null;
    showTimes(card); // in the reader's time zone, like the cards around it
    return card;
  }

  // Swaps old for its new version; if keyboard focus was inside, it moves
  // to the same control in the new one (Close becomes Reopen, and so on).
  function replaceKeepingFocus(old, next) {
    const active = doc.activeElement;
    const inside = active && active !== old && old.contains(active);
    const index = inside ? focusables(old).indexOf(active) : -1;
    old.replaceWith(next);
    if (!inside) return;
    const target = focusables(next)[index] ?? focusables(next)[0];
    target?.focus({ preventScroll: true });
  }

  function highlight(el) {
    el.classList.remove("live-updated");
    void el.offsetWidth; // restart the animation on a card updated twice
    el.classList.add("live-updated");
    setTimeout(() => el.classList.remove("live-updated"), HIGHLIGHT_MS);
  }

  connect();
}

const FOCUSABLE = "a[href], button, input:not([type=hidden]), select, textarea, summary, [tabindex]";

function focusables(root) {
  return [...root.querySelectorAll(FOCUSABLE)];
}

function numberOf(card) {
  const m = /#(\d+)/.exec(card.querySelector(".ticket-number")?.textContent ?? "");
  return m ? m[1] : "";
}

function nameOf(card) {
  return (card.querySelector(".ticket-name")?.textContent ?? "").trim() || "a customer";
}

function parse(event) {
  try {
    return JSON.parse(event.data);
  } catch {
    return null;
  }
}
