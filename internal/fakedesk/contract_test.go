package fakedesk_test

import (
	"fmt"
	"testing"
	"time"

	streetdesk "github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/internal/desktest"
	"github.com/streetdesk/streetdesk/internal/fakedesk"
)

// The fake desk the UI tests use keeps the contract of streetdesk.Desk that
// the real desk keeps (desk's TestContractReal).
func TestContract(t *testing.T) {
	desktest.Run(t, newContractEnv)
}

func newContractEnv(t *testing.T, s desktest.Spec) *desktest.Env {
	team := streetdesk.Team{ID: "teamA", Name: "城管组", StreetOffice: "桂园街道", District: "罗湖区", ReviewResolutions: s.Review}
	lead := streetdesk.User{ID: "u-lead01", Username: "lead01", Name: "李组长", Role: streetdesk.RoleLead, TeamID: team.ID}
	cw := streetdesk.User{ID: "u-cw01", Username: "cw01", Name: "王芳", Role: streetdesk.RoleCaseworker, TeamID: team.ID}
	cw2 := streetdesk.User{ID: "u-cw02", Username: "cw02", Name: "张伟", Role: streetdesk.RoleCaseworker, TeamID: team.ID}
	team.Members = []streetdesk.User{lead, cw, cw2}
	me := cw
	if s.Role == streetdesk.RoleLead {
		me = lead
	}
	me.TeamName, me.StreetOffice, me.District = team.Name, team.StreetOffice, team.District
	d := fakedesk.New(fakedesk.Options{Me: me, Review: s.Review})
	d.SetTeam(team)
	d.ClearOrders()
	now := fakedesk.DefaultNow
	e := &desktest.Env{Desk: d, Other: cw2}
	add := func(n int, status streetdesk.Status) string {
		o := streetdesk.WorkOrder{ID: fmt.Sprintf("WO-CT-%03d", n), Title: desktest.Marker + fmt.Sprintf(" 井盖缺失 %d", n),
			Complaint: "桂园路口人行道井盖缺失，夜间行人容易踩空。", Status: status, AssigneeID: cw.ID, AssigneeName: cw.Name,
			TeamID: team.ID, Version: 1, DispatchedAt: now.Add(-time.Hour), UpdatedAt: now.Add(-time.Hour),
			// As the real Env's dispatcher sends them.
			Category: streetdesk.SampleTaxonomy().Items[0].Category, Channel: streetdesk.ChannelHotline,
			Location:  streetdesk.Location{District: team.District, StreetOffice: team.StreetOffice, Address: "桂园路1号", Lat: 22.54, Lng: 114.11},
			Deadlines: streetdesk.Deadlines{AcceptBy: now.Add(2 * time.Hour), ResolveBy: now.Add(72 * time.Hour)}}
		if status != streetdesk.StatusDispatched {
			o.AcceptedAt = now.Add(-30 * time.Minute)
		}
		d.AddOrder(o)
		return o.ID
	}
	for i := range s.Dispatched {
		e.Dispatched = append(e.Dispatched, add(i+1, streetdesk.StatusDispatched))
	}
	for i := range s.AwaitingReview {
		id := add(100+i, streetdesk.StatusAwaitingReview)
		if err := d.AddResolution(id, streetdesk.Resolution{ID: fmt.Sprintf("res-%d", i), Outcome: streetdesk.OutcomeSolved,
			Reply: "已更换损坏的井盖，现场已恢复通行。", State: streetdesk.ResolutionReview, AuthorID: cw.ID}); err != nil {
			t.Fatal(err)
		}
		e.AwaitingReview = append(e.AwaitingReview, id)
	}
	return e
}
