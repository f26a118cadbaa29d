package streetdesk

import (
	"cmp"
	"context"
	"math"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"
)

// Recurring complaints (热点): citizens who keep complaining about the same
// kind of problem in the same place. Two orders are similar when they share
// the duty-list category at the chosen level, lie within a distance of each
// other (haversine on WGS-84 coordinates; an order without usable
// coordinates is similar to the orders of the same community with the same
// normalized address), and both fall within the time window that ends now.
// A hotspot is a connected group of at least MinOrders similar orders from at
// least two different citizens. The platform and the desk run this same code,
// so they find the same hotspots in the same orders.
//
// The cost grows linearly with the orders: each category's orders go into a
// grid of cells no wider than the distance/√2, so every order of a cell is
// similar to every other and a cell is joined as a whole; only neighbouring
// cells are compared. The result depends only on the set of orders and the
// options, never on their order in the input.

// Defaults and limits of the hotspot analysis.
const (
	DefaultHotspotRadius    = 300.0 // metres
	DefaultHotspotWindow    = 30 * 24 * time.Hour
	DefaultHotspotMinOrders = 3
	MinHotspotRadius        = 10.0     // metres; closer than this, coordinates are noise
	MaxHotspotRadius        = 20_000.0 // metres; a district, not a place
	MaxHotspotWindow        = 366 * 24 * time.Hour
)

// CategoryLevel is the duty-list level at which orders count as the same kind
// of problem.
type CategoryLevel int

// Category levels.
const (
	CategoryLevel2 CategoryLevel = 2 // e.g. 社会生活噪声
	CategoryLevel3 CategoryLevel = 3 // e.g. 垃圾站夜间作业噪声 (default)
)

// code returns c's code at level l.
func (l CategoryLevel) code(c *Category) string {
	if l == CategoryLevel2 {
		return c.L2Code
	}
	return c.L3Code
}

// Bounds is a latitude/longitude box (WGS-84 degrees).
type Bounds struct {
	MinLat float64 `json:"minLat"`
	MaxLat float64 `json:"maxLat"`
	MinLng float64 `json:"minLng"`
	MaxLng float64 `json:"maxLng"`
}

// ChinaBounds holds mainland China, Hainan and the islands of the South China
// Sea; coordinates outside it are wrong for a Chinese street office (0,0, a
// sign lost, latitude and longitude swapped).
var ChinaBounds = Bounds{MinLat: 3.5, MaxLat: 53.6, MinLng: 73.4, MaxLng: 135.1}

// WorldBounds accepts every valid coordinate.
var WorldBounds = Bounds{MinLat: -90, MaxLat: 90, MinLng: -180, MaxLng: 180}

// Contains reports whether (lat, lng) lies in b.
func (b Bounds) Contains(lat, lng float64) bool {
	return lat >= b.MinLat && lat <= b.MaxLat && lng >= b.MinLng && lng <= b.MaxLng
}

func (b Bounds) valid() bool {
	ok := func(v, lim float64) bool { return !math.IsNaN(v) && v >= -lim && v <= lim }
	return ok(b.MinLat, 90) && ok(b.MaxLat, 90) && ok(b.MinLng, 180) && ok(b.MaxLng, 180) &&
		b.MinLat < b.MaxLat && b.MinLng < b.MaxLng
}

// CoordQuality says whether an order's coordinates can place it.
type CoordQuality int

// Coordinate qualities.
const (
	CoordOK      CoordQuality = iota
	CoordMissing              // 0,0: none were given
	CoordInvalid              // not a number, or beyond ±90/±180
	CoordSwapped              // outside the region, but inside it with latitude and longitude swapped
	CoordOutside              // valid, but outside the region
)

// CheckCoordinates classifies (lat, lng) against the region.
func (b Bounds) CheckCoordinates(lat, lng float64) CoordQuality {
	switch {
	case lat == 0 && lng == 0:
		return CoordMissing
	case math.IsNaN(lat) || math.IsNaN(lng) || math.Abs(lat) > 90 || math.Abs(lng) > 180:
		if b.Contains(lng, lat) {
			return CoordSwapped
		}
		return CoordInvalid
	case b.Contains(lat, lng):
		return CoordOK
	case b.Contains(lng, lat):
		return CoordSwapped
	}
	return CoordOutside
}

// HotspotOptions configure FindHotspots. Start from DefaultHotspotOptions;
// Validate says what is wrong with a setting.
type HotspotOptions struct {
	// Now ends the window: orders dispatched in (Now−Window, Now] are
	// clustered, those of the window before it give the trend.
	Now       time.Time
	Window    time.Duration
	RadiusM   float64 // the distance within which orders are similar, metres
	MinOrders int     // orders a hotspot needs at least (≥ 2)
	Level     CategoryLevel
	// Region is where coordinates are believable; others count as bad and
	// the order falls back to its community and address.
	Region Bounds
	// Duty, when set, is the duty list: orders whose category is not in it
	// are left out (a stale or mistyped code would make a wrong group).
	Duty *Taxonomy
	// Points asks for every clustered order with coordinates in the report
	// (for a plot).
	Points bool
}

