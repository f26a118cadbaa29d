package desk

import (
	"context"
	"io"
	"os"
	"time"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/evidence"
)

// EvidenceStore is what the evidence services read from the local store
// (localdb.DB implements it).
type EvidenceStore interface {
	OrderFacts(ctx context.Context, orderID string) (*streetdesk.OrderFacts, error)
	ResolutionFacts(ctx context.Context, since time.Time) ([]streetdesk.ResolutionFacts, error)
	OrderChain(ctx context.Context, orderID string) ([]streetdesk.ChainEntry, error)
	ClientID(ctx context.Context) (string, error)
	Taxonomy(ctx context.Context) (*streetdesk.Taxonomy, error)
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) evidenceStore() (EvidenceStore, error) {
	if s.Evidence == nil {
		return nil, streetdesk.Errorf(streetdesk.EINTERNAL, "photo evidence is not available")
	}
	return s.Evidence, nil
}

// policy is the evidence policy of the duty list (per-category radii), or
// the defaults when the list cannot be read.
func (s *Service) policy(ctx context.Context, es EvidenceStore) streetdesk.EvidencePolicy {
	t, err := es.Taxonomy(ctx)
	if err != nil {
		return streetdesk.EvidencePolicy{}
	}
	return streetdesk.EvidencePolicyFrom(t)
}

// PhotoEvidence checks every photo of the order now.
func (s *Service) PhotoEvidence(ctx context.Context, orderID string) ([]streetdesk.EvidenceCheck, error) {
	es, err := s.evidenceStore()
	if err != nil {
		return nil, err
	}
	f, err := es.OrderFacts(ctx, orderID)
	if err != nil {
		return nil, err
	}
	return f.Check(s.now(), s.policy(ctx, es)), nil
}

// Resolve submits the resolution with the checks of its photos computed
// here; of in.Evidence only the caseworker's explanations are kept.
func (s *Service) Resolve(ctx context.Context, id string, in streetdesk.ResolveInput) (streetdesk.Resolution, error) {
	if s.Evidence != nil && len(in.PhotoRefIDs) > 0 {
		checks, err := s.PhotoEvidence(ctx, id)
		if err != nil {
			return streetdesk.Resolution{}, err
		}
		in.Evidence = streetdesk.MergeExplanations(streetdesk.ChecksFor(checks, in.PhotoRefIDs), in.Evidence)
	} else {
		in.Evidence = nil
	}
	return s.OrderService.Resolve(ctx, id, in)
}

// ResolutionEvidence returns the checks of the resolutions submitted since
// the given time, as they stood when each was submitted.
func (s *Service) ResolutionEvidence(ctx context.Context, since time.Time) ([]streetdesk.ResolutionEvidence, error) {
	es, err := s.evidenceStore()
	if err != nil {
		return nil, err
	}
	fs, err := es.ResolutionFacts(ctx, since)
	if err != nil {
		return nil, err
	}
	p := s.policy(ctx, es)
	out := make([]streetdesk.ResolutionEvidence, 0, len(fs))
	for i := range fs {
		out = append(out, fs[i].Check(p))
	}
	return out, nil
}

// ExportEvidence writes the order's evidence package to w.
func (s *Service) ExportEvidence(ctx context.Context, orderID string, w io.Writer) (*streetdesk.EvidenceExport, error) {
	es, err := s.evidenceStore()
	if err != nil {
		return nil, err
	}
	d, err := s.OrderService.Order(ctx, orderID)
	if err != nil {
		return nil, err
	}
	f, err := es.OrderFacts(ctx, orderID)
	if err != nil {
		return nil, err
	}
	chain, err := es.OrderChain(ctx, orderID)
	if err != nil {
		return nil, err
	}
	cid, err := es.ClientID(ctx)
	if err != nil {
		return nil, err
	}
	now := s.now()
	pol := s.policy(ctx, es)
	checks := f.Check(now, pol)
	// The explanations sent with resolutions, on the checks they explain.
	for _, r := range d.Resolutions {
		checks = streetdesk.MergeExplanations(checks, r.EvidenceChecks)
	}
	zone := map[string]streetdesk.PhotoFacts{}
	for _, p := range f.Photos {
		zone[p.RefID] = p
	}
	p := &evidence.Package{Order: d.Order, Timeline: d.Timeline, Notes: d.Notes, Resolutions: d.Resolutions,
		Checks: checks, Policy: evidence.PolicyOf(pol, d.Order.Category), Chain: chain, ClientID: cid,
		CreatedBy: s.User, CreatedAt: now}
	for _, ph := range d.Photos {
		fa := zone[ph.ID]
		e := evidence.Photo{Ref: ph.PhotoRef, Exif: evidence.Exif{TakenAt: ph.TakenAt, ZoneAssumed: fa.ZoneAssumed,
			Lat: ph.Lat, Lng: ph.Lng, HasGPS: fa.HasPlace, Camera: fa.Camera, Width: ph.Width, Height: ph.Height}}
		if path := ph.Path; path != "" && !ph.Missing {
			e.Open = func() (io.ReadCloser, error) { return os.Open(path) }
		}
		p.Photos = append(p.Photos, e)
	}
	wr, err := evidence.Write(w, p)
	if err != nil {
		return nil, err
	}
	return &streetdesk.EvidenceExport{OrderID: orderID, ManifestSHA256: wr.ManifestSHA256, Files: len(wr.Manifest.Files),
		Photos: wr.Photos, MissingPhotos: wr.MissingPhotos, ChainEntries: len(chain), Warnings: streetdesk.Warnings(checks)}, nil
}
