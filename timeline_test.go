package streetdesk_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/ui/translation"
)

var zh = translation.For(translation.Chinese)

// line renders an entry the way the CLI does, for comparison.
func line(e streetdesk.TimelineEntry) string {
	return strings.Join(strings.Fields(fmt.Sprintf("%s %s %s %s [%s]", e.At.In(streetdesk.ChinaTZ).Format("15:04"), e.Actor,
		zh.TimelineKind(e.Kind), zh.TimelineDetail(&e), e.Sync)), " ")
}

func TestBuildTimeline(t *testing.T) {
	at := func(h, m int) time.Time { return time.Date(2026, 12, 4, h, m, 0, 0, streetdesk.ChinaTZ) }
	note := func(id string, kind streetdesk.NoteKind, body string, when time.Time, sync streetdesk.ItemSync) streetdesk.LocalNote {
		return streetdesk.LocalNote{Note: streetdesk.Note{ID: id, Kind: kind, Body: body, AuthorID: "cw01", AuthorName: "王芳",
			CreatedAt: when, Method: streetdesk.ContactPhone, Reached: kind == streetdesk.NoteContact}, Sync: sync}
	}
	photo := func(id, author string, tag streetdesk.PhotoTag, when time.Time, sync streetdesk.ItemSync) streetdesk.LocalPhoto {
		return streetdesk.LocalPhoto{PhotoRef: streetdesk.PhotoRef{ID: id, AuthorID: author, Tag: tag, CreatedAt: when}, Sync: sync}
	}
	res := func(id string, cycle int, reply string, when time.Time, sync streetdesk.ItemSync) streetdesk.LocalResolution {
		return streetdesk.LocalResolution{Resolution: streetdesk.Resolution{ID: id, Cycle: cycle, Outcome: streetdesk.OutcomeSolved,
			Reply: reply, AuthorID: "cw01", CreatedAt: when, State: streetdesk.ResolutionAccepted}, Sync: sync}
	}
	dispatch := streetdesk.Event{At: at(8, 0), Actor: "派单员", Kind: "dispatch", Text: "派单至桂园街道"}
	names := func(id string) string { return map[string]string{"cw01": "王芳", "cw02": "张伟"}[id] }
	const reply = "已联系市政部门更换井盖，现场已恢复通行。"
	tests := []struct {
		name string
		in   streetdesk.TimelineInput
		want []string
	}{{
		name: "written offline, nothing sent yet",
		in: streetdesk.TimelineInput{
			Order: &streetdesk.WorkOrder{History: []streetdesk.Event{dispatch}},
			Notes: []streetdesk.LocalNote{
				note("n1", streetdesk.NoteSurvey, "井盖缺失，已围挡", at(9, 5), streetdesk.SyncPending),
				note("n2", streetdesk.NoteContact, "约定明天上门", at(9, 6), streetdesk.SyncPending),
				note("n3", streetdesk.NoteContact, "再次电话确认", at(9, 7), streetdesk.SyncPending),
			},
			Photos: []streetdesk.LocalPhoto{
				photo("p1", "cw01", streetdesk.PhotoBefore, at(9, 8), streetdesk.SyncUploading),
				photo("p2", "cw01", streetdesk.PhotoBefore, at(9, 8).Add(20*time.Second), streetdesk.SyncUploading),
				photo("p3", "cw01", streetdesk.PhotoAfter, at(9, 9), streetdesk.SyncPending),
			},
			Resolutions: []streetdesk.LocalResolution{res("r1", 0, reply, at(9, 10), streetdesk.SyncPending)},
			Pending: []streetdesk.TimelineEntry{
				{At: at(9, 0), Kind: "accept", Actor: "王芳", Sync: streetdesk.SyncPending},
				{At: at(9, 5), Kind: "addNote", Actor: "王芳", Text: "井盖缺失，已围挡", Sync: streetdesk.SyncPending}, // its note stands for it
			},
			Name: names,
		},
		want: []string{
			"08:00 派单员 派单 派单至桂园街道 [synced]",
			"09:00 王芳 签收 [pending]",
			"09:05 王芳 勘察备注 井盖缺失，已围挡 [pending]",
			"09:06 王芳 联系记录 (电话, 已接通) 约定明天上门 [pending]",
			"09:07 王芳 联系记录 (电话, 已接通) 再次电话确认 [pending]",
			"09:08 王芳 照片 ×2 (整改前) [uploading]",
			"09:09 王芳 照片 ×1 (整改后) [pending]",
			"09:10 王芳 办结 已解决: " + reply + " [pending]",
		},
	}, {
		name: "after the sync: the platform's events come back, the texts stay",
		in: streetdesk.TimelineInput{
			Order: &streetdesk.WorkOrder{History: []streetdesk.Event{dispatch,
				{At: at(15, 0), Actor: "王芳", Kind: "accept"},
				{At: at(15, 0), Actor: "王芳", Kind: "recordContact"}, // the first contact, without text
				{At: at(15, 1), Actor: "王芳", Kind: "submitResolution", Text: "已解决"},
			}},
			Notes: []streetdesk.LocalNote{
				note("n1", streetdesk.NoteSurvey, "井盖缺失，已围挡", at(9, 5), streetdesk.SyncSynced),
				note("n2", streetdesk.NoteContact, "约定明天上门", at(9, 6), streetdesk.SyncSynced),
				note("n3", streetdesk.NoteContact, "再次电话确认", at(9, 7), streetdesk.SyncSynced),
			},
			Resolutions: []streetdesk.LocalResolution{res("r1", 0, reply, at(9, 10), streetdesk.SyncSynced)},
			Name:        names,
		},
		want: []string{
			"08:00 派单员 派单 派单至桂园街道 [synced]",
			"09:05 王芳 勘察备注 井盖缺失，已围挡 [synced]",
			"09:06 王芳 联系记录 (电话, 已接通) 约定明天上门 [synced]",
			"09:07 王芳 联系记录 (电话, 已接通) 再次电话确认 [synced]",
			"09:10 王芳 办结 已解决: " + reply + " [synced]",
			"15:00 王芳 签收 [synced]",
		},
	}, {
		name: "a colleague's photos and a previous cycle's resolution",
		in: streetdesk.TimelineInput{
			Order: &streetdesk.WorkOrder{Cycle: 1, History: []streetdesk.Event{dispatch,
				{At: at(10, 0), Actor: "张伟", Kind: "submitResolution", Text: "已解决"},
				{At: at(11, 0), Actor: "回访员", Kind: "reopen", Text: "仍未修好", Cycle: 1},
				{At: at(12, 0), Actor: "王芳", Kind: "submitResolution", Text: "已解决", Cycle: 1},
			}},
			Photos: []streetdesk.LocalPhoto{
				photo("p1", "cw02", streetdesk.PhotoAfter, at(9, 59), streetdesk.SyncSynced),
				photo("p2", "cw01", streetdesk.PhotoAfter, at(9, 59), streetdesk.SyncSynced),
			},
			Resolutions: []streetdesk.LocalResolution{
				res("r2", 1, "第二次处理：已更换新井盖。", at(11, 58), streetdesk.SyncSynced),
				res("r1", 0, reply, at(9, 59), streetdesk.SyncSynced),
			},
			Name: names,
		},
		want: []string{
			"08:00 派单员 派单 派单至桂园街道 [synced]",
			"09:59 张伟 照片 ×1 (整改后) [synced]",
			"09:59 王芳 照片 ×1 (整改后) [synced]",
			"09:59 张伟 办结 已解决: " + reply + " [synced]",
			"11:00 回访员 重办 仍未修好 [synced]",
			"11:58 王芳 办结 已解决: 第二次处理：已更换新井盖。 [synced]",
		},
	}, {
		name: "seeded history with the notes it implies, and imported history without",
		in: streetdesk.TimelineInput{
			Order: &streetdesk.WorkOrder{History: []streetdesk.Event{dispatch,
				{At: at(9, 0), Actor: "王芳", Kind: "addNote", Text: "现场已核实"},
				{At: at(9, 30), Actor: "王芳", Kind: "recordContact", Text: "已电话联系诉求人"},
			}},
			Notes: []streetdesk.LocalNote{note("n1", streetdesk.NoteSurvey, "现场已核实", at(9, 0), streetdesk.SyncSynced)},
		},
		want: []string{
			"08:00 派单员 派单 派单至桂园街道 [synced]",
			"09:00 王芳 勘察备注 现场已核实 [synced]",
			"09:30 王芳 联系记录 已电话联系诉求人 [synced]",
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := streetdesk.BuildTimeline(tt.in)
			var lines []string
			for _, e := range got {
				lines = append(lines, line(e))
			}
			if strings.Join(lines, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("timeline:\n%s\nwant:\n%s", strings.Join(lines, "\n"), strings.Join(tt.want, "\n"))
			}
		})
	}
}
