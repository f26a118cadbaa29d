package streetdesk

import (
	"math"
	"sort"
	"strings"
	"time"
)

// Photo evidence checks: what a photo's own metadata (EXIF time and place,
// its SHA-256) says about it as evidence for an order. They are warnings,
// never refusals: a caseworker may resolve anyway and explain each warning
// in one line. The desk computes them for the resolve dialog and sends them
// with the resolution; a platform recomputes them from the bytes it holds
// and never trusts the client's copy. Each check has a stable code and its
// arguments; the words (zh-CN and en) live with the UI's translations.

// EvidenceCode is the stable code of one check.
type EvidenceCode string

// The checks.
const (
	// EvidenceBeforeDispatch: an "after" photo taken before the order was
	// dispatched (old evidence from a folder). TakenAt, Reference = dispatch.
	EvidenceBeforeDispatch EvidenceCode = "BEFORE_DISPATCH"
	// EvidenceBeforeBefore: an "after" photo taken before the latest
	// "before" photo of the order. TakenAt, Reference = that photo's time.
	EvidenceBeforeBefore EvidenceCode = "BEFORE_BEFORE_PHOTO"
	// EvidenceFuture: taken later than now by more than the tolerance (a
	// wrong camera clock; not proof of anything). TakenAt, Reference = now.
	EvidenceFuture EvidenceCode = "IN_FUTURE"
	// EvidenceFar: taken farther from the order's location than the
	// category's radius. DistanceM, RadiusM.
	EvidenceFar EvidenceCode = "FAR_FROM_SITE"
	// EvidenceNoTime: the photo records no time (a screenshot, or a photo
	// forwarded through a chat app, which strips EXIF).
	EvidenceNoTime EvidenceCode = "NO_TIME"
	// EvidenceNoPlace: the photo records no place (or GPS 0/0).
	EvidenceNoPlace EvidenceCode = "NO_PLACE"
	// EvidenceZoneAssumed (a notice): EXIF gave the time without a time
	// zone, so it was read as China time. TakenAt.
	EvidenceZoneAssumed EvidenceCode = "ZONE_ASSUMED"
	// EvidenceReused: the same bytes (SHA-256) are already evidence on
	// other orders. Orders.
	EvidenceReused EvidenceCode = "REUSED"
)

// EvidenceCodes lists every check in the order they are reported for a photo.
var EvidenceCodes = []EvidenceCode{
	EvidenceNoTime, EvidenceFuture, EvidenceBeforeDispatch, EvidenceBeforeBefore, EvidenceZoneAssumed,
	EvidenceNoPlace, EvidenceFar, EvidenceReused,
}

// Valid reports whether c is a known code.
func (c EvidenceCode) Valid() bool {
	for _, k := range EvidenceCodes {
		if c == k {
			return true
		}
	}
	return false
}

// Severity returns how much the check matters: every check is a warning
// except the assumed time zone, which is a notice.
func (c EvidenceCode) Severity() EvidenceSeverity {
	if c == EvidenceZoneAssumed {
		return SeverityNotice
	}
	return SeverityWarning
}

// EvidenceSeverity grades a check.
type EvidenceSeverity string

// Severities.
const (
	SeverityWarning EvidenceSeverity = "warning" // worth a look; the caseworker may explain
	SeverityNotice  EvidenceSeverity = "notice"  // said so the reader knows; nothing to explain
)

// Bounds and defaults of the checks.
const (
	DefaultEvidenceRadiusM = 500
	MaxEvidenceRadiusM     = 50_000
	// DefaultClockTolerance absorbs camera clocks a few minutes off.
	DefaultClockTolerance = 10 * time.Minute
	// MaxExplanationRunes bounds the one-line explanation of a warning.
	MaxExplanationRunes = 200
	// MaxReuseOrders bounds the other orders a reuse check names.
	MaxReuseOrders = 10
)

