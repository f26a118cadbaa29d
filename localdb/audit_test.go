package localdb_test

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/localdb"
)

func chainOf(t testing.TB, db *localdb.DB) []streetdesk.ChainEntry {
	t.Helper()
	es, err := db.PendingChain(context.Background(), 100000)
	if err != nil {
		t.Fatal(err)
	}
	return es
}

func verifyOK(t testing.TB, db *localdb.DB) streetdesk.ChainReport {
	t.Helper()
	r, err := db.VerifyAudit(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if !r.OK() {
		t.Fatalf("action log does not verify: %v", r.Problems)
	}
	return r
}

func problems(r streetdesk.ChainReport) []string {
	var out []string
	for _, p := range r.Problems {
		out = append(out, fmt.Sprintf("%d:%s", p.Seq, p.Code))
	}
	return out
}

func team(review bool) streetdesk.Team {
	return streetdesk.Team{ID: "t1", Name: "城管组", ReviewResolutions: review,
		Members: []streetdesk.User{caseworker(), lead(), {ID: "u-zhao", Name: "赵六", Role: streetdesk.RoleCaseworker}}}
}

// Every kind of local action appends one entry, in its own transaction,
// that records exactly the mutation queued with it and who acted.
func TestAuditRecordsEveryAction(t *testing.T) {
	ctx := context.Background()
	reply := "已协调环卫部门调整作业时间至早上7点以后，市民表示认可。"
	for _, tc := range []struct {
		name   string
		user   streetdesk.User
		from   streetdesk.Status
		review bool
		do     func(db *localdb.DB) error
	}{
		{"accept", caseworker(), streetdesk.StatusDispatched, false, func(db *localdb.DB) error { return db.Accept(ctx, "A1") }},
		{"contact", caseworker(), streetdesk.StatusAccepted, false, func(db *localdb.DB) error {
			return db.RecordContact(ctx, "A1", streetdesk.ContactInput{Method: streetdesk.ContactPhone, Reached: true, Body: "已电话联系"})
		}},
		{"note", caseworker(), streetdesk.StatusAccepted, false, func(db *localdb.DB) error { return db.AddNote(ctx, "A1", "现场勘察") }},
		{"photo", caseworker(), streetdesk.StatusAccepted, false, func(db *localdb.DB) error {
			_, err := db.AttachPhoto(ctx, "A1", photo(1), streetdesk.PhotoAfter, "整改后")
			return err
		}},
		{"resolve", caseworker(), streetdesk.StatusAccepted, false, func(db *localdb.DB) error {
			_, err := db.Resolve(ctx, "A1", streetdesk.ResolveInput{Outcome: streetdesk.OutcomeSolved, Reply: reply})
			return err
		}},
		{"return", caseworker(), streetdesk.StatusDispatched, false, func(db *localdb.DB) error {
			return db.RequestReturn(ctx, "A1", streetdesk.ReturnNotOurArea, "属莲塘街道")
		}},
		{"extend", caseworker(), streetdesk.StatusAccepted, false, func(db *localdb.DB) error {
			return db.RequestExtension(ctx, "A1", "需协调物业", t0.Add(9*24*time.Hour))
		}},
		{"reassign", lead(), streetdesk.StatusAccepted, false, func(db *localdb.DB) error { return db.Reassign(ctx, []string{"A1"}, "u-zhao", "片区调整") }},
		{"approve", lead(), streetdesk.StatusAwaitingReview, true, func(db *localdb.DB) error { return db.ApproveReview(ctx, "A1") }},
		{"send back", lead(), streetdesk.StatusAwaitingReview, true, func(db *localdb.DB) error { return db.SendBack(ctx, "A1", "请补充照片") }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db, _ := openTest(t, localdb.Options{User: tc.user})
			if err := db.SaveRoster(ctx, team(tc.review)); err != nil {
				t.Fatal(err)
			}
			o := order("A1", tc.from)
			o.Version, o.Cycle = 7, 1
			pull(t, db, o)
			if err := tc.do(db); err != nil {
				t.Fatal(err)
			}
			es := chainOf(t, db)
			ms := pending(t, db)
			if len(es) != 1 || len(ms) != 1 {
				t.Fatalf("%d entries, %d outbox rows", len(es), len(ms))
			}
			cid, _ := db.ClientID(ctx)
			e := es[0]
			if e.Seq != 1 || e.Prev != streetdesk.ChainGenesis || e.Kind != streetdesk.ChainKindAction || e.ClientID != cid {
				t.Errorf("entry %+v", e)
			}
			if !e.SameAction(&ms[0], tc.user.ID) {
				t.Errorf("entry %s does not record mutation %s %s", e.Body, ms[0].Name, ms[0].Args)
			}
			if at, err := time.Parse(time.RFC3339Nano, e.At); err != nil || !at.Equal(t0) {
				t.Errorf("at %s, want the local clock %v", e.At, t0)
			}
			verifyOK(t, db)
		})
	}
}

