//go:build !windows && !((linux || freebsd) && !wayland)

package main

import (
	"image"

	"fyne.io/fyne/v2"
)

// Elsewhere (Wayland, macOS) the system places windows; only the size is
// remembered.

func windowPos(fyne.Window) (image.Point, bool) { return image.Point{}, false }
func setWindowPos(fyne.Window, image.Point)     {}
func maximizeWindow(fyne.Window)                {}
func windowMaximized(fyne.Window) bool          { return false }
