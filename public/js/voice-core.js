// What the provider adapters, voice.js and live.js share: the event
// emitter, the errors people read, and the pieces every adapter needs (its
// SDK's <script>, microphone errors, token claims, sound files). It imports
// nothing, so the modules that use it never import each other back:
// voice.js loads the adapters, and the adapters and live.js use only this.

/** A minimal event emitter: on(name, fn), off(name, fn), emit(name, ...args). */
export class Emitter {
  #listeners = new Map();

  on(name, fn) {
    if (!this.#listeners.has(name)) this.#listeners.set(name, new Set());
    this.#listeners.get(name).add(fn);
    return this;
  }

  off(name, fn) {
    this.#listeners.get(name)?.delete(fn);
    return this;
  }

  emit(name, ...args) {
    for (const fn of [...(this.#listeners.get(name) ?? [])]) {
      try {
        fn(...args);
      } catch (err) {
        console.error(`ringdesk: ${name} listener failed`, err);
      }
    }
  }
}

// ---- Errors -----------------------------------------------------------------

/** What people read when calling fails, by VoiceError kind. */
const MESSAGES = {
  microphone: "Microphone blocked — allow it in the address bar",
  "no-microphone": "Can't use your microphone — check it is connected and not in use by another app",
  network: "Can't reach the calling service",
  "not-configured": "Calling is not configured",
  "rate-limited": "Too many call attempts — please wait a minute",
  auth: "The calling service did not accept this browser — reload the page",
  expired: "Your calling session expired — reload the page",
  busy: "The line is busy",
  "no-answer": "No answer",
  declined: "The call was declined",
  sdk: "The calling library did not load — reload the page",
  other: "Something went wrong with the call",
};

/** An error with a kind the UI can act on (see MESSAGES). */
export class VoiceError extends Error {
  constructor(kind, detail = "", code = 0) {
    super(MESSAGES[kind] ?? MESSAGES.other);
    this.name = "VoiceError";
    this.kind = MESSAGES[kind] ? kind : "other";
    this.code = code;
    this.detail = detail;
  }
}

/** Any thrown value as a VoiceError. */
export function asVoiceError(err) {
  if (err instanceof VoiceError) return err;
  return new VoiceError("other", String(err?.message ?? err));
}

/** Kinds of device error that end a call still being set up. */
export const GIVE_UP = new Set(["network", "auth", "expired"]);

// The browser's getUserMedia errors (DOMException names), by whether the
// person refused the microphone or it cannot be used.
const MIC_DENIED = new Set(["NotAllowedError", "PermissionDeniedError", "SecurityError"]);
const MIC_MISSING = new Set(["NotFoundError", "NotReadableError", "OverconstrainedError", "AbortError"]);

/** "microphone" or "no-microphone" for a browser microphone error, else "". */
export function microphoneKind(err) {
  const name = String(err?.name ?? "");
  if (MIC_DENIED.has(name)) return "microphone";
  if (MIC_MISSING.has(name)) return "no-microphone";
  return "";
}

// ---- What adapters share ----------------------------------------------------

const scripts = new Map(); // SDK script src -> its load, once started

/**
 * Makes an SDK available: nothing to do if ready() already holds (a test
 * double put it there first), else its <script> is injected once. A load
 * that failed is tried afresh next time.
 */
export function loadScript(doc, src, ready, what) {
  if (ready()) return Promise.resolve();
  if (!scripts.has(src)) {
    const loading = new Promise((resolve, reject) => {
      const script = doc.createElement("script");
      script.src = src;
      script.async = true;
      script.addEventListener("load", () => {
        if (ready()) {
          resolve();
          return;
        }
        scripts.delete(src);
        reject(new VoiceError("sdk", `${src.split("/").pop()} did not define ${what}`));
      });
      script.addEventListener("error", () => {
        scripts.delete(src);
        reject(new VoiceError("sdk", `could not load ${src}`));
      });
      doc.head.append(script);
    });
    scripts.set(src, loading);
  }
  return scripts.get(src);
}

/**
 * A voice token's claims, unchecked: the server made the token and the
 * provider checks it; the page only reads its lifetime. Throws if the
 * token is not a JWT.
 */
export function tokenClaims(token) {
  const payload = token.split(".")[1].replaceAll("-", "+").replaceAll("_", "/");
  return JSON.parse(atob(payload.padEnd(Math.ceil(payload.length / 4) * 4, "=")));
}

/**
 * Where a call sound is served: the SDKs' own sounds would come from the
 * providers' CDNs; scripts/vendor.sh makes ours.
 */
export function soundURL(name) {
  return `/static/vendor/sounds/${name}.wav`;
}
