// Ringdesk front end: small enhancements on top of pages that work without
// JavaScript. Each feature is a function that takes the document and wires
// its own event listeners; start() runs them all once the DOM is ready.
//
// To add a feature, write it in its own module and add it to `features`.
//
// House rules: listeners only (no inline handlers), and text goes into the
// page through textContent, never innerHTML. (The one exception is live.js,
// which turns the server's own rendered ticket cards into nodes.)

import { startLive } from "./live.js";
import { startSoftphone } from "./softphone.js";
import { showTimes } from "./times.js";

const features = [refreshTimes, guardDoubleSubmit, startSoftphone, startLive];

function start() {
  for (const feature of features) {
    try {
      feature(document);
    } catch (err) {
      // One broken feature must not take the others down with it.
      console.error(`ringdesk: ${feature.name} failed`, err);
    }
  }
}

// ---- Times ------------------------------------------------------------------

const TIME_REFRESH_MS = 30_000;

// Local times once, and "5 minutes ago" kept current (times.js).
function refreshTimes(doc) {
  showTimes(doc);
  setInterval(() => showTimes(doc), TIME_REFRESH_MS);
  // Timers are throttled in background tabs; catch up when the tab returns.
  doc.addEventListener("visibilitychange", () => {
    if (doc.visibilityState === "visible") showTimes(doc);
  });
}

// ---- Double-submit guard ----------------------------------------------------

// Long enough to swallow a double click, short enough that someone whose
// request stalled can try again. Ticket posts carry a nonce, so a retry
// never creates a second ticket.
const BUSY_MS = 10_000;

const busyTimers = new WeakMap(); // form -> timeout that clears its busy state

function submitButtons(form) {
  return Array.from(form.elements).filter(
    (el) => (el instanceof HTMLButtonElement || el instanceof HTMLInputElement) &&
      (el.type === "submit" || el.type === "image"),
  );
}

function setBusy(form) {
  form.setAttribute("aria-busy", "true");
  // Disable after the browser has built the form data, so a named submit
  // button still sends its value.
  setTimeout(() => {
    for (const button of submitButtons(form)) {
      if (button.disabled) continue; // disabled on purpose; leave it alone
      button.disabled = true;
      button.dataset.busyDisabled = "";
    }
  }, 0);
  busyTimers.set(form, setTimeout(() => clearBusy(form), BUSY_MS));
}

function clearBusy(form) {
  clearTimeout(busyTimers.get(form));
  busyTimers.delete(form);
  form.removeAttribute("aria-busy");
  for (const button of submitButtons(form)) {
    if (!("busyDisabled" in button.dataset)) continue;
    button.disabled = false;
    delete button.dataset.busyDisabled;
  }
}

function guardDoubleSubmit(doc) {
  doc.addEventListener("submit", (event) => {
    const form = event.target;
    if (!(form instanceof HTMLFormElement)) return;
    // Another script handled this submit itself; not ours to guard.
    if (event.defaultPrevented) return;
    if (form.getAttribute("aria-busy") === "true") {
      event.preventDefault();
      return;
    }
    setBusy(form);
  });

  // Coming back with the Back button may restore the page as we left it,
  // busy buttons and all.
  window.addEventListener("pageshow", () => {
    for (const form of doc.querySelectorAll('form[aria-busy="true"]')) clearBusy(form);
  });
}

// ---- Start ------------------------------------------------------------------

if (document.readyState === "loading") {
  document.addEventListener("DOMContentLoaded", start, { once: true });
} else {
  start();
}
