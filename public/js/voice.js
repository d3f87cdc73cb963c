// The provider-neutral half of browser calling: voice tokens from the
// server, the provider adapters, a VoiceLine that keeps one provider device
// alive (token refresh, re-registration), and a CallTracker that takes the
// call a page shows from "Connecting…" to its outcome. The pages'
// softphones (softphone.js, agent-phone.js) talk only to this module. The
// adapters never import it: what they share with it (Emitter, VoiceError,
// the messages people read) is in voice-core.js.
//
// An adapter is an ES module named after the provider ("twilio",
// "vonage") that exports:
//
//   load(doc): Promise<void>        make its SDK available (inject the script)
//   createPhone(token, {incoming}): Phone
//
// Phone (an Emitter):
//   events   "registered", "unregistered", "incoming" (Call),
//            "tokenWillExpire", "error" (VoiceError)
//   state    "unregistered" | "registering" | "registered" | "destroyed"
//   register(): Promise<void>, updateToken(token), call(params): Promise<Call>,
//   destroy(), audio: AudioDevices | null
//
// Call (an Emitter):
//   events   "ringing", "accept", "end" (reason: "hangup" | "cancel" | "reject" | "ignore"),
//            "error" (VoiceError), "reconnecting", "reconnected"
//   params   the custom parameters it carries, as a plain object
//   callId   the provider's id for the call, the same on every agent's
//            browser it rings on ("" while the provider has not given one)
//   accept(), reject(), hangUp(), mute(bool), isMuted(), sendDigits(d), isClosed(),
//   ignore()  an incoming call: stop ringing here, leaving it to the others
//
// AudioDevices:
//   inputs(), outputs(): [{id, label}]; canPickOutput: boolean;
//   currentInput(), currentOutput(): id or ""; setInput(id), setOutput(id): Promise;
//   onChange(fn)

import { Emitter, GIVE_UP, VoiceError, asVoiceError } from "./voice-core.js";

export { asVoiceError };

const adapters = {
  twilio: () => import("./twilio-adapter.js"),
  vonage: () => import("./vonage-adapter.js"),
};

// ---- Small helpers ----------------------------------------------------------

/** 42 -> "00:42", 3725 -> "1:02:05". */
export function formatDuration(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const two = (n) => String(n).padStart(2, "0");
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  return h > 0 ? `${h}:${two(m)}:${two(s % 60)}` : `${two(m)}:${two(s % 60)}`;
}

/** Counts the seconds of a call, calling onTick with "00:42" as it changes. */
export class CallTimer {
  #started = 0;
  #interval = 0;
  #last = "";

  constructor(onTick) {
    this.onTick = onTick;
  }

  start() {
    this.stop();
    this.#started = Date.now();
    this.#last = "";
    this.#tick();
    // Ticking faster than once a second keeps the display from skipping a
    // second when the timer fires late; the DOM is touched only on change.
    this.#interval = setInterval(() => this.#tick(), 250);
  }

  /** Stops counting and returns the formatted duration ("" if never started). */
  stop() {
    clearInterval(this.#interval);
    this.#interval = 0;
    return this.#started ? formatDuration(this.seconds()) : "";
  }

  /** The time so far, formatted. */
  text() {
    return formatDuration(this.seconds());
  }

  seconds() {
    return this.#started ? (Date.now() - this.#started) / 1000 : 0;
  }

  #tick() {
    const text = formatDuration(this.seconds());
    if (text !== this.#last) {
      this.#last = text;
      this.onTick(text);
    }
  }
}

// ---- The call a page shows ---------------------------------------------------

/**
 * The call a softphone shows, from "Connecting…" to its outcome: at most
 * one in progress (current) and the ended one whose outcome is still on
 * screen (last). The page draws it through view:
 *
 *   show(state, text, timer)   the status: state "connecting", "ringing",
 *                              "in-call" or "error"; timer "00:42" or ""
 *   ended(entry, state, text)  the call is over; state "error" or "ended"
 *                              and the text to show for it
 *   accepted(entry)            optional: the call was answered
 *
 * An entry is {call, talking, timer, accepted, reconnecting, error, done}
 * plus whatever the page adds to it in open().
 */
export class CallTracker {
  current = null;
  last = null;
  #view;

