#!/usr/bin/env bash
# Fill public/vendor with the browser SDKs pinned in package-lock.json, their
# licences, and the softphone's sounds. Go embeds public/vendor, so run this
# before `go build` (make does). Idempotent: npm runs only when node_modules
# is missing or older than package-lock.json.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v npm >/dev/null || { echo "vendor: npm is missing: install Node.js 18+ and npm" >&2; exit 1; }

# npm writes node_modules/.package-lock.json on every install, so its age is
# the age of node_modules.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund
fi

out=public/vendor
twilio=node_modules/@twilio/voice-sdk
vonage=node_modules/@vonage/client-sdk
mkdir -p "$out/sounds" "$out/licenses"

# Twilio Voice JS SDK 2.x: the self-contained browser bundle; it defines
# window.Twilio.Device.
install -m 0644 "$twilio/dist/twilio.min.js" "$out/twilio.min.js"
install -m 0644 "$twilio/LICENSE.md" "$out/licenses/twilio-voice-sdk.md"

# Vonage Client SDK: the UMD build; it defines window.vonageClientSDK.
install -m 0644 "$vonage/dist/vonageClientSDK.min.js" "$out/vonage-client-sdk.js"
install -m 0644 "$vonage/LICENSE" "$out/licenses/vonage-client-sdk.md"

# Twilio's npm package ships no sound files (the SDK would fetch them from
# Twilio's CDN), so the ringtone and tones are made here and served locally.
node scripts/sounds.mjs "$out/sounds"

echo "vendor: public/vendor filled (twilio $(node -p "require('./$twilio/package.json').version"), vonage $(node -p "require('./$vonage/package.json').version"))"
