// Writes the softphone's sounds as small WAV files: the ringtone for
// incoming calls, the connect and hang-up chimes, and the twelve DTMF keypad
// tones. The Twilio SDK plays them through its `sounds` option, so the
// browser never fetches audio from a third-party CDN.
//
// Usage: node scripts/sounds.mjs OUT_DIR
// The output is the same on every run (pure synthesis, no randomness).

import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

const RATE = 16_000; // Hz; plenty for tones below 1.5 kHz, and small files
const FADE = 0.008; // seconds of fade in/out on every tone, so nothing clicks

// A tone: frequencies summed, over `dur` seconds, at `gain` (0..1), with an
// optional exponential decay (per second) for a softer, bell-like note.
function tone(freqs, dur, gain = 0.5, decay = 0) {
  const n = Math.round(dur * RATE);
  const fade = Math.round(FADE * RATE);
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    const t = i / RATE;
    let v = 0;
    for (const f of freqs) v += Math.sin(2 * Math.PI * f * t);
    v /= freqs.length;
    const edge = Math.min(1, i / fade, (n - 1 - i) / fade);
    out[i] = v * gain * edge * Math.exp(-decay * t);
  }
  return out;
}

function silence(dur) {
  return new Float32Array(Math.round(dur * RATE));
}

function concat(...parts) {
  const out = new Float32Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

// 16-bit mono PCM WAV.
function wav(samples) {
  const data = Buffer.alloc(samples.length * 2);
  samples.forEach((s, i) => data.writeInt16LE(Math.round(Math.max(-1, Math.min(1, s)) * 32767), i * 2));
  const head = Buffer.alloc(44);
  head.write("RIFF", 0, "ascii");
  head.writeUInt32LE(36 + data.length, 4);
  head.write("WAVE", 8, "ascii");
  head.write("fmt ", 12, "ascii");
  head.writeUInt32LE(16, 16); // fmt chunk size
  head.writeUInt16LE(1, 20); // PCM
  head.writeUInt16LE(1, 22); // mono
  head.writeUInt32LE(RATE, 24);
  head.writeUInt32LE(RATE * 2, 28); // byte rate
  head.writeUInt16LE(2, 32); // block align
  head.writeUInt16LE(16, 34); // bits per sample
  head.write("data", 36, "ascii");
  head.writeUInt32LE(data.length, 40);
  return Buffer.concat([head, data]);
}

// Keypad tones use the standard DTMF row and column frequencies.
const ROWS = [697, 770, 852, 941];
const COLS = [1209, 1336, 1477];
const KEYS = ["123", "456", "789", "*0#"];
const DTMF_NAMES = { "*": "dtmf-star", "#": "dtmf-hash" };

const sounds = {
  // A double ring (0.4 s on, 0.2 s off, 0.4 s on, 2 s off); the SDK loops it.
  incoming: concat(
    tone([400, 450], 0.4, 0.45), silence(0.2),
    tone([400, 450], 0.4, 0.45), silence(2.0),
  ),
  // Two rising notes when a call starts connecting.
  outgoing: concat(tone([523.25], 0.16, 0.35, 6), tone([659.25], 0.3, 0.35, 6), silence(0.05)),
  // Three falling notes when a call ends.
  disconnect: concat(
    tone([659.25], 0.12, 0.35, 8), silence(0.04),
    tone([523.25], 0.12, 0.35, 8), silence(0.04),
    tone([392.0], 0.25, 0.35, 8),
  ),
};
KEYS.forEach((row, r) => {
  [...row].forEach((key, c) => {
    sounds[DTMF_NAMES[key] || `dtmf-${key}`] = tone([ROWS[r], COLS[c]], 0.15, 0.4);
  });
});

const dir = process.argv[2];
if (!dir) {
  console.error("usage: node scripts/sounds.mjs OUT_DIR");
  process.exit(2);
}
mkdirSync(dir, { recursive: true });
for (const [name, samples] of Object.entries(sounds)) {
  writeFileSync(join(dir, `${name}.wav`), wav(samples));
}