// EvidenceCheck is one finding about one photo: the code with its arguments
// and, for warnings, the caseworker's optional one-line explanation. Times
// are UTC.
type EvidenceCheck struct {
	Code       EvidenceCode     `json:"code"`
	Severity   EvidenceSeverity `json:"severity"`
	PhotoRefID string           `json:"photoRefId"`
	SHA256     string           `json:"sha256"`
	TakenAt    time.Time        `json:"takenAt,omitzero"`
	// Reference is the moment TakenAt is compared with: the dispatch, the
	// latest "before" photo, or now.
	Reference   time.Time `json:"reference,omitzero"`
	DistanceM   int       `json:"distanceM,omitempty"`
	RadiusM     int       `json:"radiusM,omitempty"`
	Orders      []string  `json:"orders,omitempty"`
	Explanation string    `json:"explanation,omitempty"`
	// By is EvidenceByPlatform on the checks a platform computed from the
	// bytes it holds; empty on a desk's own.
	By string `json:"by,omitempty"`
}

// PhotoFacts is what the checks read about a photo.
type PhotoFacts struct {
	RefID   string
	SHA256  string
	Tag     PhotoTag
	TakenAt time.Time // the EXIF time; zero when none was recorded
	// ZoneAssumed: EXIF gave no time zone and TakenAt was read as China time.
	ZoneAssumed bool
	Lat, Lng    float64
	HasPlace    bool
	Camera      string // for the record; no check reads it
}

// PhotoFactsOf returns the facts a photo reference carries (the time zone
// of its EXIF is not among them). Coordinates of exactly 0/0 are "no place":
// no camera reports the Gulf of Guinea by accident as often as a zeroed
// GPS block.
func PhotoFactsOf(p PhotoRef) PhotoFacts {
	return PhotoFacts{RefID: p.ID, SHA256: p.SHA256, Tag: p.Tag, TakenAt: p.TakenAt,
		Lat: p.Lat, Lng: p.Lng, HasPlace: validPlace(p.Lat, p.Lng)}
}

func validPlace(lat, lng float64) bool {
	return !(lat == 0 && lng == 0) && lat >= -90 && lat <= 90 && lng >= -180 && lng <= 180 &&
		!math.IsNaN(lat) && !math.IsNaN(lng)
}

// EvidencePolicy sets the thresholds. The zero value means the defaults.
type EvidencePolicy struct {
	// RadiusM is how far (metres) from the order's location a photo may be
	// taken (default DefaultEvidenceRadiusM).
	RadiusM float64
	// CategoryRadiusM overrides RadiusM by duty-list code: a level-3, -2 or
	// -1 code; the most specific code of the order's category wins.
	CategoryRadiusM map[string]float64
	// ClockTolerance is the slack of every time comparison (default
	// DefaultClockTolerance).
	ClockTolerance time.Duration
}

// EvidencePolicyFrom returns the default policy with the per-category radii
// of the duty list (items with EvidenceRadiusM set).
func EvidencePolicyFrom(t *Taxonomy) EvidencePolicy {
	var p EvidencePolicy
	if t == nil {
		return p
	}
	for _, it := range t.Items {
		if it.EvidenceRadiusM > 0 {
			if p.CategoryRadiusM == nil {
				p.CategoryRadiusM = map[string]float64{}
			}
			p.CategoryRadiusM[it.L3Code] = float64(it.EvidenceRadiusM)
		}
	}
	return p
}

// Radius returns the radius in metres for an order of category c.
func (p EvidencePolicy) Radius(c Category) float64 {
	for _, code := range []string{c.L3Code, c.L2Code, c.L1Code} {
		if r, ok := p.CategoryRadiusM[code]; ok && code != "" && r > 0 {
			return r
		}
	}
	if p.RadiusM > 0 {
		return p.RadiusM
	}
	return DefaultEvidenceRadiusM
}

func (p EvidencePolicy) tolerance() time.Duration {
	if p.ClockTolerance > 0 {
		return p.ClockTolerance
	}
	return DefaultClockTolerance
}

// DistanceM returns the great-circle distance in metres between two WGS-84
// points (haversine on the mean Earth radius; within 0.5% of the ellipsoid,
// plenty for "is this photo from the site").
func DistanceM(lat1, lng1, lat2, lng2 float64) float64 {
	const r = 6_371_008.8
	rad := math.Pi / 180
	dlat := (lat2 - lat1) * rad
	dlng := (lng2 - lng1) * rad
	a := math.Sin(dlat/2)*math.Sin(dlat/2) + math.Cos(lat1*rad)*math.Cos(lat2*rad)*math.Sin(dlng/2)*math.Sin(dlng/2)
	return 2 * r * math.Asin(math.Min(1, math.Sqrt(a)))
}

