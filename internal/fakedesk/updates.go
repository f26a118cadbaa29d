package fakedesk

import (
	"sync"

	"github.com/streetdesk/streetdesk"
)

// Updates implements streetdesk.Updates; tests set its status.
type Updates struct {
	mu        sync.Mutex
	st        streetdesk.UpdateStatus
	ch        chan struct{}
	downloads int
}

// NewUpdates returns an update notice with nothing known.
func NewUpdates() *Updates { return &Updates{ch: make(chan struct{})} }

// Updates returns the update notice given in Options (or nil).
func (d *Desk) Updates() streetdesk.Updates { return d.updates }

// Status implements streetdesk.Updates.
func (u *Updates) Status() streetdesk.UpdateStatus {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.st
}

// Notify implements streetdesk.Updates.
func (u *Updates) Notify() <-chan struct{} {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.ch
}

// Download implements streetdesk.Updates: it only counts the requests.
func (u *Updates) Download() {
	u.mu.Lock()
	u.downloads++
	u.mu.Unlock()
}

// Downloads is how many downloads were asked for.
func (u *Updates) Downloads() int {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.downloads
}

// Set publishes a status.
func (u *Updates) Set(st streetdesk.UpdateStatus) {
	u.mu.Lock()
	u.st = st
	close(u.ch)
	u.ch = make(chan struct{})
	u.mu.Unlock()
}