  constructor(line, view) {
    this.#view = view;
    // The device cannot reach the service while a call is still being set
    // up: the SDK would keep retrying in silence, so give up and say why.
    line.on("error", (error) => {
      const entry = this.current;
      if (!entry || entry.accepted || !GIVE_UP.has(error.kind)) return;
      entry.error = error;
      entry.call?.hangUp();
      this.finish(entry);
    });
  }

  /** Starts a call (it has no Call yet); talking is what it shows once answered. */
  open(talking, extra = {}) {
    const entry = { call: null, talking, timer: null, accepted: false, reconnecting: false, error: null, done: false, ...extra };
    entry.timer = new CallTimer((t) => {
      if (this.current === entry && !entry.reconnecting) this.#view.show("in-call", talking, t);
    });
    this.current = entry;
    return entry;
  }

  /** Follows the call's events until it ends. */
  attach(entry, call) {
    const show = (...args) => this.#view.show(...args);
    entry.call = call;
    call.on("ringing", () => {
      if (this.current === entry && !entry.accepted) show("ringing", "Ringing…");
    });
    call.on("accept", () => {
      entry.accepted = true;
      entry.timer.start();
      this.#view.accepted?.(entry);
    });
    call.on("reconnecting", () => {
      entry.reconnecting = true;
      if (this.current === entry) show("connecting", "Reconnecting…");
    });
    call.on("reconnected", () => {
      entry.reconnecting = false;
      if (this.current === entry && entry.accepted) show("in-call", entry.talking, entry.timer.text());
    });
    call.on("error", (error) => {
      entry.error = error;
      if (call.isClosed()) this.finish(entry);
      else if (this.current === entry) show("error", error.message);
    });
    call.on("end", () => this.finish(entry));
  }

  /** Ends the call on the page (once), with error if it failed. */
  finish(entry, error = entry.error) {
    if (entry.done) {
      // The SDK may report why a call failed just after it hung up.
      if (error && this.last === entry && !this.current) this.#view.show("error", error.message);
      return;
    }
    entry.done = true;
    this.last = entry;
    const duration = entry.timer.stop();
    if (this.current === entry) this.current = null;
    if (error) this.#view.ended(entry, "error", error.message);
    else this.#view.ended(entry, "ended", entry.accepted && duration ? `Call ended (${duration})` : "Call ended");
  }
}

// ---- Tokens -----------------------------------------------------------------

/**
 * Asks the server for a voice token ("POST /token").
 * @returns {Promise<{token: string, identity: string, provider: string, expiresAt: Date}>}
 */
export async function fetchToken() {
  let res;
  try {
    res = await fetch("/token", {
      method: "POST",
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    });
  } catch (err) {
    throw new VoiceError("network", String(err?.message ?? err));
  }
  if (res.status === 503) throw new VoiceError("not-configured");
  if (res.status === 429) throw new VoiceError("rate-limited");
  if (!res.ok) throw new VoiceError(res.status >= 500 ? "network" : "other", `POST /token: ${res.status}`);
  let body;
  try {
    body = await res.json();
  } catch {
    throw new VoiceError("other", "POST /token: not JSON");
  }
  if (typeof body?.token !== "string" || !body.token) throw new VoiceError("other", "POST /token: no token");
  const expiresAt = new Date(body.expiresAt);
  return {
    token: body.token,
    identity: String(body.identity ?? ""),
    provider: String(body.provider ?? ""),
    expiresAt: Number.isNaN(expiresAt.getTime()) ? new Date(Date.now() + 3600_000) : expiresAt,
  };
}

async function loadAdapter(provider, doc) {
  const load = adapters[provider];
  if (!load) throw new VoiceError("sdk", `no adapter for provider "${provider}"`);
  let adapter;
  try {
    adapter = await load();
  } catch (err) {
    throw new VoiceError("sdk", String(err?.message ?? err));
  }
  await adapter.load(doc);
  return adapter;
}

// ---- VoiceLine --------------------------------------------------------------

// Waits between re-registration attempts; the last one repeats.
const RETRY_MS = [2_000, 5_000, 10_000, 30_000, 60_000];
// A token this close to expiry is renewed before a call starts.
const TOKEN_MARGIN_MS = 60_000;

/**
 * One provider device and the token behind it. Agents' lines register for
 * incoming calls and stay registered; customers' lines only place calls.
 *
 * Events: "status" ({state: "connecting" | "ready" | "offline" | "error",
 * error?: VoiceError}), "incoming" (Call), "error" (VoiceError: a device
 * error that belongs to no call, e.g. the signalling connection failing).
 */
