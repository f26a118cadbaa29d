package ui_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	streetdesk "github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/evidence"
	"github.com/streetdesk/streetdesk/internal/fakedesk"
	"github.com/streetdesk/streetdesk/ui"
	"github.com/streetdesk/streetdesk/ui/translation"
)

// attachOld attaches Canon_40D.jpg as an "after" photo of order id with
// the metadata of the real file: taken 2008-05-30 15:56:01, no zone, no GPS.
func attachOld(e *env, id string) {
	e.t.Helper()
	e.d.PhotoMeta = map[string]streetdesk.ImportedPhoto{
		photoCanon: {TakenAt: time.Date(2008, 5, 30, 15, 56, 1, 0, streetdesk.ChinaTZ), ZoneAssumed: true, Camera: "Canon EOS 40D"},
	}
	e.picked = []string{testdata(photoCanon)}
	e.selectOrder(id)
	test.Tap(e.u.Action(streetdesk.OpAttachPhoto))
	f, choose, _, tag, _ := e.u.PhotoDialog()
	test.Tap(choose)
	tag.SetSelected(translation.For(ui.LangCode()).Name(streetdesk.PhotoAfter))
	test.Tap(f.Save)
}

func TestResolveShowsEvidence(t *testing.T) {
	e := setup(t, zhLocale)
	attachOld(e, idBikes)
	test.Tap(e.u.Action(streetdesk.OpSubmitResolution))
	r := e.u.ResolveDialog()
	lines, entries := e.u.ResolveEvidence()
	want := []string{
		"⚠ 拍摄于 2008-05-30 15:56，早于派单时间（",
		"相机未注明时区，拍摄时间按北京时间理解。",
		"⚠ 照片没有记录拍摄地点。",
	}
	if len(lines) != len(want) || len(entries) != 2 {
		t.Fatalf("lines %q, %d entries", lines, len(entries))
	}
	for i, w := range want {
		if !strings.HasPrefix(lines[i], w) {
			t.Errorf("line %d = %q, want %q…", i, lines[i], w)
		}
	}
	test.Type(r.Reply, "您好，已联系共享单车企业清运，并在地铁口划设停放区，后续每日巡查。")
	if !strings.Contains(r.Summary.Text, "所选照片有 2 条证据提醒") {
		t.Errorf("summary %q", r.Summary.Text)
	}
	// A two-hundred-and-one character explanation holds the submit back.
	test.Type(entries[1], strings.Repeat("长", streetdesk.MaxExplanationRunes+1))
	if !r.Save.Disabled() {
		t.Errorf("submit enabled with an over-long explanation")
	}
	entries[1].SetText("")
	test.Type(entries[1], "在室内拍摄，相机没有定位")
	if r.Save.Disabled() {
		t.Fatalf("submit disabled")
	}
	test.Tap(r.Save)
	res := e.order(idBikes).Resolutions
	if len(res) != 1 {
		t.Fatalf("resolutions %+v", res)
	}
	var got []string
	for _, c := range res[0].EvidenceChecks {
		got = append(got, string(c.Code)+"="+c.Explanation)
	}
	if !slices.Equal(got, []string{"BEFORE_DISPATCH=", "ZONE_ASSUMED=", "NO_PLACE=在室内拍摄，相机没有定位"}) {
		t.Errorf("sent checks %v", got)
	}
}

func TestResolveEvidenceEnglish(t *testing.T) {
	e := setup(t, enLocale)
	attachOld(e, idBikes)
	test.Tap(e.u.Action(streetdesk.OpSubmitResolution))
	lines, _ := e.u.ResolveEvidence()
	if len(lines) != 3 || !strings.HasPrefix(lines[0], "⚠ Taken 2008-05-30 15:56, before the order was dispatched") ||
		lines[2] != "⚠ The photo records no place." {
		t.Errorf("lines %q", lines)
	}
}

