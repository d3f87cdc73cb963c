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

const features = [refreshRelativeTimes, guardDoubleSubmit, startSoftphone, startLive];

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

// ---- Relative times ---------------------------------------------------------

const TIME_REFRESH_MS = 30_000;

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;

/**
 * Says how long ago `then` was, the same way the server does
 * (handlers/views.go relativeTime), so the text does not jump on load.
 * @param {Date} then
 * @param {Date} [now]
 * @returns {string}
 */
export function relativeTime(then, now = new Date()) {
  const d = now.getTime() - then.getTime();
  const plural = (n, unit) => (n === 1 ? `1 ${unit} ago` : `${n} ${unit}s ago`);
  if (d < MINUTE) return "just now"; // also covers a clock that runs behind
  if (d < HOUR) return plural(Math.floor(d / MINUTE), "minute");
  if (d < DAY) return plural(Math.floor(d / HOUR), "hour");
  if (d < 30 * DAY) return plural(Math.floor(d / DAY), "day");
  if (d < 365 * DAY) return plural(Math.floor(d / (30 * DAY)), "month");
  return plural(Math.floor(d / (365 * DAY)), "year");
}

function updateTimes(root) {
  const now = new Date();
  for (const el of root.querySelectorAll("time[datetime]")) {
    const then = new Date(el.getAttribute("datetime"));
    if (Number.isNaN(then.getTime())) continue;
    const text = relativeTime(then, now);
    if (el.textContent !== text) el.textContent = text;
  }
}

function refreshRelativeTimes(doc) {
  updateTimes(doc);
  setInterval(() => updateTimes(doc), TIME_REFRESH_MS);
  // Timers are throttled in background tabs; catch up when the tab returns.
  doc.addEventListener("visibilitychange", () => {
    if (doc.visibilityState === "visible") updateTimes(doc);
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
