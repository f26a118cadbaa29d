package sync_test

import (
	"bytes"
	"context"
	"testing"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/platform"
	"github.com/streetdesk/streetdesk/sync"
)

// A desk's action log and photo checks reach a real platform: every entry
// acknowledged, nothing flagged, the log whole; the platform's own checks
// of the photo bytes carry the caseworker's explanation.
func TestReal_ActionLogAndEvidenceReachThePlatform(t *testing.T) {
	e := newRealEnv(t)
	ids := e.dispatch(2, e.cw.ID)
	d := e.desk("", e.cw, sync.Options{})
	d.start()
	d.waitCycle(0) // the first pull says what the platform takes
	ctx := context.Background()
	if err := d.db.Accept(ctx, ids[0]); err != nil {
		t.Fatal(err)
	}
	if err := d.db.AddNote(ctx, ids[0], "已到现场查看。"); err != nil {
		t.Fatal(err)
	}
	// Taken in Beijing in 2003 (exiftool): far from the order in Luohu.
	ref, err := attachForTest(ctx, d.db, ids[0], "../testdata/photos/gps/goexif_sample1_NikonD2H_Beijing.jpg")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.db.Resolve(ctx, ids[0], streetdesk.ResolveInput{Outcome: streetdesk.OutcomeSolved, Reply: "已安排维修人员更换井盖，现场已恢复正常通行。",
		PhotoRefIDs: []string{ref.ID}, Evidence: []streetdesk.EvidenceCheck{{Code: streetdesk.EvidenceFar, Severity: streetdesk.SeverityWarning,
			PhotoRefID: ref.ID, Explanation: "定位漂移"}}}); err != nil {
		t.Fatal(err)
	}
	d.syncNow()
	d.syncNow()
	d.stop()
	if pend, err := d.db.PendingChain(ctx, 0); err != nil || len(pend) != 0 {
		t.Errorf("%d entries not acknowledged (%v)", len(pend), err)
	}
	if fs, err := e.srv.AuditFlags(ctx, "", ""); err != nil || len(fs) != 0 {
		t.Errorf("flags %+v (%v)", fs, err)
	}
	var buf bytes.Buffer
	ss, err := e.srv.VerifyChains(ctx, platform.AuditQuery{}, &buf)
	if err != nil || len(ss) != 1 || ss[0].Entries < 4 || platform.Problems(ss) != 0 {
		t.Errorf("verify: %v\n%s", err, buf.String())
	}
	rs, err := e.srv.Resolutions(ctx, ids[0])
	if err != nil || len(rs) != 1 {
		t.Fatalf("resolutions %v %+v", err, rs)
	}
	var far *streetdesk.EvidenceCheck
	for i, c := range rs[0].EvidenceChecks {
		if c.Code == streetdesk.EvidenceFar {
			far = &rs[0].EvidenceChecks[i]
		}
	}
	if len(rs[0].EvidencePending) != 0 || far == nil || far.By != streetdesk.EvidenceByPlatform || far.Explanation != "定位漂移" {
		t.Errorf("platform checks %+v pending %v", rs[0].EvidenceChecks, rs[0].EvidencePending)
	}
}
