//go:build windows

package main

import (
	"image"
	"syscall"
	"unsafe"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver"
)

var (
	user32            = syscall.NewLazyDLL("user32.dll")
	procGetWindowRect = user32.NewProc("GetWindowRect")
	procSetWindowPos  = user32.NewProc("SetWindowPos")
	procShowWindow    = user32.NewProc("ShowWindow")
	procIsZoomed      = user32.NewProc("IsZoomed")
)

const (
	swpNoSize     = 0x0001
	swpNoZOrder   = 0x0004
	swpNoActivate = 0x0010
	swMaximize    = 3
)

type rect struct{ Left, Top, Right, Bottom int32 }

func hwnd(w fyne.Window) uintptr {
	var h uintptr
	if nw, ok := w.(driver.NativeWindow); ok {
		nw.RunNative(func(ctx any) {
			if c, ok := ctx.(driver.WindowsWindowContext); ok {
				h = c.HWND
			}
		})
	}
	return h
}

// windowPos is the outer (framed) window's top-left corner.
func windowPos(w fyne.Window) (image.Point, bool) {
	h := hwnd(w)
	if h == 0 {
		return image.Point{}, false
	}
	var r rect
	if ok, _, _ := procGetWindowRect.Call(h, uintptr(unsafe.Pointer(&r))); ok == 0 {
		return image.Point{}, false
	}
	return image.Pt(int(r.Left), int(r.Top)), true
}

func setWindowPos(w fyne.Window, p image.Point) {
	if h := hwnd(w); h != 0 {
		procSetWindowPos.Call(h, 0, uintptr(int32(p.X)), uintptr(int32(p.Y)), 0, 0, swpNoSize|swpNoZOrder|swpNoActivate)
	}
}

func maximizeWindow(w fyne.Window) {
	if h := hwnd(w); h != 0 {
		procShowWindow.Call(h, swMaximize)
	}
}

func windowMaximized(w fyne.Window) bool {
	h := hwnd(w)
	if h == 0 {
		return false
	}
	r, _, _ := procIsZoomed.Call(h)
	return r != 0
}
