// A scripted stand-in for the Twilio Voice JS SDK's Device and Call, put at
// window.Twilio before the page's own scripts run (the softphone then skips
// loading the real SDK). It records what the page asks of it in
// window.__fake, and tests drive SDK events from Go:
//
//   window.__fake.lastCall.emit("ringing")         outgoing call progress
//   window.__fake.call(id).emit("accept")          the call with that id
//   window.__fake.ring({ticketId: "..."})          an incoming call
//   window.__fake.ring({}, "CA...")                ...with that CallSid
//   window.__fake.device.emit("tokenWillExpire")   device events
//
// Every call has an id: an incoming call's CallSid, or "OUT-n" for the
// n-th call the page placed (the SDK gives those a CallSid only later).
(() => {
  if (window.__fake) return; // installed twice in one tab: keep the first
  class Emitter {
    constructor() {
      this._listeners = {};
    }
    on(name, fn) {
      (this._listeners[name] ||= []).push(fn);
      return this;
    }
    addListener(name, fn) {
      return this.on(name, fn);
    }
    once(name, fn) {
      const wrapped = (...args) => {
        this.removeListener(name, wrapped);
        fn(...args);
      };
      return this.on(name, wrapped);
    }
    removeListener(name, fn) {
      this._listeners[name] = (this._listeners[name] || []).filter((f) => f !== fn);
      return this;
    }
    off(name, fn) {
      return this.removeListener(name, fn);
    }
    emit(name, ...args) {
      for (const fn of [...(this._listeners[name] || [])]) fn(...args);
      return true;
    }
  }

  const fake = {
    device: null,
    devices: 0,
    tokens: [], // constructor tokens
    options: [], // constructor options
    registers: 0,
    updatedTokens: [],
    connects: [], // params of every device.connect
    calls: [],
    lastCall: null,
    placed: 0,
    tokenFetches: 0,
  };

  // Call states follow the SDK: pending -> connecting/ringing -> open -> closed.
  class FakeCall extends Emitter {
    constructor(id, parameters, customParameters) {
      super();
      this.id = id;
      this.parameters = parameters;
      this.customParameters = new Map(Object.entries(customParameters || {}));
      this._status = "pending";
      this.accepted = 0;
      this.rejected = 0;
      this.disconnected = 0;
      this.muteCalls = [];
      this.digits = [];
      this._muted = false;
    }
    emit(name, ...args) {
      if (name === "ringing") this._status = "ringing";
      if (name === "accept") this._status = "open";
      if (["disconnect", "cancel", "reject"].includes(name)) this._status = "closed";
      return super.emit(name, ...args);
    }
    status() {
      return this._status;
    }
    // Accepting an incoming call: the SDK reports "accept" once media flows.
    accept() {
      this.accepted++;
      this._status = "connecting";
      setTimeout(() => this.emit("accept", this), 50);
    }
    reject() {
      this.rejected++;
      this.emit("reject");
    }
    ignore() {
      this._status = "closed";
    }
    disconnect() {
      this.disconnected++;
      if (this._status !== "closed") this.emit("disconnect", this);
    }
    mute(shouldMute = true) {
      this.muteCalls.push(shouldMute);
      this._muted = shouldMute;
      this.emit("mute", shouldMute, this);
    }
    isMuted() {
      return this._muted;
    }
    sendDigits(digits) {
      this.digits.push(digits);
    }
  }

  const mic = { deviceId: "default", kind: "audioinput", label: "Default - Built-in Microphone", groupId: "g1" };
  const headsetMic = { deviceId: "headset-mic", kind: "audioinput", label: "USB Headset Microphone", groupId: "g2" };
  const speaker = { deviceId: "default", kind: "audiooutput", label: "Default - Built-in Speakers", groupId: "g1" };
  const headset = { deviceId: "headset", kind: "audiooutput", label: "USB Headset", groupId: "g2" };

  class FakeAudio extends Emitter {
    constructor() {
      super();
      this.availableInputDevices = new Map([[mic.deviceId, mic], [headsetMic.deviceId, headsetMic]]);
      this.availableOutputDevices = new Map([[speaker.deviceId, speaker], [headset.deviceId, headset]]);
      this.isOutputSelectionSupported = true;
      this.inputDevice = mic;
      this.inputChoices = [];
      this.outputChoices = [];
      const audio = this;
      this.speakerDevices = {
        get: () => new Set([speaker]),
        set: (id) => {
          audio.outputChoices.push(id);
          return Promise.resolve();
        },
      };
      this.ringtoneDevices = this.speakerDevices;
    }
    setInputDevice(id) {
      this.inputChoices.push(id);
      this.inputDevice = this.availableInputDevices.get(id) || null;
      return Promise.resolve();
    }
  }

  class FakeDevice extends Emitter {
    constructor(token, options) {
      super();
      fake.devices++;
      fake.device = this;
      fake.tokens.push(token);
      fake.options.push(options || {});
      this.token = token;
      this.state = "unregistered";
      this.audio = new FakeAudio();
    }
    _setState(state) {
      this.state = state;
      this.emit(state);
    }
    async register() {
      fake.registers++;
      this._setState("registering");
      await new Promise((r) => setTimeout(r, 20));
      this._setState("registered");
    }
    async unregister() {
      this._setState("unregistered");
    }
    updateToken(token) {
      fake.updatedTokens.push(token);
      this.token = token;
    }
    async connect(options = {}) {
      fake.connects.push(JSON.parse(JSON.stringify((options && options.params) || {})));
      const call = new FakeCall(`OUT-${++fake.placed}`, {}, options.params);
      fake.calls.push(call);
      fake.lastCall = call;
      return call;
    }
    destroy() {
      this._setState("destroyed");
    }
  }

  // An incoming call from the website, as Twilio delivers it to the agent.
  fake.ring = (customParameters, callSid = `CA${String(fake.calls.length).padStart(32, "0")}`) => {
    const call = new FakeCall(callSid, { From: "client:customer", CallSid: callSid }, customParameters);
    fake.calls.push(call);
    fake.lastCall = call;
    fake.device.emit("incoming", call);
    return true;
  };

  fake.call = (id) => fake.calls.find((call) => call.id === id);

  // Count the page's token requests.
  const realFetch = window.fetch.bind(window);
  window.fetch = (input, init) => {
    const url = typeof input === "string" ? input : input.url;
    if (new URL(url, location.href).pathname === "/token") fake.tokenFetches++;
    return realFetch(input, init);
  };

  window.Twilio = { Device: FakeDevice, Call: FakeCall };
  window.__fake = fake;
})();
