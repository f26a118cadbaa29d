package localdb_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/localdb"
	"github.com/streetdesk/streetdesk/ui/translation"
)

func TestApplyPullVersionGuard(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t, localdb.Options{})
	o := order("V1", streetdesk.StatusAccepted)
	o.Version, o.Title = 5, "第五版"
	pull(t, db, o)
	old := o
	old.Version, old.Title, old.Status = 3, "第三版", streetdesk.StatusDispatched
	pull(t, db, old) // a replayed, older page
	d := mustOrder(t, db, "V1")
	if d.Order.Version != 5 || d.Order.Title != "第五版" || d.Order.Status != streetdesk.StatusAccepted {
		t.Fatalf("version went backwards: %+v", d.Order)
	}
	page, _ := db.Queue(ctx, streetdesk.QueueFilter{Statuses: []streetdesk.Status{streetdesk.StatusDispatched}})
	if page.Total != 0 {
		t.Fatalf("filter columns went backwards")
	}
	o.Version, o.Title = 6, "第六版"
	pull(t, db, o)
	if d := mustOrder(t, db, "V1"); d.Order.Title != "第六版" {
		t.Fatalf("newer version not applied")
	}
	if cur, _ := db.PullCursor(ctx); cur == "" {
		t.Fatalf("cursor not stored")
	}
}

