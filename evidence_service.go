package streetdesk

import (
	"context"
	"io"
	"time"
)

// OrderFacts is what the photo checks of an order read: the order as the
// desk sees it, every photo attached to it and, by SHA-256, the other
// orders that hold the same bytes.
type OrderFacts struct {
	Order  WorkOrder
	Photos []PhotoFacts
	Uses   map[string][]string
}

// Check runs the checks of every photo of the order at now.
func (f *OrderFacts) Check(now time.Time, p EvidencePolicy) []EvidenceCheck {
	return CheckPhotos(&f.Order, f.Photos, f.Uses, now, p)
}

// ResolutionFacts is one resolution with the facts of its order.
type ResolutionFacts struct {
	OrderFacts
	// Resolution carries the checks sent with it (explanations) when known.
	Resolution Resolution
}

// Check returns the resolution's checks as they stood when it was
// submitted: its photos checked at its creation time, with the
// explanations that were sent; or the platform's checks when it sent them.
func (r *ResolutionFacts) Check(p EvidencePolicy) ResolutionEvidence {
	if PlatformChecked(r.Resolution.EvidenceChecks) {
		// The platform checked the bytes it received: its findings (with
		// the caseworker's explanations) stand for the record.
		return ResolutionEvidence{OrderID: r.Order.ID, AuthorID: r.Resolution.AuthorID, At: r.Resolution.CreatedAt,
			Checks: ChecksFor(r.Resolution.EvidenceChecks, r.Resolution.PhotoRefIDs)}
	}
	cs := ChecksFor(r.OrderFacts.Check(r.Resolution.CreatedAt, p), r.Resolution.PhotoRefIDs)
	return ResolutionEvidence{OrderID: r.Order.ID, AuthorID: r.Resolution.AuthorID, At: r.Resolution.CreatedAt,
		Checks: MergeExplanations(cs, r.Resolution.EvidenceChecks)}
}

// EvidenceService is the evidence side of the desk: photo checks, the
// statistics' tallies and the evidence package.
type EvidenceService interface {
	// PhotoEvidence checks every photo of the order now.
	PhotoEvidence(ctx context.Context, orderID string) ([]EvidenceCheck, error)
	// ResolutionEvidence returns the checks of the resolutions submitted
	// since the given time (for TallyEvidence).
	ResolutionEvidence(ctx context.Context, since time.Time) ([]ResolutionEvidence, error)
	// ExportEvidence writes the order's evidence package (a zip) to w.
	ExportEvidence(ctx context.Context, orderID string, w io.Writer) (*EvidenceExport, error)
}

// EvidenceExport says what an evidence package holds.
type EvidenceExport struct {
	OrderID string `json:"orderId"`
	// ManifestSHA256 is the hash of the package's manifest, which lists
	// the hash of every other file: noted elsewhere (a ledger, a message),
	// it pins the whole package.
	ManifestSHA256 string `json:"manifestSha256"`
	Files          int    `json:"files"` // listed in the manifest (the manifest itself not counted)
	Photos         int    `json:"photos"`
	MissingPhotos  int    `json:"missingPhotos"` // listed without their bytes (not on this computer)
	ChainEntries   int    `json:"chainEntries"`
	Warnings       int    `json:"warnings"`
}
