package platform_test

import (
	"bytes"
	"context"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/platform/store"
)

// ReadPull in one round trip (on PostgreSQL one statement for an
// incremental pull, a batch otherwise) reads what the reads one after the
// other read: the head, the changes in order, and the versions exactly
// when the checksum's key moved.
func TestReadPullMatchesReadsInTurn(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	var mine []*streetdesk.WorkOrder
	for range 3 {
		mine = append(mine, e.dispatch("teamA", "cw01"))
	}
	e.dispatch("teamA", "cw02")
	c := e.client("cw01")
	if r := c.pushOne(c.mut(streetdesk.MutAccept, mine[0], nil)); r.Status != streetdesk.ResultApplied {
		t.Fatalf("accept: %+v", r)
	}
	if r := c.pushOne(c.mut(streetdesk.MutAddNote, e.order(mine[0].ID), streetdesk.AddNoteArgs{NoteID: newID(), Body: "现场勘察"})); r.Status != streetdesk.ResultApplied {
		t.Fatalf("note: %+v", r)
	}
	lead := e.client("lead01")
	if r := lead.pushOne(lead.mut(streetdesk.MutReassign, e.order(mine[1].ID), streetdesk.ReassignArgs{To: "cw02", Reason: "调整"})); r.Status != streetdesk.ResultApplied {
		t.Fatalf("reassign: %+v", r)
	}
	cw, err := e.srv.User(ctx, "cw01")
	if err != nil {
		t.Fatal(err)
	}
	ld, err := e.srv.User(ctx, "lead01")
	if err != nil {
		t.Fatal(err)
	}
	db := e.srv.Store()

	type who struct {
		name   string
		scope  store.Scope
		userID string
		client string
	}
	people := []who{
		{"caseworker", store.Scope{AssigneeID: cw.ID}, cw.ID, c.id},
		{"caseworker, no client", store.Scope{AssigneeID: cw.ID}, cw.ID, ""},
		{"caseworker, unknown client", store.Scope{AssigneeID: cw.ID}, cw.ID, newID()},
		{"lead", store.Scope{TeamID: ld.TeamID}, ld.ID, lead.id},
		{"lead, another's client", store.Scope{TeamID: ld.TeamID}, ld.ID, c.id},
	}
	for _, p := range people {
		// The numbers the checksum's key is made of now.
		ref, _ := readPull(t, db, store.PullQuery{Head: store.PullHeadQuery{ClientID: p.client, Scope: p.scope, UserID: p.userID, Seqs: true},
			Changes: store.ChangeQuery{Scope: p.scope, UserID: p.userID, ClientID: p.client, Limit: 1}}, true)
		current := [2]int64{ref.ScopeSeq, ref.UserSeq}
		for _, after := range []int64{0, 3, current[0] - 1, current[0] + 100} {
			for _, limit := range []int{1, 2, 1000} {
				for _, v := range []struct {
					name           string
					seqs, versions bool
					known          *[2]int64
					maxSeq         bool
					revokedAfter   int64
				}{
					{"no checksum", false, false, nil, false, 0},
					{"versions, none known", true, true, nil, false, 0},
					{"versions, key current", true, true, &current, false, 0},
					{"versions, key moved", true, true, &[2]int64{current[0] - 1, current[1]}, false, 0},
					{"fresh snapshot", true, true, nil, true, 1 << 62},
					{"snapshot page", true, true, &current, false, 2},
				} {
					q := store.PullQuery{
						Head:     store.PullHeadQuery{ClientID: p.client, Scope: p.scope, UserID: p.userID, Seqs: v.seqs, MaxSeq: v.maxSeq},
						Changes:  store.ChangeQuery{Scope: p.scope, UserID: p.userID, ClientID: p.client, After: after, Limit: limit, RevokedAfter: v.revokedAfter},
						Versions: v.versions, Known: v.known,
					}
					name := fmt.Sprintf("%s/after %d/limit %d/%s", p.name, after, limit, v.name)
					got, gotCh := readPull(t, db, q, false)
					want, wantCh := readPull(t, db, q, true)
					if !reflect.DeepEqual(got, want) {
						t.Errorf("%s: page\n got %+v\nwant %+v", name, got, want)
					}
					if !slices.EqualFunc(gotCh, wantCh, func(a, b store.Change) bool {
						return a.Seq == b.Seq && a.Type == b.Type && a.EntityID == b.EntityID && a.OrderID == b.OrderID &&
							a.Version == b.Version && bytes.Equal(a.Extra, b.Extra) && bytes.Equal(a.Data, b.Data)
					}) {
						t.Errorf("%s: changes\n got %s\nwant %s", name, changeList(gotCh), changeList(wantCh))
					}
				}
			}
		}
	}
}

// readPull reads a page with the store's ReadPull, or with the reads one
// after the other (inTurn), in a read transaction of its own.
func readPull(t *testing.T, db store.Store, q store.PullQuery, inTurn bool) (store.PullPage, []store.Change) {
	t.Helper()
	ctx := context.Background()
	rt, err := db.BeginRead(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer rt.Rollback()
	var changes []store.Change
	fn := func(c *store.Change) error {
		cp := *c
		cp.Extra, cp.Data = bytes.Clone(c.Extra), bytes.Clone(c.Data)
		changes = append(changes, cp)
		return nil
	}
	var p store.PullPage
	if inTurn {
		p, err = store.ReadPullFrom(ctx, rt, q, fn)
	} else {
		p, err = rt.ReadPull(ctx, q, fn)
	}
	if err != nil {
		t.Fatal(err)
	}
	slices.SortFunc(p.Pairs, func(a, b streetdesk.VersionPair) int { return strings.Compare(a.ID, b.ID) })
	return p, changes
}

func changeList(cs []store.Change) string {
	var b strings.Builder
	for _, c := range cs {
		fmt.Fprintf(&b, "[%d %s %s v%d] ", c.Seq, c.Type, c.EntityID, c.Version)
	}
	return b.String()
}
