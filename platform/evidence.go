package platform

import (
	"context"
	"fmt"
	"net/http"
	"os"
	"slices"
	"sync"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/media"
)

// The platform's photo evidence checks: streetdesk.CheckPhotos, the rule
// the desks run, over what the photo bytes the platform holds say (their
// EXIF read by media.ReadMeta, the desks' own reader), never over the
// time and place a desk claims in attachPhoto or the checks it sends
// (those are kept beside, for the record and for the caseworker's
// explanations). The reuse check looks across every order on the
// platform. A photo whose bytes have not arrived is checked when they do.

// evidenceState is the server's cache of EXIF readings and its policy.
type evidenceState struct {
	metaOnce   sync.Once
	metas      *lru[string, media.Meta]
	policyOnce sync.Once
	policy     streetdesk.EvidencePolicy
}

// metaCacheBytes bounds the cache of EXIF readings (about 150 bytes each).
const metaCacheBytes = 4 << 20

// photoMeta reads what a stored blob's EXIF says. Blobs are
// content-addressed and never change, so a reading is cached for good.
func (s *Server) photoMeta(sha string) (media.Meta, error) {
	s.metaOnce.Do(func() {
		s.metas = newLRU(metaCacheBytes, func(k string, m media.Meta) int { return len(k) + len(m.Camera) + len(m.Make) + len(m.Model) + 96 })
	})
	if m, ok := s.metas.get(sha); ok {
		return m, nil
	}
	f, err := os.Open(s.BlobPath(sha))
	if err != nil {
		return media.Meta{}, fmt.Errorf("read photo %s: %w", sha, err)
	}
	defer func() { _ = f.Close() }() // read only: its close loses nothing
	m := media.ReadMeta(f)
	s.metas.put(sha, m)
	return m, nil
}

// evidencePolicy is the checks' thresholds: the default radius, or the
// duty list's per category.
func (s *Server) evidencePolicy() streetdesk.EvidencePolicy {
	s.policyOnce.Do(func() { s.policy = streetdesk.EvidencePolicyFrom(s.cfg.Taxonomy) })
	return s.policy
}

// checkResolution sets the platform's checks on resolution r of order o
// (the whole order): its photos checked at the resolution's time, with the
// explanations of given (the desk's checks) on the warnings they explain.
// Photos whose bytes have not arrived are left pending.
func (t *tx) checkResolution(ctx context.Context, o *streetdesk.WorkOrder, r *streetdesk.Resolution, given []streetdesk.EvidenceCheck) error {
	if err := streetdesk.ValidateEvidenceChecks(given, r.PhotoRefIDs); err != nil {
		// Advisory, and only their words are used: malformed ones are
		// dropped rather than refusing the caseworker's resolution.
		t.s.log.Warn("evidence checks dropped", "resolution", r.ID, "err", err)
		given = nil
	}
	r.DeskEvidenceChecks, r.EvidenceChecks, r.EvidencePending, r.EvidenceCheckedAt = given, nil, nil, t.now
	if len(r.PhotoRefIDs) == 0 {
		return nil
	}
	refs, err := t.PhotoRefs(ctx, o.ID)
	if err != nil {
		return fmt.Errorf("evidence: %w", err)
	}
	var facts []streetdesk.PhotoFacts
	present := map[string]bool{}
	for _, p := range refs {
		if !p.BlobPresent {
			continue
		}
		m, err := t.s.photoMeta(p.SHA256)
		if err != nil {
			// The database says the bytes are here but the file is not
			// readable: check the photo when it is, never guess.
			t.s.log.Error("evidence: photo unreadable", "sha256", p.SHA256, "err", err)
			continue
		}
		present[p.ID] = true
		facts = append(facts, streetdesk.PhotoFacts{RefID: p.ID, SHA256: p.SHA256, Tag: p.Tag, TakenAt: m.TakenAt,
			ZoneAssumed: m.ZoneAssumed && !m.TakenAt.IsZero(), Lat: m.Lat, Lng: m.Lng, HasPlace: m.HasGPS, Camera: m.Camera})
	}
	uses := map[string][]string{}
	for _, f := range facts {
		if _, done := uses[f.SHA256]; done || !slices.Contains(r.PhotoRefIDs, f.RefID) {
			continue
		}
		others, err := t.PhotoRefsOf(ctx, f.SHA256)
		if err != nil {
			return fmt.Errorf("evidence: %w", err)
		}
		ids := []string{}
		for _, p := range others {
			if p.WorkOrderID != o.ID && !slices.Contains(ids, p.WorkOrderID) {
				ids = append(ids, p.WorkOrderID)
			}
		}
		uses[f.SHA256] = ids
	}
	for _, id := range r.PhotoRefIDs {
		if !present[id] && !slices.Contains(r.EvidencePending, id) {
			r.EvidencePending = append(r.EvidencePending, id)
		}
	}
	cs := streetdesk.ChecksFor(streetdesk.CheckPhotos(o, facts, uses, r.CreatedAt, t.s.evidencePolicy()), r.PhotoRefIDs)
	for i := range cs {
		cs[i].By = streetdesk.EvidenceByPlatform
	}
	r.EvidenceChecks = streetdesk.MergeExplanations(cs, given)
	return nil
}

