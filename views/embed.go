// Package views holds the html/template pages, embedded into the binary.
package views

import "embed"

// FS holds layout.html and one template file per page.
//
//go:embed *.html
var FS embed.FS