export class VoiceLine extends Emitter {
  #retry = 0; // failed attempts in a row, to pick the next wait
  #timers = new Map(); // what is being retried -> its timeout
  #starting = null;

  constructor(doc, { incoming = false } = {}) {
    super();
    this.doc = doc;
    this.incoming = incoming;
    this.phone = null;
    this.expiresAt = null;
    this.status = { state: "idle" };
  }

  /** Creates the device (once) and, for agents, registers it. */
  start() {
    this.#starting ??= this.#start().catch((err) => {
      this.#starting = null; // let a later call try again
      throw err;
    });
    return this.#starting;
  }

  async #start() {
    this.#setStatus({ state: "connecting" });
    let tok;
    let adapter;
    try {
      tok = await fetchToken();
      adapter = await loadAdapter(tok.provider, this.doc);
    } catch (err) {
      const error = asVoiceError(err);
      this.#setStatus({ state: "error", error });
      // Agents keep trying (the service may come back); 503 is final.
      if (this.incoming && error.kind !== "not-configured" && error.kind !== "sdk") this.#scheduleRetry("start", () => this.start());
      throw error;
    }
    this.expiresAt = tok.expiresAt;
    const phone = adapter.createPhone(tok.token, { incoming: this.incoming });
    this.phone = phone;
    phone.on("registered", () => {
      this.#retry = 0;
      this.#setStatus({ state: "ready" });
    });
    phone.on("unregistered", () => {
      if (!this.incoming) return;
      this.#setStatus({ state: "offline" });
      this.#scheduleRetry("register", () => this.#register());
    });
    phone.on("incoming", (call) => this.emit("incoming", call));
    phone.on("tokenWillExpire", () => this.#renewToken().catch(() => {})); // retried inside
    phone.on("error", (error) => {
      this.#deviceError(error);
      this.emit("error", error);
    });
    if (this.incoming) {
      window.addEventListener("online", () => {
        this.#retry = 0;
        this.#register();
      });
      window.addEventListener("offline", () => this.#setStatus({ state: "offline" }));
      await this.#register();
    } else {
      this.#setStatus({ state: "ready" });
    }
    return phone;
  }

  /** Places a call with the given custom parameters. */
  async call(params) {
    const phone = await this.start();
    if (this.expiresAt && this.expiresAt.getTime() - Date.now() < TOKEN_MARGIN_MS) await this.#renewToken();
    try {
      return await phone.call(params);
    } catch (err) {
      throw asVoiceError(err);
    }
  }

  async #register() {
    clearTimeout(this.#timers.get("register"));
    const phone = this.phone;
    if (!phone || phone.state !== "unregistered") return;
    if (navigator.onLine === false) {
      this.#setStatus({ state: "offline" });
      return; // the "online" event brings us back
    }
    try {
      await phone.register();
    } catch (err) {
      const error = asVoiceError(err);
      if (error.kind === "expired" || error.kind === "auth") await this.#renewToken().catch(() => {});
      if (phone.state !== "registered") {
        this.#setStatus({ state: "offline", error });
        this.#scheduleRetry("register", () => this.#register());
      }
    }
  }

  async #renewToken() {
    clearTimeout(this.#timers.get("token"));
    try {
      const tok = await fetchToken();
      this.phone?.updateToken(tok.token);
      this.expiresAt = tok.expiresAt;
    } catch (err) {
      // Try again shortly; the old token is still good for a few seconds.
      const error = asVoiceError(err);
      if (error.kind !== "not-configured") this.#scheduleRetry("token", () => this.#renewToken());
      throw error;
    }
  }

  #deviceError(error) {
    if (error.kind === "expired") {
      this.#renewToken().then(() => this.incoming && this.#register(), () => {});
      return;
    }
    if (this.incoming && this.phone?.state !== "registered") {
      this.#setStatus({ state: "offline", error });
      this.#scheduleRetry("register", () => this.#register());
    }
  }

  #scheduleRetry(what, fn) {
    clearTimeout(this.#timers.get(what));
    const wait = RETRY_MS[Math.min(this.#retry, RETRY_MS.length - 1)];
    this.#retry++;
    this.#timers.set(what, setTimeout(() => {
      this.#timers.delete(what);
      Promise.resolve(fn()).catch(() => {});
    }, wait));
  }

  #setStatus(status) {
    this.status = status;
    this.emit("status", status);
  }
}
