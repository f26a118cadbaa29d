package main_test

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/streetdesk/streetdesk"
)

func (d *desk) conflicts() []streetdesk.Conflict {
	d.t.Helper()
	var cs []streetdesk.Conflict
	if err := json.Unmarshal([]byte(d.must("conflicts", "--json")), &cs); err != nil {
		d.t.Fatalf("conflicts --json: %v", err)
	}
	return cs
}

func (d *desk) show(id string) streetdesk.OrderDetail {
	d.t.Helper()
	var od streetdesk.OrderDetail
	if err := json.Unmarshal([]byte(d.must("show", id, "--json")), &od); err != nil {
		d.t.Fatalf("show --json: %v", err)
	}
	return od
}

// TestEndToEnd_LeadReassignsWhileCaseworkerWorksOffline: the lead reassigns
// an order offline while its caseworker, also offline, writes a survey note
// and resolves it. Both sync, in either order; nothing typed is lost and the
// outcome is the conflict matrix's (docs/protocol.md):
//   - caseworker first: the resolution stands; the lead's reassignment is
//     not applied and lands in the lead's "needs attention" inbox;
//   - lead first: the order moves to cw02; the caseworker's note is kept and
//     visible to cw02; the resolution is kept as a proposal and the
//     caseworker is told why in their inbox.
func TestEndToEnd_LeadReassignsWhileCaseworkerWorksOffline(t *testing.T) {
	t.Setenv("STREETDESK_NO_KEYRING", "1")
	const note = "现场勘察：井盖已临时围挡，等待市政维修"
	const reply = "已联系市政部门更换井盖，现场已恢复通行，感谢您的反映和监督。"
	for _, caseworkerFirst := range []bool{true, false} {
		name := "lead first"
		if caseworkerFirst {
			name = "caseworker first"
		}
		t.Run(name, func(t *testing.T) {
			p := startPlatformd(t)
			cw := &desk{t: t, data: t.TempDir()}
			cw2 := &desk{t: t, data: t.TempDir()}
			lead := &desk{t: t, data: t.TempDir()}
			for _, x := range []struct {
				d    *desk
				user string
			}{{cw, "cw01"}, {cw2, "cw02"}, {lead, "lead01"}} {
				if _, errs, code := x.d.run(p.Password+"\n", "login", "--server", p.URL, "--user", x.user, "--password-stdin"); code != 0 {
					t.Fatalf("login %s: %s", x.user, errs)
				}
				x.d.must("sync", "--once")
			}
			waiting := cw.orders("--status", "dispatched")
			if len(waiting) == 0 {
				t.Fatal("cw01 has nothing awaiting acceptance")
			}
			id := waiting[0].ID
			cw.must("accept", id)
			cw.must("sync", "--once")
			lead.must("sync", "--once")

			// Offline on both sides.
			lead.must("reassign", strings.ToLower(id), "--to", "cw02", "--reason", "属地调整，转交曾燕处理") // ids are upper-cased
			cw.must("note", id, note)
			cw.must("resolve", id, "--outcome", "solved", "--reply", reply)

			if caseworkerFirst {
				cw.must("sync", "--once")
				lead.must("sync", "--once")
				got := find(lead.orders(), id)
				if got == nil || got.Status != streetdesk.StatusResolved || got.AssigneeID != waiting[0].AssigneeID {
					t.Fatalf("lead sees %+v, want resolved by cw01", got)
				}
				cs := lead.conflicts()
				if len(cs) != 1 || cs[0].OrderID != id || cs[0].Name != streetdesk.MutReassign || cs[0].Explanation.IsZero() {
					t.Fatalf("lead's inbox: %+v, want the refused reassignment explained", cs)
				}
				if cs := cw.conflicts(); len(cs) != 0 {
					t.Errorf("caseworker's inbox: %+v, want empty", cs)
				}
			} else {
				lead.must("sync", "--once")
				cw.must("sync", "--once")
				cw2.must("sync", "--once")
				lead.must("sync", "--once")
				got := find(lead.orders(), id)
				if got == nil || got.AssigneeID == waiting[0].AssigneeID || got.Status == streetdesk.StatusResolved {
					t.Fatalf("lead sees %+v, want reassigned to cw02 and not resolved", got)
				}
				cs := cw.conflicts()
				found := false
				for _, c := range cs {
					if c.OrderID == id && c.Name == streetdesk.MutSubmitResolution && c.Code == streetdesk.CodeReassigned {
						found = strings.Contains(c.Intent, "已联系市政部门") && !c.Explanation.IsZero()
					}
				}
				if !found {
					t.Fatalf("caseworker's inbox: %+v, want the resolution kept with its full text and explained", cs)
				}
				// The caseworker's own copy keeps the work, read-only.
				if mine := cw.show(id); !mine.Revoked || len(mine.Resolutions) == 0 {
					t.Errorf("cw01's copy: revoked=%v resolutions=%d, want revoked with the resolution kept", mine.Revoked, len(mine.Resolutions))
				}
				// The new assignee sees the order and the previous assignee's note.
				od := cw2.show(id)
				hasNote := false
				for _, n := range od.Notes {
					if n.Body == note {
						hasNote = true
					}
				}
				if !hasNote {
					t.Errorf("cw02 does not see cw01's note on %s: %+v", id, od.Notes)
				}
			}
		})
	}
}
