package main_test

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/platform/centre"
)

// TestProposeEvent_EndToEnd: a lead proposes an event of a demo hotspot's
// orders from the command line; it syncs without a conflict and the orders
// stay as they were. Bad proposals are exit status 2 and queue nothing.
func TestProposeEvent_EndToEnd(t *testing.T) {
	t.Setenv("STREETDESK_NO_KEYRING", "1")
	p := startPlatformd(t)
	lead := &desk{t: t, data: t.TempDir()}
	if _, errs, code := lead.run(p.Password+"\n", "login", "--server", p.URL, "--user", "lead01", "--password-stdin"); code != 0 {
		t.Fatalf("login: %s", errs)
	}
	lead.must("sync", "--once")
	var r streetdesk.HotspotReport
	if err := json.Unmarshal([]byte(lead.must("hotspots", "--json")), &r); err != nil || len(r.Hotspots) == 0 {
		t.Fatalf("hotspots: %v %+v", err, r)
	}
	h := r.Hotspots[0]
	var ids []string
	for _, o := range h.Orders {
		ids = append(ids, o.ID)
	}
	for _, bad := range []struct {
		args []string
		want string
	}{
		{[]string{ids[0], "--title", "噪音", "--reason", "反复投诉"}, "at least 2 ORDER-IDs (got 1)"},
		{[]string{ids[0], ids[1], "--reason", "反复投诉"}, "needs --title"},
		{[]string{ids[0], ids[1], "--title", "噪音"}, "needs --reason"},
		{[]string{ids[0], "NO-SUCH-ORDER", "--title", "噪音", "--reason", "反复投诉"}, "NO-SUCH-ORDER"},
	} {
		out, errs, code := lead.run("", append([]string{"propose-event"}, bad.args...)...)
		if code == 0 || out != "" || !strings.Contains(errs, bad.want) {
			t.Errorf("propose-event %v: exit %d, %q %q", bad.args, code, out, errs)
		}
	}
	args := []string{"propose-event", ids[0]}
	for _, id := range ids[1:] {
		args = append(args, strings.ToLower(id)) // as typed off a message: the platform upper-cases ids
	}
	out := lead.must(append(args, "--title", "星湖花园垃圾站夜间压缩噪音", "--reason", "一个月内多位居民反复投诉", "--department", "区城管和综合执法局",
		"--hotspot", h.ID)...)
	if !strings.Contains(out, "event proposal") || !strings.Contains(out, "will sync") {
		t.Fatalf("propose-event: %q", out)
	}
	if d := lead.show(ids[0]); d.Pending != 1 {
		t.Fatalf("the proposal is not queued on %s: %d pending", ids[0], d.Pending)
	}
	lead.must("sync", "--once")
	if cs := lead.conflicts(); len(cs) != 0 {
		t.Fatalf("the proposal came back: %+v", cs)
	}
	for _, id := range ids {
		if d := lead.show(id); d.Pending != 0 || d.Order.EventID != "" {
			t.Errorf("%s after the sync: %d pending, event %q", id, d.Pending, d.Order.EventID)
		}
	}
	// The dispatcher accepts; the lead's next sync brings the event.
	ctx := context.Background()
	disp := centre.New(p.URL)
	if _, err := disp.Login(ctx, "dispatcher", p.Password); err != nil {
		t.Fatal(err)
	}
	ps, err := disp.Proposals(ctx, streetdesk.ProposalPending)
	if err != nil || len(ps) != 1 || ps[0].HotspotID != h.ID {
		t.Fatalf("proposals: %+v %v", ps, err)
	}
	pr, err := disp.DecideProposal(ctx, ps[0].ID, streetdesk.ProposalDecision{Accept: true})
	if err != nil {
		t.Fatal(err)
	}
	lead.must("sync", "--once")
	if text := lead.must("show", ids[0]); !strings.Contains(text, "已并入大数据事件 "+pr.EventID) || !strings.Contains(text, "大数据事件提议") {
		t.Errorf("show %s:\n%s", ids[0], text)
	}
	if text := lead.must("show", pr.EventID); !strings.Contains(text, fmt.Sprintf("大数据事件 · 并案工单 %d 件", len(ids))) {
		t.Errorf("show %s:\n%s", pr.EventID, text)
	}
	leadResolvesEvent(t, lead, pr.EventID, ids, disp)
	cw := &desk{t: t, data: t.TempDir()}
	if _, errs, code := cw.run(p.Password+"\n", "login", "--server", p.URL, "--user", "cw01", "--password-stdin"); code != 0 {
		t.Fatalf("login: %s", errs)
	}
	cw.must("sync", "--once")
	if _, errs, code := cw.run("", append(args, "--title", "噪音", "--reason", "反复投诉")...); code == 0 || !strings.Contains(errs, "组长") && !strings.Contains(errs, "team lead") {
		t.Errorf("a caseworker's proposal: exit %d %q", code, errs)
	}
}

// leadResolvesEvent: the lead resolves the event; the next sync brings its
// resolution to the members, and a member's reply cites it
// (resolve --cite-event), as the platform then holds it.
func leadResolvesEvent(t *testing.T, lead *desk, eventID string, members []string, disp *centre.Client) {
	t.Helper()
	if _, errs, code := lead.run("", "resolve", members[0], "--outcome", "solved", "--cite-event"); code == 0 || !strings.Contains(errs, "not part of a resolved big-data event") {
		t.Errorf("--cite-event before the event is resolved: exit %d %q", code, errs)
	}
	lead.must("accept", eventID)
	reply := "已更换低噪音压缩设备，清运作业调整到早上七点以后。"
	lead.must("resolve", eventID, "--outcome", "solved", "--reply", reply)
	lead.must("sync", "--once")
	if d := lead.show(eventID); d.Order.Status != streetdesk.StatusResolved {
		t.Fatalf("the event after the sync: %s", d.Order.Status)
	}
	lead.must("sync", "--once")
	// A member the lead can resolve now.
	var m string
	for _, id := range members {
		switch lead.show(id).Order.Status {
		case streetdesk.StatusDispatched:
			lead.must("accept", id)
			m = id
		case streetdesk.StatusAccepted, streetdesk.StatusReopened:
			m = id
		}
		if m != "" {
			break
		}
	}
	if m == "" {
		t.Fatal("no member to resolve")
	}
	text := lead.must("show", m)
	cite := "参照大数据事件 " + eventID + " 的处理结果：" + reply
	if !strings.Contains(text, "大数据事件已办结（已解决，") || !strings.Contains(text, reply) || !strings.Contains(text, "--cite-event") {
		t.Fatalf("show %s:\n%s", m, text)
	}
	lead.must("resolve", m, "--outcome", "solved", "--cite-event", "--reply", "另：门前路面已冲洗。")
	lead.must("sync", "--once")
	d := lead.show(m)
	if n := len(d.Resolutions); n == 0 || d.Resolutions[n-1].Reply != cite+"另：门前路面已冲洗。" || d.Resolutions[n-1].Sync != streetdesk.SyncSynced ||
		d.Order.Status != streetdesk.StatusResolved {
		t.Fatalf("the member's resolution after the sync: %s %+v", d.Order.Status, d.Resolutions)
	}
	if o, err := disp.Get(context.Background(), m); err != nil || o.Status != streetdesk.StatusResolved {
		t.Fatalf("the member on the platform: %v %v", o, err)
	}
}
