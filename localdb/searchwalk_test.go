package localdb_test

import (
	"context"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/localdb"
)

// TestSearchWalkMatchesJoin: a search's page read in index order with the
// matches as a set (or the set joined, as the cost decides) gives exactly
// what joining every match with the FTS index gives — the same
// rows in the same order and the same total — over many words (broad and
// rare, one to four characters, two words), with filters, paging, every
// sort order, overlaid orders (local intents) and removed orders.
func TestSearchWalkMatchesJoin(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t, localdb.Options{})
	orders := demoOrders(800, t0)
	pull(t, db, orders...)
	var accepted, resolved int
	for _, o := range orders {
		switch {
		case o.AssigneeID != caseworker().ID:
		case o.Status == streetdesk.StatusDispatched && accepted < 8:
			if err := db.Accept(ctx, o.ID); err != nil {
				t.Fatal(err)
			}
			accepted++
		case o.Status == streetdesk.StatusAccepted && resolved < 8:
			if _, err := db.Resolve(ctx, o.ID, streetdesk.ResolveInput{Outcome: streetdesk.OutcomeSolved, Reply: "已经处理完毕，现场恢复正常，市民满意。"}); err != nil {
				t.Fatal(err)
			}
			resolved++
		}
	}
	noted := 0
	for _, o := range orders {
		if noted < 3 && o.AssigneeID == caseworker().ID && o.Status == streetdesk.StatusDispatched {
			if err := db.AddNote(ctx, o.ID, "现场勘察：噪声来自夜间施工"); err != nil {
				t.Fatal(err)
			}
			noted++
		}
	}
	// Orders that left the desk: removed with their search documents.
	var gone []streetdesk.Change
	for _, o := range orders[100:120] {
		if o.AssigneeID == caseworker().ID {
			continue // may have local work: kept as revoked
		}
		gone = append(gone, streetdesk.Change{Type: streetdesk.ChangeWorkOrder, Op: streetdesk.OpRevoke, ID: o.ID, OrderID: o.ID,
			Revoke: &streetdesk.Revocation{Reason: streetdesk.CodeCancelled}})
	}
	if err := db.ApplyPull(ctx, &streetdesk.PullResponse{Cursor: "gone", Changes: gone}); err != nil {
		t.Fatal(err)
	}

	rng := rand.New(rand.NewPCG(16, 2))
	sub := func(s string, n int) string {
		r := []rune(s)
		if len(r) <= n {
			return s
		}
		i := rng.IntN(len(r) - n + 1)
		return string(r[i : i+n])
	}
	words := []string{"噪声扰民", "噪声", "施工", "路", "吵", "灯", "垃圾站", "不存在的内容", "施工 噪声", "区 路", "夜间施工"}
	for i := 0; i < 24; i++ {
		o := orders[rng.IntN(len(orders))]
		src := []string{o.Title, o.Complaint, o.Location.Address}[i%3]
		w := sub(src, 1+i%4)
		if i%5 == 0 {
			w += " " + sub(o.Title, 2)
		}
		words = append(words, w)
	}
	o0 := orders[3]
	filters := []streetdesk.QueueFilter{
		{},
		{Limit: 7},
		{Offset: 13, Limit: 20},
		{Offset: 45},
		{Statuses: []streetdesk.Status{streetdesk.StatusAccepted}},
		{AssigneeID: caseworker().ID},
		{StreetOffice: o0.Location.StreetOffice, Offset: 2, Limit: 5},
		{Overdue: true},
		{CategoryCode: o0.Category.L1Code},
	}
	sorts := []streetdesk.SortOrder{streetdesk.SortRisk, streetdesk.SortUrgency, streetdesk.SortDispatched}
	compared := 0
	for _, w := range words {
		for i, f := range filters {
			for _, s := range sorts {
				f := f
				f.Text, f.Sort = w, s
				var pages [3]streetdesk.QueuePage
				for j, mode := range []int{-1, 1, 0} {
					old := localdb.SetSearchWalk(mode)
					p, err := db.Queue(ctx, f)
					localdb.SetSearchWalk(old)
					if err != nil {
						t.Fatalf("%q filter %d sort %v: %v", w, i, s, err)
					}
					pages[j] = p
				}
				for j, plan := range []string{"index", "chosen"} {
					if p := pages[j+1]; p.Total != pages[0].Total || !slices.Equal(ids(p.Items), ids(pages[0].Items)) {
						t.Errorf("%q filter %d sort %v:\njoin   %d %s\n%-6s %d %s", w, i, s,
							pages[0].Total, short(ids(pages[0].Items)), plan, p.Total, short(ids(p.Items)))
					}
				}
				if pages[0].Total > 0 {
					compared++
				}
			}
		}
	}
	if compared < len(words)*len(filters) {
		t.Errorf("only %d of the comparisons found anything", compared)
	}
	t.Logf("%d non-empty comparisons of %d", compared, len(words)*len(filters)*len(sorts))
}
