package localdb_test

import (
	"context"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/localdb"
)

// What the photo checks read from the store: the photos with what their
// EXIF said, and the other orders holding the same bytes.
func TestOrderFacts(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t, localdb.Options{})
	pull(t, db, order("A1", streetdesk.StatusAccepted), order("B2", streetdesk.StatusAccepted), order("C3", streetdesk.StatusAccepted))
	shared := photo(7)
	shared.ZoneAssumed, shared.Camera, shared.HasGPS, shared.Lat, shared.Lng = true, "Canon EOS 40D", true, 22.55, 114.12
	a, err := db.AttachPhoto(ctx, "A1", shared, streetdesk.PhotoAfter, "")
	if err != nil {
		t.Fatal(err)
	}
	own := photo(8)
	own.TakenAt = time.Time{}
	own.ZoneAssumed = true // no time: nothing to assume
	b, err := db.AttachPhoto(ctx, "A1", own, streetdesk.PhotoBefore, "")
	if err != nil {
		t.Fatal(err)
	}
	for _, id := range []string{"C3", "B2"} {
		if _, err := db.AttachPhoto(ctx, id, shared, streetdesk.PhotoBefore, ""); err != nil {
			t.Fatal(err)
		}
	}
	f, err := db.OrderFacts(ctx, "A1")
	if err != nil {
		t.Fatal(err)
	}
	want := []streetdesk.PhotoFacts{
		{RefID: a.ID, SHA256: shared.SHA256, Tag: streetdesk.PhotoAfter, TakenAt: t0, ZoneAssumed: true, Lat: 22.55, Lng: 114.12, HasPlace: true, Camera: "Canon EOS 40D"},
		{RefID: b.ID, SHA256: own.SHA256, Tag: streetdesk.PhotoBefore},
	}
	for i := range f.Photos {
		if !f.Photos[i].TakenAt.IsZero() {
			f.Photos[i].TakenAt = f.Photos[i].TakenAt.In(t0.Location())
		}
	}
	if !reflect.DeepEqual(f.Photos, want) {
		t.Errorf("photos\n%+v\nwant\n%+v", f.Photos, want)
	}
	if !reflect.DeepEqual(f.Uses, map[string][]string{shared.SHA256: {"B2", "C3"}}) {
		t.Errorf("uses %v", f.Uses)
	}
	if f.Order.ID != "A1" {
		t.Errorf("order %s", f.Order.ID)
	}
	if _, err := db.OrderFacts(ctx, "NOPE"); streetdesk.ErrorCode(err) != streetdesk.ENOTFOUND {
		t.Errorf("unknown order: %v", err)
	}
}

// The checks sent with a resolution are kept with it, shown with it, sent
// with its mutation, logged in its entry and counted in the statistics;
// checks that do not fit the resolution are refused.
func TestResolutionEvidence(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t, localdb.Options{})
	pull(t, db, order("A1", streetdesk.StatusAccepted))
	p := photo(1)
	ref, err := db.AttachPhoto(ctx, "A1", p, streetdesk.PhotoAfter, "")
	if err != nil {
		t.Fatal(err)
	}
	reply := "已协调环卫部门调整作业时间至早上7点以后，市民表示认可。"
	checks := []streetdesk.EvidenceCheck{{Code: streetdesk.EvidenceNoPlace, Severity: streetdesk.SeverityWarning, PhotoRefID: ref.ID,
		SHA256: p.SHA256, Explanation: "室内拍摄，手机未开定位"}}
	bad := slices.Clone(checks)
	bad[0].PhotoRefID = "0190a5c6-0000-7000-8000-000000000000"
	_, err = db.Resolve(ctx, "A1", streetdesk.ResolveInput{Outcome: streetdesk.OutcomeSolved, Reply: reply, PhotoRefIDs: []string{ref.ID}, Evidence: bad})
	wantCode(t, err, streetdesk.EINVALID)
	if n := len(chainOf(t, db)); n != 1 {
		t.Fatalf("refused resolution logged: %d entries", n)
	}
	res, err := db.Resolve(ctx, "A1", streetdesk.ResolveInput{Outcome: streetdesk.OutcomeSolved, Reply: reply, PhotoRefIDs: []string{ref.ID}, Evidence: checks})
	if err != nil {
		t.Fatal(err)
	}
	if !reflect.DeepEqual(res.EvidenceChecks, checks) {
		t.Errorf("returned resolution %+v", res.EvidenceChecks)
	}
	d := mustOrder(t, db, "A1")
	if len(d.Resolutions) != 1 || !reflect.DeepEqual(d.Resolutions[0].EvidenceChecks, checks) {
		t.Errorf("detail %+v", d.Resolutions)
	}
	ms := pending(t, db)
	last := ms[len(ms)-1]
	got, err := db.MutationEvidence(ctx, []string{last.Key, ms[0].Key})
	if err != nil || len(got) != 1 || !reflect.DeepEqual(got[last.Key], checks) {
		t.Errorf("mutation evidence %v %v", got, err)
	}
	es := chainOf(t, db)
	a, err := es[len(es)-1].Action()
	if err != nil || !reflect.DeepEqual(a.EvidenceChecks, checks) {
		t.Errorf("logged %+v %v", a, err)
	}
	last.EvidenceChecks = checks
	if !es[len(es)-1].SameAction(&last, caseworker().ID) {
		t.Errorf("the entry does not match the mutation with its checks")
	}
	rf, err := db.ResolutionFacts(ctx, t0.Add(-time.Hour))
	if err != nil || len(rf) != 1 || rf[0].Resolution.ID != res.ID || !reflect.DeepEqual(rf[0].Resolution.EvidenceChecks, checks) ||
		len(rf[0].Photos) != 1 || rf[0].Order.ID != "A1" {
		t.Fatalf("resolution facts %+v %v", rf, err)
	}
	if rf, _ := db.ResolutionFacts(ctx, t0.Add(time.Hour)); len(rf) != 0 {
		t.Errorf("facts after the period: %d", len(rf))
	}
	verifyOK(t, db)
}

// A platform that sends the checks with a resolution (a lead's desk
// pulling a caseworker's) has them kept; a local resolution keeps its own.
func TestServerResolutionEvidence(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t, localdb.Options{User: lead()})
	pull(t, db, order("A1", streetdesk.StatusAwaitingReview))
	checks := []streetdesk.EvidenceCheck{{Code: streetdesk.EvidenceFar, Severity: streetdesk.SeverityWarning, PhotoRefID: "p1",
		DistanceM: 812, RadiusM: 500, Explanation: "在对面楼顶拍摄全景"}}
	r := streetdesk.Resolution{ID: "r1", WorkOrderID: "A1", Outcome: streetdesk.OutcomeSolved, Reply: "已处理", PhotoRefIDs: []string{"p1"},
		State: streetdesk.ResolutionReview, AuthorID: caseworker().ID, CreatedAt: t0, EvidenceChecks: checks}
	if err := db.ApplyPull(ctx, &streetdesk.PullResponse{Cursor: "c", Changes: []streetdesk.Change{{Type: streetdesk.ChangeResolution,
		Op: streetdesk.OpUpsert, ID: "r1", OrderID: "A1", Resolution: &r}}}); err != nil {
		t.Fatal(err)
	}
	d := mustOrder(t, db, "A1")
	if len(d.Resolutions) != 1 || !reflect.DeepEqual(d.Resolutions[0].EvidenceChecks, checks) {
		t.Errorf("resolutions %+v", d.Resolutions)
	}
}