func TestApplyPullRevoke(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t, localdb.Options{})
	if err := db.SaveRoster(ctx, streetdesk.Team{ID: "t1", Members: []streetdesk.User{caseworker(), {ID: "u-li", Name: "李四"}}}); err != nil {
		t.Fatal(err)
	}
	pull(t, db, order("R1", streetdesk.StatusAccepted), order("R2", streetdesk.StatusAccepted))
	if err := db.AddNote(ctx, "R1", "离线时写的备注"); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if _, err := db.AttachPhoto(ctx, "R1", photo(i), streetdesk.PhotoBefore, ""); err != nil {
			t.Fatal(err)
		}
	}
	if err := db.RequestExtension(ctx, "R1", "需要更多时间", t0.AddDate(0, 0, 8)); err != nil {
		t.Fatal(err)
	}
	ms := pending(t, db)
	if len(ms) != 5 {
		t.Fatalf("outbox %d", len(ms))
	}
	revoke := func(id string) streetdesk.Change {
		return streetdesk.Change{Type: streetdesk.ChangeWorkOrder, Op: streetdesk.OpRevoke, ID: id, OrderID: id,
			Revoke: &streetdesk.Revocation{Reason: streetdesk.CodeReassigned, NewAssignee: "u-li"}}
	}
	ext := ms[4]
	changes := []streetdesk.Change{revoke("R1"), revoke("R2"),
		{Type: streetdesk.ChangeMutationResult, ID: ext.Key, Result: &streetdesk.MutationResult{ID: ext.ID, Key: ext.Key,
			Name: ext.Name, OrderID: "R1", Status: streetdesk.ResultRejected, Code: streetdesk.CodeReassigned, NewAssignee: "u-li"}}}
	for _, m := range ms[:4] { // the note and the photos: kept as facts
		changes = append(changes, streetdesk.Change{Type: streetdesk.ChangeMutationResult, ID: m.Key, Result: &streetdesk.MutationResult{
			ID: m.ID, Key: m.Key, Name: m.Name, OrderID: "R1", Status: streetdesk.ResultApplied, Disposition: streetdesk.DispositionKeptAsFact}})
	}
	page := &streetdesk.PullResponse{Cursor: "c1", Changes: changes, LastMutationID: ext.ID}
	if err := db.ApplyPull(ctx, page); err != nil {
		t.Fatal(err)
	}
	// R2 had no local work: gone. R1 is kept, read-only, with its work.
	if _, err := db.Order(ctx, "R2"); streetdesk.ErrorCode(err) != streetdesk.ENOTFOUND {
		t.Fatalf("R2: %v", err)
	}
	d := mustOrder(t, db, "R1")
	if !d.Revoked || len(d.Notes) != 1 || len(d.Photos) != 3 || len(d.Allowed) != 0 || !strings.Contains(translation.For(translation.Chinese).Say(d.RevokeNote), "李四") {
		t.Fatalf("revoked R1: revoked=%v notes=%d photos=%d allowed=%v note=%q", d.Revoked, len(d.Notes), len(d.Photos), d.Allowed, d.RevokeNote)
	}
	wantCode(t, db.AddNote(ctx, "R1", "再写一条"), streetdesk.EFORBIDDEN)
	// Outbox rows up to LastMutationID with their results are gone, in any
	// state; the conflict stays.
	if n := len(pending(t, db)); n != 0 {
		t.Fatalf("outbox left %d", n)
	}
	cs, err := db.Conflicts(ctx, false)
	if err != nil || len(cs) != 1 {
		t.Fatalf("conflicts %+v %v", cs, err)
	}
	want := "该工单在您离线期间已转派给李四；您的备注和 3 张照片已保留并发送，您的状态变更未生效。"
	if translation.For(translation.Chinese).Say(cs[0].Explanation) != want || cs[0].Intent != string(ext.Args) || cs[0].OrderTitle == "" || cs[0].Code != streetdesk.CodeReassigned {
		t.Fatalf("conflict %+v\nwant explanation %s", cs[0], want)
	}
	// The same result again (a replayed page) files nothing new.
	page.Cursor = "c2"
	if err := db.ApplyPull(ctx, page); err != nil {
		t.Fatal(err)
	}
	if cs, _ := db.Conflicts(ctx, false); len(cs) != 1 {
		t.Fatalf("conflict duplicated: %d", len(cs))
	}
	if err := db.DismissConflict(ctx, cs[0].ID); err != nil {
		t.Fatal(err)
	}
	if cs, _ := db.Conflicts(ctx, false); len(cs) != 0 {
		t.Fatalf("dismissed conflict still open")
	}
	if cs, _ := db.Conflicts(ctx, true); len(cs) != 1 || !cs[0].Dismissed {
		t.Fatalf("dismissed conflict lost")
	}
	wantCode(t, db.DismissConflict(ctx, 999), streetdesk.ENOTFOUND)
	// Photos still upload although the order left this user's view.
	ups, err := db.PendingUploads(ctx)
	if err != nil || len(ups) != 3 {
		t.Fatalf("uploads %d %v", len(ups), err)
	}
	// The checksum covers visible orders only.
	sum, err := db.ShadowChecksum(ctx)
	if err != nil || sum.Count != 0 {
		t.Fatalf("checksum %+v %v", sum, err)
	}
	// The order stays, read-only, while its photos are on their way, and
	// leaves the queue with the last of them: the desk then lists what a
	// fresh desk of this user lists.
	for i, u := range ups {
		if got := queueIDs(t, db); !slices.Equal(got, []string{"R1"}) {
			t.Fatalf("with %d photos still to send, the queue is %v", len(ups)-i, got)
		}
		if err := db.MarkBlobVerified(ctx, u.SHA256); err != nil {
			t.Fatal(err)
		}
	}
	if got := queueIDs(t, db); len(got) != 0 {
		t.Fatalf("everything sent and acknowledged, the queue still lists %v", got)
	}
	if _, err := db.Order(ctx, "R1"); streetdesk.ErrorCode(err) != streetdesk.ENOTFOUND {
		t.Fatalf("R1 after everything was sent: %v", err)
	}
}

// TestApplyPullDropsRevokedOnceSent: an order reassigned away while a note
// waited is kept until the page that confirms the note, and no longer: a
// note the platform took stays on the platform, and the order is no longer
// this user's.
func TestApplyPullDropsRevokedOnceSent(t *testing.T) {
	// The confirming page touches one order, or 100 (past the count at which
	// the revoked rows are read in one pass).
	for _, others := range []int{0, 100} {
		t.Run(fmt.Sprint(others), func(t *testing.T) { testDropsRevokedOnceSent(t, others) })
	}
}

