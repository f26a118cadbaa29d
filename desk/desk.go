// Package desk is the application-service layer the GUI and the CLI share:
// the local order service (localdb), photo import (media) and the sync
// engine, composed behind streetdesk.Desk. It speaks only domain types; cmd
// wires the concrete packages in.
package desk

import (
	"context"
	"fmt"
	"path/filepath"
	"time"

	"github.com/streetdesk/streetdesk"
)

// PhotoImporter stores a file content-addressed and reads its metadata
// (media.Store implements it).
type PhotoImporter interface {
	Import(ctx context.Context, path string) (streetdesk.ImportedPhoto, error)
}

// Downscaler makes a smaller copy of a stored photo (media.Store implements it).
type Downscaler interface {
	Downscale(ctx context.Context, sha256 string, maxSide, quality int) (streetdesk.ImportedPhoto, error)
}

// TeamSource returns the signed-in user's team (the local roster).
type TeamSource interface {
	Team(ctx context.Context) (*streetdesk.Team, error)
}

// HotspotSource reads what the hotspot view needs from the local store
// (localdb implements it).
type HotspotSource interface {
	OrdersSince(ctx context.Context, since time.Time) ([]streetdesk.WorkOrder, error)
	Taxonomy(ctx context.Context) (*streetdesk.Taxonomy, error)
}

// Service implements streetdesk.Desk.
type Service struct {
	streetdesk.OrderService
	User   streetdesk.User
	Photos PhotoImporter
	Teams  TeamSource
	Engine streetdesk.Syncer
	Places HotspotSource    // default: OrderService, when it is one
	Now    func() time.Time // default time.Now
	// Updater is the update notice (nil in the CLI's one-shot commands).
	Updater streetdesk.Updates

	// Evidence, when set, serves the photo checks, their statistics and the
	// evidence package (and Resolve sends the checks along).
	Evidence EvidenceStore

	// Downscale, when set with MaxSide > 0, replaces each imported photo by
	// a copy whose longer side is at most MaxSide before it is attached.
	Downscale Downscaler
	MaxSide   int
	Quality   int
}

var _ streetdesk.Desk = (*Service)(nil)

// Me returns the signed-in user.
func (s *Service) Me() streetdesk.User { return s.User }

// IndexChanged passes on the order service's notices about its search
// index (streetdesk.SearchIndexer); a nil channel, never closed, when it
// has none.
func (s *Service) IndexChanged() <-chan struct{} {
	if si, ok := s.OrderService.(streetdesk.SearchIndexer); ok {
		return si.IndexChanged()
	}
	return nil
}

// Sync returns the engine, or nil when there is none (the CLI's offline commands).
func (s *Service) Sync() streetdesk.Syncer { return s.Engine }

// Updates returns the update notice's engine, or nil.
func (s *Service) Updates() streetdesk.Updates { return s.Updater }

// Team returns the signed-in user's team.
func (s *Service) Team(ctx context.Context) (*streetdesk.Team, error) {
	if s.Teams == nil {
		return nil, streetdesk.Errorf(streetdesk.ENOTFOUND, "no team roster yet")
	}
	return s.Teams.Team(ctx)
}

// AttachPhotos imports each file and attaches it in its own transaction, so
// a bad file among several leaves the good ones attached. It returns what
// was attached and the first error, naming the file.
func (s *Service) AttachPhotos(ctx context.Context, id string, in []streetdesk.PhotoInput) ([]streetdesk.PhotoRef, error) {
	if s.Photos == nil {
		return nil, streetdesk.Errorf(streetdesk.EINTERNAL, "photo import is not available")
	}
	var refs []streetdesk.PhotoRef
	var first error
	for _, p := range in {
		ref, err := s.attachOne(ctx, id, p)
		if err != nil {
			if first == nil {
				first = fmt.Errorf("%s: %w", filepath.Base(p.Path), err)
			}
			continue
		}
		refs = append(refs, ref)
	}
	return refs, first
}

func (s *Service) attachOne(ctx context.Context, id string, p streetdesk.PhotoInput) (streetdesk.PhotoRef, error) {
	img, err := s.Photos.Import(ctx, p.Path)
	if err != nil {
		return streetdesk.PhotoRef{}, err
	}
	if s.Downscale != nil && s.MaxSide > 0 && (img.Width > s.MaxSide || img.Height > s.MaxSide) {
		q := s.Quality
		if q == 0 {
			q = 85
		}
		small, err := s.Downscale.Downscale(ctx, img.SHA256, s.MaxSide, q)
		if err != nil {
			return streetdesk.PhotoRef{}, fmt.Errorf("downscale: %w", err)
		}
		// Keep what the original said about time and place.
		small.TakenAt, small.Lat, small.Lng, small.HasGPS, small.Camera = img.TakenAt, img.Lat, img.Lng, img.HasGPS, img.Camera
		small.ZoneAssumed = img.ZoneAssumed
		img = small
	}
	return s.OrderService.AttachPhoto(ctx, id, img, p.Tag, p.Caption)
}

// Hotspots finds the hotspots in the local orders the user can see: a
// lead's team, a caseworker's own orders and their street office's
// (streetdesk.InHotspotScope), checked against the stored duty list.
func (s *Service) Hotspots(ctx context.Context, q streetdesk.HotspotQuery) (*streetdesk.HotspotReport, error) {
	now := time.Now
	if s.Now != nil {
		now = s.Now
	}
	opt := q.Options(now())
	if err := opt.Validate(); err != nil {
		return nil, err
	}
	places := s.Places
	if places == nil { // the local store serves both
		places, _ = s.OrderService.(HotspotSource)
	}
	if places == nil {
		return nil, streetdesk.Errorf(streetdesk.EINTERNAL, "hotspots are not available")
	}
	duty, err := places.Taxonomy(ctx)
	if err != nil {
		return nil, fmt.Errorf("hotspots: %w", err)
	}
	opt.Duty = duty
	// The window and the one before it, for the trend.
	orders, err := places.OrdersSince(ctx, opt.Now.Add(-2*opt.Window))
	if err != nil {
		return nil, fmt.Errorf("hotspots: %w", err)
	}
	mine := orders[:0]
	for i := range orders {
		if streetdesk.InHotspotScope(s.User, &orders[i]) {
			mine = append(mine, orders[i])
		}
	}
	return streetdesk.FindHotspots(mine, opt)
}