// DefaultHotspotOptions returns the defaults: 300 m, 30 days, 3 orders,
// level 3, coordinates in China.
func DefaultHotspotOptions(now time.Time) HotspotOptions {
	return HotspotOptions{Now: now, Window: DefaultHotspotWindow, RadiusM: DefaultHotspotRadius,
		MinOrders: DefaultHotspotMinOrders, Level: CategoryLevel3, Region: ChinaBounds}
}

// Validate checks the options and returns an EINVALID error naming the
// first bad one.
func (o HotspotOptions) Validate() error {
	switch {
	case o.Now.IsZero():
		return Errorf(EINVALID, "the hotspot analysis needs the time it ends at")
	case o.Window <= 0:
		return Errorf(EINVALID, "the time window must be at least one day (got %s)", windowDays(o.Window))
	case o.Window > MaxHotspotWindow:
		return Errorf(EINVALID, "the time window must be at most %d days (got %s)", int(MaxHotspotWindow/(24*time.Hour)), windowDays(o.Window))
	case math.IsNaN(o.RadiusM) || o.RadiusM < MinHotspotRadius || o.RadiusM > MaxHotspotRadius:
		return Errorf(EINVALID, "the distance must be between %.0f and %.0f metres (got %g)", MinHotspotRadius, MaxHotspotRadius, o.RadiusM)
	case o.MinOrders < 2:
		return Errorf(EINVALID, "a hotspot needs at least 2 orders (got %d)", o.MinOrders)
	case o.Level != CategoryLevel2 && o.Level != CategoryLevel3:
		return Errorf(EINVALID, "the category level must be 2 or 3 (got %d)", int(o.Level))
	case o.Region != Bounds{} && !o.Region.valid():
		return Errorf(EINVALID, "the region is not a valid latitude/longitude box")
	}
	return nil
}

// windowDays renders a window in days for messages: "30", "-1", "0.5".
func windowDays(d time.Duration) string {
	return strconv.FormatFloat(d.Hours()/24, 'f', -1, 64)
}

// Trend compares a hotspot's orders in this window with the similar orders
// of the window before.
type Trend string

// Trends.
const (
	TrendNew     Trend = "new"     // nothing similar in the previous window
	TrendRising  Trend = "rising"  // more than in the previous window
	TrendSteady  Trend = "steady"  // as many
	TrendFalling Trend = "falling" // fewer
)

// HotspotOrder is one member of a hotspot, with what a list of them shows.
type HotspotOrder struct {
	ID           string    `json:"id"`
	Title        string    `json:"title"`
	Status       Status    `json:"status"`
	DispatchedAt time.Time `json:"dispatchedAt"`
	Community    string    `json:"community,omitempty"`
	Address      string    `json:"address,omitempty"`
	Lat          float64   `json:"lat,omitempty"`
	Lng          float64   `json:"lng,omitempty"`
	AssigneeID   string    `json:"assigneeId,omitempty"`
	AssigneeName string    `json:"assigneeName,omitempty"`
	// ByAddress is set when the order had no usable coordinates and joined
	// by its community and address.
	ByAddress bool `json:"byAddress,omitempty"`
	// Reopened is set when the order was reopened or rated dissatisfied.
	Reopened bool `json:"reopened,omitempty"`
}

// Hotspot is a connected group of similar orders from several citizens.
type Hotspot struct {
	// ID names the hotspot in one analysis: its category code and its
	// earliest order. The members are what identifies it across runs.
	ID string `json:"id"`
	// Category is the members' category, cut at the analysis level (at
	// level 2 the level-3 fields are empty).
	Category Category `json:"category"`
	// Centre is the mean of the members' coordinates; HasCentre is false
	// when no member had usable ones.
	HasCentre bool    `json:"hasCentre"`
	Lat       float64 `json:"lat,omitempty"`
	Lng       float64 `json:"lng,omitempty"`
	// RadiusM is the farthest member from the centre, metres.
	RadiusM float64 `json:"radiusM"`
	// The most frequent place names among the members.
	StreetOffice string    `json:"streetOffice,omitempty"`
	Community    string    `json:"community,omitempty"`
	Address      string    `json:"address,omitempty"`
	First        time.Time `json:"first"` // earliest dispatch
	Last         time.Time `json:"last"`  // latest dispatch
	Count        int       `json:"count"`
	Citizens     int       `json:"citizens"`
	// Previous counts the orders of the previous window similar to a member.
	Previous int   `json:"previous"`
	Trend    Trend `json:"trend"`
	// Reopened counts the members reopened or rated dissatisfied.
	Reopened Ratio          `json:"reopened"`
	Orders   []HotspotOrder `json:"orders"`
}

// Delta is Count − Previous.
func (h *Hotspot) Delta() int { return h.Count - h.Previous }

// HotspotPoint is a clustered order with usable coordinates, for a plot.
type HotspotPoint struct {
	ID           string  `json:"id"`
	Lat          float64 `json:"lat"`
	Lng          float64 `json:"lng"`
	L1Code       string  `json:"l1Code"`
	Category     string  `json:"category"` // the code at the analysis level
	StreetOffice string  `json:"streetOffice,omitempty"`
	Community    string  `json:"community,omitempty"`
	// Hotspot is the index in HotspotReport.Hotspots, −1 when the order is
	// in none.
	Hotspot int `json:"hotspot"`
}

