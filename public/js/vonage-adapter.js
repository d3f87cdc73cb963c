// Vonage Client SDK 2.x behind the adapter interface voice.js describes.
// The SDK bundle (public/vendor/vonage-client-sdk.js, from npm) defines
// window.vonageClientSDK; it is loaded only when nothing defined that first,
// so tests can put a scripted double in its place.
//
// How the SDK's model maps onto the interface:
//   Phone.register()      createSession(token): the session is what lets an
//                         agent receive callInvite events; customers get one
//                         on their first call
//   Phone.updateToken()   refreshSession(token); the SDK has no "token will
//                         expire" warning (only sessionError EXPIRED_TOKEN
//                         once it is too late), so the phone raises
//                         "tokenWillExpire" itself from the token's lifetime
//   Phone.call(params)    serverCall(context): Vonage hands the context to
//                         the answer webhook as custom_data (`to` also as the
//                         top-level `to`)
//   Call events           legStatusUpdate RINGING/ANSWERED of the other
//                         party's leg, callHangup, callInviteCancel,
//                         callMedia* — all keyed by callId

import { Emitter, VoiceError, loadScript, microphoneKind, soundURL, tokenClaims } from "./voice-core.js";

export const name = "vonage";

const SDK_SRC = "/static/vendor/vonage-client-sdk.js";

/** Makes window.vonageClientSDK available, injecting the SDK script if needed. */
export function load(doc) {
  return loadScript(doc, SDK_SRC, () => !!window.vonageClientSDK?.VonageClient, "vonageClientSDK.VonageClient");
}

/** A client with this token. Agents' phones also take incoming calls. */
export function createPhone(token, { incoming = false } = {}) {
  const client = new window.vonageClientSDK.VonageClient({ loggingLevel: "Warn", autoReconnectMedia: true });
  return new VonagePhone(client, token, { incoming });
}

// ---- Errors -----------------------------------------------------------------

/**
 * Any SDK or browser error as a VoiceError. Vonage errors carry a type
 * (SESSION_ERROR, NETWORK_ERROR, ...) and a code such as
 * "session:error:timeout" (what createSession gives when the service cannot
 * be reached) or "session:error:expired-token".
 */
export function toVoiceError(err) {
  if (err instanceof VoiceError) return err;
  const type = String(err?.type ?? "").toUpperCase();
  const code = String(err?.code ?? "").toLowerCase().replaceAll("_", "-");
  const message = String(err?.message ?? err ?? "");
  return new VoiceError(microphoneKind(err) || sdkErrorKind(type, code, message), message, code || 0);
}

// The kind of an error that is not the browser's own microphone error.
function sdkErrorKind(type, code, message) {
  if (/expired/.test(code)) return "expired";
  if (/invalid-token|empty-token|permission|authorization|invalid-user|user:error/.test(code)) return "auth";
  if (/timeout|transport|websocket|ping|disconnect|no-active-session|invalid-session/.test(code)) return "network";
  if (type === "NETWORK_ERROR") return "network";
  // Media failures reach us wrapped by the SDK, with only the browser's message.
  if (/token/i.test(message)) return "auth";
  if (/permission denied|not allowed/i.test(message)) return "microphone";
  if (/device not found|could not start audio|notreadable/i.test(message)) return "no-microphone";
  if (/failed to fetch|network ?error|websocket/i.test(message)) return "network";
  return "other";
}

/**
 * Asks for the microphone before a call. The SDK asks too, but a refusal
 * inside it comes back as a bare message; asking here first gives the
 * browser's own error and keeps a call from being placed without audio.
 */
async function checkMicrophone() {
  const media = navigator.mediaDevices;
  if (!media?.getUserMedia) throw new VoiceError("no-microphone", "getUserMedia is not available (not a secure context?)");
  let stream;
  try {
    stream = await media.getUserMedia({ audio: true });
  } catch (err) {
    const error = toVoiceError(err);
    throw error.kind === "other" ? new VoiceError("no-microphone", error.detail) : error;
  }
  for (const track of stream.getTracks?.() ?? []) track.stop();
}

// ---- Token lifetime ---------------------------------------------------------

