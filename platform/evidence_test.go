package platform_test

import (
	"bufio"
	"context"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/streetdesk/streetdesk"
)

// The platform's photo checks: recomputed from the bytes it holds, never
// from what the desk claims or sends.

const photoDir = "../testdata/photos"

// exifRow is one row of expected_exiftool.tsv (exiftool 12.57 -n).
type exifRow struct{ path, sha, lat, date string }

func exiftoolRows(t *testing.T) []exifRow {
	t.Helper()
	f, err := os.Open(filepath.Join(photoDir, "expected_exiftool.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []exifRow
	sc := bufio.NewScanner(f)
	sc.Scan() // header
	for sc.Scan() {
		c := strings.Split(sc.Text(), "\t")
		if len(c) < 10 {
			t.Fatalf("bad tsv line %q", sc.Text())
		}
		out = append(out, exifRow{path: c[0], sha: c[2], lat: c[6], date: c[8]})
	}
	return out
}

func mimeOf(path string) string {
	if strings.HasSuffix(path, ".png") {
		return "image/png"
	}
	return "image/jpeg"
}

// Luohu, Shenzhen, dispatched 2026-03-12 08:15 (as the desk's tests).
var (
	luohu      = streetdesk.Location{Address: "桂园路1号", Lat: 22.5489, Lng: 114.1182}
	dispatched = time.Date(2026, 3, 12, 8, 15, 0, 0, streetdesk.ChinaTZ)
)

func (e *env) dispatchAt(team, assignee string, loc streetdesk.Location, at time.Time) *streetdesk.WorkOrder {
	e.t.Helper()
	o, err := e.centre.Dispatch(context.Background(), streetdesk.DispatchRequest{
		Title: "人行道井盖缺失", Complaint: "桂园路口人行道井盖缺失，夜间行人容易踩空，请尽快处理。",
		Channel: streetdesk.ChannelHotline, CategoryL3: sampleL3(), CitizenName: "张三", CitizenPhone: "13812345678",
		Urgency: streetdesk.UrgencyNormal, TeamID: team, AssigneeID: assignee, Location: loc, DispatchedAt: at,
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return o
}

func (e *env) centreOrder(id string) *streetdesk.CentreOrder {
	e.t.Helper()
	var co streetdesk.CentreOrder
	if st, body := e.call(http.MethodGet, "/v1/centre/orders/"+id, e.token("dispatcher"), nil, &co); st != http.StatusOK {
		e.t.Fatalf("centre order: %d %s", st, body)
	}
	return &co
}

// attach pushes an "after" photo whose claims are lies: taken an hour ago
// at the site.
func (c *client) attach(o *streetdesk.WorkOrder, sha string, size int, mime string) string {
	c.e.t.Helper()
	ref := newID()
	r := c.pushOne(c.mut(streetdesk.MutAttachPhoto, o, streetdesk.AttachPhotoArgs{PhotoRefID: ref, SHA256: sha, Size: int64(size), MIME: mime,
		Tag: streetdesk.PhotoAfter, TakenAt: c.e.clock.Now().Add(-time.Hour), Lat: o.Location.Lat, Lng: o.Location.Lng}))
	if r.Status != streetdesk.ResultApplied {
		c.e.t.Fatalf("attach: %+v", r)
	}
	return ref
}

// resolve submits a resolution of the photos with the desk's checks.
func (c *client) resolve(o *streetdesk.WorkOrder, checks []streetdesk.EvidenceCheck, refs ...string) streetdesk.MutationResult {
	c.e.t.Helper()
	m := c.mut(streetdesk.MutSubmitResolution, c.e.order(o.ID), goodResolution(refs...))
	m.EvidenceChecks = checks
	return c.pushOne(m)
}

func codesOf(cs []streetdesk.EvidenceCheck, ref string) []streetdesk.EvidenceCode {
	var out []streetdesk.EvidenceCode
	for _, c := range cs {
		if c.PhotoRefID == ref {
			out = append(out, c.Code)
		}
	}
	return out
}

// Every importable photo of the set, attached with lies about its time and
// place: the platform's checks follow exiftool's values for the bytes.
func TestPlatformEvidenceOnRealPhotos(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	// The malformed photos go to a second order (at most 50 per order).
	o, om := e.dispatchAt("teamA", "cw01", luohu, dispatched), e.dispatchAt("teamA", "cw01", luohu, dispatched)
	c := e.client("cw01")
	c.pushOne(c.mut(streetdesk.MutAccept, e.order(o.ID), nil))
	c.pushOne(c.mut(streetdesk.MutAccept, e.order(om.ID), nil))
	now := e.clock.Now()
	want := map[string][]streetdesk.EvidenceCode{}
	var refs []string
	var malformed []string
	for _, row := range exiftoolRows(t) {
		if strings.HasPrefix(row.path, "heic/") {
			continue
		}
		data, err := os.ReadFile(filepath.Join(photoDir, row.path))
		if err != nil {
			t.Fatal(err)
		}
		sha, err := e.srv.PutBlob(ctx, data, mimeOf(row.path), "")
		if err != nil || sha != row.sha {
			t.Fatalf("%s: %s %v", row.path, sha, err)
		}
		if strings.HasPrefix(row.path, "malformed/") {
			malformed = append(malformed, c.attach(om, sha, len(data), mimeOf(row.path)))
			continue
		}
		ref := c.attach(o, sha, len(data), mimeOf(row.path))
		refs = append(refs, ref)
		var w []streetdesk.EvidenceCode
		if row.date == "-" {
			w = append(w, streetdesk.EvidenceNoTime)
		} else {
			taken, err := time.ParseInLocation("2006:01:02 15:04:05", row.date, streetdesk.ChinaTZ)
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case taken.After(now.Add(streetdesk.DefaultClockTolerance)):
				w = append(w, streetdesk.EvidenceFuture)
			case taken.Before(dispatched):
				w = append(w, streetdesk.EvidenceBeforeDispatch)
			}
			w = append(w, streetdesk.EvidenceZoneAssumed) // none of these cameras writes OffsetTimeOriginal
		}
		if row.lat == "-" {
			w = append(w, streetdesk.EvidenceNoPlace)
		} else {
			w = append(w, streetdesk.EvidenceFar) // every GPS photo of the set is abroad or in Beijing
		}
		want[ref] = w
	}
	if len(want) < 20 {
		t.Fatalf("only %d photos", len(want))
	}
	// The desk claims all is well.
	if r := c.resolve(o, nil, refs...); r.Status != streetdesk.ResultApplied {
		t.Fatalf("resolve: %+v", r)
	}
	co := e.centreOrder(o.ID)
	if len(co.Resolutions) != 1 {
		t.Fatalf("%d resolutions", len(co.Resolutions))
	}
	res := co.Resolutions[0]
	if len(res.EvidencePending) != 0 || res.EvidenceCheckedAt.IsZero() || !streetdesk.PlatformChecked(res.EvidenceChecks) {
		t.Fatalf("not checked: pending %v at %v", res.EvidencePending, res.EvidenceCheckedAt)
	}
	for ref, w := range want {
		if got := codesOf(res.EvidenceChecks, ref); !slices.Equal(got, w) {
			t.Errorf("photo %s: %v, want %v", ref, got, w)
		}
	}
	for _, c := range res.EvidenceChecks {
		if c.By != streetdesk.EvidenceByPlatform || c.SHA256 == "" {
			t.Errorf("check %+v", c)
		}
	}
	// Malformed EXIF yields what could be read, never a failure: at least a
	// finding about time and place for each.
	if r := c.resolve(om, nil, malformed...); r.Status != streetdesk.ResultApplied {
		t.Fatalf("resolve: %+v", r)
	}
	res = e.centreOrder(om.ID).Resolutions[0]
	for _, ref := range malformed {
		if len(codesOf(res.EvidenceChecks, ref)) == 0 {
			t.Errorf("malformed photo %s: no findings", ref)
		}
	}
}

// A photo whose bytes come after the resolution is checked when they
// arrive; the caseworker's explanations stay on the platform's findings,
// what the desk sent is kept as it came; the lead pulls the platform's
// checks and the team's statistics count them.
func TestPlatformEvidenceWhenBytesArrive(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	o := e.dispatchAt("teamA", "cw01", luohu, dispatched)
	c := e.client("cw01")
	c.pushOne(c.mut(streetdesk.MutAccept, e.order(o.ID), nil))
	noExif, _ := os.ReadFile(filepath.Join(photoDir, "malformed/ianare/no_exif.jpg"))
	beijing, _ := os.ReadFile(filepath.Join(photoDir, "gps/goexif_sample1_NikonD2H_Beijing.jpg"))
	r1 := c.attach(o, shaHex(noExif), len(noExif), "image/jpeg")
	r2 := c.attach(o, shaHex(beijing), len(beijing), "image/jpeg")
	desk := []streetdesk.EvidenceCheck{
		{Code: streetdesk.EvidenceNoTime, Severity: streetdesk.SeverityWarning, PhotoRefID: r1, Explanation: "从微信转来的照片"},
		{Code: streetdesk.EvidenceFar, Severity: streetdesk.SeverityWarning, PhotoRefID: r2, Explanation: "定位漂移"},
	}
	if r := c.resolve(o, desk, r1, r2); r.Status != streetdesk.ResultApplied {
		t.Fatalf("resolve: %+v", r)
	}
	res := e.centreOrder(o.ID).Resolutions[0]
	if !slices.Equal(res.EvidencePending, []string{r1, r2}) || len(res.EvidenceChecks) != 0 || len(res.DeskEvidenceChecks) != 2 {
		t.Fatalf("before the bytes: pending %v checks %+v desk %d", res.EvidencePending, res.EvidenceChecks, len(res.DeskEvidenceChecks))
	}
	if _, err := e.srv.PutBlob(ctx, noExif, "image/jpeg", ""); err != nil {
		t.Fatal(err)
	}
	res = e.centreOrder(o.ID).Resolutions[0]
	if !slices.Equal(res.EvidencePending, []string{r2}) || !slices.Equal(codesOf(res.EvidenceChecks, r1),
		[]streetdesk.EvidenceCode{streetdesk.EvidenceNoTime, streetdesk.EvidenceNoPlace}) {
		t.Fatalf("after the first: pending %v checks %+v", res.EvidencePending, res.EvidenceChecks)
	}
	if res.EvidenceChecks[0].Explanation != "从微信转来的照片" || res.EvidenceChecks[1].Explanation != "" {
		t.Errorf("explanations %+v", res.EvidenceChecks)
	}
	if _, err := e.srv.PutBlob(ctx, beijing, "image/jpeg", ""); err != nil {
		t.Fatal(err)
	}
	res = e.centreOrder(o.ID).Resolutions[0]
	// Beijing, 2003: older than the dispatch and 1,900 km away; the
	// desk's explanation of the distance stays with the platform's finding.
	if len(res.EvidencePending) != 0 || !slices.Equal(codesOf(res.EvidenceChecks, r2),
		[]streetdesk.EvidenceCode{streetdesk.EvidenceBeforeDispatch, streetdesk.EvidenceZoneAssumed, streetdesk.EvidenceFar}) {
		t.Fatalf("after both: pending %v checks %+v", res.EvidencePending, res.EvidenceChecks)
	}
	far := res.EvidenceChecks[len(res.EvidenceChecks)-1]
	if far.Explanation != "定位漂移" || far.DistanceM < 1_900_000 || far.DistanceM > 2_000_000 || far.RadiusM != streetdesk.DefaultEvidenceRadiusM {
		t.Errorf("far %+v", far)
	}
	leadSeesEvidence(t, e)
}

// leadSeesEvidence checks what lead01 gets of the one resolution of
// TestPlatformEvidenceWhenBytesArrive.
func leadSeesEvidence(t *testing.T, e *env) {
	// The lead's pull carries the platform's checks for the review.
	lead := e.client("lead01")
	var pulled *streetdesk.Resolution
	for _, p := range lead.pullAll("", 0) {
		if !streetdesk.HasFeature(p.Features, streetdesk.FeatureEvidenceChecks) {
			t.Errorf("features %v", p.Features)
		}
		for _, ch := range p.Changes {
			if ch.Resolution != nil {
				pulled = ch.Resolution
			}
		}
	}
	if pulled == nil || !streetdesk.PlatformChecked(pulled.EvidenceChecks) || streetdesk.Warnings(pulled.EvidenceChecks) != 4 {
		t.Fatalf("pulled %+v", pulled)
	}
	// The desk's statistics and review take the platform's checks as they are.
	rf := streetdesk.ResolutionFacts{Resolution: *pulled}
	if got := rf.Check(streetdesk.EvidencePolicy{}); len(got.Checks) != len(pulled.EvidenceChecks) {
		t.Errorf("desk tally reads %d checks, want the platform's %d", len(got.Checks), len(pulled.EvidenceChecks))
	}

	// The team's statistics count them: one resolution, flagged, not every
	// warning explained.
	var st streetdesk.TeamStats
	if code, body := e.call(http.MethodGet, "/v1/team/metrics?weeks=4", e.token("lead01"), nil, &st); code != 200 {
		t.Fatalf("metrics: %d %s", code, body)
	}
	if st.Evidence.Resolutions != 1 || st.Evidence.Flagged != 1 || st.Evidence.Explained != 0 ||
		st.Evidence.ByCode[streetdesk.EvidenceFar] != 1 || st.Evidence.ByCode[streetdesk.EvidenceNoTime] != 1 {
		t.Errorf("team evidence %+v", st.Evidence)
	}
	if m := st.Member("cw01"); m == nil || m.Evidence.Flagged != 1 {
		t.Errorf("member evidence %+v", m)
	}
}

// The same bytes as evidence on an order of another team, another street
// office: the platform sees both, the desks do not.
func TestPlatformEvidenceReuseAcrossOrders(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	data, _ := os.ReadFile(filepath.Join(photoDir, "cameras/Canon_40D.jpg"))
	sha, err := e.srv.PutBlob(ctx, data, "image/jpeg", "")
	if err != nil {
		t.Fatal(err)
	}
	a := e.dispatchAt("teamA", "cw01", luohu, dispatched)
	b := e.dispatchAt("teamC", "cw04", luohu, dispatched)
	ca, cb := e.client("cw01"), e.client("cw04")
	ca.pushOne(ca.mut(streetdesk.MutAccept, e.order(a.ID), nil))
	cb.pushOne(cb.mut(streetdesk.MutAccept, e.order(b.ID), nil))
	ca.attach(a, sha, len(data), "image/jpeg")
	ref := cb.attach(b, sha, len(data), "image/jpeg")
	cb.resolve(b, nil, ref)
	cs := e.centreOrder(b.ID).Resolutions[0].EvidenceChecks
	last := cs[len(cs)-1]
	if last.Code != streetdesk.EvidenceReused || !slices.Equal(last.Orders, []string{a.ID}) {
		t.Fatalf("checks %+v", cs)
	}
}
