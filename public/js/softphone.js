// Browser calling on Ringdesk's pages. The home page gets the customer's
// "Call support" card; agents' pages (dashboard, ticket) get the softphone
// in #softphone (agent-phone.js). Both talk to the provider through
// voice.js, never to an SDK directly.

import { startAgentPhone } from "./agent-phone.js";
import { CallTimer, GIVE_UP, VoiceLine, asVoiceError } from "./voice.js";

export function startSoftphone(doc) {
  const card = doc.querySelector(".call-card");
  if (card && card.dataset.voice) startCustomerPhone(doc, card);
  const softphone = doc.getElementById("softphone");
  if (softphone && softphone.dataset.voice) startAgentPhone(doc, softphone);
}

// ---- Customer: "Call support" and "Test my audio" ---------------------------

function startCustomerPhone(doc, card) {
  const callButton = doc.getElementById("call-support");
  const testButton = doc.getElementById("test-audio");
  const hangUpButton = doc.getElementById("hang-up");
  const status = doc.getElementById("call-status");
  if (!callButton || !hangUpButton || !status) return;
  const statusText = status.querySelector(".call-status-text") ?? status;
  const timerText = status.querySelector(".call-timer");

  const line = new VoiceLine(doc, { incoming: false });
  let current = null; // {call, kind, error, timer, accepted}

  const show = (state, text, timer = "") => {
    status.dataset.state = state;
    statusText.textContent = text;
    if (timerText) {
      timerText.textContent = timer;
      timerText.hidden = !timer;
    }
  };

  const setBusy = (busy) => {
    // Move focus along only if it was on these buttons (or nowhere), never
    // away from something else the person is doing.
    const active = doc.activeElement;
    const focusWasOnUs = !active || active === doc.body || [callButton, testButton, hangUpButton].includes(active);
    callButton.disabled = busy;
    if (testButton) testButton.disabled = busy;
    hangUpButton.hidden = !busy;
    if (busy) {
      hangUpButton.disabled = false;
      if (focusWasOnUs) hangUpButton.focus();
    } else if (focusWasOnUs) {
      callButton.focus();
    }
  };

  const talkingLabel = (kind) => (kind === "test" ? "Audio test — you should hear yourself" : "In call");

  async function start(kind, params) {
    if (current) return;
    const entry = { call: null, kind, error: null, timer: null, accepted: false, reconnecting: false, done: false };
    current = entry;
    setBusy(true);
    show("connecting", "Connecting…");
    let call;
    try {
      call = await line.call(params);
    } catch (err) {
      finish(entry, asVoiceError(err));
      return;
    }
    if (current !== entry) {
      call.hangUp(); // hung up while connecting
      return;
    }
    entry.call = call;
    entry.timer = new CallTimer((t) => {
      if (current === entry && !entry.reconnecting) show("in-call", talkingLabel(kind), t);
    });
    call.on("ringing", () => {
      if (current === entry && !entry.accepted) show("ringing", "Ringing…");
    });
    call.on("accept", () => {
      entry.accepted = true;
      entry.timer.start();
    });
    call.on("reconnecting", () => {
      entry.reconnecting = true;
      if (current === entry) show("connecting", "Reconnecting…");
    });
    call.on("reconnected", () => {
      entry.reconnecting = false;
      if (current === entry && entry.accepted) show("in-call", talkingLabel(kind), entry.timer.text());
    });
    call.on("error", (error) => {
      entry.error = error;
      if (call.isClosed()) finish(entry);
      else if (current === entry) show("error", error.message);
    });
    call.on("end", () => finish(entry));
  }

  let last = null; // the call whose outcome the status line shows

  function finish(entry, error = entry.error) {
    if (entry.done) {
      // The SDK may report why a call failed just after it hung up.
      if (error && last === entry && !current) show("error", error.message);
      return;
    }
    entry.done = true;
    last = entry;
    const duration = entry.timer?.stop() ?? "";
    if (current === entry) current = null;
    setBusy(false);
    if (error) show("error", error.message);
    else show("ended", duration && entry.accepted ? `Call ended (${duration})` : "Call ended");
  }

  // The device cannot reach the service while a call is still being set
  // up: the SDK would keep retrying in silence, so give up and say why.
  line.on("error", (error) => {
    const entry = current;
    if (!entry || entry.accepted || !GIVE_UP.has(error.kind)) return;
    entry.error = error;
    entry.call?.hangUp();
    finish(entry);
  });

  callButton.addEventListener("click", () => {
    const ref = card.dataset.ticketRef;
    start("call", ref ? { ticketRef: ref } : {});
  });
  testButton?.addEventListener("click", () => start("test", { soundCheck: "1" }));
  hangUpButton.addEventListener("click", () => {
    const entry = current;
    if (!entry) return;
    if (entry.call) entry.call.hangUp();
    else finish(entry); // still fetching a token: just stop
  });
}
