package fakedesk

import (
	"context"
	"io"
	"maps"
	"os"
	"time"

	streetdesk "github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/evidence"
)

// The evidence services over the in-memory orders, as desk.Service computes
// them over the local store.

// zoneAssumed remembers that a photo's EXIF time had no zone (d.mu held).
func (d *Desk) zoneAssumed(refID string) {
	if d.zones == nil {
		d.zones = map[string]bool{}
	}
	d.zones[refID] = true
}

// facts returns the order's photo facts (d.mu held).
func (d *Desk) facts(id string) (*streetdesk.OrderFacts, error) {
	e, err := d.get(id)
	if err != nil {
		return nil, err
	}
	f := &streetdesk.OrderFacts{Order: e.order, Uses: map[string][]string{}}
	for _, p := range e.photos {
		pf := streetdesk.PhotoFactsOf(p.PhotoRef)
		pf.ZoneAssumed = d.zones[p.ID] && !pf.TakenAt.IsZero()
		f.Photos = append(f.Photos, pf)
		for _, oid := range d.ids {
			if oid == id {
				continue
			}
			for _, q := range d.orders[oid].photos {
				if q.SHA256 == p.SHA256 {
					f.Uses[p.SHA256] = append(f.Uses[p.SHA256], oid)
				}
			}
		}
	}
	return f, nil
}

// resolutionChecks is the checks a resolution sends (d.mu held).
func (d *Desk) resolutionChecks(id string, in streetdesk.ResolveInput) []streetdesk.EvidenceCheck {
	if len(in.PhotoRefIDs) == 0 {
		return nil
	}
	f, err := d.facts(id)
	if err != nil {
		return nil
	}
	cs := streetdesk.ChecksFor(f.Check(d.now(), streetdesk.EvidencePolicy{}), in.PhotoRefIDs)
	return streetdesk.MergeExplanations(cs, in.Evidence)
}

// PhotoEvidence implements streetdesk.EvidenceService.
func (d *Desk) PhotoEvidence(ctx context.Context, orderID string) ([]streetdesk.EvidenceCheck, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	f, err := d.facts(orderID)
	if err != nil {
		return nil, err
	}
	return f.Check(d.now(), streetdesk.EvidencePolicy{}), nil
}

// ResolutionEvidence implements streetdesk.EvidenceService.
func (d *Desk) ResolutionEvidence(ctx context.Context, since time.Time) ([]streetdesk.ResolutionEvidence, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	var out []streetdesk.ResolutionEvidence
	for _, id := range d.ids {
		f, err := d.facts(id)
		if err != nil {
			return nil, err
		}
		for _, r := range d.orders[id].res {
			if r.CreatedAt.Before(since) {
				continue
			}
			rf := streetdesk.ResolutionFacts{OrderFacts: *f, Resolution: r.Resolution}
			out = append(out, rf.Check(streetdesk.EvidencePolicy{}))
		}
	}
	return out, nil
}

// ExportEvidence implements streetdesk.EvidenceService (without an action
// log: the fake keeps none).
func (d *Desk) ExportEvidence(ctx context.Context, orderID string, w io.Writer) (*streetdesk.EvidenceExport, error) {
	det, err := d.Order(ctx, orderID)
	if err != nil {
		return nil, err
	}
	checks, err := d.PhotoEvidence(ctx, orderID)
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	d.Calls["ExportEvidence"]++
	d.mu.Unlock()
	p := &evidence.Package{Order: det.Order, Timeline: det.Timeline, Notes: det.Notes, Resolutions: det.Resolutions, Checks: checks,
		Policy: evidence.PolicyOf(streetdesk.EvidencePolicy{}, det.Order.Category), CreatedBy: d.me, CreatedAt: d.now()}
	d.mu.Lock()
	zones := maps.Clone(d.zones)
	d.mu.Unlock()
	for _, ph := range det.Photos {
		path := ph.Path
		e := evidence.Photo{Ref: ph.PhotoRef, Exif: evidence.Exif{TakenAt: ph.TakenAt, ZoneAssumed: zones[ph.ID] && !ph.TakenAt.IsZero(),
			Lat: ph.Lat, Lng: ph.Lng, HasGPS: ph.Lat != 0 || ph.Lng != 0, Width: ph.Width, Height: ph.Height}}
		if path != "" {
			e.Open = func() (io.ReadCloser, error) { return os.Open(path) }
		}
		p.Photos = append(p.Photos, e)
	}
	wr, err := evidence.Write(w, p)
	if err != nil {
		return nil, err
	}
	return &streetdesk.EvidenceExport{OrderID: orderID, ManifestSHA256: wr.ManifestSHA256, Files: len(wr.Manifest.Files),
		Photos: wr.Photos, MissingPhotos: wr.MissingPhotos, Warnings: streetdesk.Warnings(checks)}, nil
}