func testDropsRevokedOnceSent(t *testing.T, others int) {
	ctx := context.Background()
	db, _ := openTest(t, localdb.Options{})
	pull(t, db, order("D1", streetdesk.StatusAccepted), order("D2", streetdesk.StatusAccepted))
	if err := db.AddNote(ctx, "D1", "离线时写的备注"); err != nil {
		t.Fatal(err)
	}
	note := pending(t, db)[0]
	revoke := streetdesk.Change{Type: streetdesk.ChangeWorkOrder, Op: streetdesk.OpRevoke, ID: "D1", OrderID: "D1",
		Revoke: &streetdesk.Revocation{Reason: streetdesk.CodeReassigned, NewAssignee: "u-li"}}
	if err := db.ApplyPull(ctx, &streetdesk.PullResponse{Cursor: "c1", Changes: []streetdesk.Change{revoke}}); err != nil {
		t.Fatal(err)
	}
	if got := queueIDs(t, db); !slices.Equal(got, []string{"D1", "D2"}) {
		t.Fatalf("with the note waiting: %v", got)
	}
	// The platform kept the note as a fact; the page that says so confirms it.
	res := streetdesk.Change{Type: streetdesk.ChangeMutationResult, ID: note.Key, Result: &streetdesk.MutationResult{ID: note.ID, Key: note.Key,
		Name: note.Name, OrderID: "D1", Status: streetdesk.ResultApplied, Disposition: streetdesk.DispositionKeptAsFact}}
	changes := []streetdesk.Change{res}
	want := []string{"D2"}
	for i := range others {
		o := order(fmt.Sprintf("E%03d", i), streetdesk.StatusAccepted)
		changes = append(changes, upserts(o)...)
		want = append(want, o.ID)
	}
	if err := db.ApplyPull(ctx, &streetdesk.PullResponse{Cursor: "c2", Changes: changes, LastMutationID: note.ID}); err != nil {
		t.Fatal(err)
	}
	p, err := db.Queue(ctx, streetdesk.QueueFilter{Sort: streetdesk.SortDispatched, Limit: 200})
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(p.Items); !slices.Equal(slices.Sorted(slices.Values(got)), want) {
		t.Fatalf("after the note was confirmed the queue is %v, want D2 and the %d others", got, others)
	}
	if c, err := db.Counts(ctx); err != nil || c.Pending != 0 {
		t.Fatalf("counts %+v %v", c, err)
	}
}

// TestApplyPullConfirmsOnlyAnswered: lastMutationId confirms the rows whose
// result is recorded. A row it covers without a result — an id another copy
// of this database (a restored backup) used for another mutation — stays
// queued: deleting it on its id alone lost the mutation.
func TestApplyPullConfirmsOnlyAnswered(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t, localdb.Options{})
	pull(t, db, order("F1", streetdesk.StatusAccepted))
	if err := db.AddNote(ctx, "F1", "恢复备份之后写的备注"); err != nil {
		t.Fatal(err)
	}
	ms := pending(t, db)
	// The platform's lastMutationId covers this id: the other copy's mutation.
	other := streetdesk.Change{Type: streetdesk.ChangeMutationResult, ID: "k-other", Result: &streetdesk.MutationResult{
		ID: ms[0].ID, Key: "k-other", Name: streetdesk.MutAddNote, OrderID: "F1", Status: streetdesk.ResultApplied}}
	if err := db.ApplyPull(ctx, &streetdesk.PullResponse{Cursor: "c1", Changes: []streetdesk.Change{other}, LastMutationID: ms[0].ID}); err != nil {
		t.Fatal(err)
	}
	if got := pending(t, db); len(got) != 1 || got[0].Key != ms[0].Key {
		t.Fatalf("the unanswered note was confirmed away: outbox %+v", got)
	}
	// Its own result (a later page, or after the fork) confirms it.
	mine := streetdesk.Change{Type: streetdesk.ChangeMutationResult, ID: ms[0].Key, Result: &streetdesk.MutationResult{
		ID: ms[0].ID, Key: ms[0].Key, Name: ms[0].Name, OrderID: "F1", Status: streetdesk.ResultApplied}}
	if err := db.ApplyPull(ctx, &streetdesk.PullResponse{Cursor: "c2", Changes: []streetdesk.Change{mine}, LastMutationID: ms[0].ID}); err != nil {
		t.Fatal(err)
	}
	if c, _ := db.Counts(ctx); c.Pending != 0 {
		t.Fatalf("answered and covered, still %d in the outbox", c.Pending)
	}
}

func queueIDs(t testing.TB, db *localdb.DB) []string {
	t.Helper()
	page, err := db.Queue(context.Background(), streetdesk.QueueFilter{Sort: streetdesk.SortDispatched})
	if err != nil {
		t.Fatal(err)
	}
	out := ids(page.Items)
	slices.Sort(out)
	return out
}