// CheckPhotos runs every check on photos of order o at now. uses maps a
// SHA-256 to the orders (other than o) that already hold the same bytes as
// evidence; it may be nil. The result lists the findings photo by photo,
// in the order of photos and, per photo, of EvidenceCodes.
func CheckPhotos(o *WorkOrder, photos []PhotoFacts, uses map[string][]string, now time.Time, p EvidencePolicy) []EvidenceCheck {
	tol := p.tolerance()
	// The latest "before" photo that is not itself in the future.
	var lastBefore time.Time
	for _, ph := range photos {
		if ph.Tag == PhotoBefore && !ph.TakenAt.IsZero() && !ph.TakenAt.After(now.Add(tol)) && ph.TakenAt.After(lastBefore) {
			lastBefore = ph.TakenAt
		}
	}
	radius := p.Radius(o.Category)
	orderPlace := validPlace(o.Location.Lat, o.Location.Lng)
	var out []EvidenceCheck
	for _, ph := range photos {
		add := func(c EvidenceCheck) {
			c.Severity, c.PhotoRefID, c.SHA256 = c.Code.Severity(), ph.RefID, ph.SHA256
			out = append(out, c)
		}
		taken := ph.TakenAt.UTC()
		switch {
		case ph.TakenAt.IsZero():
			add(EvidenceCheck{Code: EvidenceNoTime})
		case ph.TakenAt.After(now.Add(tol)):
			add(EvidenceCheck{Code: EvidenceFuture, TakenAt: taken, Reference: now.UTC()})
		default:
			if ph.Tag == PhotoAfter && !o.DispatchedAt.IsZero() && ph.TakenAt.Before(o.DispatchedAt.Add(-tol)) {
				add(EvidenceCheck{Code: EvidenceBeforeDispatch, TakenAt: taken, Reference: o.DispatchedAt.UTC()})
			}
			if ph.Tag == PhotoAfter && !lastBefore.IsZero() && ph.TakenAt.Before(lastBefore.Add(-tol)) {
				add(EvidenceCheck{Code: EvidenceBeforeBefore, TakenAt: taken, Reference: lastBefore.UTC()})
			}
		}
		if !ph.TakenAt.IsZero() && ph.ZoneAssumed {
			add(EvidenceCheck{Code: EvidenceZoneAssumed, TakenAt: taken})
		}
		switch {
		case !ph.HasPlace || !validPlace(ph.Lat, ph.Lng):
			add(EvidenceCheck{Code: EvidenceNoPlace})
		case orderPlace:
			if d := DistanceM(o.Location.Lat, o.Location.Lng, ph.Lat, ph.Lng); d > radius {
				add(EvidenceCheck{Code: EvidenceFar, DistanceM: int(math.Round(d)), RadiusM: int(math.Round(radius))})
			}
		}
		var others []string
		for _, id := range uses[ph.SHA256] {
			if id != o.ID && !contains(others, id) {
				others = append(others, id)
			}
		}
		if len(others) > 0 {
			sort.Strings(others)
			if len(others) > MaxReuseOrders {
				others = others[:MaxReuseOrders]
			}
			add(EvidenceCheck{Code: EvidenceReused, Orders: others})
		}
	}
	return out
}

func contains(s []string, x string) bool {
	for _, v := range s {
		if v == x {
			return true
		}
	}
	return false
}

// Warnings counts the checks that are warnings.
func Warnings(cs []EvidenceCheck) int {
	n := 0
	for _, c := range cs {
		if c.Severity == SeverityWarning {
			n++
		}
	}
	return n
}

// ChecksFor returns the checks of the photos in ids, in the order of cs.
func ChecksFor(cs []EvidenceCheck, ids []string) []EvidenceCheck {
	var out []EvidenceCheck
	for _, c := range cs {
		if contains(ids, c.PhotoRefID) {
			out = append(out, c)
		}
	}
	return out
}

// MergeExplanations copies the explanations of given onto the matching
// checks of computed (same photo and code) and returns computed: the
// checks themselves are always the computed ones, only the words are the
// caseworker's.
func MergeExplanations(computed, given []EvidenceCheck) []EvidenceCheck {
	for i := range computed {
		for _, g := range given {
			if g.PhotoRefID == computed[i].PhotoRefID && g.Code == computed[i].Code && computed[i].Severity == SeverityWarning {
				computed[i].Explanation = strings.TrimSpace(g.Explanation)
			}
		}
	}
	return computed
}

