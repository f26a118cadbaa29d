package streetdesk_test

import (
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/streetdesk/streetdesk"
)

// evidenceOrder is an order at 星湖花园, Luohu (22.5489, 114.1182),
// dispatched at 2026-03-12 08:15 China time.
func evidenceOrder() *streetdesk.WorkOrder {
	return &streetdesk.WorkOrder{ID: "SZ-1", Category: streetdesk.Category{L1Code: "01", L2Code: "0102", L3Code: "010201"},
		Location:     streetdesk.Location{Lat: 22.5489, Lng: 114.1182},
		DispatchedAt: time.Date(2026, 3, 12, 8, 15, 0, 0, streetdesk.ChinaTZ)}
}

func codes(cs []streetdesk.EvidenceCheck) []string {
	var out []string
	for _, c := range cs {
		out = append(out, c.PhotoRefID+":"+string(c.Code))
	}
	return out
}

func TestCheckPhotos(t *testing.T) {
	cst := func(d, h, m int) time.Time { return time.Date(2026, 3, d, h, m, 0, 0, streetdesk.ChinaTZ) }
	now := cst(12, 16, 0)
	site := func(p streetdesk.PhotoFacts) streetdesk.PhotoFacts {
		p.Lat, p.Lng, p.HasPlace = 22.5490, 114.1185, true // ~33 m from the order
		return p
	}
	tests := []struct {
		name   string
		photos []streetdesk.PhotoFacts
		uses   map[string][]string
		policy streetdesk.EvidencePolicy
		want   []string
	}{
		{"good before and after", []streetdesk.PhotoFacts{
			site(streetdesk.PhotoFacts{RefID: "b", Tag: streetdesk.PhotoBefore, TakenAt: cst(12, 9, 0)}),
			site(streetdesk.PhotoFacts{RefID: "a", Tag: streetdesk.PhotoAfter, TakenAt: cst(12, 15, 0)}),
		}, nil, streetdesk.EvidencePolicy{}, nil},
		{"after photo older than the dispatch", []streetdesk.PhotoFacts{
			site(streetdesk.PhotoFacts{RefID: "a", Tag: streetdesk.PhotoAfter, TakenAt: cst(11, 17, 0)}),
		}, nil, streetdesk.EvidencePolicy{}, []string{"a:BEFORE_DISPATCH"}},
		{"before photo older than the dispatch is fine", []streetdesk.PhotoFacts{
			site(streetdesk.PhotoFacts{RefID: "b", Tag: streetdesk.PhotoBefore, TakenAt: cst(11, 17, 0)}),
		}, nil, streetdesk.EvidencePolicy{}, nil},
		{"within the clock tolerance", []streetdesk.PhotoFacts{
			site(streetdesk.PhotoFacts{RefID: "a", Tag: streetdesk.PhotoAfter, TakenAt: cst(12, 8, 10)}),
			site(streetdesk.PhotoFacts{RefID: "f", Tag: streetdesk.PhotoAfter, TakenAt: now.Add(9 * time.Minute)}),
		}, nil, streetdesk.EvidencePolicy{}, nil},
		{"after photo older than a before photo", []streetdesk.PhotoFacts{
			site(streetdesk.PhotoFacts{RefID: "b1", Tag: streetdesk.PhotoBefore, TakenAt: cst(12, 9, 0)}),
			site(streetdesk.PhotoFacts{RefID: "b2", Tag: streetdesk.PhotoBefore, TakenAt: cst(12, 14, 0)}),
			site(streetdesk.PhotoFacts{RefID: "a", Tag: streetdesk.PhotoAfter, TakenAt: cst(12, 10, 0)}),
		}, nil, streetdesk.EvidencePolicy{}, []string{"a:BEFORE_BEFORE_PHOTO"}},
		{"a future before photo does not count against after photos", []streetdesk.PhotoFacts{
			site(streetdesk.PhotoFacts{RefID: "b", Tag: streetdesk.PhotoBefore, TakenAt: time.Date(2099, 8, 12, 19, 59, 29, 0, streetdesk.ChinaTZ)}),
			site(streetdesk.PhotoFacts{RefID: "a", Tag: streetdesk.PhotoAfter, TakenAt: cst(12, 10, 0)}),
		}, nil, streetdesk.EvidencePolicy{}, []string{"b:IN_FUTURE"}},
		{"future, no place, assumed zone", []streetdesk.PhotoFacts{
			{RefID: "a", Tag: streetdesk.PhotoAfter, TakenAt: cst(24, 14, 41), ZoneAssumed: true},
		}, nil, streetdesk.EvidencePolicy{}, []string{"a:IN_FUTURE", "a:ZONE_ASSUMED", "a:NO_PLACE"}},
		{"screenshot: no time, no place", []streetdesk.PhotoFacts{
			{RefID: "s", Tag: streetdesk.PhotoAfter},
		}, nil, streetdesk.EvidencePolicy{}, []string{"s:NO_TIME", "s:NO_PLACE"}},
		{"GPS 0/0 is no place", []streetdesk.PhotoFacts{
			{RefID: "z", Tag: streetdesk.PhotoBefore, TakenAt: cst(12, 9, 0), HasPlace: true},
		}, nil, streetdesk.EvidencePolicy{}, []string{"z:NO_PLACE"}},
		{"far from the site", []streetdesk.PhotoFacts{
			{RefID: "bj", Tag: streetdesk.PhotoAfter, TakenAt: cst(12, 15, 0), Lat: 39.9155555555556, Lng: 116.390833333333, HasPlace: true},
		}, nil, streetdesk.EvidencePolicy{}, []string{"bj:FAR_FROM_SITE"}},
		{"a wider radius for the category", []streetdesk.PhotoFacts{
			{RefID: "n", Tag: streetdesk.PhotoAfter, TakenAt: cst(12, 15, 0), Lat: 22.5580, Lng: 114.1182, HasPlace: true}, // ~1 km north
		}, nil, streetdesk.EvidencePolicy{CategoryRadiusM: map[string]float64{"0102": 2000}}, nil},
		{"the same radius is too small elsewhere", []streetdesk.PhotoFacts{
			{RefID: "n", Tag: streetdesk.PhotoAfter, TakenAt: cst(12, 15, 0), Lat: 22.5580, Lng: 114.1182, HasPlace: true},
		}, nil, streetdesk.EvidencePolicy{CategoryRadiusM: map[string]float64{"0101": 2000}}, []string{"n:FAR_FROM_SITE"}},
		{"reused on other orders", []streetdesk.PhotoFacts{
			site(streetdesk.PhotoFacts{RefID: "r", SHA256: strings.Repeat("a", 64), Tag: streetdesk.PhotoAfter, TakenAt: cst(12, 15, 0)}),
			site(streetdesk.PhotoFacts{RefID: "u", SHA256: strings.Repeat("b", 64), Tag: streetdesk.PhotoAfter, TakenAt: cst(12, 15, 0)}),
		}, map[string][]string{strings.Repeat("a", 64): {"SZ-9", "SZ-1", "SZ-2", "SZ-9"}, strings.Repeat("b", 64): {"SZ-1"}},
			streetdesk.EvidencePolicy{}, []string{"r:REUSED"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := streetdesk.CheckPhotos(evidenceOrder(), tc.photos, tc.uses, now, tc.policy)
			if !reflect.DeepEqual(codes(got), tc.want) {
				t.Fatalf("checks %v, want %v", codes(got), tc.want)
			}
			for _, c := range got {
				if c.Severity != c.Code.Severity() {
					t.Errorf("%s: severity %s", c.Code, c.Severity)
				}
			}
		})
	}
}

