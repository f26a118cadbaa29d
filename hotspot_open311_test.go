package streetdesk_test

import (
	"encoding/csv"
	"encoding/json"
	"encoding/xml"
	"flag"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/streetdesk/streetdesk"
)

// Real 311 requests (testdata/open311, see testdata/MANIFEST.md): NYC 311
// rows and Open311 GeoReport v2 captures from Chicago, San Francisco, Toronto
// and Bloomington, read into work orders so the analysis meets real
// distributions: missing and zero coordinates, duplicates, many categories,
// padded and empty addresses. The category is the service (level 2) and the
// service with its descriptor (level 3); there is no citizen, so each
// request counts as its own.

var updateGolden = flag.Bool("update", false, "rewrite testdata/open311/hotspots.golden")

// northAmerica is where these coordinates are believable.
var northAmerica = streetdesk.Bounds{MinLat: 15, MaxLat: 72, MinLng: -170, MaxLng: -50}

// est is New York's standard time; the rows carry no zone.
var est = time.FixedZone("EST", -5*3600)

type open311Source struct {
	name   string
	orders []streetdesk.WorkOrder
	rows   int
}

func readFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", "open311", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// parseCoord reads a coordinate; empty and unreadable text are 0 (none).
func parseCoord(s string) float64 {
	f, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil {
		return 0
	}
	return f
}

func category(l1, service, detail string) streetdesk.Category {
	c := streetdesk.Category{L1Code: l1, L1Name: l1, L2Code: service, L2Name: service, L3Code: service, L3Name: service}
	if d := strings.TrimSpace(detail); d != "" {
		c.L3Code, c.L3Name = service+" / "+d, d
	}
	return c
}

// loadNYC reads a NYC 311 CSV: Unique Key, Created Date (MM/DD/YYYY hh:mm:ss
// AM, New York time), Agency, Complaint Type, Descriptor, Incident Address,
// Community Board, Borough, Latitude, Longitude.
func loadNYC(t *testing.T, name string) open311Source {
	t.Helper()
	r := csv.NewReader(strings.NewReader(string(readFile(t, name))))
	r.FieldsPerRecord = -1
	recs, err := r.ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := map[string]int{}
	for i, h := range recs[0] {
		col[h] = i
	}
	get := func(rec []string, k string) string {
		if i, ok := col[k]; ok && i < len(rec) {
			return rec[i]
		}
		return ""
	}
	src := open311Source{name: name, rows: len(recs) - 1}
	for _, rec := range recs[1:] {
		at, err := time.ParseInLocation("01/02/2006 03:04:05 PM", get(rec, "Created Date"), est)
		if err != nil {
			at = time.Time{} // counted as malformed
		}
		st := streetdesk.StatusAccepted
		if get(rec, "Status") == "Closed" {
			st = streetdesk.StatusClosed
		}
		src.orders = append(src.orders, streetdesk.WorkOrder{
			ID: get(rec, "Unique Key"), Title: get(rec, "Complaint Type"), Status: st, DispatchedAt: at,
			Category: category(get(rec, "Agency"), get(rec, "Complaint Type"), get(rec, "Descriptor")),
			Location: streetdesk.Location{District: get(rec, "Borough"), Community: get(rec, "Community Board"),
				Address: get(rec, "Incident Address"), Lat: parseCoord(get(rec, "Latitude")), Lng: parseCoord(get(rec, "Longitude"))},
		})
	}
	return src
}

// georeport is one GeoReport v2 request, JSON or XML.
type georeport struct {
	ID        string `json:"service_request_id" xml:"service_request_id"`
	Status    string `json:"status" xml:"status"`
	Service   string `json:"service_name" xml:"service_name"`
	Agency    string `json:"agency_responsible" xml:"agency_responsible"`
	Requested string `json:"requested_datetime" xml:"requested_datetime"`
	Address   string `json:"address" xml:"address"`
	Zip       any    `json:"zipcode" xml:"-"`
	Lat       any    `json:"lat" xml:"-"` // a number, 0 or null
	Long      any    `json:"long" xml:"-"`
	XLat      string `json:"-" xml:"lat"`
	XLong     string `json:"-" xml:"long"`
}

func (g georeport) order(city string) streetdesk.WorkOrder {
	at, err := time.Parse(time.RFC3339, g.Requested)
	if err != nil {
		// San Francisco: "2012-05-22 23:57:23.97", Pacific time.
		at, err = time.ParseInLocation("2006-01-02 15:04:05.999", g.Requested, time.FixedZone("PDT", -7*3600))
		if err != nil {
			at = time.Time{}
		}
	}
	num := func(v any, x string) float64 {
		switch v := v.(type) {
		case float64:
			return v
		case string:
			return parseCoord(v)
		}
		return parseCoord(x)
	}
	st := streetdesk.StatusAccepted
	if strings.EqualFold(g.Status, "closed") {
		st = streetdesk.StatusClosed
	}
	return streetdesk.WorkOrder{ID: g.ID, Title: g.Service, Status: st, DispatchedAt: at,
		Category: category(city, g.Service, ""),
		Location: streetdesk.Location{District: city, Community: city, Address: g.Address, Lat: num(g.Lat, g.XLat), Lng: num(g.Long, g.XLong)}}
}