// A failure at any point of an action's transaction leaves the log as it
// was: no entry without its action, no action without its entry.
func TestAuditAllOrNothing(t *testing.T) {
	ctx := context.Background()
	for _, stage := range []string{"effect", "outbox", "audit", "commit"} {
		t.Run(stage, func(t *testing.T) {
			db, _ := openTest(t, localdb.Options{})
			pull(t, db, order("A1", streetdesk.StatusAccepted))
			if err := db.AddNote(ctx, "A1", "第一条"); err != nil {
				t.Fatal(err)
			}
			localdb.SetFailHook(db, func(s string) error {
				if s == stage {
					return errInjected
				}
				return nil
			})
			_, err := db.AttachPhoto(ctx, "A1", photo(2), streetdesk.PhotoAfter, "")
			if !errors.Is(err, errInjected) {
				t.Fatalf("err %v", err)
			}
			localdb.SetFailHook(db, nil)
			if es := chainOf(t, db); len(es) != 1 || len(pending(t, db)) != 1 {
				t.Fatalf("%d entries after a failed action", len(es))
			}
			if err := db.AddNote(ctx, "A1", "第二条"); err != nil {
				t.Fatal(err)
			}
			if r := verifyOK(t, db); r.Entries != 2 {
				t.Errorf("entries %d", r.Entries)
			}
		})
	}
}