// How often the phone looks at the clock. Checking the wall clock (rather
// than one long timeout) also catches up after the computer slept.
const TOKEN_CHECK_MS = 1_000;
// Renew this long before expiry: a third of the lifetime, at most 5 minutes
// (TOKEN_TTL is 3m..24h; background tabs may check only once a minute).
const MAX_MARGIN_MS = 5 * 60_000;
const MIN_RENEW_MS = 10_000;
// A refreshSession that failed for want of a network is tried again after this.
const REFRESH_RETRY_MS = 5_000;
const REFRESH_ATTEMPTS = 12;

/**
 * When this token should be renewed, in this browser's clock. The lifetime
 * comes from the token's own iat/exp (both the server's clock), counted from
 * now, so a browser clock that is off does not matter.
 */
function renewAt(token, now = Date.now()) {
  let claims = {};
  try {
    claims = tokenClaims(token);
  } catch {
    return now + 10 * 60_000; // not a JWT we can read: check back in a while
  }
  const exp = Number(claims.exp) * 1000;
  const iat = Number(claims.iat) * 1000;
  if (!Number.isFinite(exp)) return now + 10 * 60_000;
  const lifetime = Number.isFinite(iat) && exp > iat ? exp - iat : Math.max(0, exp - now);
  // Never sooner than MIN_RENEW_MS: a token that is somehow short-lived
  // must not turn into a request a second.
  return now + Math.max(MIN_RENEW_MS, lifetime - Math.min(lifetime / 3, MAX_MARGIN_MS));
}

// ---- Phone ------------------------------------------------------------------

class VonagePhone extends Emitter {
  #client;
  #token;
  #incoming;
  #state = "unregistered";
  #session = null; // the createSession promise while it runs
  #calls = new Map(); // callId -> VonageCall, until it ends
  #placing = 0; // serverCall requests under way
  #early = new Map(); // callId -> events that came before serverCall answered
  #renewAt = 0;
  #warned = false; // tokenWillExpire raised for the current token
  #clock = 0;

