// A scripted stand-in for the Vonage Client SDK (window.vonageClientSDK),
// put in place before the page's own scripts run (the softphone then skips
// loading the real SDK). It also stands in for the browser's microphone
// (getUserMedia, enumerateDevices), which headless Chromium does not have,
// and for the clock, so token lifetimes can pass in a moment.
//
// It records what the page asks of it in window.__fake, and tests drive SDK
// events from Go:
//
//   window.__fake.emit("legStatusUpdate", callId, "LEG-1", "RINGING")
//   window.__fake.emit("callHangup", callId, {}, "REMOTE_HANGUP")
//   window.__fake.invite()                         an incoming call; returns its callId
//   window.__fake.emit("sessionError", "EXPIRED_TOKEN")
//   window.__fake.fail.createSession = {type: "SESSION_ERROR", code: "session:error:timeout"}
//   window.__fake.micError = "NotAllowedError"     the microphone is refused
//   window.__fake.advanceClock(120_000)            Date.now() jumps ahead
(() => {
  if (window.__fake) return; // installed twice in one tab: keep the first

  const fake = {
    clients: [],
    client: null,
    configs: [], // VonageClient constructor options
    sessions: [], // tokens given to createSession (every attempt)
    refreshed: [], // tokens given to refreshSession
    deletedSessions: 0,
    serverCalls: [], // contexts given to serverCall
    callIds: [], // ids serverCall answered with
    lastCallId: null,
    answers: [],
    rejects: [],
    hangups: [],
    mutes: [],
    unmutes: [],
    muting: [], // "mute <callId>" and "unmute <callId>", in order
    dtmf: [], // [callId, digits]
    sinkIds: [], // speakers chosen for the call audio
    micRequests: 0,
    micError: "", // a DOMException name: getUserMedia fails with it
    fail: {}, // method name -> {type, code, message}: that method rejects with it
    tokenFetches: 0,
    clockOffset: 0,
  };

  // The SDK's errors: an Error with a type and a code string.
  class VonageError extends Error {
    constructor({ type = "UNKNOWN_ERROR", code = null, message = "fake Vonage error" } = {}) {
      super(message);
      this.name = "VonageError";
      this.type = type;
      this.code = code;
    }
  }

  let ids = 0;
  const newId = (prefix) => `${prefix}-${String(++ids).padStart(4, "0")}-fake`;
  const later = (fn, ms = 10) => setTimeout(fn, ms);
  const failing = (method) => {
    const f = fake.fail[method];
    return f ? Promise.reject(new VonageError(f)) : null;
  };

  // The SDK's <audio> element for the far end's audio.
  const outputElement = {
    sinkId: "",
    setSinkId(id) {
      fake.sinkIds.push(id);
      this.sinkId = id;
      return Promise.resolve();
    },
  };

  class FakeVonageClient {
    constructor(config) {
      this._listeners = new Map(); // event -> Map(symbol -> fn)
      this._session = null;
      this._hasAudio = false;
      fake.configs.push(JSON.parse(JSON.stringify(config ?? null)));
      fake.clients.push(this);
      fake.client = this;
    }

    on(event, fn) {
      const sym = Symbol(event);
      if (!this._listeners.has(event)) this._listeners.set(event, new Map());
      this._listeners.get(event).set(sym, fn);
      return sym;
    }

    off(event, sym) {
      return this._listeners.get(event)?.delete(sym) ?? false;
    }

    clearCallbacks(event) {
      this._listeners.delete(event);
    }

    _emit(event, ...args) {
      if (event === "legStatusUpdate" && args[2] === "ANSWERED") this._hasAudio = true;
      for (const fn of [...(this._listeners.get(event)?.values() ?? [])]) fn(...args);
      return true;
    }

    createSession(token, sessionId) {
      fake.sessions.push(token);
      return failing("createSession") ?? new Promise((resolve) => later(() => {
        this._session = sessionId || newId("SESSION");
        resolve(this._session);
      }, 20));
    }

    refreshSession(token) {
      fake.refreshed.push(token);
      return failing("refreshSession") ?? Promise.resolve();
    }

    deleteSession() {
      fake.deletedSessions++;
      this._session = null;
      return Promise.resolve();
    }

    serverCall(context) {
      fake.serverCalls.push(JSON.parse(JSON.stringify(context ?? null)));
      if (!this._session) return Promise.reject(new VonageError({ type: "SESSION_ERROR", code: "session:error:no-active-session", message: "You do not have an active session." }));
      return failing("serverCall") ?? new Promise((resolve) => later(() => {
        const id = newId("CALL");
        fake.callIds.push(id);
        fake.lastCallId = id;
        resolve(id);
      }));
    }

    answer(callId) {
      fake.answers.push(callId);
      return failing("answer") ?? new Promise((resolve) => later(() => {
        this._hasAudio = true;
        resolve();
      }, 50));
    }

    reject(callId) {
      fake.rejects.push(callId);
      return failing("reject") ?? Promise.resolve();
    }

    // As the SDK does, a local hang-up is reported with callHangup too.
    hangup(callId) {
      fake.hangups.push(callId);
      return failing("hangup") ?? new Promise((resolve) => later(() => {
        this._emit("callHangup", callId, {}, "LOCAL_HANGUP");
        resolve();
      }));
    }

    mute(callId) {
      fake.mutes.push(callId);
      fake.muting.push(`mute ${callId}`);
      return Promise.resolve();
    }

    unmute(callId) {
      fake.unmutes.push(callId);
      fake.muting.push(`unmute ${callId}`);
      return Promise.resolve();
    }

    sendDTMF(callId, digits) {
      fake.dtmf.push([callId, digits]);
      return Promise.resolve();
    }

    getAudioOutputElement() {
      return this._hasAudio ? outputElement : undefined;
    }
  }

  fake.emit = (event, ...args) => fake.client._emit(event, ...args);

  // An incoming call from the website, as Vonage delivers it to an agent.
  fake.invite = (callId = newId("CALL-IN")) => {
    fake.lastCallId = callId;
    fake.emit("callInvite", callId, "customer", "app");
    return callId;
  };

  // ---- The browser's microphone and speakers ----

  const devices = [
    { deviceId: "default", kind: "audioinput", label: "Default - Built-in Microphone", groupId: "g1" },
    { deviceId: "headset-mic", kind: "audioinput", label: "USB Headset Microphone", groupId: "g2" },
    { deviceId: "default", kind: "audiooutput", label: "Default - Built-in Speakers", groupId: "g1" },
    { deviceId: "headset", kind: "audiooutput", label: "USB Headset", groupId: "g2" },
  ];
  if (navigator.mediaDevices) {
    navigator.mediaDevices.getUserMedia = (constraints) => {
      fake.micRequests++;
      if (fake.micError) return Promise.reject(new DOMException("Permission denied", fake.micError));
      return Promise.resolve(new MediaStream());
    };
    navigator.mediaDevices.enumerateDevices = () => Promise.resolve(devices.map((d) => ({ ...d })));
  }

  // ---- The clock ----

  const realNow = Date.now.bind(Date);
  Date.now = () => realNow() + fake.clockOffset;
  fake.advanceClock = (ms) => {
    fake.clockOffset += ms;
    return Date.now();
  };

  // Count the page's token requests.
  const realFetch = window.fetch.bind(window);
  window.fetch = (input, init) => {
    const url = typeof input === "string" ? input : input.url;
    if (new URL(url, location.href).pathname === "/token") fake.tokenFetches++;
    return realFetch(input, init);
  };

  const enumOf = (...names) => Object.fromEntries(names.map((n) => [n.toLowerCase().replace(/(^|_)(\w)/g, (_, __, c) => c.toUpperCase()), n]));
  window.vonageClientSDK = {
    VonageClient: FakeVonageClient,
    VonageError,
    LegStatus: enumOf("RINGING", "ANSWERED", "COMPLETED"),
    HangupReason: enumOf("REMOTE_HANGUP", "REMOTE_REJECT", "REMOTE_NO_ANSWER_TIMEOUT", "LOCAL_HANGUP", "MEDIA_TIMEOUT"),
    SessionErrorReason: enumOf("EXPIRED_TOKEN", "TRANSPORT_CLOSED", "PING_TIMEOUT"),
    CancelReason: { RemoteCancel: "RemoteCancel", AnsweredElsewhere: "AnsweredElsewhere", RejectedElsewhere: "RejectedElsewhere", RemoteTimeout: "RemoteTimeout" },
  };
  window.__fake = fake;
})();