// HotspotInput counts what the analysis did with the orders it was given:
// nothing is dropped silently.
type HotspotInput struct {
	Orders       int `json:"orders"`       // distinct orders given
	DuplicateIDs int `json:"duplicateIds"` // entries whose order ID came again (the newest version kept)
	Malformed    int `json:"malformed"`    // entries without an order ID or a dispatch time
	InWindow     int `json:"inWindow"`     // dispatched in the window
	Previous     int `json:"previous"`     // dispatched in the window before (for the trend)
	Clustered    int `json:"clustered"`    // of InWindow: taken into the analysis
	ByAddress    int `json:"byAddress"`    // of Clustered: placed by community and address
	// Of InWindow, coordinates that could not place the order (it falls
	// back to its community and address, or is left out without them).
	NoCoordinates      int `json:"noCoordinates"`      // 0,0
	InvalidCoordinates int `json:"invalidCoordinates"` // not numbers, or out of range
	SwappedCoordinates int `json:"swappedCoordinates"` // latitude and longitude swapped
	OutsideRegion      int `json:"outsideRegion"`      // valid, but not in the region
	// Of InWindow, left out.
	NoPlace         int `json:"noPlace"`         // neither usable coordinates nor community and address
	NoCategory      int `json:"noCategory"`      // no category code at the level
	UnknownCategory int `json:"unknownCategory"` // a code the duty list does not have
	Withdrawn       int `json:"withdrawn"`       // cancelled or returned
	// Events are big-data event orders: they answer a group, they are not
	// one more complaint of it.
	Events int `json:"events,omitempty"`
}

// LeftOut is how many orders of the window were not analysed.
func (in HotspotInput) LeftOut() int {
	return in.NoPlace + in.NoCategory + in.UnknownCategory + in.Withdrawn + in.Events
}

// HotspotReport is the result of FindHotspots.
type HotspotReport struct {
	From      time.Time     `json:"from"` // the window is (From, To]
	To        time.Time     `json:"to"`
	RadiusM   float64       `json:"radiusM"`
	MinOrders int           `json:"minOrders"`
	Level     CategoryLevel `json:"level"`
	// Hotspots by count, then growth (Delta), then ID.
	Hotspots []Hotspot      `json:"hotspots"`
	Input    HotspotInput   `json:"input"`
	Points   []HotspotPoint `json:"points,omitempty"`
}

// HotspotQuery is what a desk user asks the hotspot view for; the desk adds
// its clock, the duty list and China's bounds. Start from
// DefaultHotspotQuery: zero values are errors, not defaults, so that a
// window of 0 days says so.
type HotspotQuery struct {
	Window    time.Duration
	RadiusM   float64
	MinOrders int
	Level     CategoryLevel
	Points    bool // the plot's points
}

// DefaultHotspotQuery is 30 days, 300 m, 3 orders, level 3, with points.
func DefaultHotspotQuery() HotspotQuery {
	return HotspotQuery{Window: DefaultHotspotWindow, RadiusM: DefaultHotspotRadius, MinOrders: DefaultHotspotMinOrders,
		Level: CategoryLevel3, Points: true}
}

// Options returns the analysis options for q at now.
func (q HotspotQuery) Options(now time.Time) HotspotOptions {
	return HotspotOptions{Now: now, Window: q.Window, RadiusM: q.RadiusM, MinOrders: q.MinOrders, Level: q.Level,
		Region: ChinaBounds, Points: q.Points}
}

// HotspotService finds the hotspots among the orders the signed-in user
// can see (InHotspotScope), in the local store, offline. It returns
// EINVALID for a bad query and reads nothing then.
type HotspotService interface {
	Hotspots(ctx context.Context, q HotspotQuery) (*HotspotReport, error)
}

// InHotspotScope reports whether o belongs in u's hotspot view: a lead's are
// the team's orders, a caseworker's their own and those of their street
// office that they can see, the centre's all.
func InHotspotScope(u User, o *WorkOrder) bool {
	switch u.Role {
	case RoleLead:
		return u.TeamID != "" && o.TeamID == u.TeamID
	case RoleCaseworker:
		return o.AssigneeID == u.ID || u.StreetOffice != "" && o.Location.StreetOffice == u.StreetOffice
	}
	return u.Role.Centre()
}