// The detail view writes the evidence package where the user says, off
// the main goroutine, and says where and with which fingerprint.
func TestExportEvidence(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "证据包")
	var asked string
	e := setup(t, zhLocale, func(o *ui.Options, _ *fakedesk.Options) {
		o.SaveFile = func(name string, cb func(string)) { asked = name; cb(path) }
		o.ExportEvidence = func(ctx context.Context, id, p string) (*streetdesk.EvidenceExport, error) {
			f, err := os.Create(p)
			if err != nil {
				return nil, err
			}
			defer f.Close()
			return o.Desk.ExportEvidence(ctx, id, f)
		}
	})
	attachOld(e, idBikes)
	b := e.u.EvidenceButton()
	if b.Hidden || b.Text != "证据包" {
		t.Fatalf("button %q hidden %v", b.Text, b.Hidden)
	}
	test.Tap(b)
	for i := 0; i < 50 && !strings.HasPrefix(e.u.DetailSaved(), "证据包已保存"); i++ {
		ui.RunMain(t) // the export's result comes back through the main goroutine
	}
	if asked != "证据包-"+idBikes+".zip" {
		t.Errorf("suggested name %q", asked)
	}
	if got := e.u.DetailSaved(); !strings.HasPrefix(got, "证据包已保存到 "+path+".zip（照片 0 张，证据提醒 2 条）。清单指纹（SHA-256）：") {
		t.Errorf("message %q", got)
	}
	b2, err := os.ReadFile(path + ".zip")
	if err != nil {
		t.Fatal(err)
	}
	r, err := evidence.Verify(strings.NewReader(string(b2)), int64(len(b2)))
	if err != nil || !r.OK() || r.Manifest.OrderID != idBikes {
		t.Errorf("the package does not verify: %+v %v", r, err)
	}
}

func TestExportEvidenceHiddenWithoutExporter(t *testing.T) {
	e := setup(t, zhLocale)
	e.selectOrder(idBikes)
	if !e.u.EvidenceButton().Hidden {
		t.Errorf("button shown without an exporter")
	}
}

// The lead reads the checks of the resolution's photos with the
// caseworker's explanations, and the team's tally.
func TestReviewAndBoardEvidence(t *testing.T) {
	e := setupBoard(t, zhLocale)
	// res-1's photos carry no time and no place; one explained.
	if err := e.d.AddResolution(reviewBack, streetdesk.Resolution{ID: "res-3", Outcome: streetdesk.OutcomeSolved, Cycle: 0,
		PhotoRefIDs: []string{"p1"}, State: streetdesk.ResolutionSubmitted, AuthorID: "u-wangfang", CreatedAt: leadNow.Add(-time.Hour),
		Reply: "已处理完毕，现场恢复正常。", EvidenceChecks: []streetdesk.EvidenceCheck{{Code: streetdesk.EvidenceNoPlace, PhotoRefID: "p1", Explanation: "地下室无信号"}}}); err != nil {
		t.Fatal(err)
	}
	e.b.SelectTab(2)
	e.b.Reload()
	e.b.WaitStats(t)
	got := e.b.ReviewEvidence(0)
	if !strings.HasPrefix(got, "照片证据（6 条提醒）：\n照片 1（整改后 · 整改后）：⚠ 照片没有记录拍摄时间") || strings.Count(got, "⚠ 照片没有记录拍摄时间") != 3 {
		t.Errorf("review evidence %q", got)
	}
	if got := e.b.EvidenceSummary(); got != "照片证据：本期 1 次办结中 0 次有提醒（0 次已说明）" {
		t.Errorf("board summary %q", got)
	}
}

// After the pull the lead reads the platform's checks, which it made from
// the bytes it received and across every order, instead of this desk's.
func TestReviewShowsPlatformChecks(t *testing.T) {
	e := setupBoard(t, zhLocale)
	// The latest resolution of the order waiting for review: its photo
	// has no time and no place on this desk, the platform says otherwise.
	if err := e.d.AddResolution(reviewOK, streetdesk.Resolution{ID: "res-4", WorkOrderID: reviewOK, Outcome: streetdesk.OutcomeSolved, Cycle: 0,
		PhotoRefIDs: []string{"p1"}, State: streetdesk.ResolutionReview, AuthorID: "u-wangfang", CreatedAt: leadNow.Add(-time.Hour),
		Reply: "已处理完毕，现场恢复正常。", EvidenceChecks: []streetdesk.EvidenceCheck{{Code: streetdesk.EvidenceReused, Severity: streetdesk.SeverityWarning,
			PhotoRefID: "p1", Orders: []string{"SZ-OTHER"}, By: streetdesk.EvidenceByPlatform, Explanation: "同一处井盖"}}}); err != nil {
		t.Fatal(err)
	}
	e.b.SelectTab(2)
	e.b.Reload()
	e.b.WaitStats(t)
	got := e.b.ReviewEvidence(0)
	if !strings.HasPrefix(got, "照片证据（1 条提醒）：\n") || !strings.Contains(got, "同一张照片已用于其他工单：SZ-OTHER。") ||
		strings.Contains(got, "没有记录拍摄时间") {
		t.Errorf("review evidence %q", got)
	}
}