func TestApplyPullConfirms(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t, localdb.Options{})
	pull(t, db, order("P1", streetdesk.StatusDispatched))
	if err := db.Accept(ctx, "P1"); err != nil {
		t.Fatal(err)
	}
	if err := db.AddNote(ctx, "P1", "已到现场"); err != nil {
		t.Fatal(err)
	}
	ph, err := db.AttachPhoto(ctx, "P1", photo(1), streetdesk.PhotoBefore, "")
	if err != nil {
		t.Fatal(err)
	}
	ms := pending(t, db)
	// Push answered (response received): rows stay in the overlay until a pull.
	var res []streetdesk.MutationResult
	for _, m := range ms {
		res = append(res, streetdesk.MutationResult{ID: m.ID, Key: m.Key, Status: streetdesk.ResultApplied})
	}
	if err := db.RecordPushResults(ctx, res); err != nil {
		t.Fatal(err)
	}
	if d := mustOrder(t, db, "P1"); d.Order.Status != streetdesk.StatusAccepted || d.Pending != 3 || len(pending(t, db)) != 0 {
		t.Fatalf("answered rows: status %s pending %d", d.Order.Status, d.Pending)
	}
	if err := db.RecordPushAttempt(ctx, []int64{ms[0].ID}, "timeout"); err != nil {
		t.Fatal(err)
	}
	// The pull brings the platform's version and confirms the rows.
	o := order("P1", streetdesk.StatusAccepted)
	o.Version = 2
	d := mustOrder(t, db, "P1")
	note := d.Notes[0].Note
	pref := ph
	pref.BlobPresent = false
	page := &streetdesk.PullResponse{Cursor: "c9", LastMutationID: ms[len(ms)-1].ID, Changes: append(upserts(o),
		streetdesk.Change{Type: streetdesk.ChangeNote, Op: streetdesk.OpUpsert, ID: note.ID, Note: &note},
		streetdesk.Change{Type: streetdesk.ChangePhotoRef, Op: streetdesk.OpUpsert, ID: pref.ID, Photo: &pref})}
	if err := db.ApplyPull(ctx, page); err != nil {
		t.Fatal(err)
	}
	d = mustOrder(t, db, "P1")
	if d.Pending != 0 || d.Order.Status != streetdesk.StatusAccepted || d.Notes[0].Sync != streetdesk.SyncSynced {
		t.Fatalf("after confirm: pending %d status %s note %s", d.Pending, d.Order.Status, d.Notes[0].Sync)
	}
	if d.Photos[0].Sync != streetdesk.SyncPending {
		t.Fatalf("photo whose bytes are not uploaded shows %s", d.Photos[0].Sync)
	}
	if err := db.SetUploadURL(ctx, ph.SHA256, "https://p/v1/uploads/1"); err != nil {
		t.Fatal(err)
	}
	if err := db.SetUploadProgress(ctx, ph.SHA256, 500); err != nil {
		t.Fatal(err)
	}
	if p, _ := db.Photo(ctx, ph.ID); p.Sync != streetdesk.SyncUploading || p.Uploaded != 500 {
		t.Fatalf("uploading photo %+v", p)
	}
	ups, _ := db.PendingUploads(ctx)
	if len(ups) != 1 || ups[0].URL != "https://p/v1/uploads/1" || ups[0].OrderID != "P1" {
		t.Fatalf("uploads %+v", ups)
	}
	if err := db.MarkBlobVerified(ctx, ph.SHA256); err != nil {
		t.Fatal(err)
	}
	if p, _ := db.Photo(ctx, ph.ID); p.Sync != streetdesk.SyncSynced || !p.BlobPresent {
		t.Fatalf("verified photo %+v", p)
	}
	wantCode(t, db.MarkBlobVerified(ctx, strings.Repeat("f", 64)), streetdesk.ENOTFOUND)
	wantCode(t, db.MarkBlobFailed(ctx, ph.SHA256, "bogus", ""), streetdesk.EINVALID)
	if !db.KnownBlob(ctx, ph.SHA256) || db.KnownBlob(ctx, strings.Repeat("e", 64)) {
		t.Fatalf("KnownBlob")
	}
	// Someone else's photo is offered for download within the budget.
	other := streetdesk.PhotoRef{ID: "0190a5c6-0000-7000-8000-0000000000aa", WorkOrderID: "P1", SHA256: strings.Repeat("a", 64),
		Size: 3000, MIME: "image/jpeg", CreatedAt: t0, BlobPresent: true}
	if err := db.ApplyPull(ctx, &streetdesk.PullResponse{Cursor: "c10", Changes: []streetdesk.Change{{Type: streetdesk.ChangePhotoRef,
		Op: streetdesk.OpUpsert, ID: other.ID, Photo: &other}}}); err != nil {
		t.Fatal(err)
	}
	if ds, _ := db.PendingDownloads(ctx, 1000); len(ds) != 0 {
		t.Fatalf("download over budget offered")
	}
	ds, _ := db.PendingDownloads(ctx, 10000)
	if len(ds) != 1 || ds[0].SHA256 != other.SHA256 {
		t.Fatalf("downloads %+v", ds)
	}
	if err := db.RegisterDownload(ctx, other.SHA256, "/media/aa.jpg", 3000, "image/jpeg"); err != nil {
		t.Fatal(err)
	}
	if ds, _ := db.PendingDownloads(ctx, 10000); len(ds) != 0 {
		t.Fatalf("downloaded photo still offered")
	}
}

