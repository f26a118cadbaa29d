package ui_test

import (
	"context"
	"slices"
	"strings"
	"testing"
	"time"

	"fyne.io/fyne/v2/test"
	"fyne.io/fyne/v2/widget"

	streetdesk "github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/ui"
	"github.com/streetdesk/streetdesk/ui/translation"
)

// withEvent adds an event order of the first two queue orders (which then
// carry its id) to the fake desk and returns the ids.
func withEvent(t *testing.T, e *env) (event string, members []string) {
	t.Helper()
	ctx := context.Background()
	page, err := e.d.Queue(ctx, streetdesk.QueueFilter{})
	if err != nil || len(page.Items) < 2 {
		t.Fatalf("queue: %v %d", err, len(page.Items))
	}
	ev := page.Items[0].Order
	ev.ID, ev.Kind, ev.Title = "EV-20260312-0A1B", streetdesk.OrderKindEvent, "星湖花园垃圾站夜间噪音源头治理"
	ev.Channel, ev.Citizen, ev.EventID = streetdesk.ChannelAnalysis, streetdesk.Citizen{}, ""
	for _, it := range page.Items[:2] {
		o := it.Order
		o.EventID = ev.ID
		e.d.AddOrder(o)
		ev.Members = append(ev.Members, o.ID)
	}
	e.d.AddOrder(ev)
	e.u.Refresh() // the queue reloads at once
	ui.DrainMain()
	return ev.ID, ev.Members
}

func rowBadges(e *env, title string) string {
	for i := 0; i < e.u.QueueTotal(); i++ {
		if r := e.u.QueueRowText(i); r[1] == title {
			return r[4]
		}
	}
	return "(not in the queue)"
}

// TestEventOrderInQueueAndDetail: an event order is marked 大数据事件 in the
// queue and its detail lists its members (并案), each opening its order;
// a member is marked and links back to its event. In both languages.
func TestEventOrderInQueueAndDetail(t *testing.T) {
	for _, tc := range []struct {
		locale, event, member, members, inEvent string
	}{
		{zhLocale, "大数据事件", "并案", "并案工单（2）", "已并入大数据事件 "},
		{enLocale, "Big-data event", "In an event", "Member work orders (2)", "Part of big-data event "},
	} {
		t.Run(tc.locale, func(t *testing.T) {
			e := setup(t, tc.locale)
			evID, members := withEvent(t, e)
			if b := rowBadges(e, "星湖花园垃圾站夜间噪音源头治理"); !strings.Contains(b, tc.event) {
				t.Errorf("the event's row badges %q lack %q", b, tc.event)
			}
			m0, _ := e.d.Order(context.Background(), members[0])
			if b := rowBadges(e, m0.Order.Title); !strings.Contains(b, tc.member) {
				t.Errorf("a member's row badges %q lack %q", b, tc.member)
			}
			e.selectOrder(evID)
			if !strings.Contains(e.u.Detail().State.Text, tc.event) {
				t.Errorf("state %q", e.u.Detail().State.Text)
			}
			links := e.u.EventLinks()
			if len(links) != 2 || !strings.HasPrefix(links[0].Text, members[0]) || !strings.Contains(links[0].Text, m0.Order.Title) {
				t.Fatalf("member links %v", texts(links))
			}
			test.Tap(links[1])
			if got := e.u.Detail().Header.Text; got != members[1] {
				t.Fatalf("the member link opened %q, want %s", got, members[1])
			}
			back := e.u.EventLinks()
			if len(back) != 1 || back[0].Text != tc.inEvent+evID {
				t.Fatalf("the member's link %v", texts(back))
			}
			test.Tap(back[0])
			if got := e.u.Detail().Header.Text; got != evID {
				t.Fatalf("the event link opened %q", got)
			}
			// An order outside any event shows no links.
			e.selectOrder(idReopened)
			if l := e.u.EventLinks(); l != nil {
				t.Errorf("links on a plain order: %v", texts(l))
			}
		})
	}
}

func texts(bs []*widget.Button) []string {
	var out []string
	for _, b := range bs {
		out = append(out, b.Text)
	}
	return out
}