// NormalizeAddress returns the form of an address that orders are matched
// on when they have no coordinates: ASCII width, lower case, without spaces
// and punctuation, and without the leading province, city, district, street
// office and community names the address repeats. An address that is only
// such names, or shorter than three characters after that, names no place
// ("福田区", "SAN FRANCISCO, CA") and gives "".
func NormalizeAddress(loc Location) string {
	s := strings.ToLower(foldWidth(strings.TrimSpace(loc.Address)))
	prefixes := []string{"广东省", "深圳市", loc.District, loc.StreetOffice, loc.Community}
	for changed := true; changed; {
		changed = false
		s = strings.TrimLeftFunc(s, func(r rune) bool { return unicode.IsSpace(r) || unicode.IsPunct(r) })
		for _, p := range prefixes {
			if p = strings.ToLower(foldWidth(strings.TrimSpace(p))); p != "" && strings.HasPrefix(s, p) {
				s, changed = s[len(p):], true
			}
		}
	}
	var b strings.Builder
	n := 0
	for _, r := range s {
		if unicode.IsSpace(r) || unicode.IsPunct(r) || unicode.IsSymbol(r) || unicode.IsControl(r) || r == unicode.ReplacementChar {
			continue
		}
		b.WriteRune(r)
		n++
	}
	if n < minAddressRunes {
		return ""
	}
	return b.String()
}

// minAddressRunes is the shortest normalized address that can name a place.
const minAddressRunes = 3

// foldWidth turns full-width ASCII (Ｂ栋１２号) and the ideographic space into
// their ordinary forms.
func foldWidth(s string) string {
	return strings.Map(func(r rune) rune {
		switch {
		case r >= 0xFF01 && r <= 0xFF5E:
			return r - 0xFEE0
		case r == 0x3000:
			return ' '
		}
		return r
	}, s)
}

// Earth's mean radius and the metres in a degree of latitude.
const (
	earthRadiusM = 6_371_008.8
	metresPerDeg = earthRadiusM * math.Pi / 180
)

// HaversineM returns the great-circle distance between two points in metres.
func HaversineM(lat1, lng1, lat2, lng2 float64) float64 {
	p1, p2 := lat1*math.Pi/180, lat2*math.Pi/180
	dp, dl := p2-p1, (lng2-lng1)*math.Pi/180
	h := sq(math.Sin(dp/2)) + math.Cos(p1)*math.Cos(p2)*sq(math.Sin(dl/2))
	return 2 * earthRadiusM * math.Asin(math.Sqrt(math.Min(1, h)))
}

func sq(x float64) float64 { return x * x }

// hsItem is an order taken into the analysis.
type hsItem struct {
	o        *WorkOrder
	cat      int32 // category index
	addr     int32 // community+address key index, −1 when it does not matter
	node     int32 // union-find node: its cell, or its own node without coordinates
	xy       bool
	cur      bool // in the window (else the previous window)
	phi, lam float64
	cosPhi   float64
	citizen  uint64
	t        int64 // dispatch time, Unix nanoseconds (sorts without reaching into the order)
}

// citizenOf is who raised an order, as stored (masked): the phone, else the
// name, else the order itself (nobody can say two anonymous orders came
// from one person), as a 64-bit FNV-1a hash. Two citizens share a hash with
// a chance of 2⁻⁶⁴; comparing hashes keeps the orders' own memory out of the
// group counts.
func citizenOf(o *WorkOrder) uint64 {
	kind, s := byte('o'), o.ID
	if p := strings.TrimSpace(o.Citizen.Phone); p != "" {
		kind, s = 'p', p
	} else if n := strings.TrimSpace(o.Citizen.Name); n != "" {
		kind, s = 'n', n
	}
	const prime = 1099511628211
	h := uint64(14695981039346656037)
	h = (h ^ uint64(kind)) * prime
	for i := 0; i < len(s); i++ {
		h = (h ^ uint64(s[i])) * prime
	}
	return h
}

// distinct returns how many different values l's citizens have; scratch is
// reused between calls.
func distinct(items []hsItem, l []int32, scratch *[]uint64) int {
	first, two := items[l[0]].citizen, false
	for _, i := range l[1:] {
		if items[i].citizen != first {
			two = true
			break
		}
	}
	if !two {
		return 1
	}
	c := (*scratch)[:0]
	for _, i := range l {
		c = append(c, items[i].citizen)
	}
	slices.Sort(c)
	*scratch = c
	return len(slices.Compact(c))
}

type commKey struct {
	cat  int32
	comm string
}

type addrKey struct {
	cat        int32
	comm, addr string
}

// hsGrid is the spatial index of the window's orders with coordinates: per
// category, rows of equal height and, in each row, cells no wider than the
// side at the row's latitude closest to the equator. A cell whose sides are
// at most r/√2 (a little less, for the error of the planar estimate) has a
// diagonal under r: its orders are all within r of each other and form one
// union-find node.
type hsGrid struct {
	rowH   float64 // row height, degrees of latitude
	side   float64 // cell side, metres
	reachM float64 // the distance, metres
	maxHav float64 // haversine term of the distance
	dRows  int32
	index  []map[uint64]int32 // per category: row<<32|col → cell
	cells  []hsCell
	pts    []hsPoint // the cells' orders' coordinates, cell by cell, beside each other for the pair checks
}

type hsPoint struct{ phi, lam, cosPhi float64 }

type hsCell struct {
	cat        int32
	row, col   int32
	first, n   int32 // pts[first:first+n]
	lo, hi     float64
	west, east float64
}