func loadGeoReportJSON(t *testing.T, name, city string) open311Source {
	t.Helper()
	var rs []georeport
	if err := json.Unmarshal(readFile(t, name), &rs); err != nil {
		t.Fatal(err)
	}
	src := open311Source{name: name, rows: len(rs)}
	for _, r := range rs {
		src.orders = append(src.orders, r.order(city))
	}
	return src
}

func loadGeoReportXML(t *testing.T, name, city string) open311Source {
	t.Helper()
	var doc struct {
		Requests []georeport `xml:"request"`
	}
	if err := xml.Unmarshal(readFile(t, name), &doc); err != nil {
		t.Fatal(err)
	}
	src := open311Source{name: name, rows: len(doc.Requests)}
	for _, r := range doc.Requests {
		src.orders = append(src.orders, r.order(city))
	}
	return src
}

func open311Sources(t *testing.T) []open311Source {
	return []open311Source{
		loadNYC(t, "nyc/nyc311_2011-03_sample_1000rows.csv"),
		loadNYC(t, "nyc/nyc311_2013-10_sample_200rows.csv"),
		loadGeoReportJSON(t, "chicago_requests_2014-07-12.json", "Chicago"),
		loadGeoReportJSON(t, "bloomington_IN_requests_2012-05-23.json", "Bloomington"),
		loadGeoReportXML(t, "san_francisco_requests_2012-05-22.xml", "San Francisco"),
		loadGeoReportXML(t, "toronto_requests_2018-07-30.xml", "Toronto"),
	}
}

// span returns the earliest and latest request time.
func span(orders []streetdesk.WorkOrder) (first, last time.Time) {
	for _, o := range orders {
		if o.DispatchedAt.IsZero() {
			continue
		}
		if first.IsZero() || o.DispatchedAt.Before(first) {
			first = o.DispatchedAt
		}
		if o.DispatchedAt.After(last) {
			last = o.DispatchedAt
		}
	}
	return first, last
}

