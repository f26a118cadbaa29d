//go:build (linux || freebsd) && !wayland

package main

/*
#cgo LDFLAGS: -lX11
#include <stdlib.h>
#include <X11/Xlib.h>
#include <X11/Xatom.h>

// The window's content position on the root window: what GLFW reports too.
static int sd_get_pos(unsigned long win, int *x, int *y) {
	Display *d = XOpenDisplay(NULL);
	if (!d) return 0;
	Window child;
	int ok = XTranslateCoordinates(d, (Window)win, DefaultRootWindow(d), 0, 0, x, y, &child);
	XCloseDisplay(d);
	return ok;
}

// GLFW gives its windows static gravity, so the content lands at (x, y)
// whatever the window manager's frame.
static int sd_set_pos(unsigned long win, int x, int y) {
	Display *d = XOpenDisplay(NULL);
	if (!d) return 0;
	XMoveWindow(d, (Window)win, x, y);
	XFlush(d);
	XCloseDisplay(d);
	return 1;
}

// Asks the window manager to maximize (EWMH); without one nothing happens.
static void sd_maximize(unsigned long win) {
	Display *d = XOpenDisplay(NULL);
	if (!d) return;
	XEvent ev = {0};
	ev.xclient.type = ClientMessage;
	ev.xclient.window = (Window)win;
	ev.xclient.message_type = XInternAtom(d, "_NET_WM_STATE", False);
	ev.xclient.format = 32;
	ev.xclient.data.l[0] = 1; // _NET_WM_STATE_ADD
	ev.xclient.data.l[1] = XInternAtom(d, "_NET_WM_STATE_MAXIMIZED_VERT", False);
	ev.xclient.data.l[2] = XInternAtom(d, "_NET_WM_STATE_MAXIMIZED_HORZ", False);
	ev.xclient.data.l[3] = 1; // a normal application
	XSendEvent(d, DefaultRootWindow(d), False, SubstructureRedirectMask | SubstructureNotifyMask, &ev);
	XFlush(d);
	XCloseDisplay(d);
}

static int sd_maximized(unsigned long win) {
	Display *d = XOpenDisplay(NULL);
	if (!d) return 0;
	Atom state = XInternAtom(d, "_NET_WM_STATE", False);
	Atom vert = XInternAtom(d, "_NET_WM_STATE_MAXIMIZED_VERT", False);
	Atom type; int format; unsigned long n, after; unsigned char *data = NULL;
	int found = 0;
	if (XGetWindowProperty(d, (Window)win, state, 0, 64, False, XA_ATOM, &type, &format, &n, &after, &data) == Success && data) {
		Atom *atoms = (Atom *)data;
		for (unsigned long i = 0; i < n; i++) if (atoms[i] == vert) found = 1;
		XFree(data);
	}
	XCloseDisplay(d);
	return found;
}
*/
import "C"

import (
	"image"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/driver"
)

// x11Window is w's X11 window id, 0 when it has none (not shown yet).
func x11Window(w fyne.Window) C.ulong {
	var id uintptr
	if nw, ok := w.(driver.NativeWindow); ok {
		nw.RunNative(func(ctx any) {
			if c, ok := ctx.(driver.X11WindowContext); ok {
				id = c.WindowHandle
			}
		})
	}
	return C.ulong(id)
}

func windowPos(w fyne.Window) (image.Point, bool) {
	id := x11Window(w)
	if id == 0 {
		return image.Point{}, false
	}
	var x, y C.int
	if C.sd_get_pos(id, &x, &y) == 0 {
		return image.Point{}, false
	}
	return image.Pt(int(x), int(y)), true
}

func setWindowPos(w fyne.Window, p image.Point) {
	if id := x11Window(w); id != 0 {
		C.sd_set_pos(id, C.int(p.X), C.int(p.Y))
	}
}

func maximizeWindow(w fyne.Window) {
	if id := x11Window(w); id != 0 {
		C.sd_maximize(id)
	}
}

func windowMaximized(w fyne.Window) bool {
	id := x11Window(w)
	return id != 0 && C.sd_maximized(id) != 0
}