func newGrid(radiusM float64, cats int) *hsGrid {
	side := radiusM / math.Sqrt2 * 0.999
	g := &hsGrid{rowH: side / metresPerDeg, side: side, reachM: radiusM, maxHav: sq(math.Sin(radiusM / (2 * earthRadiusM))),
		index: make([]map[uint64]int32, cats)}
	g.dRows = int32(math.Ceil(radiusM / metresPerDeg / g.rowH))
	for i := range g.index {
		g.index[i] = map[uint64]int32{}
	}
	return g
}

func cellAt(row, col int32) uint64 { return uint64(uint32(row))<<32 | uint64(uint32(col)) }

func (g *hsGrid) row(lat float64) int32 { return int32(math.Floor((lat + 90) / g.rowH)) }

// colW is the width of row's cells in degrees of longitude.
func (g *hsGrid) colW(row int32) float64 {
	lo, hi := float64(row)*g.rowH-90, float64(row+1)*g.rowH-90
	minAbs := 0.0
	if lo > 0 {
		minAbs = lo
	} else if hi < 0 {
		minAbs = -hi
	}
	c := math.Cos(minAbs * math.Pi / 180)
	if c < 1e-9 {
		return 360
	}
	return math.Min(360, g.side/(metresPerDeg*c))
}

func (g *hsGrid) col(row int32, lng float64) int32 {
	return int32(math.Floor((lng + 180) / g.colW(row)))
}

// lngReach is the largest difference in longitude, degrees, between two
// points within the distance whose latitudes are at most maxAbs from the
// equator: hav(d) ≥ cos²φ·sin²(Δλ/2).
func (g *hsGrid) lngReach(maxAbs float64) float64 {
	c := math.Cos(math.Min(90, maxAbs) * math.Pi / 180)
	x := math.Sin(g.reachM/(2*earthRadiusM)) / c
	if c < 1e-12 || x >= 1 {
		return 360
	}
	return math.Min(360, 2*math.Asin(x)*180/math.Pi*1.000001)
}

// build puts the window's items with coordinates into cells.
func (g *hsGrid) build(items []hsItem) {
	cellOf := make([]int32, len(items))
	for i := range items {
		it := &items[i]
		if !it.cur || !it.xy {
			cellOf[i] = -1
			continue
		}
		l := &it.o.Location
		r := g.row(l.Lat)
		c := g.col(r, l.Lng)
		k := cellAt(r, c)
		id, ok := g.index[it.cat][k]
		if !ok {
			id = int32(len(g.cells))
			g.index[it.cat][k] = id
			g.cells = append(g.cells, hsCell{cat: it.cat, row: r, col: c, lo: 90, hi: -90, west: 180, east: -180})
		}
		cell := &g.cells[id]
		cell.n++
		cell.lo, cell.hi = math.Min(cell.lo, l.Lat), math.Max(cell.hi, l.Lat)
		cell.west, cell.east = math.Min(cell.west, l.Lng), math.Max(cell.east, l.Lng)
		cellOf[i] = id
		it.node = id
	}
	var off int32
	for i := range g.cells {
		g.cells[i].first = off
		off += g.cells[i].n
		g.cells[i].n = 0
	}
	g.pts = make([]hsPoint, off)
	for i, id := range cellOf {
		if id >= 0 {
			c := &g.cells[id]
			g.pts[c.first+c.n] = hsPoint{items[i].phi, items[i].lam, items[i].cosPhi}
			c.n++
		}
	}
}

func (g *hsGrid) cellPoints(id int32) []hsPoint {
	c := &g.cells[id]
	return g.pts[c.first : c.first+c.n]
}

// near calls f for every cell of category cat that may hold a point within
// the distance of a point of latitude [lo, hi] and longitude [west, east]
// in cell (row, col). half limits it to the cells after (row, col) in
// row-major order, so each pair of cells is seen once.
func (g *hsGrid) near(cat, row, col int32, lo, hi, west, east float64, half bool, f func(c int32)) {
	idx := g.index[cat]
	r0 := row - g.dRows
	if half {
		r0 = row
	}
	// The widest longitude span the distance covers is at the latitude
	// farthest from the equator that any of the rows reaches.
	rl, rh := float64(r0)*g.rowH-90, float64(row+g.dRows+1)*g.rowH-90
	dLng := g.lngReach(math.Max(math.Max(math.Abs(lo), math.Abs(hi)), math.Max(math.Abs(rl), math.Abs(rh))))
	for r := r0; r <= row+g.dRows; r++ {
		w := g.colW(r)
		c0 := int32(math.Floor((west - dLng + 180) / w))
		c1 := int32(math.Floor((east + dLng + 180) / w))
		if half && r == row {
			c0 = col + 1
		}
		for cc := c0; cc <= c1; cc++ {
			if id, ok := idx[cellAt(r, cc)]; ok {
				f(id)
			}
		}
	}
}

func (g *hsGrid) within(a, b *hsPoint) bool {
	h := sq(math.Sin((b.phi-a.phi)/2)) + a.cosPhi*b.cosPhi*sq(math.Sin((b.lam-a.lam)/2))
	return h <= g.maxHav
}

// unionFind over the cells and the orders without coordinates.
type unionFind []int32