func TestCheckPhotosArguments(t *testing.T) {
	o := evidenceOrder()
	now := time.Date(2026, 3, 12, 16, 0, 0, 0, streetdesk.ChinaTZ)
	sha := strings.Repeat("c", 64)
	got := streetdesk.CheckPhotos(o, []streetdesk.PhotoFacts{
		{RefID: "p", SHA256: sha, Tag: streetdesk.PhotoAfter, TakenAt: time.Date(2026, 3, 1, 9, 0, 0, 0, streetdesk.ChinaTZ),
			Lat: 39.9155555555556, Lng: 116.390833333333, HasPlace: true},
	}, map[string][]string{sha: {"SZ-7"}}, now, streetdesk.EvidencePolicy{})
	if len(got) != 3 {
		t.Fatalf("checks %v", codes(got))
	}
	if c := got[0]; c.Code != streetdesk.EvidenceBeforeDispatch || !c.TakenAt.Equal(time.Date(2026, 3, 1, 1, 0, 0, 0, time.UTC)) ||
		c.TakenAt.Location() != time.UTC || !c.Reference.Equal(o.DispatchedAt) || c.SHA256 != sha || c.PhotoRefID != "p" {
		t.Errorf("before dispatch: %+v", c)
	}
	// Luohu to Tiananmen: 1,943 km (great circle).
	if c := got[1]; c.Code != streetdesk.EvidenceFar || c.RadiusM != 500 || math.Abs(float64(c.DistanceM)-1_943_000) > 10_000 {
		t.Errorf("far: %+v", c)
	}
	if c := got[2]; c.Code != streetdesk.EvidenceReused || !reflect.DeepEqual(c.Orders, []string{"SZ-7"}) {
		t.Errorf("reused: %+v", c)
	}
}

