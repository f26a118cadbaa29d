package sync_test

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/localdb"
	"github.com/streetdesk/streetdesk/sync"
	"github.com/streetdesk/streetdesk/ui/translation"
)

// factLines are the timeline lines of an order's facts (notes, contact
// records, photos, resolutions): author, kind, what it says and whether it
// reached the platform.
func factLines(t *testing.T, db *localdb.DB, id string) []string {
	t.Helper()
	d, err := db.Order(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	zh := translation.For(translation.Chinese)
	for _, e := range d.Timeline {
		if streetdesk.IsFactKind(e.Kind) {
			out = append(out, strings.Join([]string{e.Actor, zh.TimelineKind(e.Kind), zh.TimelineDetail(&e), string(e.Sync)}, " | "))
		}
	}
	return out
}

func synced(lines []string) []string {
	out := make([]string, len(lines))
	for i, l := range lines {
		out[i] = strings.Replace(strings.Replace(l, "| pending", "| synced", 1), "| uploading", "| synced", 1)
	}
	return out
}

// TestReal_TimelineKeepsEveryFact: a survey note, two contact records, a
// photo and a resolution written offline stay in the order's timeline with
// their texts — before the sync (pending), after it (synced), after a
// restart, after a pull that rebuilds the shadow, on a freshly signed-in
// desk of the same caseworker and on the team lead's desk.
func TestReal_TimelineKeepsEveryFact(t *testing.T) {
	e := newRealEnv(t)
	ids := e.dispatch(1, e.cw.ID)
	id := ids[0]
	dir := t.TempDir()
	d := e.desk(filepath.Join(dir, "a.db"), e.cw, sync.Options{})
	d.start()
	d.waitCycle(0)
	ctx := context.Background()
	const (
		survey  = "现场勘察：井盖缺失，已临时围挡"
		call1   = "电话已接通，约定明天上午上门"
		call2   = "第二次联系：上门查看，诉求人在家"
		reply   = "已联系市政部门更换井盖，现场已恢复通行，感谢您的反映。"
		caption = "整改后"
	)
	photo := filepath.Join(dir, "after.jpg")
	if err := os.WriteFile(photo, append([]byte{0xFF, 0xD8, 0xFF}, []byte(strings.Repeat("井盖", 5000))...), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := importForTest(ctx, d.db, id, photo); err != nil { // accepts, then attaches
		t.Fatal(err)
	}
	if err := d.db.AddNote(ctx, id, survey); err != nil {
		t.Fatal(err)
	}
	if err := d.db.RecordContact(ctx, id, streetdesk.ContactInput{Method: streetdesk.ContactPhone, Reached: true, Body: call1}); err != nil {
		t.Fatal(err)
	}
	if err := d.db.RecordContact(ctx, id, streetdesk.ContactInput{Method: streetdesk.ContactVisit, Reached: true, Body: call2}); err != nil {
		t.Fatal(err)
	}
	if _, err := d.db.Resolve(ctx, id, streetdesk.ResolveInput{Outcome: streetdesk.OutcomeSolved, Reply: reply}); err != nil {
		t.Fatal(err)
	}
	before := factLines(t, d.db, id)
	want := []string{
		"王芳 | 照片 | ×1 (整改后) " + caption + " | pending",
		"王芳 | 勘察备注 | " + survey + " | pending",
		"王芳 | 联系记录 | (电话, 已接通) " + call1 + " | pending",
		"王芳 | 联系记录 | (上门, 已接通) " + call2 + " | pending",
		"王芳 | 办结 | 已解决: " + reply + " | pending",
	}
	if !slices.Equal(before, want) {
		t.Fatalf("before the sync:\n%s\nwant:\n%s", strings.Join(before, "\n"), strings.Join(want, "\n"))
	}
	check := func(when string, db *localdb.DB) {
		t.Helper()
		got := factLines(t, db, id)
		if !slices.Equal(got, synced(want)) {
			t.Errorf("%s:\n%s\nwant:\n%s", when, strings.Join(got, "\n"), strings.Join(synced(want), "\n"))
		}
	}
	d.untilOK()
	check("after the sync", d.db)

	// A restart.
	d.close()
	d = e.desk(filepath.Join(dir, "a.db"), e.cw, sync.Options{})
	check("after a restart", d.db)

	// A cursor the platform cannot use: the next pull rebuilds the shadow.
	if err := d.db.SetState(ctx, "cursor", "not-a-cursor"); err != nil {
		t.Fatal(err)
	}
	d.start()
	d.untilOK()
	check("after a pull that replaced the shadow", d.db)
	d.close()

	fresh := e.desk(filepath.Join(dir, "fresh.db"), e.cw, sync.Options{})
	fresh.start()
	fresh.untilOK()
	check("on a freshly signed-in desk", fresh.db)

	lead := e.desk(filepath.Join(dir, "lead.db"), e.lead, sync.Options{})
	lead.start()
	lead.untilOK()
	check("on the lead's desk", lead.db)
}