func (u unionFind) find(x int32) int32 {
	for u[x] != x {
		u[x] = u[u[x]]
		x = u[x]
	}
	return x
}

func (u unionFind) union(a, b int32) {
	a, b = u.find(a), u.find(b)
	if a == b {
		return
	}
	if b < a { // the smaller node is the root, whatever the call order
		a, b = b, a
	}
	u[b] = a
}

// FindHotspots finds the hotspots among orders. It returns an EINVALID error
// for bad options; bad orders are counted in the report's Input and left
// out, never guessed at.
func FindHotspots(orders []WorkOrder, opt HotspotOptions) (*HotspotReport, error) {
	if err := opt.Validate(); err != nil {
		return nil, err
	}
	if opt.Region == (Bounds{}) {
		opt.Region = ChinaBounds
	}
	to := opt.Now
	from := to.Add(-opt.Window)
	rep := &HotspotReport{From: from, To: to, RadiusM: opt.RadiusM, MinOrders: opt.MinOrders, Level: opt.Level, Hotspots: []Hotspot{}}
	items, catNames := collect(orders, opt, &rep.Input)

	g := newGrid(opt.RadiusM, len(catNames))
	g.build(items)
	nodes := int32(len(g.cells))
	for i := range items {
		if it := &items[i]; it.cur && !it.xy {
			it.node = nodes
			nodes++
		}
	}
	uf := make(unionFind, nodes)
	for i := range uf {
		uf[i] = int32(i)
	}
	for ci := range g.cells {
		c := &g.cells[ci]
		g.near(c.cat, c.row, c.col, c.lo, c.hi, c.west, c.east, true, func(di int32) {
			if uf.find(int32(ci)) == uf.find(di) {
				return
			}
			bs := g.cellPoints(di)
			for _, a := range g.cellPoints(int32(ci)) {
				for k := range bs {
					if g.within(&a, &bs[k]) {
						uf.union(int32(ci), di)
						return
					}
				}
			}
		})
	}
	// An order without coordinates joins every order with its community and
	// address (and so links those orders with each other).
	byAddr := map[int32][]int32{}
	for i := range items {
		if it := &items[i]; it.cur && it.addr >= 0 {
			byAddr[it.addr] = append(byAddr[it.addr], int32(i))
		}
	}
	for _, l := range byAddr {
		bare := false
		for _, i := range l {
			bare = bare || !items[i].xy
		}
		if bare {
			for _, i := range l[1:] {
				uf.union(items[l[0]].node, items[i].node)
			}
		}
	}

	// Groups, by counting: the window's items ordered by their root.
	start := make([]int32, nodes+1)
	for i := range items {
		if it := &items[i]; it.cur {
			start[uf.find(it.node)+1]++
		}
	}
	for i := int32(1); i <= nodes; i++ {
		start[i] += start[i-1]
	}
	byRoot := make([]int32, start[nodes])
	fill := slices.Clone(start[:nodes])
	for i := range items {
		if it := &items[i]; it.cur {
			r := uf.find(it.node)
			byRoot[fill[r]] = int32(i)
			fill[r]++
		}
	}
	hotRoot := map[int32]int{} // root → index into hs
	var hs []Hotspot
	var roots []int32
	var scratch []uint64
	for r := int32(0); r < nodes; r++ {
		l := byRoot[start[r]:start[r+1]]
		if len(l) < opt.MinOrders {
			continue
		}
		citizens := distinct(items, l, &scratch)
		if citizens < 2 {
			continue
		}
		h := buildHotspot(items, l, opt.Level, catNames[items[l[0]].cat])
		h.Citizens = citizens
		hotRoot[r] = len(hs)
		hs = append(hs, h)
		roots = append(roots, r)
	}

	// Trend: the previous window's orders similar to a member.
	if len(hs) > 0 {
		seen := make([]int, len(hs)) // the last previous order counted, +1
		mark := func(p int, root int32) {
			if k, ok := hotRoot[root]; ok && seen[k] != p+1 {
				seen[k] = p + 1
				hs[k].Previous++
			}
		}
		for p := range items {
			it := &items[p]
			if it.cur {
				continue
			}
			if it.xy {
				l := &it.o.Location
				r := g.row(l.Lat)
				g.near(it.cat, r, g.col(r, l.Lng), l.Lat, l.Lat, l.Lng, l.Lng, false, func(ci int32) {
					root := uf.find(ci)
					if _, ok := hotRoot[root]; !ok {
						return
					}
					pt := hsPoint{it.phi, it.lam, it.cosPhi}
					for _, m := range g.cellPoints(ci) {
						if g.within(&pt, &m) {
							mark(p, root)
							return
						}
					}
				})
			}
			if it.addr >= 0 {
				for _, m := range byAddr[it.addr] {
					if !it.xy || !items[m].xy {
						mark(p, uf.find(items[m].node))
					}
				}
			}
		}
	}
	for k := range hs {
		h := &hs[k]
		switch {
		case h.Previous == 0:
			h.Trend = TrendNew
		case h.Count > h.Previous:
			h.Trend = TrendRising
		case h.Count < h.Previous:
			h.Trend = TrendFalling
		default:
			h.Trend = TrendSteady
		}
	}

	// Biggest first, then growing fastest, then by ID.
	idx := make([]int, len(hs))
	for i := range idx {
		idx[i] = i
	}
	slices.SortFunc(idx, func(a, b int) int {
		ha, hb := &hs[a], &hs[b]
		return cmp.Or(cmp.Compare(hb.Count, ha.Count), cmp.Compare(hb.Delta(), ha.Delta()), strings.Compare(ha.ID, hb.ID))
	})
	rank := map[int32]int{}
	for pos, k := range idx {
		rep.Hotspots = append(rep.Hotspots, hs[k])
		rank[roots[k]] = pos
	}

	if opt.Points {
		for i := range items {
			it := &items[i]
			if !it.cur || !it.xy {
				continue
			}
			k, ok := rank[uf.find(it.node)]
			if !ok {
				k = -1
			}
			rep.Points = append(rep.Points, HotspotPoint{ID: it.o.ID, Lat: it.o.Location.Lat, Lng: it.o.Location.Lng,
				L1Code: it.o.Category.L1Code, Category: catNames[it.cat], StreetOffice: it.o.Location.StreetOffice,
				Community: it.o.Location.Community, Hotspot: k})
		}
		slices.SortFunc(rep.Points, func(a, b HotspotPoint) int { return strings.Compare(a.ID, b.ID) })
	}
	return rep, nil
}