// TestHotspotsOpen311 runs the analysis over every source at 100 m, 300 m
// and 1 km, levels 3 and 2, with a window holding all of its requests, and
// compares a summary with testdata/open311/hotspots.golden (docs/hotspots.md
// quotes it; go test -run Open311 -update rewrites it).
func TestHotspotsOpen311(t *testing.T) {
	var b strings.Builder
	fmt.Fprintln(&b, "# source radius level | rows orders in-window clustered by-address no-coords bad-coords left-out | hotspots in-hotspots biggest")
	for _, src := range open311Sources(t) {
		first, last := span(src.orders)
		days := int(last.Sub(first).Hours()/24) + 1
		for _, level := range []streetdesk.CategoryLevel{streetdesk.CategoryLevel3, streetdesk.CategoryLevel2} {
			for _, radius := range []float64{100, 300, 1000} {
				o := streetdesk.DefaultHotspotOptions(last.Add(time.Second))
				o.Window = time.Duration(days) * 24 * time.Hour
				o.RadiusM, o.Level, o.Region, o.Points = radius, level, northAmerica, true
				r := find(t, src.orders, o)
				in := r.Input
				if in.Orders+in.DuplicateIDs+in.Malformed != src.rows || in.InWindow != in.Orders {
					t.Errorf("%s: %d rows, input %+v", src.name, src.rows, in)
				}
				members, biggest := 0, "-"
				for _, h := range r.Hotspots {
					members += h.Count
				}
				if len(r.Hotspots) > 0 {
					h := r.Hotspots[0]
					biggest = fmt.Sprintf("%d×%q r=%.0fm", h.Count, h.Category.Path(), h.RadiusM)
				}
				fmt.Fprintf(&b, "%s %g %d | %d %d %d %d %d %d %d %d | %d %d %s\n", src.name, radius, level,
					src.rows, in.Orders, in.InWindow, in.Clustered, in.ByAddress, in.NoCoordinates,
					in.InvalidCoordinates+in.SwappedCoordinates+in.OutsideRegion, in.LeftOut(), len(r.Hotspots), members, biggest)
			}
		}
	}
	golden := filepath.Join("testdata", "open311", "hotspots.golden")
	if *updateGolden {
		if err := os.WriteFile(golden, []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(golden)
	if err != nil {
		t.Fatal(err)
	}
	if b.String() != string(want) {
		t.Errorf("summary changed (go test -run Open311 -update to accept):\n%s\nwant\n%s", b.String(), want)
	}
}

// TestHotspotsOpen311Sliding slides the window over the NYC rows, a day at a
// time (30-day window) and an hour at a time (1-day window): a hotspot that
// goes away never comes back with the same orders.
func TestHotspotsOpen311Sliding(t *testing.T) {
	for _, src := range open311Sources(t)[:2] {
		first, last := span(src.orders)
		for _, radius := range []float64{100, 300, 1000} {
			o := streetdesk.DefaultHotspotOptions(first)
			o.RadiusM, o.Region = radius, northAmerica
			days := int(last.Sub(first).Hours()/24) + 32
			if n := checkSliding(t, src.orders, o, first.Add(-24*time.Hour), 24*time.Hour, days); n == 0 {
				t.Errorf("%s %g m: no hotspot in any 30-day window", src.name, radius)
			}
			o.Window = 24 * time.Hour
			checkSliding(t, src.orders, o, first.Add(-time.Hour), time.Hour, 4*24)
		}
	}
}

// TestHotspotsOpen311BadInput mixes broken copies into the NYC rows: swapped,
// zero, NaN and out-of-region coordinates, rows without a category, the same
// ID again with a newer version. Each is counted where it belongs, none is
// placed by its coordinates, and the rows of a hotspot placed by address
// share their community and address.
func TestHotspotsOpen311BadInput(t *testing.T) {
	src := loadNYC(t, "nyc/nyc311_2011-03_sample_1000rows.csv")
	first, last := span(src.orders)
	orders := append([]streetdesk.WorkOrder(nil), src.orders...)
	var swapped, zero, nan, outside, noCat, newer int
	for i, o := range src.orders {
		if o.Location.Lat == 0 {
			continue
		}
		b := o
		b.ID = fmt.Sprintf("%s-bad", o.ID)
		switch i % 6 {
		case 0:
			b.Location.Lat, b.Location.Lng = o.Location.Lng, o.Location.Lat
			swapped++
		case 1:
			b.Location.Lat, b.Location.Lng = 0, 0
			zero++
		case 2:
			b.Location.Lat = math.NaN()
			nan++
		case 3:
			b.Location.Lat, b.Location.Lng = -o.Location.Lat, o.Location.Lng // a sign lost
			outside++
		case 4:
			b.Category = streetdesk.Category{}
			noCat++
		case 5:
			b.ID, b.Version, b.Location.Lat, b.Location.Lng = o.ID, o.Version+1, o.Location.Lng, o.Location.Lat
			newer++
			swapped++
		}
		orders = append(orders, b)
	}
	o := streetdesk.DefaultHotspotOptions(last.Add(time.Second))
	o.Window, o.Region = last.Sub(first)+24*time.Hour, northAmerica
	r := find(t, orders, o)
	clean := find(t, src.orders, o)
	in, c := r.Input, clean.Input
	if in.DuplicateIDs != newer || in.SwappedCoordinates != swapped || in.NoCoordinates != c.NoCoordinates+zero ||
		in.InvalidCoordinates != nan || in.OutsideRegion != outside || in.NoCategory != c.NoCategory+noCat {
		t.Errorf("input %+v; injected swapped %d zero %d NaN %d outside %d no category %d newer %d", in, swapped, zero, nan, outside, noCat, newer)
	}
	for _, h := range r.Hotspots {
		for _, m := range h.Orders {
			if !m.ByAddress && !northAmerica.Contains(m.Lat, m.Lng) {
				t.Errorf("hotspot %s: %s placed at %v,%v", h.ID, m.ID, m.Lat, m.Lng)
			}
		}
	}

	// In China's bounds no New York coordinate is believable: every row
	// falls back to its community board and address.
	o.Region = streetdesk.ChinaBounds
	r = find(t, src.orders, o)
	if r.Input.OutsideRegion != c.Clustered-c.ByAddress {
		t.Errorf("outside China: %d, want %d", r.Input.OutsideRegion, c.Clustered-c.ByAddress)
	}
	byID := map[string]streetdesk.WorkOrder{}
	for _, o := range src.orders {
		byID[o.ID] = o
	}
	for _, h := range r.Hotspots {
		want := byID[h.Orders[0].ID]
		for _, m := range h.Orders {
			got := byID[m.ID]
			if !m.ByAddress || got.Location.Community != want.Location.Community || streetdesk.NormalizeAddress(got.Location) != streetdesk.NormalizeAddress(want.Location) {
				t.Errorf("hotspot %s by address mixes %q/%q with %q/%q", h.ID, got.Location.Community, got.Location.Address, want.Location.Community, want.Location.Address)
			}
		}
	}
	t.Logf("outside China: %d hotspots by address", len(r.Hotspots))
}
