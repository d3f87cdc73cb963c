// Twilio Voice JS SDK 2.x behind the adapter interface voice.js describes.
// The SDK bundle (public/vendor/twilio.min.js, from npm) defines
// window.Twilio.Device; it is loaded only when nothing defined that first,
// so tests can put a scripted double in its place.

import { Emitter, VoiceError, loadScript, microphoneKind, soundURL, tokenClaims } from "./voice-core.js";

export const name = "twilio";

const SDK_SRC = "/static/vendor/twilio.min.js";

// The SDK would fetch its sounds from Twilio's CDN; ours are served instead.
const SOUND_FILES = {
  incoming: "incoming",
  outgoing: "outgoing",
  disconnect: "disconnect",
  dtmfs: "dtmf-star",
  dtmfh: "dtmf-hash",
};
for (let d = 0; d <= 9; d++) SOUND_FILES[`dtmf${d}`] = `dtmf-${d}`;

const sounds = Object.fromEntries(Object.entries(SOUND_FILES).map(([sound, file]) => [sound, soundURL(file)]));

/** Makes window.Twilio.Device available, injecting the SDK script if needed. */
export function load(doc) {
  return loadScript(doc, SDK_SRC, () => !!window.Twilio?.Device, "Twilio.Device");
}

// The SDK raises "tokenWillExpire" this long before expiry: a third of
// the token's lifetime, at most 5 minutes. Its default (10 s) is too
// close for agents' 15-minute tokens in a background tab, where the
// browser may run timers only once a minute.
const MAX_REFRESH_MARGIN_MS = 5 * 60_000;
const DEFAULT_REFRESH_MARGIN_MS = 60_000;

/** How long before this token's expiry to renew it (from its nbf/exp). */
function refreshMargin(token) {
  try {
    const claims = tokenClaims(token);
    const lifetime = (Number(claims.exp) - Number(claims.nbf ?? claims.iat)) * 1000;
    if (Number.isFinite(lifetime) && lifetime > 0) return Math.min(lifetime / 3, MAX_REFRESH_MARGIN_MS);
  } catch {
    // not a JWT we can read: fall through
  }
  return DEFAULT_REFRESH_MARGIN_MS;
}

/** A Device for this token. Agents' devices also take incoming calls. */
export function createPhone(token, { incoming = false } = {}) {
  const options = { closeProtection: true, logLevel: "warn", sounds, tokenRefreshMs: refreshMargin(token) };
  if (incoming) options.allowIncomingWhileBusy = false;
  return new TwilioPhone(new window.Twilio.Device(token, options));
}

// ---- Errors -----------------------------------------------------------------

// Twilio error codes (TwilioError.code) by what the person can do about them.
const KINDS = new Map([
  [31401, "microphone"], // UserMediaErrors.PermissionDeniedError
  [31208, "microphone"], // legacy "user denied access to media"
  [31402, "no-microphone"], // UserMediaErrors.AcquisitionFailedError
  [31000, "network"], // GeneralErrors.UnknownError
  [31003, "network"], // ConnectionTimeoutError
  [31005, "network"], // GeneralErrors.ConnectionError (signalling)
  [31009, "network"], // TransportError
  [20101, "auth"], // AccessTokenInvalid
  [20151, "auth"], // AuthenticationFailed
  [31201, "auth"], // AuthorizationError
  [31202, "auth"], // AccessTokenSignatureValidationFailed
  [31204, "auth"], // InvalidJWTTokenError
  [20104, "expired"], // AccessTokenExpired
  [31205, "expired"], // JWTTokenExpiredError
  [31486, "busy"], // SignalingErrors BusyHere
  [31480, "no-answer"], // TemporarilyUnavailable
  [31002, "declined"], // ConnectionDeclinedError
  [31603, "declined"], // Decline
]);

/** Any SDK or browser error as a VoiceError. */
export function toVoiceError(err) {
  if (err instanceof VoiceError) return err;
  const code = Number(err?.code) || 0;
  let kind = KINDS.get(code);
  if (!kind && code >= 53000 && code < 54000) kind = "network"; // media/ICE connection errors
  kind ||= microphoneKind(err);
  return new VoiceError(kind || "other", String(err?.message ?? err ?? ""), code);
}