func TestDistanceM(t *testing.T) {
	// One degree of latitude is 111.2 km on the mean sphere.
	if d := streetdesk.DistanceM(22, 114, 23, 114); math.Abs(d-111_195) > 5 {
		t.Errorf("1° of latitude = %.0f m", d)
	}
	if d := streetdesk.DistanceM(22.5489, 114.1182, 22.5489, 114.1182); d != 0 {
		t.Errorf("same point = %v", d)
	}
	// Antipodes: half the circumference, no NaN from rounding.
	if d := streetdesk.DistanceM(0, 0, 0, 180); math.IsNaN(d) || math.Abs(d-math.Pi*6_371_008.8) > 1 {
		t.Errorf("antipodes = %v", d)
	}
}

func TestEvidencePolicyFromTaxonomy(t *testing.T) {
	tax := streetdesk.SampleTaxonomy()
	tax.Items[0].EvidenceRadiusM = 1500
	p := streetdesk.EvidencePolicyFrom(tax)
	if r := p.Radius(tax.Items[0].Category); r != 1500 {
		t.Errorf("radius of %s = %v", tax.Items[0].L3Code, r)
	}
	if r := p.Radius(tax.Items[1].Category); r != streetdesk.DefaultEvidenceRadiusM {
		t.Errorf("radius of %s = %v", tax.Items[1].L3Code, r)
	}
	if _, err := streetdesk.LoadTaxonomyJSON(strings.NewReader(`[{"l1Code":"01","l1Name":"a","l2Code":"0101","l2Name":"b","l3Code":"010101","l3Name":"c","department":"d","evidenceRadiusM":-1}]`)); err == nil {
		t.Errorf("negative radius accepted")
	}
}

func TestValidateEvidenceChecks(t *testing.T) {
	ok := streetdesk.EvidenceCheck{Code: streetdesk.EvidenceNoPlace, Severity: streetdesk.SeverityWarning, PhotoRefID: "p", Explanation: "室内拍摄，手机无定位"}
	if err := streetdesk.ValidateEvidenceChecks([]streetdesk.EvidenceCheck{ok}, []string{"p"}); err != nil {
		t.Fatal(err)
	}
	for name, c := range map[string]streetdesk.EvidenceCheck{
		"unknown code":       {Code: "NOPE", Severity: streetdesk.SeverityWarning, PhotoRefID: "p"},
		"wrong severity":     {Code: streetdesk.EvidenceNoPlace, Severity: streetdesk.SeverityNotice, PhotoRefID: "p"},
		"other photo":        {Code: streetdesk.EvidenceNoPlace, Severity: streetdesk.SeverityWarning, PhotoRefID: "q"},
		"two lines":          {Code: streetdesk.EvidenceNoPlace, Severity: streetdesk.SeverityWarning, PhotoRefID: "p", Explanation: "a\nb"},
		"too long":           {Code: streetdesk.EvidenceNoPlace, Severity: streetdesk.SeverityWarning, PhotoRefID: "p", Explanation: strings.Repeat("长", 201)},
		"explained notice":   {Code: streetdesk.EvidenceZoneAssumed, Severity: streetdesk.SeverityNotice, PhotoRefID: "p", Explanation: "x"},
		"invalid UTF-8":      {Code: streetdesk.EvidenceNoPlace, Severity: streetdesk.SeverityWarning, PhotoRefID: "p", Explanation: "\xff"},
		"bad sha":            {Code: streetdesk.EvidenceNoPlace, Severity: streetdesk.SeverityWarning, PhotoRefID: "p", SHA256: "XYZ"},
		"too many reuse ids": {Code: streetdesk.EvidenceReused, Severity: streetdesk.SeverityWarning, PhotoRefID: "p", Orders: make([]string, 11)},
	} {
		if err := streetdesk.ValidateEvidenceChecks([]streetdesk.EvidenceCheck{c}, []string{"p"}); streetdesk.ErrorCode(err) != streetdesk.EINVALID {
			t.Errorf("%s: %v", name, err)
		}
	}
}