// TestProposeEventFromHotspot: a lead proposes an event from a hotspot: the
// dialog is filled from it (title, the duty list's department first, a
// reason, every order ticked); bad input is refused in the lead's words and
// nothing is queued; a good proposal waits on the first order.
func TestProposeEventFromHotspot(t *testing.T) {
	e := hotspotSetup(t, zhLocale, asLead)
	r := e.u.Hotspots().Report
	i, station := planted(t, r, "010204")
	e.u.Hotspots().List.Select(i)
	b := e.u.ProposeButton()
	if b == nil || b.Text != "提议大数据事件…" {
		t.Fatalf("propose button %v", b)
	}
	test.Tap(b)
	d := e.u.ProposeDialog()
	if !d.Visible || !strings.Contains(d.Title.Text, station.Category.L3Name) || d.Department.Selected != station.Category.Department ||
		len(d.Department.Options) < 2 || !strings.Contains(d.Reason.Text, "位诉求人") || len(d.Members.Selected) != len(station.Orders) {
		t.Fatalf("dialog: title %q, department %q of %d, reason %q, %d of %d members", d.Title.Text, d.Department.Selected,
			len(d.Department.Options), d.Reason.Text, len(d.Members.Selected), len(station.Orders))
	}
	// Bad input: the dialog stays, says why, and nothing is queued.
	reason := d.Reason.Text
	d.Reason.SetText(" ")
	test.Tap(d.Save)
	if d = e.u.ProposeDialog(); !d.Visible || d.Error.Text != "请填写理由。" {
		t.Fatalf("no reason: visible %v, %q", d.Visible, d.Error.Text)
	}
	d.Reason.SetText(reason)
	d.Members.SetSelected(d.Members.Selected[:1])
	test.Tap(d.Save)
	if d = e.u.ProposeDialog(); !d.Visible || d.Error.Text != "请至少选择 2 件工单。" {
		t.Fatalf("one member: visible %v, %q", d.Visible, d.Error.Text)
	}
	if len(e.d.Proposals) != 0 {
		t.Fatalf("a refused proposal was queued: %+v", e.d.Proposals)
	}
	d.Members.SetSelected(d.Members.Options)
	d.Department.SetSelectedIndex(1)
	test.Tap(d.Save)
	if d = e.u.ProposeDialog(); d.Visible {
		t.Fatalf("the dialog stays open: %q", d.Error.Text)
	}
	if len(e.d.Proposals) != 1 {
		t.Fatalf("proposals %+v", e.d.Proposals)
	}
	p := e.d.Proposals[0]
	var ids []string
	for _, o := range station.Orders {
		ids = append(ids, o.ID)
	}
	if !slices.Equal(p.MemberIDs, ids) || p.HotspotID != station.ID || p.Department == station.Category.Department || p.Title == "" {
		t.Errorf("proposal %+v", p)
	}
	if got := e.u.ProposedText(); !strings.Contains(got, "已提议") {
		t.Errorf("after proposing: %q", got)
	}
}

// TestProposeEventOnlyLeads: a caseworker's hotspot view offers no proposal.
func TestProposeEventOnlyLeads(t *testing.T) {
	e := hotspotSetup(t, enLocale)
	e.u.Hotspots().List.Select(0)
	if b := e.u.ProposeButton(); b != nil {
		t.Errorf("a caseworker is offered %q", b.Text)
	}
}

// resolvedEvent marks the event of withEvent resolved on its first member
// (accepted, so the caseworker may resolve it) and returns that member.
func resolvedEvent(t *testing.T, e *env, evID, member string) *streetdesk.EventResolution {
	t.Helper()
	d, err := e.d.Order(context.Background(), member)
	if err != nil {
		t.Fatal(err)
	}
	o := d.Order
	o.Status = streetdesk.StatusAccepted
	o.EventResolution = &streetdesk.EventResolution{EventID: evID, Outcome: streetdesk.OutcomeSolved,
		Reply: "已更换低噪音压缩设备，清运作业调整到早上七点以后。", ResolvedAt: o.DispatchedAt.Add(72 * time.Hour)}
	e.d.AddOrder(o)
	e.u.Refresh()
	ui.DrainMain()
	return o.EventResolution
}