// Editing the stored log, or a stored record the log vouches for, is found.
func TestAuditDetectsTampering(t *testing.T) {
	ctx := context.Background()
	for _, tc := range []struct {
		name string
		q    string
		args []any
		want []string
	}{
		// The edited body no longer matches its hash, nor the records.
		{"entry body", "UPDATE audit_chain SET body = replace(body, '第2条', '第9条') WHERE seq = 2", nil,
			[]string{"2:BAD_BODY", "2:RECORD_DIFFERS", "2:RECORD_DIFFERS"}},
		{"entry time", "UPDATE audit_chain SET at = replace(at, '09:00', '08:00') WHERE seq = 3", nil, []string{"3:BAD_HASH"}},
		{"entry re-hashed", "UPDATE audit_chain SET client_id = 'someone-else' WHERE seq = 1", nil, []string{"1:BAD_HASH"}},
		{"entry dropped", "DELETE FROM audit_chain WHERE seq = 2", nil, []string{"3:GAP", "3:BROKEN_LINK", "0:MISSING_ENTRY", "0:MISSING_ENTRY"}},
		{"entries swapped", "UPDATE audit_chain SET seq = -2 WHERE seq = 2; UPDATE audit_chain SET seq = 2 WHERE seq = 3; " +
			"UPDATE audit_chain SET seq = 3 WHERE seq = -2", nil, []string{"2:BAD_HASH", "2:BROKEN_LINK", "3:BAD_HASH", "3:BROKEN_LINK", "4:BROKEN_LINK"}},
		{"entry filed under another order", "UPDATE audit_chain SET order_id = 'B9' WHERE seq = 2", nil, []string{"2:RECORD_DIFFERS"}},
		{"note text", "UPDATE notes SET body = '改过的记录' WHERE body = '第2条记录'", nil, []string{"2:RECORD_DIFFERS"}},
		{"outbox args", "UPDATE outbox SET args = replace(args, '第3条', '第4条')", nil, []string{"3:RECORD_DIFFERS"}},
		{"photo caption", "UPDATE photo_refs SET caption = '换了'", nil, []string{"4:RECORD_DIFFERS"}},
		{"explanation", "UPDATE resolution_evidence SET checks = replace(checks, '室内拍摄', '随便写的')", nil, []string{"5:RECORD_DIFFERS"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db, _ := openTest(t, localdb.Options{})
			pull(t, db, order("A1", streetdesk.StatusAccepted))
			for i := 1; i <= 3; i++ {
				if err := db.AddNote(ctx, "A1", fmt.Sprintf("第%d条记录", i)); err != nil {
					t.Fatal(err)
				}
			}
			p := photo(1)
			p.TakenAt = time.Time{}
			ref, err := db.AttachPhoto(ctx, "A1", p, streetdesk.PhotoAfter, "整改后")
			if err != nil {
				t.Fatal(err)
			}
			if _, err := db.Resolve(ctx, "A1", streetdesk.ResolveInput{Outcome: streetdesk.OutcomeSolved, Reply: "已协调环卫部门调整作业时间，市民认可。",
				PhotoRefIDs: []string{ref.ID}, Evidence: []streetdesk.EvidenceCheck{{Code: streetdesk.EvidenceNoTime, Severity: streetdesk.SeverityWarning,
					PhotoRefID: ref.ID, SHA256: p.SHA256, Explanation: "室内拍摄，手机未记录时间"}}}); err != nil {
				t.Fatal(err)
			}
			verifyOK(t, db)
			if err := localdb.Tamper(ctx, db, tc.q, tc.args...); err != nil {
				t.Fatal(err)
			}
			r, err := db.VerifyAudit(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if got := problems(r); !slices.Equal(got, tc.want) {
				t.Errorf("problems %v, want %v\n%v", got, tc.want, r.Problems)
			}
		})
	}
}

// One byte changed in the database file itself, as with a hex editor, is
// found: the log's own hashes do not need the database to be intact.
func TestAuditDetectsOneByteInTheFile(t *testing.T) {
	ctx := context.Background()
	db, path := openTest(t, localdb.Options{})
	pull(t, db, order("A1", streetdesk.StatusAccepted))
	for i := range 5 {
		if err := db.AddNote(ctx, "A1", fmt.Sprintf("现场勘察第%d次：压缩机噪声", i)); err != nil {
			t.Fatal(err)
		}
	}
	verifyOK(t, db)
	db.Close() // checkpoints the WAL into the file
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	// The canonical body of entry 3 is unique in the file: its members are
	// sorted ("args" first, "body" before "noteId"), unlike the outbox row.
	pat := []byte(`{"args":{"body":"现场勘察第2次`)
	i := bytes.Index(b, pat)
	if i < 0 || bytes.Contains(b[i+1:], pat) {
		t.Fatalf("pattern found at %d (want exactly once)", i)
	}
	b[i+len(pat)-len("2次")] = '7' // 第2次 → 第7次
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	db2, err := localdb.Open(ctx, path, localdb.Options{User: caseworker(), Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	r, err := db2.VerifyAudit(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The body no longer matches its hash; the note and the outbox row,
	// untouched, no longer match the edited body.
	if got := problems(r); !slices.Equal(got, []string{"3:BAD_BODY", "3:RECORD_DIFFERS", "3:RECORD_DIFFERS"}) {
		t.Errorf("problems %v", r.Problems)
	}
}

// A restored backup continues the log from the backup's head: the entries
// up to there are the same as the lost branch's, and the fork the sync
// engine notices is recorded as an entry of its own.
func TestAuditRestoredBackup(t *testing.T) {
	ctx := context.Background()
	db, path := openTest(t, localdb.Options{})
	pull(t, db, order("A1", streetdesk.StatusAccepted))
	for i := range 3 {
		if err := db.AddNote(ctx, "A1", fmt.Sprintf("备份前%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	oldCID, _ := db.ClientID(ctx)
	db.Close()
	backup := filepath.Join(t.TempDir(), "backup.db")
	copyFile(t, path, backup)

	db, err := localdb.Open(ctx, path, localdb.Options{User: caseworker(), Now: func() time.Time { return t0.Add(time.Hour) }})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if err := db.AddNote(ctx, "A1", fmt.Sprintf("丢失的%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	lost := chainOf(t, db)
	db.Close()

	copyFile(t, backup, path)
	for _, suffix := range []string{"-wal", "-shm"} {
		os.Remove(path + suffix)
	}
	db, err = localdb.Open(ctx, path, localdb.Options{User: caseworker(), Now: func() time.Time { return t0.Add(2 * time.Hour) }})
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if err := db.AddNote(ctx, "A1", "恢复后"); err != nil {
		t.Fatal(err)
	}
	// The engine finds the platform ahead of this database and forks.
	newCID, err := db.ForkClientWith(ctx, streetdesk.ChainFork{Reason: "platform_ahead", PlatformMutationID: 5})
	if err != nil {
		t.Fatal(err)
	}
	if err := db.AddNote(ctx, "A1", "分叉后"); err != nil {
		t.Fatal(err)
	}
	r := verifyOK(t, db)
	got := chainOf(t, db)
	if r.Entries != 6 || r.Forks != 1 || len(got) != 6 {
		t.Fatalf("report %+v, %d entries", r, len(got))
	}
	for i := range 3 {
		if got[i].Hash != lost[i].Hash {
			t.Errorf("entry %d differs from the lost branch before the backup point", i+1)
		}
	}
	if got[3].Hash == lost[3].Hash || got[3].Prev != lost[3].Prev {
		t.Errorf("entry 4 should fork from entry 3")
	}
	f := got[4]
	if f.Kind != streetdesk.ChainKindFork || f.ClientID != newCID || f.Prev != got[3].Hash {
		t.Fatalf("fork entry %+v", f)
	}
	for _, want := range []string{`"previousClientId":"` + oldCID + `"`, `"newClientId":"` + newCID + `"`, `"reason":"platform_ahead"`,
		`"platformMutationId":5`, `"localMutationId":4`} {
		if !strings.Contains(string(f.Body), want) {
			t.Errorf("fork body %s lacks %s", f.Body, want)
		}
	}
	if got[5].ClientID != newCID {
		t.Errorf("entries after the fork carry client %s", got[5].ClientID)
	}
	// The re-enqueued outbox rows still match their entries.
	if n := len(pending(t, db)); n != 5 {
		t.Errorf("%d outbox rows after the fork", n)
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o600); err != nil {
		t.Fatal(err)
	}
}

// An order reassigned from one desk to another: each desk's log holds its
// own actions on it, each verifies, and a revocation on the first desk
// does not touch the entries it already has.
func TestAuditReassignBetweenDesks(t *testing.T) {
	ctx := context.Background()
	other := streetdesk.User{ID: "u-zhao", Username: "zhao", Name: "赵六", Role: streetdesk.RoleCaseworker, TeamID: "t1"}
	deskA, _ := openTest(t, localdb.Options{User: caseworker()})
	deskL, _ := openTest(t, localdb.Options{User: lead()})
	deskB, _ := openTest(t, localdb.Options{User: other})
	o := order("R1", streetdesk.StatusAccepted)
	pull(t, deskA, o)
	pull(t, deskL, o)
	for _, db := range []*localdb.DB{deskA, deskL, deskB} {
		if err := db.SaveRoster(ctx, team(false)); err != nil {
			t.Fatal(err)
		}
	}
	if err := deskA.AddNote(ctx, "R1", "王芳的勘察"); err != nil {
		t.Fatal(err)
	}
	if err := deskL.Reassign(ctx, []string{"R1"}, other.ID, "片区调整"); err != nil {
		t.Fatal(err)
	}
	// The platform moves the order: desk A loses it, desk B gets it.
	if err := deskA.ApplyPull(ctx, &streetdesk.PullResponse{Cursor: "c2", Changes: []streetdesk.Change{{Type: streetdesk.ChangeWorkOrder,
		Op: streetdesk.OpRevoke, ID: "R1", OrderID: "R1", Revoke: &streetdesk.Revocation{Reason: streetdesk.CodeReassigned, NewAssignee: other.ID}}}}); err != nil {
		t.Fatal(err)
	}
	moved := o
	moved.Version, moved.AssigneeID, moved.AssigneeName = 2, other.ID, other.Name
	pull(t, deskB, moved)
	if err := deskB.AddNote(ctx, "R1", "赵六的勘察"); err != nil {
		t.Fatal(err)
	}
	for name, tc := range map[string]struct {
		db   *localdb.DB
		user string
		want []string
	}{
		"A": {deskA, caseworker().ID, []string{streetdesk.MutAddNote}},
		"L": {deskL, lead().ID, []string{streetdesk.MutReassign}},
		"B": {deskB, other.ID, []string{streetdesk.MutAddNote}},
	} {
		verifyOK(t, tc.db)
		es, err := tc.db.OrderChain(ctx, "R1")
		if err != nil {
			t.Fatal(err)
		}
		var names []string
		for _, e := range es {
			a, err := e.Action()
			if err != nil {
				t.Fatal(err)
			}
			if a.UserID != tc.user {
				t.Errorf("desk %s: entry by %s", name, a.UserID)
			}
			names = append(names, a.Name)
		}
		if !slices.Equal(names, tc.want) {
			t.Errorf("desk %s: entries %v, want %v", name, names, tc.want)
		}
	}
	// Desk A can no longer act on it; its log is unchanged by trying.
	if err := deskA.AddNote(ctx, "R1", "太晚了"); streetdesk.ErrorCode(err) != streetdesk.EFORBIDDEN {
		t.Errorf("note on a revoked order: %v", err)
	}
	if n := len(chainOf(t, deskA)); n != 1 {
		t.Errorf("desk A has %d entries", n)
	}
}

// The part of the log an order's evidence package shows: from the order's
// first entry to the head, other orders' entries as skeletons.
func TestOrderChain(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t, localdb.Options{})
	pull(t, db, order("A1", streetdesk.StatusAccepted), order("B2", streetdesk.StatusAccepted))
	for _, id := range []string{"B2", "A1", "B2", "A1", "B2"} {
		if err := db.AddNote(ctx, id, "记录 "+id); err != nil {
			t.Fatal(err)
		}
	}
	es, err := db.OrderChain(ctx, "A1")
	if err != nil {
		t.Fatal(err)
	}
	var shape []string
	for _, e := range es {
		shape = append(shape, fmt.Sprintf("%d:%v", e.Seq, e.Body != nil))
	}
	if !slices.Equal(shape, []string{"2:true", "3:false", "4:true", "5:false"}) {
		t.Errorf("order chain %v", shape)
	}
	v := streetdesk.ChainVerifier{FromMiddle: true}
	for _, e := range es {
		v.Add(e)
	}
	if r := v.Report(); !r.OK() || r.Head.Seq != 5 {
		t.Errorf("order chain does not verify: %+v", r)
	}
	if es, err := db.OrderChain(ctx, "NONE"); err != nil || es != nil {
		t.Errorf("unknown order: %v %v", es, err)
	}
}

// The platform's acknowledgement moves the pending part of the log; one
// naming another hash moves nothing.
func TestAckChain(t *testing.T) {
	ctx := context.Background()
	db, _ := openTest(t, localdb.Options{})
	pull(t, db, order("A1", streetdesk.StatusAccepted))
	for i := range 4 {
		if err := db.AddNote(ctx, "A1", fmt.Sprintf("记录%d", i)); err != nil {
			t.Fatal(err)
		}
	}
	es := chainOf(t, db)
	if err := db.AckChain(ctx, streetdesk.ChainAck{Seq: 3, Hash: es[1].Hash}); err != nil {
		t.Fatal(err)
	}
	if n := len(chainOf(t, db)); n != 4 {
		t.Errorf("a mismatched acknowledgement moved the log: %d pending", n)
	}
	if err := db.AckChain(ctx, streetdesk.ChainAck{Seq: 3, Hash: es[2].Hash}); err != nil {
		t.Fatal(err)
	}
	if got := chainOf(t, db); len(got) != 1 || got[0].Seq != 4 {
		t.Errorf("pending after ack %+v", got)
	}
	head, err := db.ChainHead(ctx)
	if err != nil || head.Seq != 4 || head.Hash != es[3].Hash {
		t.Errorf("head %+v %v", head, err)
	}
	verifyOK(t, db)
}

// A database from before the log: its queued actions are legacy, new ones
// are logged from entry 1.
func TestAuditAfterUpgrade(t *testing.T) {
	ctx := context.Background()
	db, path := openTest(t, localdb.Options{MaxMigration: 3})
	pull(t, db, order("U1", streetdesk.StatusAccepted))
	if err := db.AddNote(ctx, "U1", "升级前"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.AttachPhoto(ctx, "U1", photo(1), streetdesk.PhotoBefore, ""); err != nil {
		t.Fatal(err)
	}
	db.Close()
	db2, err := localdb.Open(ctx, path, localdb.Options{User: caseworker(), Now: func() time.Time { return t0 }})
	if err != nil {
		t.Fatal(err)
	}
	defer db2.Close()
	if r := verifyOK(t, db2); r.Entries != 0 {
		t.Errorf("entries %d before any new action", r.Entries)
	}
	if err := db2.AddNote(ctx, "U1", "升级后"); err != nil {
		t.Fatal(err)
	}
	if r := verifyOK(t, db2); r.Entries != 1 {
		t.Errorf("entries %d", r.Entries)
	}
}

// BenchmarkVerifyAudit checks a log of 2,000 notes on 100 orders with every
// cross-check (`streetdesk audit verify`).
func BenchmarkVerifyAudit(b *testing.B) {
	ctx := context.Background()
	db, _ := openTest(b, localdb.Options{})
	var os []streetdesk.WorkOrder
	for i := range 100 {
		os = append(os, order(fmt.Sprintf("V%03d", i), streetdesk.StatusAccepted))
	}
	pull(b, db, os...)
	for i := range 2000 {
		if err := db.AddNote(ctx, os[i%100].ID, fmt.Sprintf("现场勘察第%d次：压缩机噪声，已电话告知市民", i)); err != nil {
			b.Fatal(err)
		}
	}
	for b.Loop() {
		if r, err := db.VerifyAudit(ctx); err != nil || !r.OK() || r.Entries != 2000 {
			b.Fatal(r, err)
		}
	}
}

// The per-item lookups of VerifyAudit and OrderChain use their indexes (a
// scan per item made a 2,000-entry check take seconds).
func TestAuditQueriesUseIndexes(t *testing.T) {
	db, _ := openTest(t, localdb.Options{})
	for name, q := range localdb.AuditQueries {
		plan, err := localdb.QueryPlan(context.Background(), db, q, "x")
		if err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(plan, "USING INDEX audit_chain_") && !strings.Contains(plan, "USING COVERING INDEX audit_chain_") {
			t.Errorf("%s: plan %q", name, plan)
		}
	}
}
