package localdb_test

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/internal/demo"
	"github.com/streetdesk/streetdesk/localdb"
)

// demoOrders returns n generated orders, every other one assigned to the
// test caseworker.
func demoOrders(n int, now time.Time) []streetdesk.WorkOrder {
	os := demo.NewGenerator(42, now).Orders(n)
	for i := range os {
		if i%2 == 0 {
			os[i].AssigneeID, os[i].AssigneeName, os[i].TeamID = caseworker().ID, caseworker().Name, "t1"
		}
		if os[i].Version == 0 {
			os[i].Version = 1
		}
	}
	return os
}

// TestQueueAgainstReference compares every filter and sort with a plain Go
// implementation over the overlaid orders.
func TestQueueAgainstReference(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t, localdb.Options{})
	orders := demoOrders(600, t0)
	pull(t, db, orders...)
	// Local intents that move orders between filters.
	var accepted, resolved int
	for _, o := range orders {
		if o.AssigneeID != caseworker().ID {
			continue
		}
		switch {
		case o.Status == streetdesk.StatusDispatched && accepted < 5:
			if err := db.Accept(ctx, o.ID); err != nil {
				t.Fatal(err)
			}
			accepted++
		case o.Status == streetdesk.StatusAccepted && resolved < 5:
			if _, err := db.Resolve(ctx, o.ID, streetdesk.ResolveInput{Outcome: streetdesk.OutcomeSolved, Reply: "已经处理完毕，现场恢复正常，市民满意。"}); err != nil {
				t.Fatal(err)
			}
			resolved++
		}
	}
	if accepted == 0 || resolved == 0 {
		t.Fatalf("generator gave no dispatched/accepted orders for the caseworker")
	}
	all, err := db.Export(ctx, streetdesk.QueueFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if len(all) != len(orders) {
		t.Fatalf("export %d, want %d", len(all), len(orders))
	}
	now := t0
	o0 := orders[3]
	filters := []streetdesk.QueueFilter{
		{},
		{Statuses: []streetdesk.Status{streetdesk.StatusAccepted}},
		{Statuses: []streetdesk.Status{streetdesk.StatusDispatched, streetdesk.StatusReopened}, Sort: streetdesk.SortUrgency},
		{Statuses: []streetdesk.Status{streetdesk.StatusResolved}},
		{Overdue: true},
		{DueWithin: 48 * time.Hour, Sort: streetdesk.SortDispatched},
		{CategoryCode: o0.Category.L1Code},
		{CategoryCode: o0.Category.L2Code, Sort: streetdesk.SortUrgency},
		{CategoryCode: o0.Category.L3Code},
		{District: o0.Location.District},
		{StreetOffice: o0.Location.StreetOffice, Community: o0.Location.Community},
		{AssigneeID: caseworker().ID, Statuses: []streetdesk.Status{streetdesk.StatusAccepted, streetdesk.StatusDispatched}},
		{AssigneeID: caseworker().ID, Sort: streetdesk.SortDispatched, Offset: 37, Limit: 20},
		{Offset: 590, Limit: 50},
		{Now: now.Add(72 * time.Hour), Overdue: true},
		{Text: string([]rune(o0.Title)[:2])},
		{Text: string([]rune(o0.Title)[:3]), Sort: streetdesk.SortUrgency, Offset: 3, Limit: 7},
		{Text: string([]rune(o0.Location.Address)[:1]), Sort: streetdesk.SortDispatched},
		{Text: string([]rune(o0.Title)[:1]) + " " + string([]rune(o0.Complaint)[2:5]), AssigneeID: caseworker().ID},
	}
	for i, f := range filters {
		for walk, threshold := range []int{0, 1 << 30} { // read in index order / sort everything (and join every search match)
			t.Run(fmt.Sprint(i, "/", threshold), func(t *testing.T) {
				old := localdb.SetSortAllBelow(threshold)
				defer localdb.SetSortAllBelow(old)
				oldWalk := localdb.SetSearchWalk(1 - 2*walk)
				defer localdb.SetSearchWalk(oldWalk)
				page, err := db.Queue(ctx, f)
				if err != nil {
					t.Fatal(err)
				}
				at := f.Now
				if at.IsZero() {
					at = now
				}
				var want []streetdesk.WorkOrder
				for _, it := range all {
					if matches(&it.Order, &f, at) {
						want = append(want, it.Order)
					}
				}
				sortRef(want, f.Sort)
				if page.Total != len(want) {
					t.Errorf("total %d, want %d", page.Total, len(want))
				}
				limit := f.Limit
				if limit == 0 {
					limit = streetdesk.DefaultPageSize
				}
				var wantIDs []string
				for j := f.Offset; j < len(want) && j < f.Offset+limit; j++ {
					wantIDs = append(wantIDs, want[j].ID)
				}
				if got := ids(page.Items); !slices.Equal(got, wantIDs) {
					t.Errorf("page\n got %s\nwant %s", short(got), short(wantIDs))
				}
			})
		}
	}
}

