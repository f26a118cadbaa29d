package desk_test

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/desk"
)

var now = time.Date(2026, 3, 12, 10, 0, 0, 0, streetdesk.ChinaTZ)

// places is a HotspotSource over a slice.
type places struct {
	orders []streetdesk.WorkOrder
	since  []time.Time
	err    error
}

func (p *places) OrdersSince(ctx context.Context, since time.Time) ([]streetdesk.WorkOrder, error) {
	p.since = append(p.since, since)
	var out []streetdesk.WorkOrder
	for _, o := range p.orders {
		if !o.DispatchedAt.Before(since) {
			out = append(out, o)
		}
	}
	return out, p.err
}

func (p *places) Taxonomy(ctx context.Context) (*streetdesk.Taxonomy, error) {
	return streetdesk.SampleTaxonomy(), nil
}

// station returns an order about the garbage station of 星河社区, i days ago,
// from citizen c, assigned to who in team.
func station(id, who, team, office string, days, c int, l3 string) streetdesk.WorkOrder {
	it, ok := streetdesk.SampleTaxonomy().Lookup(l3)
	if !ok {
		it.Category = streetdesk.Category{L1Code: l3[:2], L2Code: l3[:4], L3Code: l3}
	}
	return streetdesk.WorkOrder{ID: id, Status: streetdesk.StatusAccepted, AssigneeID: who, TeamID: team, Category: it.Category,
		DispatchedAt: now.AddDate(0, 0, -days), Citizen: streetdesk.Citizen{Phone: fmt.Sprintf("138****%04d", c)},
		Location: streetdesk.Location{StreetOffice: office, Community: "星河社区", Address: "星湖花园3栋旁垃圾站", Lat: 22.5489, Lng: 114.1182}}
}

func TestServiceHotspots(t *testing.T) {
	src := &places{orders: []streetdesk.WorkOrder{
		station("mine1", "cw01", "t1", "香蜜湖街道", 1, 1, "010204"),
		station("mine2", "cw01", "t1", "香蜜湖街道", 3, 2, "010204"),
		station("team1", "cw02", "t1", "香蜜湖街道", 5, 3, "010204"),
		station("office1", "cw09", "t2", "香蜜湖街道", 6, 4, "010204"),
		station("other1", "cw07", "t1", "莲花街道", 7, 5, "010204"),
		station("old", "cw01", "t1", "香蜜湖街道", 70, 6, "010204"),
		station("unknown", "cw01", "t1", "香蜜湖街道", 2, 7, "999999"),
	}}
	cw := streetdesk.User{ID: "cw01", Role: streetdesk.RoleCaseworker, TeamID: "t1", StreetOffice: "香蜜湖街道"}
	lead := streetdesk.User{ID: "lead01", Role: streetdesk.RoleLead, TeamID: "t1", StreetOffice: "香蜜湖街道"}
	for _, tt := range []struct {
		who  streetdesk.User
		want []string
	}{
		{cw, []string{"mine1", "mine2", "office1", "team1"}},
		{lead, []string{"mine1", "mine2", "other1", "team1"}},
	} {
		s := &desk.Service{User: tt.who, Places: src, Now: func() time.Time { return now }}
		r, err := s.Hotspots(context.Background(), streetdesk.DefaultHotspotQuery())
		if err != nil {
			t.Fatal(err)
		}
		if len(r.Hotspots) != 1 {
			t.Fatalf("%s: hotspots %+v", tt.who.Role, r.Hotspots)
		}
		var got []string
		for _, o := range r.Hotspots[0].Orders {
			got = append(got, o.ID)
		}
		slices.Sort(got)
		if !slices.Equal(got, tt.want) || r.Input.UnknownCategory != 1 {
			t.Errorf("%s: members %v (want %v), unknown category %d", tt.who.Role, got, tt.want, r.Input.UnknownCategory)
		}
	}
	if want := now.AddDate(0, 0, -60); !src.since[0].Equal(want) {
		t.Errorf("read since %v, want %v (two windows)", src.since[0], want)
	}

	// A bad query reads nothing.
	src.since = nil
	s := &desk.Service{User: cw, Places: src, Now: func() time.Time { return now }}
	q := streetdesk.DefaultHotspotQuery()
	q.Window = -24 * time.Hour
	if _, err := s.Hotspots(context.Background(), q); streetdesk.ErrorCode(err) != streetdesk.EINVALID || len(src.since) != 0 {
		t.Errorf("negative window: %v, reads %d", err, len(src.since))
	}
	// A store error comes back wrapped.
	src.err = errors.New("disk I/O error")
	if _, err := s.Hotspots(context.Background(), streetdesk.DefaultHotspotQuery()); !errors.Is(err, src.err) {
		t.Errorf("store error: %v", err)
	}
}
