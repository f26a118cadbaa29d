// Package assets holds the files compiled into the binaries: the app icon.
package assets

import (
	_ "embed"
)

// Icon is the StreetDesk icon (512×512 PNG).
//
//go:embed icon.png
var Icon []byte
