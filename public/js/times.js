// Times on Ringdesk's pages. The server writes each moment (views/layout.html,
// "when") as two <time datetime> elements: how long ago, and when, in UTC,
// since only the browser knows the reader's time zone. showTimes rewrites
// both: "5 minutes ago" from the clock, and the UTC text in the reader's
// own time zone and language. The tooltips keep UTC, the one time everyone
// on a team shares.
//
// Whatever puts server-rendered markup into the page (live.js's cards)
// calls showTimes on it, so new cards read like the rest.

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

// The reader's language and time zone (undefined: the browser's own), with
// the zone's name, so a time is never mistaken for UTC or another office's.
const localFormat = new Intl.DateTimeFormat(undefined, {
  year: "numeric",
  month: "short",
  day: "numeric",
  hour: "2-digit",
  minute: "2-digit",
  timeZoneName: "short",
});

/**
 * `date` as the reader's clock shows it, e.g. "21 Nov 2026, 10:41 CET".
 * @param {Date} date
 * @returns {string}
 */
export function localTime(date) {
  return localFormat.format(date);
}

/**
 * Rewrites every time in root (a document or an element): relative ones
 * (data-relative) from now, absolute ones (data-local) in the reader's
 * time zone. Safe to call again: unchanged text is left alone.
 * @param {ParentNode} root
 * @param {Date} [now]
 */
export function showTimes(root, now = new Date()) {
  for (const el of root.querySelectorAll("time[datetime]")) {
    const then = new Date(el.getAttribute("datetime"));
    if (Number.isNaN(then.getTime())) continue;
    let text;
    if ("relative" in el.dataset) text = relativeTime(then, now);
    else if ("local" in el.dataset) text = localTime(then);
    else continue;
    if (el.textContent !== text) el.textContent = text;
  }
}
