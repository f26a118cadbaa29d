package media_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"math"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/media"
)

// The photo evidence checks (streetdesk.CheckPhotos) on the metadata this
// package reads from real photos, against the values exiftool gives
// (expected_exiftool.tsv).

func facts(id string, tag streetdesk.PhotoTag, p streetdesk.ImportedPhoto) streetdesk.PhotoFacts {
	return streetdesk.PhotoFacts{RefID: id, SHA256: p.SHA256, Tag: tag, TakenAt: p.TakenAt, ZoneAssumed: p.ZoneAssumed,
		Lat: p.Lat, Lng: p.Lng, HasPlace: p.HasGPS}
}

func metaFacts(id string, tag streetdesk.PhotoTag, m media.Meta) streetdesk.PhotoFacts {
	return streetdesk.PhotoFacts{RefID: id, Tag: tag, TakenAt: m.TakenAt, ZoneAssumed: m.ZoneAssumed, Lat: m.Lat, Lng: m.Lng, HasPlace: m.HasGPS}
}

func checkCodes(cs []streetdesk.EvidenceCheck) []streetdesk.EvidenceCode {
	var out []streetdesk.EvidenceCode
	for _, c := range cs {
		out = append(out, c.Code)
	}
	return out
}

// Every importable photo of the set as an "after" photo of an order in
// Luohu, Shenzhen, dispatched 2026-03-12 08:15: the expected findings are
// derived from exiftool's values, not from our reader.
func TestEvidenceOnRealPhotos(t *testing.T) {
	s := open(t, media.Options{})
	ctx := context.Background()
	o := streetdesk.WorkOrder{ID: "SZ-LUOHU", Location: streetdesk.Location{Lat: 22.5489, Lng: 114.1182},
		DispatchedAt: time.Date(2026, 3, 12, 8, 15, 0, 0, streetdesk.ChinaTZ)}
	now := time.Date(2026, 3, 12, 16, 0, 0, 0, streetdesk.ChinaTZ)
	seen := 0
	for _, e := range readExpected(t) {
		if strings.HasPrefix(e.path, "malformed/") || strings.HasPrefix(e.path, "heic/") {
			continue
		}
		t.Run(e.path, func(t *testing.T) {
			p, err := s.Import(ctx, filepath.Join(photos, e.path))
			if err != nil {
				t.Fatal(err)
			}
			got := streetdesk.CheckPhotos(&o, []streetdesk.PhotoFacts{facts("p", streetdesk.PhotoAfter, p)}, nil, now, streetdesk.EvidencePolicy{})
			var want []streetdesk.EvidenceCode
			if e.date == "-" {
				want = append(want, streetdesk.EvidenceNoTime)
			} else {
				taken, err := time.ParseInLocation("2006:01:02 15:04:05", e.date, streetdesk.ChinaTZ)
				if err != nil {
					t.Fatal(err)
				}
				switch {
				case taken.After(now.Add(streetdesk.DefaultClockTolerance)):
					want = append(want, streetdesk.EvidenceFuture)
				case taken.Before(o.DispatchedAt):
					want = append(want, streetdesk.EvidenceBeforeDispatch)
				}
				// None of these cameras writes OffsetTimeOriginal.
				want = append(want, streetdesk.EvidenceZoneAssumed)
			}
			var dist float64
			if e.lat == "-" {
				want = append(want, streetdesk.EvidenceNoPlace)
			} else {
				lat, _ := strconv.ParseFloat(e.lat, 64)
				lng, _ := strconv.ParseFloat(e.lng, 64)
				if x, ok := policy[e.path]; ok {
					lat, lng = x.lat, x.lng
				}
				dist = streetdesk.DistanceM(o.Location.Lat, o.Location.Lng, lat, lng)
				want = append(want, streetdesk.EvidenceFar) // every GPS photo of the set is abroad or in Beijing
			}
			if !slices.Equal(checkCodes(got), want) {
				t.Fatalf("checks %v, want %v", checkCodes(got), want)
			}
			for _, c := range got {
				if c.Code == streetdesk.EvidenceFar && (math.Abs(float64(c.DistanceM)-dist) > 1 || c.RadiusM != streetdesk.DefaultEvidenceRadiusM) {
					t.Errorf("distance %d m (radius %d), want %.0f m", c.DistanceM, c.RadiusM, dist)
				}
				if c.SHA256 != e.sha {
					t.Errorf("sha %s, want %s", c.SHA256, e.sha)
				}
			}
			seen++
		})
	}
	if seen < 20 {
		t.Fatalf("only %d photos checked", seen)
	}
}