// ---- Device and Call wrappers -----------------------------------------------

class TwilioPhone extends Emitter {
  constructor(device) {
    super();
    this.device = device;
    device.on("registered", () => this.emit("registered"));
    device.on("unregistered", () => this.emit("unregistered"));
    device.on("tokenWillExpire", () => this.emit("tokenWillExpire"));
    device.on("incoming", (call) => this.emit("incoming", new TwilioCall(call)));
    // Errors that belong to a call reach that call's own "error" listeners.
    device.on("error", (err, call) => {
      if (!call) this.emit("error", toVoiceError(err));
    });
    this.audio = device.audio ? new TwilioAudio(device.audio) : null;
  }

  get state() {
    return this.device.state;
  }

  async register() {
    try {
      await this.device.register();
    } catch (err) {
      throw toVoiceError(err);
    }
  }

  updateToken(token) {
    this.device.updateToken(token);
  }

  async call(params) {
    try {
      return new TwilioCall(await this.device.connect({ params }));
    } catch (err) {
      throw toVoiceError(err);
    }
  }

  destroy() {
    this.device.destroy();
  }
}

class TwilioCall extends Emitter {
  #ended = false;

  constructor(call) {
    super();
    this.raw = call;
    this.params = Object.fromEntries(call.customParameters ?? []);
    // Who placed an incoming call, as Twilio names them ("client:customer",
    // or a phone number in E.164).
    this.from = String(call.parameters?.From ?? "");
    call.on("ringing", () => this.emit("ringing"));
    call.on("accept", () => this.emit("accept"));
    call.on("reconnecting", () => this.emit("reconnecting"));
    call.on("reconnected", () => this.emit("reconnected"));
    call.on("disconnect", () => this.#end("hangup"));
    call.on("cancel", () => this.#end("cancel"));
    call.on("reject", () => this.#end("reject"));
    call.on("error", (err) => this.emit("error", toVoiceError(err)));
  }

  #end(reason) {
    if (this.#ended) return;
    this.#ended = true;
    this.emit("end", reason);
  }

  /** The id Twilio gives the call (its CallSid; outgoing calls get it once connected). */
  get callId() {
    return String(this.raw.parameters?.CallSid ?? "");
  }

  accept() {
    this.raw.accept();
  }

  // Stops ringing here without refusing the call, which would refuse it for
  // every agent: the SDK leaves it to time out (or be cancelled) on its own.
  ignore() {
    if (this.#ended) return;
    this.raw.ignore();
    this.#end("ignore");
  }

  reject() {
    this.raw.reject();
  }

  hangUp() {
    this.raw.disconnect();
  }

  mute(muted) {
    this.raw.mute(muted);
  }

  isMuted() {
    return this.raw.isMuted();
  }

  sendDigits(digits) {
    this.raw.sendDigits(digits);
  }

  isClosed() {
    return this.#ended || this.raw.status?.() === "closed";
  }
}

class TwilioAudio {
  constructor(audio) {
    this.audio = audio;
  }

  get canPickOutput() {
    return !!this.audio.isOutputSelectionSupported;
  }

  inputs() {
    return listDevices(this.audio.availableInputDevices);
  }

  outputs() {
    return listDevices(this.audio.availableOutputDevices);
  }

  currentInput() {
    return this.audio.inputDevice?.deviceId ?? "";
  }

  currentOutput() {
    const [first] = this.audio.speakerDevices?.get() ?? [];
    return first?.deviceId ?? "";
  }

  setInput(id) {
    return this.audio.setInputDevice(id);
  }

  setOutput(id) {
    return this.audio.speakerDevices.set(id);
  }

  onChange(fn) {
    this.audio.on?.("deviceChange", fn);
  }
}

function listDevices(map) {
  return [...(map?.values() ?? [])].map((d) => ({ id: d.deviceId, label: d.label }));
}