// recheckEvidence checks again the resolutions of an order that wait for
// photo bytes (some just arrived).
func (t *tx) recheckEvidence(ctx context.Context, orderID string) error {
	rs, err := t.Resolutions(ctx, orderID)
	if err != nil {
		return err
	}
	var o *streetdesk.WorkOrder
	for i := range rs {
		if len(rs[i].EvidencePending) == 0 {
			continue
		}
		if o == nil {
			if o, _, err = t.Order(ctx, orderID); err != nil {
				return err
			}
		}
		if err := t.checkResolution(ctx, o, &rs[i], rs[i].DeskEvidenceChecks); err != nil {
			return err
		}
		if err := t.putResolution(ctx, &rs[i], o); err != nil {
			return err
		}
	}
	return nil
}

// CentreOrder returns an order as the centre sees it: with its
// resolutions (and their checks) and the action-log flags about it.
func (s *Server) CentreOrder(ctx context.Context, id string) (*streetdesk.CentreOrder, error) {
	rt, err := s.db.BeginRead(ctx)
	if err != nil {
		return nil, err
	}
	defer rt.Rollback()
	o, _, err := rt.Order(ctx, id)
	if err != nil {
		return nil, err
	}
	co := &streetdesk.CentreOrder{WorkOrder: *o, AuditFlags: []streetdesk.AuditFlag{}}
	if co.Resolutions, err = rt.Resolutions(ctx, id); err != nil {
		return nil, err
	}
	if co.Resolutions == nil {
		co.Resolutions = []streetdesk.Resolution{}
	}
	if co.AuditFlags, err = s.orderFlags(ctx, rt, id); err != nil {
		return nil, err
	}
	return co, nil
}

func (s *Server) handleCentreGet(w http.ResponseWriter, r *http.Request, u *streetdesk.User) {
	id := streetdesk.NormalizeOrderID(r.PathValue("id"))
	if !streetdesk.ValidOrderID(id) {
		writeError(w, http.StatusBadRequest, streetdesk.EINVALID, "bad order id")
		return
	}
	co, err := s.CentreOrder(r.Context(), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	writeJSON(w, http.StatusOK, co)
}

// teamEvidence returns the checks of a team's resolutions, for the
// statistics' tally.
func (s *Server) teamEvidence(ctx context.Context, teamID string) ([]streetdesk.ResolutionEvidence, error) {
	rs, err := s.db.TeamResolutions(ctx, teamID)
	if err != nil {
		return nil, err
	}
	out := make([]streetdesk.ResolutionEvidence, 0, len(rs))
	for _, r := range rs {
		out = append(out, streetdesk.ResolutionEvidence{OrderID: r.WorkOrderID, AuthorID: r.AuthorID, At: r.CreatedAt,
			Checks: streetdesk.ChecksFor(r.EvidenceChecks, r.PhotoRefIDs)})
	}
	return out, nil
}
