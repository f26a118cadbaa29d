package main_test

import (
	"path/filepath"
	"strings"
	"testing"
)

// TestEndToEnd_ShowKeepsTheTimelineTexts: `streetdesk show` lists every
// survey note, contact record, photo and the reply with their texts, before
// and after the sync (saved here, then sent), and on a freshly signed-in
// desk.
func TestEndToEnd_ShowKeepsTheTimelineTexts(t *testing.T) {
	p, d, id := acceptedOrder(t)
	const (
		survey = "现场勘察：垃圾站压缩机凌晨作业，噪声明显"
		call1  = "已电话联系诉求人，说明处理安排"
		call2  = "第二次联系：约定周五上门回访"
		reply  = "已协调环卫作业单位将压缩作业调整至早上七点以后，并加装隔音设施，请您监督。"
	)
	d.must("note", id, survey)
	// An id typed in lower case, as read off a message, is the order's
	// (the platform upper-cases ids: streetdesk.NormalizeOrderID).
	low := " " + strings.ToLower(id)
	d.must("contact", low, "--method", "phone", "--reached", call1)
	d.must("contact", id, "--method", "visit", call2)
	d.must("photo", id, "../../testdata/photos/gps/DSCN0010.jpg", "--tag", "after", "--caption", "整改后现场")
	d.must("resolve", id, "--outcome", "solved", "--reply", reply)
	photoMark := ""
	wantLines := func(when, out, mark string) {
		t.Helper()
		for _, want := range []string{
			"梁晓红 勘察备注 " + survey + mark,
			"梁晓红 联系记录 (电话, 已接通) " + call1 + mark,
			"梁晓红 联系记录 (上门, 未接通) " + call2 + mark,
			"梁晓红 照片 ×1 (整改后) 整改后现场" + photoMark,
			"梁晓红 办结 已解决: " + reply + mark,
		} {
			if !strings.Contains(out, want+"\n") {
				t.Errorf("%s: show lacks %q:\n%s", when, want, out)
			}
		}
	}
	photoMark = "  ⟳ 待同步" // its bytes wait too
	wantLines("before the sync", d.must("show", id), "  ⟳ 待同步")
	photoMark = ""
	d.must("sync", "--once")
	out := d.must("show", id)
	wantLines("after the sync", out, "")
	if got := d.must("show", low); got != out {
		t.Errorf("show %q:\n%s\nshow %s:\n%s", low, got, id, out)
	}
	zip := filepath.Join(t.TempDir(), "e.zip")
	if got := d.must("evidence", low, "--out", zip); !strings.Contains(got, "evidence package written") {
		t.Errorf("evidence %q: %s", low, got)
	}
	if strings.Contains(out, "待同步") {
		t.Errorf("after the sync something still waits:\n%s", out)
	}

	fresh := &desk{t: t, data: t.TempDir()}
	if _, errs, code := fresh.run(p.Password+"\n", "login", "--server", p.URL, "--user", "cw01", "--password-stdin"); code != 0 {
		t.Fatalf("login: %s", errs)
	}
	fresh.must("sync", "--once")
	wantLines("on a freshly signed-in desk", fresh.must("show", id), "")
}