// collect keeps the orders of the window and the one before it that can be
// analysed, counting the others, and names their categories.
func collect(orders []WorkOrder, opt HotspotOptions, in *HotspotInput) ([]hsItem, []string) {
	to := opt.Now
	from := to.Add(-opt.Window)
	prevFrom := from.Add(-opt.Window)
	keep := dedupe(orders, in)

	var dutyL2 map[string]bool
	if opt.Duty != nil && opt.Level == CategoryLevel2 {
		dutyL2 = map[string]bool{}
		for _, it := range opt.Duty.Items {
			dutyL2[it.L2Code] = true
		}
	}
	cats := map[string]int32{}
	var catNames []string
	addrs := map[addrKey]int32{}
	bareComm := map[commKey]bool{} // communities with orders placed by address
	items := make([]hsItem, 0, len(keep))
	for _, i := range keep {
		o := &orders[i]
		t := o.DispatchedAt
		cur := t.After(from) && !t.After(to)
		if !cur && !(t.After(prevFrom) && !t.After(from)) {
			continue
		}
		count := func(p *int) {
			if cur {
				*p++
			}
		}
		if cur {
			in.InWindow++
		} else {
			in.Previous++
		}
		if o.Status == StatusCancelled || o.Status == StatusReturned {
			count(&in.Withdrawn)
			continue
		}
		if o.Kind == OrderKindEvent {
			count(&in.Events)
			continue
		}
		code := opt.Level.code(&o.Category)
		if code == "" {
			count(&in.NoCategory)
			continue
		}
		if opt.Duty != nil {
			known := false
			if dutyL2 != nil {
				known = dutyL2[code]
			} else {
				_, known = opt.Duty.Lookup(code)
			}
			if !known {
				count(&in.UnknownCategory)
				continue
			}
		}
		it := hsItem{o: o, cur: cur, addr: -1}
		switch opt.Region.CheckCoordinates(o.Location.Lat, o.Location.Lng) {
		case CoordOK:
			it.xy = true
			it.phi, it.lam = o.Location.Lat*math.Pi/180, o.Location.Lng*math.Pi/180
			it.cosPhi = math.Cos(it.phi)
		case CoordMissing:
			count(&in.NoCoordinates)
		case CoordInvalid:
			count(&in.InvalidCoordinates)
		case CoordSwapped:
			count(&in.SwappedCoordinates)
		case CoordOutside:
			count(&in.OutsideRegion)
		}
		c, ok := cats[code]
		if !ok {
			c = int32(len(catNames))
			cats[code] = c
			catNames = append(catNames, code)
		}
		it.cat = c
		if !it.xy {
			// Without coordinates the address is all there is.
			comm := strings.TrimSpace(o.Location.Community)
			a := ""
			if comm != "" {
				a = NormalizeAddress(o.Location)
			}
			if a == "" {
				count(&in.NoPlace)
				continue
			}
			k := addrKey{c, comm, a}
			ai, ok := addrs[k]
			if !ok {
				ai = int32(len(addrs))
				addrs[k] = ai
			}
			it.addr = ai
			bareComm[commKey{c, comm}] = true
			if cur {
				in.ByAddress++
			}
		}
		if cur {
			in.Clustered++
		}
		it.citizen, it.t = citizenOf(o), t.UnixNano()
		items = append(items, it)
	}
	// An order with coordinates is matched by address only with orders
	// without them: look its address up only where there are such orders.
	if len(bareComm) > 0 {
		for i := range items {
			it := &items[i]
			if !it.xy {
				continue
			}
			comm := strings.TrimSpace(it.o.Location.Community)
			if !bareComm[commKey{it.cat, comm}] {
				continue
			}
			if ai, ok := addrs[addrKey{it.cat, comm, NormalizeAddress(it.o.Location)}]; ok {
				it.addr = ai
			}
		}
	}
	return items, catNames
}

