// Browser calling on Ringdesk's pages. The home page gets the customer's
// "Call support" card; agents' pages (dashboard, ticket) get the softphone
// in #softphone (agent-phone.js). Both talk to the provider through
// voice.js, never to an SDK directly.

import { startAgentPhone } from "./agent-phone.js";
import { CallTracker, VoiceLine, asVoiceError } from "./voice.js";

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

  const calls = new CallTracker(line, {
    show,
    ended(entry, state, text) {
      setBusy(false);
      show(state, text);
    },
  });

  const talkingLabel = (kind) => (kind === "test" ? "Audio test — you should hear yourself" : "In call");

  async function start(kind, params) {
    if (calls.current) return;
    const entry = calls.open(talkingLabel(kind));
    setBusy(true);
    show("connecting", "Connecting…");
    let call;
    try {
      call = await line.call(params);
    } catch (err) {
      calls.finish(entry, asVoiceError(err));
      return;
    }
    if (calls.current !== entry) {
      call.hangUp(); // hung up while connecting
      return;
    }
    calls.attach(entry, call);
  }

  callButton.addEventListener("click", () => {
    const ref = card.dataset.ticketRef;
    start("call", ref ? { ticketRef: ref } : {});
  });
  testButton?.addEventListener("click", () => start("test", { soundCheck: "1" }));
  hangUpButton.addEventListener("click", () => {
    const entry = calls.current;
    if (!entry) return;
    if (entry.call) entry.call.hangUp();
    else calls.finish(entry); // still fetching a token: just stop
  });
}
