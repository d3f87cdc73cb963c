// Package public holds the static assets served under /static/, embedded into the binary.
package public

import "embed"

// FS holds the stylesheets and the browser ES modules.
//
//go:embed css js
var FS embed.FS
