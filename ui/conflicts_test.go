package ui_test

import (
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"

	streetdesk "github.com/streetdesk/streetdesk"
)

// TestConflictSaidOnce: an order reassigned while its caseworker resolved
// it offline is revoked, its resolution kept as a proposal, and the inbox
// has the entry: the detail says so in one sentence, not three.
func TestConflictSaidOnce(t *testing.T) {
	e := setup(t, zhLocale)
	now := e.order(idOverdue).Order.UpdatedAt
	expl := "该工单在您离线期间已转派给李四；您的办结内容已作为方案保留，待组长处理。"
	if err := e.d.AddResolution(idOverdue, streetdesk.Resolution{ID: "r1", Outcome: streetdesk.OutcomeSolved,
		Reply: "已协调环卫作业单位调整作业时间，请您监督。", State: streetdesk.ResolutionProposal, CreatedAt: now}); err != nil {
		t.Fatal(err)
	}
	if err := e.d.Revoke(idOverdue, streetdesk.Msg(streetdesk.MsgRevokedReassigned, "Who", "李四")); err != nil {
		t.Fatal(err)
	}
	e.d.AddConflict(streetdesk.Conflict{OrderID: idOverdue, Name: streetdesk.MutSubmitResolution, Status: streetdesk.ResultConflict,
		Code: streetdesk.CodeReassigned, Explanation: text(expl), CreatedAt: now})
	e.u.Refresh()
	e.selectOrder(idOverdue)
	notice := e.u.Detail().Notice.Text
	if strings.Count(notice, "转派") != 1 || strings.Count(notice, "方案") != 1 || !strings.Contains(notice, expl) {
		t.Errorf("the conflict is not said once:\n%s", notice)
	}
	if len(e.u.Detail().Actions) != 0 {
		t.Errorf("actions on a revoked order: %q", e.u.Detail().Actions)
	}

	// A second entry: still one sentence, the latest, and a pointer to the rest.
	e.d.AddConflict(streetdesk.Conflict{OrderID: idOverdue, Name: streetdesk.MutAddNote, Status: streetdesk.ResultConflict,
		Code: streetdesk.CodeReassigned, Explanation: text("您的备注已保留并发送，该工单已转派给李四。"), CreatedAt: now.Add(time.Minute)})
	e.u.Refresh()
	notice = e.u.Detail().Notice.Text
	if strings.Count(notice, "\n") != 0 || !strings.Contains(notice, "您的备注已保留并发送") || !strings.Contains(notice, "另有 1 项") {
		t.Errorf("two entries:\n%s", notice)
	}
}

// TestRevokedSaidOnce: without an inbox entry the store's sentence about a
// revoked order is shown once, whole.
func TestRevokedSaidOnce(t *testing.T) {
	e := setup(t, zhLocale)
	note := "该工单已被撤单；您在本机的记录已保留，只能查看。"
	if err := e.d.Revoke(idBikes, streetdesk.Msg(streetdesk.MsgRevokedCancelled)); err != nil {
		t.Fatal(err)
	}
	e.u.Refresh()
	e.selectOrder(idBikes)
	if got := e.u.Detail().Notice.Text; got != note {
		t.Errorf("notice %q, want %q", got, note)
	}
}

// TestAttentionActionsFit: each entry offers only the actions that fit its
// kind: an accept has nothing to copy or keep; a refused return request on
// an order still being worked can keep its reason as a note; every entry
// opens its order.
func TestAttentionActionsFit(t *testing.T) {
	e := setup(t, zhLocale)
	e.d.AddConflict(streetdesk.Conflict{OrderID: idLamp, OrderTitle: "路灯杆占用人行道", Name: streetdesk.MutAccept,
		Status: streetdesk.ResultConflict, Code: streetdesk.CodeStatusChanged, Explanation: streetdesk.Msg(streetdesk.MsgConflictStatusChanged, "Status", streetdesk.NameMsg("status", "cancelled"),
			"Tail", streetdesk.Msg(streetdesk.MsgConflictTail, "What", streetdesk.Msg(streetdesk.MsgConflictWhatStatus))), Intent: `{}`})
	e.d.AddConflict(streetdesk.Conflict{OrderID: idBikes, OrderTitle: "共享单车乱停放堵塞地铁口", Name: streetdesk.MutRequestReturn,
		Status: streetdesk.ResultRejected, Code: streetdesk.CodeInvalidTransition, Explanation: text("该工单当前的状态不允许申请退单；您的状态变更未生效。"),
		Intent: `{"reason":"not_our_area","text":"该地铁口属福田区管辖"}`})
	e.u.Refresh()
	test.Tap(e.u.AttentionButton())
	cards := e.u.AttentionCards()
	if len(cards) != 2 {
		t.Fatalf("%d cards", len(cards))
	}
	accept, ret := cards[0], cards[1]
	if !strings.Contains(accept.Title.Text, "签收") {
		accept, ret = ret, accept
	}
	if accept.Copy != nil || accept.AddNote != nil || accept.Open == nil || accept.Dismiss == nil {
		t.Errorf("accept entry: copy %v, add note %v, open %v", accept.Copy != nil, accept.AddNote != nil, accept.Open != nil)
	}
	if ret.Copy == nil || ret.AddNote == nil {
		t.Fatalf("return entry: copy %v, add note %v", ret.Copy != nil, ret.AddNote != nil)
	}
	test.Tap(ret.AddNote)
	notes := e.order(idBikes).Notes
	if len(notes) != 1 || notes[0].Body != "申请退单（未生效）：属地不符 该地铁口属福田区管辖" {
		t.Errorf("notes %+v", notes)
	}
	test.Tap(accept.Open)
	if e.u.AttentionOpen() || e.u.Detail().Header.Text != idLamp {
		t.Errorf("open: inbox open %v, detail %q", e.u.AttentionOpen(), e.u.Detail().Header.Text)
	}
}

// text is an explanation as a plain sentence (one filed before codes).
func text(s string) streetdesk.Message { return streetdesk.Msg(streetdesk.MsgConflictText, "Text", s) }