// TestMemberCitesEventResolution: a member of a resolved event shows the
// event's reply, and its resolve dialog starts from the cited text, which
// the caseworker edits (or puts back) before sending. In both languages.
func TestMemberCitesEventResolution(t *testing.T) {
	for _, tc := range []struct{ locale, shown, cite string }{
		{zhLocale, "大数据事件已办结（已解决，", "引用大数据事件 EV-20260312-0A1B 的处理结果"},
		{enLocale, "The event was resolved (", "Cite event EV-20260312-0A1B's resolution"},
	} {
		t.Run(tc.locale, func(t *testing.T) {
			e := setup(t, tc.locale)
			evID, members := withEvent(t, e)
			er := resolvedEvent(t, e, evID, members[0])
			e.selectOrder(members[0])
			if l := e.u.EventReply(); l == nil || !strings.Contains(l.Text, tc.shown) || !strings.HasSuffix(l.Text, er.Reply) {
				t.Fatalf("event reply line: %v", l)
			}
			test.Tap(e.u.Action(streetdesk.OpSubmitResolution))
			r := e.u.ResolveDialog()
			if r.Reply.Text != translation.For(translation.Chinese).CiteEvent(er) || r.Cite == nil || r.Cite.Text != tc.cite || r.Save.Disabled() {
				t.Fatalf("reply %q, cite %v, save disabled %v", r.Reply.Text, r.Cite, r.Save.Disabled())
			}
			r.Reply.SetText("")
			test.Tap(r.Cite)
			own := "另：本处垃圾站门前路面已冲洗。"
			r.Reply.SetText(r.Reply.Text + own) // edited: the caseworker adds their own words
			test.Tap(r.Save)
			det := e.order(members[0])
			if len(det.Resolutions) != 1 || det.Resolutions[0].Reply != translation.For(translation.Chinese).CiteEvent(er)+own {
				t.Fatalf("resolutions %+v", det.Resolutions)
			}
			// The other member's event is not resolved: nothing is cited.
			e.selectOrder(members[1])
			if e.u.EventReply() != nil {
				t.Error("an event reply on a member of an unresolved event")
			}
		})
	}
}

// Golden images at 1280×800: an event order's detail (its members) and a
// member's detail with the event's resolution, and the lead's proposal
// dialog on the hotspot tab (1366×768).
func TestGoldenEvents(t *testing.T) {
	t.Run("event_detail.png", func(t *testing.T) {
		e := setup(t, zhLocale)
		evID, _ := withEvent(t, e)
		e.selectOrder(evID)
		test.AssertImageMatches(t, "event_detail.png", e.w.Canvas().Capture())
	})
	t.Run("event_member.png", func(t *testing.T) {
		e := setup(t, zhLocale)
		evID, members := withEvent(t, e)
		resolvedEvent(t, e, evID, members[0])
		e.selectOrder(members[0])
		test.AssertImageMatches(t, "event_member.png", e.w.Canvas().Capture())
	})
	t.Run("resolve_cite.png", func(t *testing.T) {
		e := setup(t, zhLocale)
		evID, members := withEvent(t, e)
		resolvedEvent(t, e, evID, members[0])
		e.selectOrder(members[0])
		test.Tap(e.u.Action(streetdesk.OpSubmitResolution))
		ui.DrainMain()
		test.AssertImageMatches(t, "resolve_cite.png", e.w.Canvas().Capture())
	})
	t.Run("propose_event.png", func(t *testing.T) {
		e := hotspotSetup(t, zhLocale, asLead)
		i, _ := planted(t, e.u.Hotspots().Report, "010204")
		e.u.Hotspots().List.Select(i)
		test.Tap(e.u.ProposeButton())
		ui.DrainMain()
		test.AssertImageMatches(t, "propose_event.png", e.w.Canvas().Capture())
	})
}