// TestReset covers a staged snapshot: the old shadow stays visible until
// the last page, a failure on the last page (a crash) keeps the staged pages
// and the next attempt resumes; orders missing from the snapshot stay as
// revoked if they have local work.
func TestReset(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t, localdb.Options{})
	pull(t, db, order("K1", streetdesk.StatusAccepted), order("K2", streetdesk.StatusAccepted), order("K3", streetdesk.StatusAccepted))
	if err := db.AddNote(ctx, "K2", "本地备注"); err != nil {
		t.Fatal(err)
	}
	if err := db.ClearCursor(ctx); err != nil {
		t.Fatal(err)
	}
	n1, n4, n5 := order("K1", streetdesk.StatusAccepted), order("K4", streetdesk.StatusAccepted), order("K5", streetdesk.StatusDispatched)
	n1.Version = 3
	p1 := &streetdesk.PullResponse{Cursor: "s1", Reset: true, HasMore: true, Changes: upserts(n1, n4)}
	if err := db.ApplyPull(ctx, p1); err != nil {
		t.Fatal(err)
	}
	visible := func() []string {
		items, err := db.Export(ctx, streetdesk.QueueFilter{Sort: streetdesk.SortDispatched})
		if err != nil {
			t.Fatal(err)
		}
		var s []string
		for _, it := range items {
			v := it.Order.ID
			if it.Revoked {
				v += "(revoked)"
			}
			s = append(s, v)
		}
		slices.Sort(s)
		return s
	}
	if got := visible(); !slices.Equal(got, []string{"K1", "K2", "K3"}) {
		t.Fatalf("mid-reset the old shadow must stay: %v", got)
	}
	last := &streetdesk.PullResponse{Cursor: "s2", Reset: true, Changes: upserts(n5)}
	// Crash while applying the last page: nothing swapped, staged pages kept.
	localdb.SetFailHook(db, func(s string) error {
		if s == "cursor" {
			return errInjected
		}
		return nil
	})
	if err := db.ApplyPull(ctx, last); err == nil {
		t.Fatal("injected failure ignored")
	}
	localdb.SetFailHook(db, nil)
	if got := visible(); !slices.Equal(got, []string{"K1", "K2", "K3"}) {
		t.Fatalf("after a failed last page: %v", got)
	}
	if cur, _ := db.PullCursor(ctx); cur != "s1" {
		t.Fatalf("cursor %q, want s1", cur)
	}
	// Reopen (the crash) and resume with the same page.
	if err := db.ApplyPull(ctx, last); err != nil {
		t.Fatal(err)
	}
	if got := visible(); !slices.Equal(got, []string{"K1", "K2(revoked)", "K4", "K5"}) {
		t.Fatalf("after the swap: %v", got)
	}
	if d := mustOrder(t, db, "K1"); d.Order.Version != 3 {
		t.Fatalf("K1 version %d", d.Order.Version)
	}
	if d := mustOrder(t, db, "K2"); len(d.Notes) != 1 || d.Pending != 1 {
		t.Fatalf("local work lost in reset: %+v", d)
	}
	sum, _ := db.ShadowChecksum(ctx)
	want := streetdesk.ComputeChecksum([]streetdesk.VersionPair{{ID: "K1", Version: 3}, {ID: "K4", Version: 1}, {ID: "K5", Version: 1}})
	if sum != want {
		t.Fatalf("checksum %+v, want %+v", sum, want)
	}
	if page, _ := db.Queue(ctx, streetdesk.QueueFilter{Text: "垃圾站"}); page.Total != 4 {
		t.Fatalf("search after reset: %d", page.Total)
	}
}

