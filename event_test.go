package streetdesk_test

import (
	"encoding/json"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/ui/translation"
)

func TestProposeEventArgsValidation(t *testing.T) {
	good := func() streetdesk.ProposeEventArgs {
		return streetdesk.ProposeEventArgs{ProposalID: "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b", Title: "垃圾站夜间噪音",
			Reason: "一个月内多位居民反复投诉", MemberIDs: []string{"WO-1", "WO-2"}}
	}
	tests := []struct {
		name string
		mod  func(a *streetdesk.ProposeEventArgs)
		msg  string // "" = valid
	}{
		{"good", func(*streetdesk.ProposeEventArgs) {}, ""},
		{"with a department", func(a *streetdesk.ProposeEventArgs) { a.Department = "区城管局" }, ""},
		{"one member", func(a *streetdesk.ProposeEventArgs) { a.MemberIDs = a.MemberIDs[:1] }, "at least 2 member orders (got 1)"},
		{"no members", func(a *streetdesk.ProposeEventArgs) { a.MemberIDs = nil }, "at least 2"},
		{"a repeat", func(a *streetdesk.ProposeEventArgs) { a.MemberIDs = []string{"WO-1", "WO-1"} }, "listed twice"},
		{"a bad id", func(a *streetdesk.ProposeEventArgs) { a.MemberIDs = []string{"WO-1", "../etc"} }, "not valid"},
		{"too many", func(a *streetdesk.ProposeEventArgs) {
			a.MemberIDs = nil
			for i := range streetdesk.MaxEventMembers + 1 {
				a.MemberIDs = append(a.MemberIDs, "WO-"+strings.Repeat("9", 1+i%50)+string(rune('a'+i%26))+string(rune('a'+i/26%26)))
			}
		}, "at most 500"},
		{"no title", func(a *streetdesk.ProposeEventArgs) { a.Title = "  " }, "event title is required"},
		{"no reason", func(a *streetdesk.ProposeEventArgs) { a.Reason = "" }, "event reason is required"},
		{"a long title", func(a *streetdesk.ProposeEventArgs) { a.Title = strings.Repeat("长", 201) }, "too long"},
		{"not a UUID", func(a *streetdesk.ProposeEventArgs) { a.ProposalID = "p1" }, "proposalId"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			a := good()
			tt.mod(&a)
			raw, _ := json.Marshal(a)
			_, err := streetdesk.DecodeArgs(streetdesk.MutProposeEvent, raw)
			switch {
			case tt.msg == "" && err != nil:
				t.Fatalf("valid args refused: %v", err)
			case tt.msg != "" && (streetdesk.ErrorCode(err) != streetdesk.EINVALID || !strings.Contains(streetdesk.ErrorMessage(err), tt.msg)):
				t.Fatalf("err %v, want EINVALID mentioning %q", err, tt.msg)
			}
		})
	}
	if _, err := streetdesk.DecodeArgs(streetdesk.MutProposeEvent, json.RawMessage(`{"proposalId":"x","members":[]}`)); err == nil {
		t.Error("an unknown field was accepted")
	}
}

func TestCreateEventRequestValidate(t *testing.T) {
	now := time.Date(2026, 12, 4, 10, 0, 0, 0, streetdesk.ChinaTZ)
	tests := []struct {
		req streetdesk.CreateEventRequest
		msg string
	}{
		{streetdesk.CreateEventRequest{HotspotID: "010101/WO-1"}, ""},
		{streetdesk.CreateEventRequest{OrderIDs: []string{"WO-1", "WO-2"}, ResolveBy: now.Add(time.Hour), Urgency: streetdesk.UrgencyUrgent}, ""},
		{streetdesk.CreateEventRequest{}, "name a hotspot"},
		{streetdesk.CreateEventRequest{HotspotID: "h", OrderIDs: []string{"WO-1", "WO-2"}}, "not both"},
		{streetdesk.CreateEventRequest{OrderIDs: []string{"WO-1"}}, "at least 2"},
		{streetdesk.CreateEventRequest{HotspotID: "h", ResolveBy: now}, "future"},
		{streetdesk.CreateEventRequest{HotspotID: "h", Urgency: "soon"}, "urgency"},
		{streetdesk.CreateEventRequest{HotspotID: strings.Repeat("h", 200)}, "too long"},
	}
	for _, tt := range tests {
		err := tt.req.Validate(now)
		if tt.msg == "" && err != nil || tt.msg != "" && !strings.Contains(streetdesk.ErrorMessage(err), tt.msg) {
			t.Errorf("%+v: %v, want %q", tt.req, err, tt.msg)
		}
	}
	if err := (&streetdesk.ProposalDecision{}).Validate(); err == nil {
		t.Error("a decline without a reason is valid")
	}
	if err := (&streetdesk.ProposalDecision{Accept: true}).Validate(); err != nil {
		t.Errorf("an accept without a reason: %v", err)
	}
}

// Linking an order to an event records it once and leaves its state, its
// version and its deadlines to the order's own lifecycle.
func TestLinkEvent(t *testing.T) {
	w := baseOrder(streetdesk.StatusAccepted)
	before := w
	ev := w.LinkEvent("EV-1", "垃圾站噪音", roleUsers[streetdesk.RoleDispatcher], applyAt)
	if ev == nil || ev.Kind != streetdesk.TimelineLinkEvent || ev.Text != "EV-1 垃圾站噪音" || w.EventID != "EV-1" {
		t.Fatalf("link: %+v, order event %q", ev, w.EventID)
	}
	if w.Status != before.Status || w.Version != before.Version || w.Deadlines != before.Deadlines {
		t.Errorf("linking changed the order's own work: %+v", w)
	}
	if again := w.LinkEvent("EV-1", "垃圾站噪音", roleUsers[streetdesk.RoleDispatcher], applyAt); again != nil {
		t.Errorf("a second link records %+v", again)
	}
	if got := translation.For(translation.Chinese).TimelineKind(streetdesk.TimelineLinkEvent); got != "并案" {
		t.Errorf("timeline label %q", got)
	}
}

func TestEventResolutionCiteText(t *testing.T) {
	e := &streetdesk.EventResolution{EventID: "EV-20261123-9F8E", Reply: " 已更换低噪音压缩设备，作业时间调整为早七点后。 "}
	head := "参照大数据事件 EV-20261123-9F8E 的处理结果："
	if got, want := e.Cite(head), head+"已更换低噪音压缩设备，作业时间调整为早七点后。"; got != want {
		t.Fatalf("Cite %q, want %q", got, want)
	}
	e.Reply = strings.Repeat("长", streetdesk.MaxReplyRunes)
	got := e.Cite(head)
	if n := utf8.RuneCountInString(got); n != streetdesk.MaxReplyRunes || !strings.HasSuffix(got, "长…") {
		t.Fatalf("a long reply: %d runes, ends %q", n, string([]rune(got)[n-2:]))
	}
	if err := streetdesk.CheckText("reply", got, streetdesk.MinReplyRunes, streetdesk.MaxReplyRunes); err != nil {
		t.Fatal(err)
	}
}
