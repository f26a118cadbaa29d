package fakedesk

import (
	"slices"

	streetdesk "github.com/streetdesk/streetdesk"
)

// Helpers for the team lead's screens: an exact roster, an exact
// set of orders, and caseworkers' resolutions waiting for review.

// SetTeam replaces the signed-in user's team and its roster.
func (d *Desk) SetTeam(t streetdesk.Team) {
	d.mu.Lock()
	defer d.mu.Unlock()
	t.Members = slices.Clone(t.Members)
	d.team = t
}

// ClearOrders removes every order (and its local work), for tests that
// build an exact fixture with AddOrder.
func (d *Desk) ClearOrders() {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.orders = map[string]*entry{}
	d.ids = nil
}

// AddResolution records a resolution already on the platform (as a pull
// would bring it), e.g. a caseworker's submission waiting for the lead.
func (d *Desk) AddResolution(id string, r streetdesk.Resolution) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	e, err := d.get(id)
	if err != nil {
		return err
	}
	r.WorkOrderID = id
	e.res = append(e.res, streetdesk.LocalResolution{Resolution: r, Sync: streetdesk.SyncSynced})
	return nil
}

// AddPhoto records a photo already on the platform (as a pull would bring
// it), e.g. one a caseworker sent with a resolution waiting for review.
func (d *Desk) AddPhoto(id string, p streetdesk.LocalPhoto) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	e, err := d.get(id)
	if err != nil {
		return err
	}
	p.WorkOrderID = id
	if p.Thumbnail == "" {
		p.Thumbnail = p.Path
	}
	e.photos = append(e.photos, p)
	return nil
}

// Revoke plays a pull that took the order away (reassigned or cancelled
// while this user worked on it): it stays, read only, with its local work
// and the store's note.
func (d *Desk) Revoke(id string, note streetdesk.Message) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	e, err := d.get(id)
	if err != nil {
		return err
	}
	e.revoked, e.revokeNote = true, note
	return nil
}