func TestForkClient(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t, localdb.Options{})
	pull(t, db, order("F1", streetdesk.StatusDispatched))
	cid, err := db.ClientID(ctx)
	if err != nil || !streetdesk.ValidUUID(cid) {
		t.Fatalf("client id %q %v", cid, err)
	}
	if again, _ := db.ClientID(ctx); again != cid {
		t.Fatalf("client id changed")
	}
	if err := db.Accept(ctx, "F1"); err != nil {
		t.Fatal(err)
	}
	for i := range 3 {
		if err := db.AddNote(ctx, "F1", fmt.Sprintf("备注%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	before := pending(t, db)
	// One row was answered with a rejection before the fork.
	if err := db.RecordPushResults(ctx, []streetdesk.MutationResult{{ID: before[1].ID, Key: before[1].Key, Status: streetdesk.ResultRejected,
		Code: streetdesk.CodeValidation, Message: "内容不合规"}}); err != nil {
		t.Fatal(err)
	}
	max0, _ := db.MaxMutationID(ctx)
	nid, err := db.ForkClient(ctx)
	if err != nil || nid == cid || !streetdesk.ValidUUID(nid) {
		t.Fatalf("fork %q %v", nid, err)
	}
	if got, _ := db.ClientID(ctx); got != nid {
		t.Fatalf("client id not switched")
	}
	after := pending(t, db)
	if len(after) != len(before) {
		t.Fatalf("re-enqueued %d of %d", len(after), len(before))
	}
	for i := range after {
		if after[i].Key != before[i].Key || after[i].ID <= max0 || string(after[i].Args) != string(before[i].Args) ||
			after[i].BaseVersion != before[i].BaseVersion {
			t.Fatalf("row %d: %+v, was %+v", i, after[i], before[i])
		}
	}
	if m, _ := db.MaxMutationID(ctx); m != max0+int64(len(before)) {
		t.Fatalf("max mutation id %d", m)
	}
	cs, _ := db.Conflicts(ctx, false)
	if len(cs) != 1 || cs[0].MutationID != after[1].ID {
		t.Fatalf("conflict not moved to the new id: %+v", cs)
	}
}

func TestSyncStateAndLog(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t, localdb.Options{})
	if v, err := db.State(ctx, "server_epoch"); err != nil || v != "" {
		t.Fatalf("unset state %q %v", v, err)
	}
	if err := db.SetState(ctx, "server_epoch", "7"); err != nil {
		t.Fatal(err)
	}
	if v, _ := db.State(ctx, "server_epoch"); v != "7" {
		t.Fatalf("state %q", v)
	}
	for i := range 2100 {
		if err := db.Log(ctx, localdb.LogEntry{Kind: "push", Status: 200, Detail: fmt.Sprint(i)}); err != nil {
			t.Fatal(err)
		}
	}
	if n := localdb.LogLines(ctx, t, db); n != 2000 {
		t.Fatalf("sync log keeps %d lines, want 2000", n)
	}
	tax := streetdesk.SampleTaxonomy()
	if err := db.SaveTaxonomy(ctx, tax); err != nil {
		t.Fatal(err)
	}
	got, err := db.Taxonomy(ctx)
	if err != nil || len(got.Items) != len(tax.Items) {
		t.Fatalf("taxonomy %v", err)
	}
	if _, err := db.Team(ctx); streetdesk.ErrorCode(err) != streetdesk.ENOTFOUND {
		t.Fatalf("team before roster: %v", err)
	}
}