// TestRiskOrderIsByDeadline: sorted by risk, the queue reads like the
// countdowns on its rows — longest overdue first, then least time left;
// urgency only orders those due at the same moment. (Urgency used to come
// before the deadline within "today" and "later", so 剩余4天 sat above
// 剩余2天 and 今天16:42 above 今天14:24.)
func TestRiskOrderIsByDeadline(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t, localdb.Options{})
	at := func(d time.Duration, u streetdesk.Urgency, id string) streetdesk.WorkOrder {
		o := order(id, streetdesk.StatusAccepted)
		o.Deadlines.ResolveBy, o.Urgency = t0.Add(d), u
		return o
	}
	done := order("H-resolved", streetdesk.StatusResolved)
	done.Urgency = streetdesk.UrgencyCritical
	pull(t, db,
		at(5*time.Hour+24*time.Minute, streetdesk.UrgencyNormal, "A-today-1424"),
		at(7*time.Hour+42*time.Minute, streetdesk.UrgencyUrgent, "B-today-1642-urgent"),
		at(2*24*time.Hour, streetdesk.UrgencyNormal, "C-2days"),
		at(4*24*time.Hour, streetdesk.UrgencyCritical, "D-4days-critical"),
		at(-time.Hour, streetdesk.UrgencyNormal, "E-overdue-1h"),
		at(-10*time.Minute, streetdesk.UrgencyCritical, "F-overdue-10min-critical"),
		at(5*time.Hour+24*time.Minute, streetdesk.UrgencyCritical, "G-today-1424-critical"),
		done)
	want := []string{"E-overdue-1h", "F-overdue-10min-critical", "G-today-1424-critical", "A-today-1424",
		"B-today-1642-urgent", "C-2days", "D-4days-critical", "H-resolved"}
	for _, threshold := range []int{0, 1 << 30} { // read in index order / sort everything
		old := localdb.SetSortAllBelow(threshold)
		for _, limit := range []int{3, 8} {
			page, err := db.Queue(ctx, streetdesk.QueueFilter{Limit: limit})
			if err != nil {
				t.Fatal(err)
			}
			if got := ids(page.Items); !slices.Equal(got, want[:limit]) {
				t.Errorf("risk order (threshold %d, limit %d):\n got %v\nwant %v", threshold, limit, got, want[:limit])
			}
		}
		localdb.SetSortAllBelow(old)
	}
}

func matches(w *streetdesk.WorkOrder, f *streetdesk.QueueFilter, now time.Time) bool {
	if len(f.Statuses) > 0 && !slices.Contains(f.Statuses, w.Status) {
		return false
	}
	if f.Overdue && !w.Overdue(now) {
		return false
	}
	if f.DueWithin > 0 && !w.DueWithin(now, f.DueWithin) {
		return false
	}
	if f.CategoryCode != "" && !strings.HasPrefix(w.Category.L3Code, f.CategoryCode) {
		return false
	}
	if f.District != "" && w.Location.District != f.District ||
		f.StreetOffice != "" && w.Location.StreetOffice != f.StreetOffice ||
		f.Community != "" && w.Location.Community != f.Community ||
		f.AssigneeID != "" && w.AssigneeID != f.AssigneeID {
		return false
	}
	return w.MatchesSearch(f.Text)
}

func sortRef(ws []streetdesk.WorkOrder, s streetdesk.SortOrder) {
	slices.SortStableFunc(ws, func(a, b streetdesk.WorkOrder) int { return streetdesk.CompareQueue(s, &a, &b) })
}