// dedupe returns the index of the newest entry of each order ID (highest
// version, then latest update), in input order, and counts the rest.
func dedupe(orders []WorkOrder, in *HotspotInput) []int {
	best := make(map[string]int, len(orders))
	keep := make([]int, 0, len(orders))
	for i := range orders {
		o := &orders[i]
		if o.ID == "" || o.DispatchedAt.IsZero() {
			in.Malformed++
			continue
		}
		j, ok := best[o.ID]
		if !ok {
			best[o.ID] = len(keep)
			keep = append(keep, i)
			continue
		}
		in.DuplicateIDs++
		if newer(o, &orders[keep[j]]) {
			keep[j] = i
		}
	}
	in.Orders = len(keep)
	return keep
}

// newer reports whether a is a later version of the order than b; equal
// versions compare by content so the choice never depends on input order.
func newer(a, b *WorkOrder) bool {
	if c := cmp.Or(cmp.Compare(a.Version, b.Version), a.UpdatedAt.Compare(b.UpdatedAt),
		a.DispatchedAt.Compare(b.DispatchedAt), cmp.Compare(a.Location.Lat, b.Location.Lat),
		cmp.Compare(a.Location.Lng, b.Location.Lng), strings.Compare(a.Category.L3Code, b.Category.L3Code),
		strings.Compare(a.Category.L2Code, b.Category.L2Code), strings.Compare(string(a.Status), string(b.Status)),
		strings.Compare(a.Location.Address, b.Location.Address), strings.Compare(a.Citizen.Phone, b.Citizen.Phone),
		strings.Compare(a.Title, b.Title)); c != 0 {
		return c > 0
	}
	return false
}

// buildHotspot summarises the window's orders l (item indexes) of one group.
func buildHotspot(items []hsItem, l []int32, level CategoryLevel, code string) Hotspot {
	ms := make([]*hsItem, len(l))
	for k, i := range l {
		ms[k] = &items[i]
	}
	slices.SortFunc(ms, func(a, b *hsItem) int {
		return cmp.Or(cmp.Compare(a.t, b.t), strings.Compare(a.o.ID, b.o.ID))
	})
	h := Hotspot{ID: code + "/" + ms[0].o.ID, Category: ms[0].o.Category, Count: len(ms),
		First: ms[0].o.DispatchedAt, Last: ms[len(ms)-1].o.DispatchedAt, Orders: make([]HotspotOrder, len(ms))}
	if level == CategoryLevel2 {
		h.Category.L3Code, h.Category.L3Name = "", ""
	}
	var sumLat, sumLng float64
	n := 0
	streets, comms := map[string]int{}, map[string]int{}
	for k, m := range ms {
		o := m.o
		reopened := o.Cycle > 0 || o.Rating == RatingDissatisfied
		h.Reopened.add(reopened)
		h.Orders[k] = HotspotOrder{ID: o.ID, Title: o.Title, Status: o.Status, DispatchedAt: o.DispatchedAt,
			Community: o.Location.Community, Address: o.Location.Address, AssigneeID: o.AssigneeID,
			AssigneeName: o.AssigneeName, ByAddress: !m.xy, Reopened: reopened}
		if m.xy {
			h.Orders[k].Lat, h.Orders[k].Lng = o.Location.Lat, o.Location.Lng
			sumLat += o.Location.Lat
			sumLng += o.Location.Lng
			n++
		}
		streets[o.Location.StreetOffice]++
		comms[o.Location.Community]++
	}
	h.StreetOffice, h.Community = mostFrequent(streets), mostFrequent(comms)
	// The address that names the place: the earliest order's, or, with
	// coordinates, the one closest to the centre.
	h.Address = strings.TrimSpace(ms[0].o.Location.Address)
	if n > 0 {
		// A centre to 1e-6° (~0.1 m) and a radius to 0.1 m, rounded up so
		// every member stays inside: finer would be noise.
		h.HasCentre = true
		h.Lat, h.Lng = math.Round(sumLat/float64(n)*1e6)/1e6, math.Round(sumLng/float64(n)*1e6)/1e6
		closest := math.Inf(1)
		for _, m := range ms {
			if !m.xy {
				continue
			}
			d := HaversineM(h.Lat, h.Lng, m.o.Location.Lat, m.o.Location.Lng)
			h.RadiusM = math.Max(h.RadiusM, d)
			if a := strings.TrimSpace(m.o.Location.Address); a != "" && d < closest {
				h.Address, closest = a, d
			}
		}
		h.RadiusM = math.Ceil(h.RadiusM*10) / 10
	}
	return h
}

// mostFrequent returns the most frequent non-empty key, the smallest on a tie.
func mostFrequent(m map[string]int) string {
	best, n := "", 0
	for k, c := range m {
		if k == "" {
			continue
		}
		if c > n || c == n && k < best {
			best, n = k, c
		}
	}
	return best
}