  constructor(client, token, { incoming }) {
    super();
    this.#client = client;
    this.#token = token;
    this.#incoming = incoming;
    this.audio = VonageAudio.supported() ? new VonageAudio(client) : null;
    this.#listen();
    this.#armToken(token);
    this.#clock = setInterval(() => this.#checkToken(), TOKEN_CHECK_MS);
    // As Twilio's closeProtection: leaving the page would drop the call, so ask first.
    window.addEventListener("beforeunload", (event) => {
      if (!this.#inCalls().length) return;
      event.preventDefault();
      event.returnValue = "";
    });
    // Left anyway: end the calls at Vonage rather than leave the far end
    // listening to silence until the media times out. (An invite still
    // ringing is left alone: rejecting it would reject it for every agent.)
    window.addEventListener("pagehide", () => {
      for (const call of this.#inCalls()) call.hangUp();
    });
  }

  get state() {
    return this.#state;
  }

  /** Creates the session (agents call this; customers get one on their first call). */
  register() {
    if (this.#state === "registered") return Promise.resolve();
    this.#session ??= this.#createSession().finally(() => {
      this.#session = null;
    });
    return this.#session;
  }

  async #createSession() {
    const token = this.#token;
    this.#state = "registering";
    try {
      await this.#client.createSession(token);
    } catch (err) {
      if (this.#state === "registering") this.#state = "unregistered";
      throw toVoiceError(err);
    }
    if (this.#state === "destroyed") return;
    this.#state = "registered";
    this.emit("registered");
    // A new token came while the session was being made.
    if (this.#token !== token) this.updateToken(this.#token);
  }

  updateToken(token) {
    this.#token = token;
    this.#armToken(token);
    this.#refresh(token);
  }

  #refresh(token, attempt = 1) {
    if (this.#state !== "registered" || token !== this.#token) return; // the next createSession uses it
    this.#client.refreshSession(token).catch((err) => {
      console.warn("ringdesk: vonage refreshSession failed", err);
      if (this.#state !== "registered" || token !== this.#token) return;
      const error = toVoiceError(err);
      const gone = /no-active-session|invalid-session/.test(error.code);
      if (error.kind === "network" && !gone) {
        // The SDK is reconnecting; try again while the old token lasts
        // (once it runs out, sessionError EXPIRED_TOKEN takes over).
        if (attempt < REFRESH_ATTEMPTS) setTimeout(() => this.#refresh(token, attempt + 1), REFRESH_RETRY_MS);
      } else {
        this.#lost(error); // the session is gone or refused the token: make a new one
      }
    });
  }

  async call(params) {
    await this.register();
    await checkMicrophone();
    this.audio?.refresh(); // device names show once the microphone is allowed
    this.#placing++;
    let callId;
    try {
      callId = await this.#client.serverCall(serverContext(params));
    } catch (err) {
      throw toVoiceError(err);
    } finally {
      this.#placing--;
    }
    const call = new VonageCall(this, this.#client, callId, { outbound: true, params });
    this.#calls.set(callId, call);
    // Replay what arrived before serverCall answered, once the page has
    // attached its listeners (it does so as soon as this promise settles).
    const early = this.#early.get(callId) ?? [];
    this.#early.delete(callId);
    if (this.#placing === 0) this.#early.clear();
    if (early.length) setTimeout(() => early.forEach((fn) => fn(call)), 0);
    return call;
  }

  destroy() {
    clearInterval(this.#clock);
    this.#state = "destroyed";
    for (const call of this.#calls.values()) call._end("hangup");
    Promise.resolve(this.#client.deleteSession?.()).catch(() => {});
  }

  // Called by a call when it ends.
  _forget(call) {
    if (this.#calls.get(call.id) === call) this.#calls.delete(call.id);
  }

  // Calls placed or answered here and not over yet.
  #inCalls() {
    return [...this.#calls.values()].filter((c) => !c.isClosed() && (c.outbound || c.answering));
  }

  // On a call, placing one, or being rung.
  #busy() {
    return this.#placing > 0 || [...this.#calls.values()].some((c) => !c.isClosed());
  }

  #listen() {
    const on = (event, fn) => this.#client.on(event, (...args) => {
      try {
        fn(...args);
      } catch (err) {
        console.error(`ringdesk: vonage ${event} handler failed`, err);
      }
    });
    // Events for one call; those for a call still being placed wait for it.
    const forCall = (callId, fn) => {
      const call = this.#calls.get(callId);
      if (call) fn(call);
      else if (this.#placing > 0) {
        if (!this.#early.has(callId)) this.#early.set(callId, []);
        this.#early.get(callId).push(fn);
      }
    };

    on("callInvite", (callId, from, channelType) => {
      if (!this.#incoming || this.#calls.has(callId)) return;
      // Like Twilio's allowIncomingWhileBusy=false: while this agent is on
      // (or being rung for) a call, leave the invite alone; rejecting it
      // would reject it for every agent, as they all sign in as the same
      // Vonage user.
      if (this.#busy()) return;
      const call = new VonageCall(this, this.#client, callId, { outbound: false, params: {}, from, channelType });
      this.#calls.set(callId, call);
      this.emit("incoming", call);
    });
    on("callInviteCancel", (callId, reason) => {
      // Taken or turned down by another agent is not a missed call.
      const elsewhere = reason === "AnsweredElsewhere" || reason === "RejectedElsewhere";
      forCall(callId, (call) => call._end(elsewhere ? "hangup" : "cancel"));
    });
    on("legStatusUpdate", (callId, legId, status) => forCall(callId, (call) => call._legStatus(String(status).toUpperCase())));
    on("callHangup", (callId, quality, reason) => forCall(callId, (call) => call._hangup(String(reason ?? ""))));
    on("callMediaReconnecting", (callId) => forCall(callId, (call) => call.emit("reconnecting")));
    on("callMediaReconnection", (callId) => forCall(callId, (call) => call.emit("reconnected")));
    on("callMediaDisconnect", (callId) => forCall(callId, (call) => call._fail(new VoiceError("network", "call media disconnected"), { hangUp: true })));
    on("callMediaError", (callId, error) => forCall(callId, (call) => {
      const voiceError = toVoiceError(error);
      call._fail(voiceError.kind === "other" ? new VoiceError("network", voiceError.detail) : voiceError, { hangUp: true });
    }));
    on("sessionError", (reason) => {
      const expired = String(reason) === "EXPIRED_TOKEN";
      this.#lost(new VoiceError(expired ? "expired" : "network", `session error: ${reason}`));
    });
  }

  // The session is gone: calls on it are over, and a new one is needed.
  // voice.js hears it as a device error: it renews the token if that was
  // the trouble and registers again (agents), or the next call makes a new
  // session (customers).
  #lost(error) {
    if (this.#state === "destroyed") return;
    this.#state = "unregistered";
    for (const call of [...this.#calls.values()]) call._fail(error);
    this.emit("error", error);
  }

  #armToken(token) {
    this.#renewAt = renewAt(token);
    this.#warned = false;
  }

  #checkToken() {
    if (this.#warned || this.#state !== "registered" || Date.now() < this.#renewAt) return;
    this.#warned = true; // once per token; voice.js retries a failed renewal itself
    this.emit("tokenWillExpire");
  }
}

/**
 * The serverCall context for the page's call parameters: the number to
 * dial travels as `to` (what the answer webhook reads), everything else
 * as it is; empty values are left out.
 */
function serverContext(params = {}) {
  const context = {};
  for (const [key, value] of Object.entries(params)) {
    if (value === undefined || value === null || value === "") continue;
    context[key === "phoneNumber" ? "to" : key] = String(value);
  }
  return context;
}

// ---- Call -------------------------------------------------------------------

class VonageCall extends Emitter {
  #phone;
  #client;
  #status = "pending"; // outgoing: pending -> ringing -> open -> closed; incoming: pending -> connecting -> open -> closed
  #muted = false;
  #ringtone = null;

  constructor(phone, client, id, { outbound, params, from = "", channelType = "" }) {
    super();
    this.#phone = phone;
    this.#client = client;
    this.id = id;
    this.outbound = outbound;
    this.accepted = false;
    this.answering = false; // Accept pressed on an incoming call
    this.params = { ...params };
    this.from = from;
    this.channelType = channelType;
    if (!outbound) this.#ringtone = ring(phone.audio);
  }

  /** The id Vonage gives the call (the callInvite's or serverCall's callId). */
  get callId() {
    return this.id;
  }

  accept() {
    if (this.outbound || this.#status !== "pending") return;
    this.#status = "connecting";
    this.answering = true;
    this.#stopRinging();
    (async () => {
      try {
        await checkMicrophone();
      } catch (error) {
        if (this.#status === "closed") return;
        this.#client.reject(this.id).catch(() => {});
        this._fail(error);
        return;
      }
      if (this.#status === "closed") return; // the caller gave up meanwhile
      this.#phone.audio?.refresh();
      try {
        await this.#client.answer(this.id);
      } catch (err) {
        this._fail(toVoiceError(err));
        return;
      }
      this.#accept();
    })();
  }

  reject() {
    if (this.outbound || this.#status === "closed") return;
    this.#client.reject(this.id).catch((err) => console.warn("ringdesk: vonage reject", err));
    this._end("reject");
  }

  // Stops ringing here and forgets the invite without refusing it: all
  // agents sign in as one Vonage user, so a reject would refuse it for all.
  ignore() {
    if (this.outbound || this.#status !== "pending") return;
    this._end("ignore");
  }

  hangUp() {
    if (this.#status === "closed") return;
    if (!this.outbound && !this.accepted && this.#status === "pending") {
      this.reject();
      return;
    }
    this.#client.hangup(this.id).then(
      () => this._end("hangup"), // callHangup normally comes first
      (err) => {
        console.warn("ringdesk: vonage hangup", err);
        this._end("hangup");
      },
    );
  }

  mute(muted) {
    this.#muted = !!muted;
    const request = this.#muted ? this.#client.mute(this.id) : this.#client.unmute(this.id);
    Promise.resolve(request).catch((err) => console.warn("ringdesk: vonage mute", err));
  }

  isMuted() {
    return this.#muted;
  }

  sendDigits(digits) {
    if (typeof this.#client.sendDTMF !== "function") return;
    this.#client.sendDTMF(this.id, digits).catch((err) => console.warn("ringdesk: vonage sendDTMF", err));
    if (/^[0-9*#]$/.test(digits)) playOnce(`dtmf-${digits === "*" ? "star" : digits === "#" ? "hash" : digits}`, this.#phone.audio);
  }

  isClosed() {
    return this.#status === "closed";
  }

  // ---- from the phone's SDK listeners ----

  _legStatus(status) {
    // Incoming calls are in progress once answer() succeeds; the other
    // legs' news does not change that.
    if (!this.outbound || this.#status === "closed") return;
    if (status === "RINGING" && this.#status === "pending") {
      this.#status = "ringing";
      this.emit("ringing");
    } else if (status === "ANSWERED") {
      this.#accept();
    }
    // COMPLETED: one callee's leg ended (e.g. one of several ringing
    // agents). The call itself goes on until callHangup.
  }

  _hangup(reason) {
    if (this.#status === "closed") return;
    if (!this.accepted && reason === "REMOTE_REJECT") this._fail(new VoiceError("declined", reason));
    else if (!this.accepted && reason === "REMOTE_NO_ANSWER_TIMEOUT") this._fail(new VoiceError("no-answer", reason));
    else if (reason === "MEDIA_TIMEOUT") this._fail(new VoiceError("network", reason));
    else this._end("hangup");
  }

  // An error that ends the call: closed first, so listeners see isClosed().
  // hangUp: the call may still be up at Vonage (its media failed), so end it there too.
  _fail(error, { hangUp = false } = {}) {
    if (this.#status === "closed") return;
    this.#close();
    this.emit("error", error);
    this.emit("end", "hangup");
    if (hangUp) this.#client.hangup(this.id).catch(() => {});
  }

  _end(reason) {
    if (this.#status === "closed") return;
    this.#close();
    this.emit("end", reason);
  }

  #close() {
    this.#status = "closed";
    this.#stopRinging();
    this.#phone._forget(this);
  }

  #accept() {
    if (this.accepted || this.#status === "closed") return;
    this.accepted = true;
    this.#status = "open";
    this.#phone.audio?.applyOutput({ wait: true });
    this.emit("accept");
  }

  #stopRinging() {
    this.#ringtone?.stop();
    this.#ringtone = null;
  }
}

// ---- Sounds -----------------------------------------------------------------

// The SDK plays no ringtone for an invite; agents need to hear one.
function ring(audio) {
  const el = new Audio(soundURL("incoming"));
  el.loop = true;
  audio?.route(el);
  el.play().catch(() => {}); // autoplay may be refused before the page was used
  return {
    stop() {
      el.pause();
      el.removeAttribute("src");
      el.load();
    },
  };
}

function playOnce(file, audio) {
  const el = new Audio(soundURL(file));
  audio?.route(el);
  el.play().catch(() => {});
}

// ---- Audio devices ----------------------------------------------------------

/**
 * The SDK always records from the default microphone (getUserMedia with
 * audio: true), so there is no microphone choice. Call audio plays through
 * the SDK's own <audio> element (getAudioOutputElement), which we can point
 * at a speaker where the browser has setSinkId.
 */
class VonageAudio {
  #client;
  #devices = [];
  #output = "";
  #listeners = new Set();

  static supported() {
    return typeof navigator.mediaDevices?.enumerateDevices === "function";
  }

  constructor(client) {
    this.#client = client;
    this.refresh();
    navigator.mediaDevices.addEventListener?.("devicechange", () => this.refresh());
  }

  get canPickOutput() {
    return typeof HTMLMediaElement !== "undefined" && typeof HTMLMediaElement.prototype.setSinkId === "function";
  }

  inputs() {
    return [];
  }

  outputs() {
    return this.#devices.filter((d) => d.kind === "audiooutput").map((d) => ({ id: d.deviceId, label: d.label }));
  }

  currentInput() {
    return "";
  }

  currentOutput() {
    return this.#output || (this.outputs().some((d) => d.id === "default") ? "default" : "");
  }

  setInput() {
    return Promise.reject(new Error("the Vonage SDK always uses the default microphone"));
  }

  setOutput(id) {
    this.#output = id;
    return this.applyOutput();
  }

  onChange(fn) {
    this.#listeners.add(fn);
  }

  /** Re-reads the device list (names appear once the microphone is allowed). */
  refresh() {
    navigator.mediaDevices.enumerateDevices().then(
      (devices) => {
        this.#devices = devices;
        for (const fn of this.#listeners) fn();
      },
      (err) => console.warn("ringdesk: enumerateDevices", err),
    );
  }

  /**
   * Points the call audio at the chosen speaker. The SDK makes its <audio>
   * element when the far end's audio arrives; wait: give it a moment.
   */
  async applyOutput({ wait = false } = {}) {
    if (!this.#output || !this.canPickOutput) return;
    const element = () => this.#client.getAudioOutputElement?.();
    for (let i = 0; wait && i < 8 && !element(); i++) await new Promise((r) => setTimeout(r, 250));
    const el = element();
    if (el) await this.route(el);
  }

  route(el) {
    if (!this.#output || typeof el?.setSinkId !== "function") return Promise.resolve();
    return el.setSinkId(this.#output).catch((err) => console.warn("ringdesk: setSinkId", err));
  }
}