func TestSearch(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t, localdb.Options{})
	a := order("S1", streetdesk.StatusAccepted) // 罗湖区星湖花园垃圾站凌晨作业噪声扰民
	b := order("S2", streetdesk.StatusAccepted)
	b.Title, b.Complaint = "福田区莲花路井盖缺失", `路口井盖丢失，"非常危险" (AND 请尽快处理) OR NOT*; NEAR(x y) ^开头 col:值`
	b.Location.Address, b.Location.District = "莲花路与红荔路交叉口", "福田区"
	c := order("S3", streetdesk.StatusAccepted)
	c.Title, c.Complaint, c.Location.Address = "宝安区西乡街道路灯不亮", "西乡大道路灯连续三晚不亮", "西乡大道88号"
	c.Location.District = "宝安区"
	pull(t, db, a, b, c)
	if err := db.AddNote(ctx, "S3", "现场勘察：电缆被盗，已报供电局"); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		q    string
		want []string
	}{
		{"垃圾站", []string{"S1"}},
		{"星湖花园垃圾站凌晨作业噪声扰民", []string{"S1"}},
		{"噪声 垃圾站", []string{"S1"}},
		{"噪声 井盖", nil},
		{"垃", []string{"S1"}},
		{"垃圾", []string{"S1"}},
		{"井", []string{"S2"}},
		{"路灯", []string{"S3"}},
		{"路", []string{"S1", "S2", "S3"}}, // 东门北路, 莲花路, 西乡大道路灯
		{"电缆被盗", []string{"S3"}},          // a local note
		{"供电", []string{"S3"}},
		{"88", []string{"S3"}},
		{"8", []string{"S3"}},
		{"交叉口", []string{"S2"}},
		{"  西乡   路灯  ", []string{"S3"}},
		{"不存在的内容", nil},
		{"灯路", nil}, // both characters present, not adjacent
		{"失，", []string{"S2"}},
		{"失非", nil}, // only punctuation between them
		{"口井", []string{"S2"}},
		{"理)", []string{"S2"}},
		{"理]", nil},
	}
	// FTS5 syntax typed into the box: never an error, matched as plain text.
	syntax := []struct {
		q    string
		want []string
	}{
		{`"非常危险"`, []string{"S2"}},
		{`"`, []string{"S2"}},
		{`""`, nil},
		{`(AND`, []string{"S2"}},
		{`AND`, []string{"S2"}},
		{`OR`, []string{"S2"}},
		{`NOT*;`, []string{"S2"}},
		{`NOT`, []string{"S2"}},
		{`*`, []string{"S2"}},
		{`NEAR(x`, []string{"S2"}},
		{`NEAR(`, []string{"S2"}},
		{`^开头`, []string{"S2"}},
		{`^`, []string{"S2"}},
		{`col:值`, []string{"S2"}},
		{`:`, []string{"S2"}},
		{`)`, []string{"S2"}},
		{`()`, nil},
		{`AND OR NOT`, []string{"S2"}},
		{`垃圾站 OR 井盖`, nil}, // OR is a word here, and 垃圾站 and 井盖 are in different orders
		{`"垃圾站`, nil},
		{`垃圾站*`, nil},
		{`-垃圾`, nil},
		{`'`, nil},
		{`\`, nil},
		{`%`, nil},
		{`_`, nil},
		{`{}`, nil},
	}
	for _, tt := range append(tests, syntax...) {
		wantSearch(t, db, tt.q, tt.want)
	}
	// Search combines with filters.
	page, err := db.Queue(ctx, streetdesk.QueueFilter{Text: "路", District: "罗湖区"})
	if err != nil || !slices.Equal(ids(page.Items), []string{"S1"}) {
		t.Errorf("search with filter: %v %v", ids(page.Items), err)
	}
	// A changed order is reindexed; a revoked one without local work leaves the index.
	b.Version, b.Title = 2, "福田区莲花路雨水井盖缺失"
	pull(t, db, b)
	if page, _ := db.Queue(ctx, streetdesk.QueueFilter{Text: "雨水井"}); page.Total != 1 {
		t.Errorf("updated title not found")
	}
	if err := db.ApplyPull(ctx, &streetdesk.PullResponse{Cursor: "r", Changes: []streetdesk.Change{{Type: streetdesk.ChangeWorkOrder,
		Op: streetdesk.OpRevoke, ID: "S2", OrderID: "S2", Revoke: &streetdesk.Revocation{Reason: streetdesk.CodeCancelled}}}}); err != nil {
		t.Fatal(err)
	}
	if page, _ := db.Queue(ctx, streetdesk.QueueFilter{Text: "井盖"}); page.Total != 0 {
		t.Errorf("revoked order still found")
	}
}

// TestSearchByNumberCitizenPhoneCategory: what a caseworker has at hand when
// a citizen calls — the order number (whole or any part, in any case), the
// citizen's name, the last digits of the phone or the whole number, the
// category's name — finds the order.
func TestSearchByNumberCitizenPhoneCategory(t *testing.T) {
	db, _ := openTest(t, localdb.Options{})
	a := order("SZ12345-20261120-000013", streetdesk.StatusAccepted)
	a.Citizen = streetdesk.Citizen{Name: "张女士", Phone: "138****5678"}
	a.Category = streetdesk.Category{L1Code: "01", L1Name: "噪声污染", L2Code: "0102", L2Name: "社会生活噪声",
		L3Code: "010204", L3Name: "垃圾站夜间作业噪声", Department: "区城管和综合执法局"}
	b := order("SZ12345-20261121-000207", streetdesk.StatusDispatched)
	b.Title, b.Complaint, b.Location.Address = "莲花路井盖缺失", "路口井盖丢失，夜间危险", "莲花路与红荔路交叉口"
	b.Citizen = streetdesk.Citizen{Name: "李先生", Phone: "13912340013"} // stored masked by the platform; masked here too
	b.Category = streetdesk.Category{L1Code: "03", L1Name: "市政设施", L2Code: "0301", L2Name: "道路设施", L3Code: "030102", L3Name: "井盖缺失破损"}
	c := order("WO-20261122-9F3A11C0", streetdesk.StatusAccepted)
	c.Title, c.Complaint, c.Location.Address = "西乡大道路灯不亮", "路灯连续三晚不亮", "西乡大道88号"
	pull(t, db, a, b, c)
	for _, tt := range []struct {
		q    string
		want []string
	}{
		{"SZ12345-20261120-000013", []string{a.ID}}, // the whole number
		{"000013", []string{a.ID}},                  // its tail, as citizens read it out
		{"20261121", []string{b.ID}},                // the date part
		{"sz12345-2026112", []string{a.ID, b.ID}},   // a prefix, in lower case
		{"13", []string{a.ID, b.ID}},                // two digits: in both numbers (b's phone too)
		{"wo-20261122-9f3a", []string{c.ID}},        // Latin letters in any case
		{"9F3A11C0", []string{c.ID}},                // the end of a generated id
		{"张女士", []string{a.ID}},                     // the citizen
		{"李先生", []string{b.ID}},                     //
		{"5678", []string{a.ID}},                    // the phone's visible tail
		{"13812345678", []string{a.ID}},             // the whole number the citizen gives
		{"13912340013", []string{b.ID}},             //
		{"13912345678", nil},                        // another number with b's prefix
		{"垃圾站夜间作业噪声", []string{a.ID}},               // the category (level 3)
		{"市政设施", []string{b.ID}},                    // level 1
		{"城管", []string{a.ID}},                      // the responsible department
		{"井盖 李先生", []string{b.ID}},                  // words combine
		{"000013 李先生", nil},                         //
		{"没有这样的工单", nil},                            //
	} {
		wantSearch(t, db, tt.q, tt.want)
	}
}

// wantSearch checks that searching q finds exactly want (in any order).
func wantSearch(t *testing.T, db *localdb.DB, q string, want []string) {
	t.Helper()
	page, err := db.Queue(context.Background(), streetdesk.QueueFilter{Text: q})
	if err != nil {
		t.Errorf("search %q: %v", q, err)
		return
	}
	got := ids(page.Items)
	sort.Strings(got)
	if !slices.Equal(got, want) || page.Total != len(want) {
		t.Errorf("search %q = %v (total %d), want %v", q, got, page.Total, want)
	}
}

// TestMigrationUpgrade creates a database at migration 1, fills it, and
// checks the upgrade keeps the data and indexes it for search.
func TestMigrationUpgrade(t *testing.T) {
	ctx := context.Background()
	db, path := openTest(t, localdb.Options{MaxMigration: 1})
	if v, _ := db.SchemaVersion(ctx); v != 1 {
		t.Fatalf("schema %d, want 1", v)
	}
	pull(t, db, order("M1", streetdesk.StatusAccepted))
	if err := db.AddNote(ctx, "M1", "现场发现压缩机老化"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.Queue(ctx, streetdesk.QueueFilter{Text: "垃圾站"}); streetdesk.ErrorCode(err) != streetdesk.EINVALID {
		t.Fatalf("search before the index exists: %v", err)
	}
	db.Close()
	db2, err := localdb.Open(ctx, path, localdb.Options{User: caseworker(), Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	if v, _ := db2.SchemaVersion(ctx); v != localdb.Migrations() {
		t.Fatalf("schema %d after upgrade", v)
	}
	d := mustOrder(t, db2, "M1")
	if len(d.Notes) != 1 || d.Pending != 1 {
		t.Fatalf("data lost in upgrade: %+v", d)
	}
	for _, q := range []string{"垃圾站", "压缩机", "垃"} {
		if page, err := db2.Queue(ctx, streetdesk.QueueFilter{Text: q}); err != nil || page.Total != 1 {
			t.Errorf("search %q after upgrade: %d %v", q, page.Total, err)
		}
	}
}

// TestUpgradeIndexesTheNewSearchFields: orders indexed before the search
// document held the order number and the citizen are found by them after
// the upgrade.
func TestUpgradeIndexesTheNewSearchFields(t *testing.T) {
	ctx := context.Background()
	db, path := openTest(t, localdb.Options{MaxMigration: 4})
	o := order("SZ12345-20261120-000013", streetdesk.StatusAccepted)
	o.Citizen = streetdesk.Citizen{Name: "张女士", Phone: "138****5678"}
	pull(t, db, o)
	// The document as the previous version wrote it: title, complaint, address.
	if err := localdb.IndexText(ctx, db, o.ID, o.Title+"\n"+o.Complaint+"\n"+o.Location.Address); err != nil {
		t.Fatal(err)
	}
	if page, err := db.Queue(ctx, streetdesk.QueueFilter{Text: "000013"}); err != nil || page.Total != 0 {
		t.Fatalf("before the upgrade: %d %v (the old document has no order number)", page.Total, err)
	}
	db.Close()
	db2, err := localdb.Open(ctx, path, localdb.Options{User: caseworker(), Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	for _, q := range []string{"000013", "张女士", "5678", "垃圾站"} {
		if page, err := db2.Queue(ctx, streetdesk.QueueFilter{Text: q}); err != nil || page.Total != 1 {
			t.Errorf("search %q after the upgrade: %d %v", q, page.Total, err)
		}
	}
}

func TestCounts(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t, localdb.Options{})
	late := order("C2", streetdesk.StatusAccepted)
	late.Deadlines.ResolveBy = t0.Add(-time.Hour)
	pull(t, db, order("C1", streetdesk.StatusDispatched), late, order("C3", streetdesk.StatusClosed))
	if err := db.Accept(ctx, "C1"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.AttachPhoto(ctx, "C2", photo(9), streetdesk.PhotoBefore, ""); err != nil {
		t.Fatal(err)
	}
	c, err := db.Counts(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if c.ByStatus[streetdesk.StatusAccepted] != 2 || c.ByStatus[streetdesk.StatusClosed] != 1 || c.Overdue != 1 ||
		c.Pending != 2 || c.Uploads != 1 || c.LastSync.IsZero() {
		t.Errorf("counts %+v", c)
	}
}

// TestSearchQueueSurvivesClose: a note's reindex is queued in its own
// transaction; closing before the background indexer ran leaves it queued
// for the next Open, and a search drains it first.
func TestSearchQueueSurvivesClose(t *testing.T) {
	ctx := context.Background()
	db, path := openTest(t, localdb.Options{})
	pull(t, db, order("Q1", streetdesk.StatusAccepted))
	if err := db.AddNote(ctx, "Q1", "发现排水管破裂"); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db2, err := localdb.Open(ctx, path, localdb.Options{User: caseworker(), Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	for _, q := range []string{"排水管破裂", "破裂", "裂"} {
		if page, err := db2.Queue(ctx, streetdesk.QueueFilter{Text: q}); err != nil || page.Total != 1 {
			t.Errorf("search %q: %d %v", q, page.Total, err)
		}
	}
	if err := db2.FlushSearch(ctx); err != nil {
		t.Fatal(err)
	}
}