// ValidateEvidenceChecks checks the shape of checks sent with a resolution
// of photos ids: known codes and severities, photos of the resolution,
// explanations of one line of at most MaxExplanationRunes on warnings only.
func ValidateEvidenceChecks(cs []EvidenceCheck, ids []string) error {
	if len(cs) > len(ids)*len(EvidenceCodes) {
		return Errorf(EINVALID, "evidence checks: %d for %d photos", len(cs), len(ids))
	}
	for _, c := range cs {
		if !c.Code.Valid() {
			return Errorf(EINVALID, "evidence checks: unknown code %q", c.Code)
		}
		if c.Severity != c.Code.Severity() {
			return Errorf(EINVALID, "evidence checks: %s must be a %s", c.Code, c.Code.Severity())
		}
		if !contains(ids, c.PhotoRefID) {
			return Errorf(EINVALID, "evidence checks: photo %q is not part of the resolution", c.PhotoRefID)
		}
		if c.SHA256 != "" && !ValidSHA256(c.SHA256) {
			return Errorf(EINVALID, "evidence checks: bad sha256")
		}
		if len(c.Orders) > MaxReuseOrders {
			return Errorf(EINVALID, "evidence checks: more than %d orders", MaxReuseOrders)
		}
		if err := ValidateExplanation(c.Explanation); err != nil {
			return err
		}
		if c.Explanation != "" && c.Severity != SeverityWarning {
			return Errorf(EINVALID, "evidence checks: only warnings take an explanation")
		}
	}
	return nil
}

// ValidateExplanation checks a one-line explanation of a warning.
func ValidateExplanation(s string) error {
	if strings.ContainsAny(s, "\r\n") {
		return Errorf(EINVALID, "an explanation is one line")
	}
	return CheckText("explanation", s, 0, MaxExplanationRunes)
}

// EvidenceTally counts checks over resolutions for the team statistics.
type EvidenceTally struct {
	// Resolutions submitted in the period (those with photos or not).
	Resolutions int `json:"resolutions"`
	// Flagged resolutions had at least one warning on their photos.
	Flagged int `json:"flagged"`
	// Explained resolutions had every warning explained by the caseworker.
	Explained int `json:"explained"`
	// ByCode counts warnings and notices by code.
	ByCode map[EvidenceCode]int `json:"byCode,omitempty"`
}

func (t *EvidenceTally) add(cs []EvidenceCheck) {
	t.Resolutions++
	warn, explained := 0, 0
	for _, c := range cs {
		if t.ByCode == nil {
			t.ByCode = map[EvidenceCode]int{}
		}
		t.ByCode[c.Code]++
		if c.Severity == SeverityWarning {
			warn++
			if strings.TrimSpace(c.Explanation) != "" {
				explained++
			}
		}
	}
	if warn > 0 {
		t.Flagged++
		if explained == warn {
			t.Explained++
		}
	}
}

// ResolutionEvidence is one resolution's checks, for the statistics.
type ResolutionEvidence struct {
	OrderID  string
	AuthorID string
	At       time.Time
	Checks   []EvidenceCheck
}

// TallyEvidence adds the resolutions submitted within the statistics'
// weeks (and not after Now) to the members' and the team's tallies; a
// resolution counts for its author, or Unassigned when the author is not
// on the roster.
func TallyEvidence(s *TeamStats, rs []ResolutionEvidence) {
	if len(s.Weeks) == 0 {
		return
	}
	from, to := s.Weeks[0].Start, s.Now
	for _, r := range rs {
		if r.At.Before(from) || r.At.After(to) {
			continue
		}
		m := &s.Unassigned
		if mm := s.Member(r.AuthorID); mm != nil && r.AuthorID != "" {
			m = mm
		}
		m.Evidence.add(r.Checks)
		s.Evidence.add(r.Checks)
	}
}

// ExplanationOK reports whether s is an acceptable one-line explanation
// (for UIs that check as the user types).
func ExplanationOK(s string) bool { return ValidateExplanation(s) == nil }
