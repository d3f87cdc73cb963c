// The agents' softphone (#softphone on the dashboard and ticket pages): the
// device registers for incoming calls on load; an incoming customer call
// rings with Accept/Reject; "Call Customer" calls the ticket's number; during
// a call a panel shows who, the number, state and timer, with hang up, mute,
// a DTMF keypad and speaker/microphone choice. The markup is in the page
// (views/layout.html, "softphone"); this fills it in with textContent only.

import { live } from "./live.js";
import { CallTracker, VoiceLine, asVoiceError } from "./voice.js";

const DEVICE_TEXT = {
  connecting: "Connecting to the phone service…",
  ready: "Ready for calls",
  offline: "Offline — reconnecting…",
};

const KEYPAD_KEYS = /^[0-9*#]$/;

// How long "Answered by Sam" stays on the banner, and how long after a
// missed call the news of who took it still replaces the notice.
const TAKEN_SHOW_MS = 5_000;
const TAKEN_LATE_MS = 60_000;
// How long the server's word on who is calling stays good for a call
// that starts ringing.
const CALLER_FRESH_MS = 60_000;

export function startAgentPhone(doc, root) {
  const $ = (sel) => root.querySelector(sel);
  const ui = {
    device: $(".device-status"),
    deviceText: $(".device-status-text"),
    notice: $(".softphone-notice"),
    noticeText: $(".softphone-notice-text"),
    noticeDismiss: $(".softphone-notice-dismiss"),
    incoming: $(".incoming-call"),
    incomingTitle: $(".incoming-call-title"),
    incomingActions: $(".incoming-call-actions"),
    incomingFrom: $(".incoming-call-from"),
    incomingTicket: $(".incoming-call-ticket"),
    incomingOpen: $(".incoming-call-open"),
    accept: $(".incoming-accept"),
    reject: $(".incoming-reject"),
    panel: $(".call-panel"),
    who: $(".call-panel-who"),
    ticket: $(".call-panel-ticket"),
    number: $(".call-panel-number"),
    stateText: $(".call-state-text"),
    timer: $(".call-panel-state .call-timer"),
    muted: $(".call-panel-muted"),
    controls: $(".call-controls"),
    mute: $(".call-mute"),
    keypadToggle: $(".call-keypad-toggle"),
    hangUp: $(".call-hangup"),
    keypad: $(".keypad"),
    keypadDisplay: $(".keypad-display"),
    audio: $(".call-audio"),
    speaker: $(".call-audio select[data-audio=output]"),
    microphone: $(".call-audio select[data-audio=input]"),
    dismiss: $(".call-dismiss"),
    addNote: $(".call-add-note"),
    availability: $(".availability-toggle"),
    availabilityText: $(".availability-toggle-text"),
  };
  root.hidden = false;

  const line = new VoiceLine(doc, { incoming: true });
  let ringing = null; // the incoming call waiting for Accept/Reject
  let missed = null; // {callId, at, time}: the last call that rang out here
  // The call in the panel; its entry's returnFocus is where focus goes when it ends.
  const calls = new CallTracker(line, {
    show: setState,
    ended,
    accepted: () => fillAudioDevices(), // labels appear once the microphone is allowed
  });

  // The live dashboard (live.js) reloads the page only while this is false.
  const busyChanged = () => {
    live.setBusy(!!(calls.current || ringing));
    live.setOnCall(!!calls.current);
  };

  // ---- Available / Away -----------------------------------------------------
  // An Away agent's phone stays connected (so calling out works at once)
  // but does not ring: incoming calls are left to the others, never
  // rejected, which would turn the caller away for everyone. The choice
  // outlives a reload; closing every Ringdesk page makes the agent
  // unavailable anyway.

  const AWAY_KEY = "ringdesk.away";
  let away = false;
  try {
    away = localStorage.getItem(AWAY_KEY) === "1";
  } catch {
    // storage refused (private mode): every page starts Available
  }
  function showAway() {
    if (!ui.availability) return;
    ui.availability.setAttribute("aria-pressed", String(!away));
    ui.availability.dataset.state = away ? "away" : "available";
    ui.availabilityText.textContent = away ? "Away" : "Available";
    ui.availability.title = away ? "Away: calls do not ring here. Press to become available." : "Available: customers' calls ring here. Press to go away.";
  }
  ui.availability?.addEventListener("click", () => {
    away = !away;
    try {
      localStorage.setItem(AWAY_KEY, away ? "1" : "0");
    } catch {
      // kept for this page only
    }
    showAway();
    live.setAway(away);
  });
  showAway();
  live.setAway(away);

  // ---- Device status --------------------------------------------------------

  line.on("status", ({ state, error }) => {
    ui.device.dataset.state = state;
    live.setPhoneReady(state === "ready"); // presence: "agents online"
    ui.deviceText.textContent =
      state === "error" ? error.message : state === "offline" && error?.kind === "network" ? "Offline — can't reach the calling service, retrying…" : (DEVICE_TEXT[state] ?? "");
  });
  line.start().catch(() => {}); // the status line says what went wrong

  function notify(text) {
    ui.noticeText.textContent = text;
    ui.notice.hidden = false;
  }
  ui.noticeDismiss?.addEventListener("click", () => {
    ui.notice.hidden = true;
  });

  // ---- Incoming calls -------------------------------------------------------

  line.on("incoming", (call) => {
    if (away) return; // left to the available agents; see "Available / Away"
    if (calls.current || ringing) {
      call.reject(); // the SDK already ignores calls while busy; be sure
      return;
    }
    ringing = call;
    busyChanged();
    const p = call.params;
    resetBanner();
    ui.incomingFrom.textContent = p.customerName ? `${p.customerName} — on the website` : "Customer on the website";
    setTicketLink(ui.incomingTicket, p.ticketId, p.ticketNumber);
    identify(call);
    ui.incoming.hidden = false;
    call.on("end", (reason) => {
      if (ringing !== call) return;
      ringing = null;
      busyChanged();
      ui.incoming.hidden = true;
      if (reason === "reject") return;
      // Another agent's answer may be on its way over the live stream.
      missed = { callId: call.callId, at: Date.now(), time: clock() };
      if (reason === "cancel") notify(`Missed call from a customer on the website at ${missed.time}`);
    });
  });

  // Another agent answered a call: stop ringing here and say who took it.
  let takenTimer = 0;
  live.on("taken", ({ callId, agent, mine }) => {
    const who = mine ? "you in another tab" : agent || "another agent";
    if (ringing && ringing.callId === callId) {
      const call = ringing;
      ringing = null;
      busyChanged();
      call.ignore(); // stop ringing here; rejecting would refuse it for everyone
      const focusOnBanner = ui.incoming.contains(doc.activeElement);
      ui.incoming.dataset.state = "taken";
      ui.incomingTitle.textContent = `Answered by ${who}`;
      ui.incomingActions.hidden = true;
      if (focusOnBanner) doc.getElementById("main")?.focus({ preventScroll: true });
      clearTimeout(takenTimer);
      takenTimer = setTimeout(() => {
        if (ui.incoming.dataset.state === "taken") ui.incoming.hidden = true;
        resetBanner();
      }, TAKEN_SHOW_MS);
    } else if (missed && missed.callId === callId && Date.now() - missed.at < TAKEN_LATE_MS) {
      // The provider said "cancelled" first; this is who took it.
      notify(`Call at ${missed.time} answered by ${who}`);
      missed = null;
    }
  });

  // ---- Who is calling ---------------------------------------------------------

  // The server says who is on each customer call that starts ringing the
  // agents ("caller" events): the ticket a website caller opened, a phone
  // caller's tickets, or nobody known. The ringing call is matched by who
  // placed it, as the provider names them to both.
  const callers = new Map(); // caller key -> {info, at}
  live.on("caller", (info) => {
    callers.set(callerKey(info.from), { info, at: Date.now() });
    if (ringing && callerKey(ringing.from) === callerKey(info.from)) identify(ringing);
  });

  function identify(call) {
    const known = callers.get(callerKey(call.from));
    if (!known || Date.now() - known.at > CALLER_FRESH_MS) return;
    const { ticket, matches, number, numberDisplay } = known.info;
    const shown = numberDisplay || number || "";
    ui.incomingOpen.hidden = true;
    if (ticket) {
      ui.incomingFrom.textContent = shown ? `${ticket.name} — ${shown}` : `${ticket.name} — on the website`;
      setTicketLink(ui.incomingTicket, ticket.id, ticket.number);
    } else if (Array.isArray(matches) && matches.length > 0) {
      const latest = matches[0];
      const more = matches.length > 1 ? ` (${matches.length} tickets)` : "";
      ui.incomingFrom.textContent = `${latest.name} — ${shown}${more}`;
      setTicketLink(ui.incomingTicket, latest.id, latest.number);
    } else if (number) {
      ui.incomingFrom.textContent = `Unknown caller ${shown}`;
      ui.incomingOpen.hidden = false;
      ui.incomingOpen.dataset.phone = number;
    }
    call.params = { ...call.params, ticketId: ticket?.id ?? matches?.[0]?.id, ticketNumber: ticket?.number ?? matches?.[0]?.number,
      customerName: ticket?.name ?? matches?.[0]?.name ?? (number ? `Caller ${shown}` : call.params.customerName) };
  }

  // "Open a ticket for this caller": made without leaving the page, which
  // would drop the call; the banner and the call then link to it.
  ui.incomingOpen?.addEventListener("click", async () => {
    const phone = ui.incomingOpen.dataset.phone ?? "";
    ui.incomingOpen.disabled = true;
    try {
      const res = await fetch("/calls/caller-ticket", {
        method: "POST",
        credentials: "same-origin",
        headers: { "Content-Type": "application/x-www-form-urlencoded", Accept: "application/json" },
        body: new URLSearchParams({ phone }),
      });
      if (!res.ok) throw new Error(`POST /calls/caller-ticket: ${res.status}`);
      const t = await res.json();
      ui.incomingOpen.hidden = true;
      setTicketLink(ui.incomingTicket, t.id, t.number);
      setTicketLink(ui.ticket, t.id, t.number);
      if (ringing) ringing.params = { ...ringing.params, ticketId: t.id, ticketNumber: t.number };
      if (calls.current) calls.current.ticketId = t.id;
    } catch (err) {
      console.warn("ringdesk: open a ticket for the caller", err);
      notify("The ticket could not be opened. Please try again.");
    } finally {
      ui.incomingOpen.disabled = false;
    }
  });

  function resetBanner() {
    clearTimeout(takenTimer);
    delete ui.incoming.dataset.state;
    ui.incomingTitle.textContent = "Incoming call";
    ui.incomingActions.hidden = false;
  }

  ui.accept.addEventListener("click", () => {
    const call = ringing;
    if (!call) return;
    ringing = null;
    ui.incoming.hidden = true;
    const p = call.params;
    call.on("accept", () => live.callTaken(call.callId)); // the others stop ringing
    begin(call, {
      who: p.customerName || "Customer",
      number: "On the website",
      ticketId: p.ticketId,
      ticketNumber: p.ticketNumber,
      state: "Connecting…",
    });
    call.accept();
  });

  ui.reject.addEventListener("click", () => {
    const call = ringing;
    if (!call) return;
    ringing = null;
    busyChanged();
    ui.incoming.hidden = true;
    call.reject();
  });

  // ---- Outgoing calls -------------------------------------------------------

  doc.addEventListener("click", async (event) => {
    const button = event.target instanceof Element ? event.target.closest(".call-customer") : null;
    if (!button || button.disabled || calls.current) return;
    const d = button.dataset;
    const entry = show({
      who: d.ticketName || "Customer",
      number: d.phoneDisplay || d.phone,
      ticketId: d.ticketId,
      ticketNumber: d.ticketNumber,
      state: "Connecting…",
      returnFocus: button,
    });
    let call;
    try {
      call = await line.call({ ticketId: d.ticketId, phoneNumber: d.phone });
    } catch (err) {
      calls.finish(entry, asVoiceError(err));
      return;
    }
    if (calls.current !== entry) {
      call.hangUp(); // hung up before the call was placed
      return;
    }
    calls.attach(entry, call);
  });

  // ---- The in-call panel ----------------------------------------------------

  // Shows the panel for a new call and returns its entry.
  function show({ who, number, ticketId, ticketNumber, state, returnFocus = null }) {
    const entry = calls.open("In call", { returnFocus });
    entry.ticketId = ticketId;
    ui.addNote.hidden = true;
    busyChanged();
    ui.who.textContent = who;
    ui.number.textContent = number || "";
    ui.number.hidden = !number;
    setTicketLink(ui.ticket, ticketId, ticketNumber);
    setState("connecting", state);
    setMuted(false);
    openKeypad(false);
    ui.keypadDisplay.textContent = "";
    ui.controls.hidden = false;
    ui.dismiss.hidden = true;
    ui.panel.hidden = false;
    fillAudioDevices();
    setCallButtons(true);
    ui.hangUp.focus();
    return entry;
  }

  function begin(call, details) {
    calls.attach(show(details), call);
  }

  // The call is over: the panel keeps its outcome until dismissed.
  function ended(entry, state, text) {
    busyChanged();
    const focusInPanel = ui.panel.contains(doc.activeElement);
    setState(state, text);
    ui.controls.hidden = true;
    ui.audio.hidden = true;
    openKeypad(false);
    ui.muted.hidden = true;
    ui.dismiss.hidden = false;
    // After the call, a note on its ticket is one click away.
    if (typeof entry.ticketId === "string" && /^[0-9a-f]{24}$/.test(entry.ticketId)) {
      ui.addNote.href = `/tickets/${entry.ticketId}#note-form`;
      ui.addNote.hidden = false;
    }
    setCallButtons(false);
    if (focusInPanel) (entry.returnFocus?.isConnected ? entry.returnFocus : ui.dismiss).focus();
  }

  function setState(state, text, timer = "") {
    ui.panel.dataset.state = state;
    ui.stateText.textContent = text;
    ui.timer.textContent = timer;
    ui.timer.hidden = !timer;
  }

  ui.hangUp.addEventListener("click", () => {
    const entry = calls.current;
    if (!entry) return;
    if (entry.call) entry.call.hangUp();
    else calls.finish(entry); // still connecting to the service: just stop
  });

  ui.dismiss.addEventListener("click", () => {
    if (calls.current) return;
    ui.panel.hidden = true;
    calls.last = null;
  });

  // ---- Mute and keypad ------------------------------------------------------

  function setMuted(muted) {
    ui.mute.setAttribute("aria-pressed", String(muted));
    ui.muted.hidden = !muted;
  }

  ui.mute.addEventListener("click", () => {
    const call = calls.current?.call;
    if (!call) return;
    const muted = ui.mute.getAttribute("aria-pressed") !== "true";
    call.mute(muted);
    setMuted(muted);
  });

  function openKeypad(open) {
    ui.keypad.hidden = !open;
    ui.keypadToggle.setAttribute("aria-expanded", String(open));
  }

  ui.keypadToggle.addEventListener("click", () => {
    openKeypad(ui.keypad.hidden);
  });

  function sendDigit(digit) {
    const call = calls.current?.call;
    if (!call || !KEYPAD_KEYS.test(digit)) return;
    call.sendDigits(digit);
    ui.keypadDisplay.textContent = (ui.keypadDisplay.textContent + digit).slice(-24);
  }

  ui.keypad.addEventListener("click", (event) => {
    const key = event.target instanceof Element ? event.target.closest("[data-digit]") : null;
    if (key) sendDigit(key.dataset.digit);
  });

  // With the keypad open, typing 0-9, * or # anywhere in the panel sends it.
  ui.panel.addEventListener("keydown", (event) => {
    if (ui.keypad.hidden || event.ctrlKey || event.metaKey || event.altKey) return;
    if (!KEYPAD_KEYS.test(event.key)) return;
    if (event.target instanceof Element && event.target.closest("select, input, textarea")) return;
    event.preventDefault();
    sendDigit(event.key);
  });

  // ---- Speaker and microphone -----------------------------------------------

  function fillAudioDevices() {
    const audio = line.phone?.audio;
    if (!audio) {
      ui.audio.hidden = true;
      return;
    }
    const outputs = audio.canPickOutput ? audio.outputs() : [];
    const inputs = audio.inputs();
    fillSelect(ui.speaker, outputs, audio.currentOutput(), "Speaker");
    fillSelect(ui.microphone, inputs, audio.currentInput(), "Microphone");
    ui.audio.hidden = outputs.length === 0 && inputs.length === 0;
  }

  ui.speaker.addEventListener("change", () => {
    line.phone?.audio?.setOutput(ui.speaker.value).catch((err) => console.warn("ringdesk: speaker", err));
  });
  ui.microphone.addEventListener("change", () => {
    line.phone?.audio?.setInput(ui.microphone.value).catch((err) => console.warn("ringdesk: microphone", err));
  });
  let audioWatched = false;
  line.on("status", ({ state }) => {
    if (state === "ready" && !audioWatched && line.phone?.audio) {
      audioWatched = true;
      line.phone.audio.onChange(fillAudioDevices);
    }
  });

  // A card that arrived over the live stream during a call: its button
  // waits for the call to end like the others.
  live.on("card", (card) => {
    if (calls.current) setCallButtons(true, card);
  });

  // ---- Helpers --------------------------------------------------------------

  function setCallButtons(disabled, root = doc) {
    for (const button of root.querySelectorAll(".call-customer")) {
      if (disabled && !button.disabled) {
        button.disabled = true;
        button.dataset.callBusy = "";
      } else if (!disabled && "callBusy" in button.dataset) {
        button.disabled = false;
        delete button.dataset.callBusy;
      }
    }
  }
}

// Shows "Ticket #1042" linking to the ticket, or hides el without a ticket.
// callerKey writes who placed a call the same way for both sides: the
// providers name a website caller "client:customer" or "customer", and a
// phone by its number, with or without "+".
function callerKey(from) {
  const s = String(from ?? "").replace(/^client:/, "");
  return /^\d{7,15}$/.test(s) ? `+${s}` : s;
}

function setTicketLink(el, ticketId, ticketNumber) {
  const link = el.querySelector("a");
  const ok = typeof ticketId === "string" && /^[0-9a-f]{24}$/.test(ticketId);
  el.hidden = !ok;
  if (!ok) return;
  link.href = `/tickets/${ticketId}`;
  link.textContent = ticketNumber ? `Ticket #${ticketNumber}` : "Open the ticket";
}

// Each select keeps the chosen device; an unnamed device (no permission yet)
// gets a numbered name.
function fillSelect(select, devices, currentId, noun) {
  const field = select.closest(".field") ?? select;
  field.hidden = devices.length === 0;
  const chosen = select.value || currentId;
  select.replaceChildren(
    ...devices.map((d, i) => {
      const option = document.createElement("option");
      option.value = d.id;
      option.textContent = d.label || (d.id === "default" ? `Default ${noun.toLowerCase()}` : `${noun} ${i + 1}`);
      return option;
    }),
  );
  if (devices.some((d) => d.id === chosen)) select.value = chosen;
}

function clock() {
  return new Date().toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" });
}
