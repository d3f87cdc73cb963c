// Package public holds the static assets served under /static/, embedded into the binary.
package public

import "embed"

// FS holds the stylesheets, the browser ES modules, and vendor/: the calling
// SDKs, their licences and the softphone's sounds, copied in from npm by
// scripts/vendor.sh (make vendor). A checkout without that step still builds;
// vendor/ then holds only .gitkeep and calling reports the SDK as missing.
//
//go:embed css js all:vendor
var FS embed.FS