// Photos that pass: the Nikon D2H photo from Beijing (39.9156, 116.3908,
// 2003-11-23 18:07:37 by exiftool) as evidence for an order at the same
// place dispatched an hour earlier says only that its time zone was assumed.
func TestEvidencePassesAtTheSite(t *testing.T) {
	s := open(t, media.Options{})
	p, err := s.Import(context.Background(), filepath.Join(photos, "gps/goexif_sample1_NikonD2H_Beijing.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	o := streetdesk.WorkOrder{ID: "BJ-1", Location: streetdesk.Location{Lat: 39.9160, Lng: 116.3912}, // ~55 m away
		DispatchedAt: time.Date(2003, 11, 23, 17, 0, 0, 0, streetdesk.ChinaTZ)}
	before := facts("b", streetdesk.PhotoBefore, p)
	before.TakenAt = time.Date(2003, 11, 23, 17, 30, 0, 0, streetdesk.ChinaTZ)
	got := streetdesk.CheckPhotos(&o, []streetdesk.PhotoFacts{before, facts("a", streetdesk.PhotoAfter, p)}, nil,
		time.Date(2003, 11, 23, 19, 0, 0, 0, streetdesk.ChinaTZ), streetdesk.EvidencePolicy{})
	if !slices.Equal(checkCodes(got), []streetdesk.EvidenceCode{streetdesk.EvidenceZoneAssumed, streetdesk.EvidenceZoneAssumed}) {
		t.Fatalf("checks %v", checkCodes(got))
	}
	if streetdesk.Warnings(got) != 0 {
		t.Errorf("warnings on a good photo: %+v", got)
	}
	if want := time.Date(2003, 11, 23, 10, 7, 37, 0, time.UTC); !got[1].TakenAt.Equal(want) {
		t.Errorf("taken %v, want %v", got[1].TakenAt, want)
	}
}

// A photo whose EXIF names its zone (Nokia 8.3 5G, OffsetTimeOriginal
// +03:00) is read in that zone and not reported as assumed. Its GPS is
// stored as SRATIONAL, which the reader accepts as exiftool does.
func TestEvidenceZoneFromExif(t *testing.T) {
	f, err := os.Open(filepath.Join(photos, "exif-only/HMD_Nokia_8.3_5G.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m := media.ReadMeta(f)
	if want := time.Date(2022, 8, 14, 11, 12, 31, 0, time.UTC); !m.TakenAt.Equal(want) || m.ZoneAssumed {
		t.Fatalf("taken %v (assumed %v), want %v from +03:00", m.TakenAt, m.ZoneAssumed, want)
	}
	if !m.HasGPS || math.Abs(m.Lat-60.1467055555556) > 1e-6 || math.Abs(m.Lng-24.9067722222222) > 1e-6 {
		t.Errorf("GPS %v %v,%v", m.HasGPS, m.Lat, m.Lng)
	}
	o := streetdesk.WorkOrder{ID: "HEL", Location: streetdesk.Location{Lat: 60.1467, Lng: 24.9068},
		DispatchedAt: time.Date(2022, 8, 14, 10, 0, 0, 0, time.UTC)}
	got := streetdesk.CheckPhotos(&o, []streetdesk.PhotoFacts{metaFacts("n", streetdesk.PhotoAfter, m)}, nil,
		time.Date(2022, 8, 14, 12, 0, 0, 0, time.UTC), streetdesk.EvidencePolicy{})
	if len(got) != 0 {
		t.Fatalf("checks %v, want none", checkCodes(got))
	}
	// Read as China time (the assumption for a zoneless EXIF) it would
	// have been five hours earlier, before the dispatch.
	cst := time.Date(2022, 8, 14, 14, 12, 31, 0, streetdesk.ChinaTZ)
	got = streetdesk.CheckPhotos(&o, []streetdesk.PhotoFacts{{RefID: "n", Tag: streetdesk.PhotoAfter, TakenAt: cst, ZoneAssumed: true,
		Lat: m.Lat, Lng: m.Lng, HasPlace: true}}, nil, time.Date(2022, 8, 14, 12, 0, 0, 0, time.UTC), streetdesk.EvidencePolicy{})
	if !slices.Equal(checkCodes(got), []streetdesk.EvidenceCode{streetdesk.EvidenceBeforeDispatch, streetdesk.EvidenceZoneAssumed}) {
		t.Errorf("as China time: %v", checkCodes(got))
	}
}

// Bad input: malformed EXIF never fails a check, it only yields less to
// check. The camera clocks of 2099 and 2216 are in the future; the GPS of
// 4294967295° is no place; a zeroed GPS block (0/0) is no place.
func TestEvidenceOnBadExif(t *testing.T) {
	o := streetdesk.WorkOrder{ID: "SZ", Location: streetdesk.Location{Lat: 22.5489, Lng: 114.1182},
		DispatchedAt: time.Date(2026, 3, 12, 8, 15, 0, 0, streetdesk.ChinaTZ)}
	now := time.Date(2026, 3, 12, 16, 0, 0, 0, streetdesk.ChinaTZ)
	for _, tc := range []struct {
		file string
		want []streetdesk.EvidenceCode
	}{
		{"malformed/goexif/2099-08-12-19-59-29-sep-2099-08-12-19-59-29a.jpg",
			[]streetdesk.EvidenceCode{streetdesk.EvidenceFuture, streetdesk.EvidenceZoneAssumed, streetdesk.EvidenceNoPlace}},
		{"malformed/goexif/2216-11-15-11-46-51-sep-2216-11-15-11-46-51a.jpg",
			[]streetdesk.EvidenceCode{streetdesk.EvidenceFuture, streetdesk.EvidenceZoneAssumed, streetdesk.EvidenceNoPlace}},
		{"malformed/pillow/exif_gps.jpg",
			[]streetdesk.EvidenceCode{streetdesk.EvidenceFuture, streetdesk.EvidenceZoneAssumed, streetdesk.EvidenceNoPlace}},
		{"malformed/pillow/empty_gps_ifd.jpg", nil}, // decided below from what is there
		{"malformed/goexif/infinite_loop_exif.jpg", []streetdesk.EvidenceCode{streetdesk.EvidenceNoTime, streetdesk.EvidenceNoPlace}},
		{"malformed/goexif/max_uint32_exif.jpg", nil}, // the count is bad, its GPS is not (Colorado: far)
		{"malformed/ianare/no_exif.jpg", []streetdesk.EvidenceCode{streetdesk.EvidenceNoTime, streetdesk.EvidenceNoPlace}},
		{"malformed/ianare/45-gps_ifd.jpg", nil},
		{"malformed/pillow/exif_gps_typeerror.jpg", nil},
		{"malformed/ianare/corrupted.jpg", nil},
	} {
		t.Run(tc.file, func(t *testing.T) {
			f, err := os.Open(filepath.Join(photos, tc.file))
			if err != nil {
				t.Fatal(err)
			}
			m := media.ReadMeta(f)
			f.Close()
			got := checkCodes(streetdesk.CheckPhotos(&o, []streetdesk.PhotoFacts{metaFacts("x", streetdesk.PhotoAfter, m)}, nil, now, streetdesk.EvidencePolicy{}))
			if tc.want != nil && !slices.Equal(got, tc.want) {
				t.Fatalf("checks %v, want %v (meta %+v)", got, tc.want, m)
			}
			// Whatever the file, the place is either none or a real one,
			// and the time either none or a parsed one.
			if m.HasGPS == slices.Contains(got, streetdesk.EvidenceNoPlace) {
				t.Errorf("HasGPS %v but checks %v", m.HasGPS, got)
			}
			if m.TakenAt.IsZero() != slices.Contains(got, streetdesk.EvidenceNoTime) {
				t.Errorf("taken %v but checks %v", m.TakenAt, got)
			}
		})
	}
}

func TestEvidenceZeroGPS(t *testing.T) {
	for _, tc := range []struct {
		name     string
		lat, lng [3][2]uint32
		hasPlace bool
	}{
		{"zero", [3][2]uint32{{0, 1}, {0, 1}, {0, 1}}, [3][2]uint32{{0, 1}, {0, 1}, {0, 1}}, false},
		{"zero denominators", [3][2]uint32{{0, 0}, {0, 0}, {0, 0}}, [3][2]uint32{{0, 0}, {0, 0}, {0, 0}}, false},
		{"Luohu", [3][2]uint32{{22, 1}, {32, 1}, {5604, 100}}, [3][2]uint32{{114, 1}, {7, 1}, {552, 100}}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := media.ReadMeta(bytes.NewReader(jpegWithApp1(gpsTiff(t, tc.lat, tc.lng))))
			if m.HasGPS != tc.hasPlace {
				t.Fatalf("HasGPS %v (%v,%v), want %v", m.HasGPS, m.Lat, m.Lng, tc.hasPlace)
			}
			o := streetdesk.WorkOrder{ID: "SZ", Location: streetdesk.Location{Lat: 22.5489, Lng: 114.1182}}
			got := checkCodes(streetdesk.CheckPhotos(&o, []streetdesk.PhotoFacts{metaFacts("x", streetdesk.PhotoBefore, m)}, nil, time.Now(), streetdesk.EvidencePolicy{}))
			if slices.Contains(got, streetdesk.EvidenceNoPlace) == tc.hasPlace || slices.Contains(got, streetdesk.EvidenceFar) {
				t.Errorf("checks %v", got)
			}
		})
	}
}

// gpsTiff builds a little-endian TIFF block whose IFD0 points at a GPS IFD
// with N/E references and the given rationals.
func gpsTiff(t testing.TB, lat, lng [3][2]uint32) []byte {
	t.Helper()
	le := binary.LittleEndian
	var b []byte
	b = append(b, 'I', 'I', 42, 0, 8, 0, 0, 0)
	// IFD0 at 8: the GPS pointer.
	b = le.AppendUint16(b, 1)
	b = le.AppendUint16(b, 0x8825)
	b = le.AppendUint16(b, 4)
	b = le.AppendUint32(b, 1)
	b = le.AppendUint32(b, 26)
	b = le.AppendUint32(b, 0)
	// GPS IFD at 26: four entries, then the rationals.
	data := 26 + 2 + 4*12 + 4
	entry := func(tag, typ uint16, n, v uint32) {
		b = le.AppendUint16(b, tag)
		b = le.AppendUint16(b, typ)
		b = le.AppendUint32(b, n)
		b = le.AppendUint32(b, v)
	}
	b = le.AppendUint16(b, 4)
	entry(1, 2, 2, uint32('N'))
	entry(2, 5, 3, uint32(data))
	entry(3, 2, 2, uint32('E'))
	entry(4, 5, 3, uint32(data+24))
	b = le.AppendUint32(b, 0)
	for _, v := range append(lat[:], lng[:]...) {
		b = le.AppendUint32(b, v[0])
		b = le.AppendUint32(b, v[1])
	}
	return b
}