func TestMergeExplanations(t *testing.T) {
	computed := []streetdesk.EvidenceCheck{
		{Code: streetdesk.EvidenceNoPlace, Severity: streetdesk.SeverityWarning, PhotoRefID: "p"},
		{Code: streetdesk.EvidenceZoneAssumed, Severity: streetdesk.SeverityNotice, PhotoRefID: "p"},
	}
	given := []streetdesk.EvidenceCheck{
		{Code: streetdesk.EvidenceNoPlace, PhotoRefID: "p", Explanation: "  室内拍摄  "},
		{Code: streetdesk.EvidenceZoneAssumed, PhotoRefID: "p", Explanation: "ignored"},
		{Code: streetdesk.EvidenceFar, PhotoRefID: "p", Explanation: "not computed: dropped"},
	}
	got := streetdesk.MergeExplanations(computed, given)
	if len(got) != 2 || got[0].Explanation != "室内拍摄" || got[1].Explanation != "" {
		t.Errorf("merged %+v", got)
	}
}

func TestTallyEvidence(t *testing.T) {
	now := time.Date(2026, 3, 12, 16, 0, 0, 0, streetdesk.ChinaTZ)
	members := []streetdesk.User{{ID: "cw1", Name: "王芳"}, {ID: "cw2", Name: "李四"}}
	s := streetdesk.ComputeTeamStats(nil, members, now, 2, nil)
	w := func(code streetdesk.EvidenceCode, expl string) streetdesk.EvidenceCheck {
		return streetdesk.EvidenceCheck{Code: code, Severity: code.Severity(), Explanation: expl}
	}
	streetdesk.TallyEvidence(&s, []streetdesk.ResolutionEvidence{
		{AuthorID: "cw1", At: now.Add(-time.Hour), Checks: []streetdesk.EvidenceCheck{w(streetdesk.EvidenceNoPlace, ""), w(streetdesk.EvidenceZoneAssumed, "")}},
		{AuthorID: "cw1", At: now.Add(-2 * time.Hour), Checks: []streetdesk.EvidenceCheck{w(streetdesk.EvidenceFar, "在对面楼顶拍摄")}},
		{AuthorID: "cw1", At: now.Add(-3 * time.Hour)},
		{AuthorID: "cw2", At: now.Add(-24 * time.Hour), Checks: []streetdesk.EvidenceCheck{w(streetdesk.EvidenceZoneAssumed, "")}},
		{AuthorID: "gone", At: now.Add(-time.Hour), Checks: []streetdesk.EvidenceCheck{w(streetdesk.EvidenceReused, "")}},
		{AuthorID: "cw2", At: now.AddDate(0, 0, -30), Checks: []streetdesk.EvidenceCheck{w(streetdesk.EvidenceFar, "")}}, // before the period
		{AuthorID: "cw2", At: now.Add(time.Hour), Checks: []streetdesk.EvidenceCheck{w(streetdesk.EvidenceFar, "")}},     // after now
	})
	if got := s.Member("cw1").Evidence; got.Resolutions != 3 || got.Flagged != 2 || got.Explained != 1 || got.ByCode[streetdesk.EvidenceNoPlace] != 1 {
		t.Errorf("cw1 %+v", got)
	}
	if got := s.Member("cw2").Evidence; got.Resolutions != 1 || got.Flagged != 0 {
		t.Errorf("cw2 %+v", got)
	}
	if got := s.Unassigned.Evidence; got.Resolutions != 1 || got.Flagged != 1 {
		t.Errorf("unassigned %+v", got)
	}
	if got := s.Evidence; got.Resolutions != 5 || got.Flagged != 3 || got.Explained != 1 || got.ByCode[streetdesk.EvidenceZoneAssumed] != 2 {
		t.Errorf("team %+v", got)
	}
}
