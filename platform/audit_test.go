package platform_test

import (
	"bytes"
	"context"
	"net/http"
	"strings"
	"testing"

	"github.com/jackc/pgx/v5"
	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/platform"
)

// The action logs desks push: kept per client, checked on arrival, flagged
// (never refused), verified again from what is stored.

// chainDesk is a desk with its action log, built as localdb builds it.
type chainDesk struct {
	c      *client
	userID string
	cid    string // the client id entries are written under
	log    []streetdesk.ChainEntry
}

func (e *env) chainDesk(user string) *chainDesk {
	e.t.Helper()
	u, err := e.srv.User(context.Background(), user)
	if err != nil {
		e.t.Fatal(err)
	}
	c := e.client(user)
	return &chainDesk{c: c, userID: u.ID, cid: c.id}
}

func (d *chainDesk) append(kind streetdesk.ChainKind, body any) streetdesk.ChainEntry {
	d.c.e.t.Helper()
	var prev *streetdesk.ChainEntry
	if len(d.log) > 0 {
		prev = &d.log[len(d.log)-1]
	}
	en, err := streetdesk.NewChainEntry(prev, kind, d.cid, d.c.e.clock.Now(), body)
	if err != nil {
		d.c.e.t.Fatal(err)
	}
	d.log = append(d.log, en)
	return en
}

// act makes a mutation against the order's current state and logs it.
func (d *chainDesk) act(name, orderID string, args any) (streetdesk.Mutation, streetdesk.ChainEntry) {
	m := d.c.mut(name, d.c.e.order(orderID), args)
	return m, d.append(streetdesk.ChainKindAction, streetdesk.ChainActionOf(&m, d.userID))
}

// push sends mutations and entries; it fails on anything but 200.
func (d *chainDesk) push(ms []streetdesk.Mutation, es ...streetdesk.ChainEntry) *streetdesk.PushResponse {
	d.c.e.t.Helper()
	if ms == nil {
		ms = []streetdesk.Mutation{}
	}
	var pr streetdesk.PushResponse
	st, body := d.c.e.call(http.MethodPost, "/v1/sync/push", d.c.e.token(d.c.user), streetdesk.PushRequest{PushVersion: 1,
		SchemaVersion: streetdesk.SchemaVersion, ClientID: d.c.id, Mutations: ms, Chain: es}, &pr)
	if st != http.StatusOK {
		d.c.e.t.Fatalf("push: %d %s", st, body)
	}
	if len(es) > 0 && (pr.Chain == nil || pr.Chain.Seq != es[len(es)-1].Seq || pr.Chain.Hash != es[len(es)-1].Hash) {
		d.c.e.t.Fatalf("acknowledged %+v, want the last entry %d", pr.Chain, es[len(es)-1].Seq)
	}
	return &pr
}

func note(text string) streetdesk.AddNoteArgs {
	return streetdesk.AddNoteArgs{NoteID: newID(), Body: text}
}

func (e *env) flags(query string) []streetdesk.AuditFlag {
	e.t.Helper()
	var l streetdesk.AuditFlagList
	if st, body := e.call(http.MethodGet, "/v1/centre/audit?"+query, e.token("dispatcher"), nil, &l); st != http.StatusOK {
		e.t.Fatalf("audit flags: %d %s", st, body)
	}
	return l.Flags
}

func flagCodes(fs []streetdesk.AuditFlag) string {
	var s []string
	for _, f := range fs {
		s = append(s, string(f.Code))
	}
	return strings.Join(s, ",")
}

// verify runs the stored logs' verification and returns its summaries and
// report.
func (e *env) verify(q platform.AuditQuery) ([]platform.ChainSummary, string) {
	e.t.Helper()
	a, err := platform.OpenAudit(context.Background(), e.dbPath)
	if err != nil {
		e.t.Fatal(err)
	}
	defer a.Close()
	var buf bytes.Buffer
	ss, err := a.VerifyChains(context.Background(), q, &buf)
	if err != nil {
		e.t.Fatal(err)
	}
	return ss, buf.String()
}

func problemCount(ss []platform.ChainSummary) int {
	n := 0
	for _, s := range ss {
		n += len(s.Problems)
	}
	return n
}

func TestChainContinuity(t *testing.T) {
	e := newEnv(t)
	o := e.dispatch("teamA", "cw01")
	d := e.chainDesk("cw01")
	if p := d.c.pull("", 0); !streetdesk.HasFeature(p.Features, streetdesk.FeatureAuditChain) {
		t.Fatalf("features %v", p.Features)
	}
	m1, e1 := d.act(streetdesk.MutAccept, o.ID, nil)
	d.push([]streetdesk.Mutation{m1}, e1)
	m2, e2 := d.act(streetdesk.MutAddNote, o.ID, note("现场已查看"))
	m3, e3 := d.act(streetdesk.MutAddNote, o.ID, note("已联系维修单位"))
	d.push([]streetdesk.Mutation{m2, m3}, e2, e3)
	d.push(nil, e2, e3) // resent: acknowledged again, kept once
	if fs := e.flags("client=" + d.c.id); len(fs) != 0 {
		t.Fatalf("flags %+v", fs)
	}
	ss, report := e.verify(platform.AuditQuery{})
	if len(ss) != 1 || ss[0].Entries != 3 || ss[0].Last != 3 || problemCount(ss) != 0 {
		t.Fatalf("verify: %+v\n%s", ss, report)
	}
}

func TestChainGap(t *testing.T) {
	e := newEnv(t)
	o := e.dispatch("teamA", "cw01")
	d := e.chainDesk("cw01")
	m1, e1 := d.act(streetdesk.MutAccept, o.ID, nil)
	d.push([]streetdesk.Mutation{m1}, e1)
	d.act(streetdesk.MutAddNote, o.ID, note("一")) // never arrives
	d.c.next--                                    // nor does its mutation
	m3, e3 := d.act(streetdesk.MutAddNote, o.ID, note("二"))
	if r := d.push([]streetdesk.Mutation{m3}, e3).Results[0]; r.Status != streetdesk.ResultApplied {
		t.Fatalf("a flagged entry must not stop its mutation: %+v", r)
	}
	fs := e.flags("client=" + d.c.id)
	if flagCodes(fs) != "GAP" || fs[0].Seq != 3 || fs[0].OrderID != o.ID {
		t.Fatalf("flags %+v", fs)
	}
	if co := e.centreOrder(o.ID); flagCodes(co.AuditFlags) != "GAP" {
		t.Errorf("the order's view: %+v", co.AuditFlags)
	}
	ss, report := e.verify(platform.AuditQuery{ClientID: d.c.id})
	if problemCount(ss) != 1 || ss[0].Problems[0].Code != streetdesk.ChainGap || !strings.Contains(report, "1 problems") {
		t.Fatalf("verify: %+v\n%s", ss, report)
	}
}

// A desk restored from a backup goes on from an earlier entry: first under
// its old client id (an unexplained fork), then, once it noticed, under a
// new one after a fork entry that records why.
func TestChainForkAfterRestoredBackup(t *testing.T) {
	e := newEnv(t)
	o := e.dispatch("teamA", "cw01")
	d := e.chainDesk("cw01")
	m1, e1 := d.act(streetdesk.MutAccept, o.ID, nil)
	m2, e2 := d.act(streetdesk.MutAddNote, o.ID, note("备份之前"))
	d.push([]streetdesk.Mutation{m1, m2}, e1, e2)
	// The backup: the log and the outbox numbering as they were.
	backup := &chainDesk{c: &client{e: e, user: "cw01", id: d.c.id, next: d.c.next}, userID: d.userID, cid: d.cid,
		log: append([]streetdesk.ChainEntry(nil), d.log...)}
	m3, e3 := d.act(streetdesk.MutAddNote, o.ID, note("备份之后，原电脑"))
	d.push([]streetdesk.Mutation{m3}, e3)
	if m3.ID != 3 {
		t.Fatalf("mutation id %d", m3.ID)
	}

	// Restored: a new action, logged after entry 2; its entry reaches the
	// platform under the old client id.
	r := backup
	m3b, e3b := r.act(streetdesk.MutAddNote, o.ID, note("恢复之后"))
	r.push(nil, e3b)
	fs := e.flags("client=" + d.c.id)
	if flagCodes(fs) != "FORK" || fs[0].ForkSeq != 2 || fs[0].ForkHash != e2.Hash || fs[0].Explained {
		t.Fatalf("flags %+v", fs)
	}
	if ss, report := e.verify(platform.AuditQuery{}); problemCount(ss) != 1 {
		t.Fatalf("an unrecorded fork is a problem: %+v\n%s", ss, report)
	}

	// The desk notices (its mutation id 3 is taken), forks its client id and
	// records it; its queued action goes again under the new id.
	old := r.cid
	r.c.id, r.cid, r.c.next = newID(), "", 1
	r.cid = r.c.id
	ef := r.append(streetdesk.ChainKindFork, streetdesk.ChainFork{Reason: "restored", PreviousClientID: old, NewClientID: r.c.id, LocalMutationID: 3, PlatformMutationID: 3})
	m3b.ID = r.c.next
	r.c.next++
	r.push([]streetdesk.Mutation{m3b}, e3b, ef)
	fs = e.flags("")
	if flagCodes(fs) != "FORK,FORK" || !fs[0].Explained || !fs[1].Explained || fs[1].ClientID != r.c.id || fs[1].ForkClientID != old || fs[1].ForkSeq != 2 {
		t.Fatalf("flags %+v", fs)
	}
	ss, report := e.verify(platform.AuditQuery{})
	if problemCount(ss) != 0 || !strings.Contains(report, "goes on from client "+old+" after its entry 2") ||
		!strings.Contains(report, "fork after entry 2 of client "+old+", recorded by the desk") {
		t.Fatalf("verify: %+v\n%s", ss, report)
	}
	t.Log(report)
}

// An entry that records something else than the mutation it came with,
// whichever of the two reaches the platform first.
func TestChainContentMismatch(t *testing.T) {
	e := newEnv(t)
	o := e.dispatch("teamA", "cw01")
	d := e.chainDesk("cw01")
	m1, e1 := d.act(streetdesk.MutAccept, o.ID, nil)
	d.push([]streetdesk.Mutation{m1}, e1)

	// Together: the note was changed after it was logged.
	m2, e2 := d.act(streetdesk.MutAddNote, o.ID, note("路灯已修复"))
	m2.Args = []byte(`{"noteId":"` + newID() + `","body":"路灯未修复"}`)
	d.push([]streetdesk.Mutation{m2}, e2)
	// The entry first, its mutation later.
	m3, e3 := d.act(streetdesk.MutAddNote, o.ID, note("第三条"))
	d.push(nil, e3)
	m3.BaseVersion++
	d.push([]streetdesk.Mutation{m3})
	// The mutation first, its entry later.
	m4, e4 := d.act(streetdesk.MutAddNote, o.ID, note("第四条"))
	m4.Args = []byte(`{"noteId":"` + newID() + `","body":"第四条（改）"}`)
	d.push([]streetdesk.Mutation{m4})
	d.push(nil, e4)
	// And one that agrees.
	m5, e5 := d.act(streetdesk.MutAddNote, o.ID, note("第五条"))
	d.push([]streetdesk.Mutation{m5}, e5)

	fs := e.flags("client=" + d.c.id)
	if flagCodes(fs) != "RECORD_DIFFERS,RECORD_DIFFERS,RECORD_DIFFERS" {
		t.Fatalf("flags %+v", fs)
	}
	for i, seq := range []int64{2, 3, 4} {
		if fs[i].Seq != seq || fs[i].MutationKey == "" || fs[i].OrderID != o.ID {
			t.Errorf("flag %d: %+v", i, fs[i])
		}
	}
	ss, report := e.verify(platform.AuditQuery{OrderID: o.ID})
	if problemCount(ss) != 3 {
		t.Fatalf("verify: %+v\n%s", ss, report)
	}
}

// One byte changed in the platform's copy of an entry is found.
func TestChainStoredEntryEdited(t *testing.T) {
	e := newEnv(t)
	o := e.dispatch("teamA", "cw01")
	d := e.chainDesk("cw01")
	var ms []streetdesk.Mutation
	var es []streetdesk.ChainEntry
	for _, text := range []string{"", "第一条", "第二条"} {
		var m streetdesk.Mutation
		var en streetdesk.ChainEntry
		if text == "" {
			m, en = d.act(streetdesk.MutAccept, o.ID, nil)
		} else {
			m, en = d.act(streetdesk.MutAddNote, o.ID, note(text))
		}
		ms, es = append(ms, m), append(es, en)
	}
	d.push(ms, es...)
	if ss, _ := e.verify(platform.AuditQuery{}); problemCount(ss) != 0 {
		t.Fatalf("clean log: %+v", ss)
	}
	for _, tc := range []struct {
		name, sql string
		want      streetdesk.ChainProblemCode
	}{
		{"body", `UPDATE audit_entries SET body = replace(body, '第一条', '第二条') WHERE seq = 2`, streetdesk.ChainBadBody},
		{"time", `UPDATE audit_entries SET at = replace(at, '2026', '2025') WHERE seq = 3`, streetdesk.ChainBadHash},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.rawExec(tc.sql)
			ss, report := e.verify(platform.AuditQuery{ClientID: d.c.id})
			found := false
			for _, p := range ss[0].Problems {
				found = found || p.Code == tc.want
			}
			if !found {
				t.Fatalf("verify: %+v\n%s", ss, report)
			}
		})
	}
}

// rawExec changes the platform's database behind its back.
func (e *env) rawExec(q string) {
	e.t.Helper()
	ctx := context.Background()
	if platform.IsPostgres(e.dbPath) {
		conn, err := pgx.Connect(ctx, e.dbPath)
		if err != nil {
			e.t.Fatal(err)
		}
		defer conn.Close(ctx)
		if _, err := conn.Exec(ctx, q); err != nil {
			e.t.Fatal(err)
		}
		return
	}
	db := openRaw(e.t.(*testing.T), e.dbPath)
	defer db.Close()
	if _, err := db.ExecContext(ctx, q); err != nil {
		e.t.Fatal(err)
	}
}

// An order worked on two desks, reassigned by the lead's: three logs, each
// whole, all found from the order.
func TestChainReassignmentBetweenDesks(t *testing.T) {
	e := newEnv(t)
	o := e.dispatch("teamA", "cw01")
	a, lead, b := e.chainDesk("cw01"), e.chainDesk("lead01"), e.chainDesk("cw02")
	m1, e1 := a.act(streetdesk.MutAccept, o.ID, nil)
	m2, e2 := a.act(streetdesk.MutAddNote, o.ID, note("交接前已勘察"))
	a.push([]streetdesk.Mutation{m1, m2}, e1, e2)
	cw02, _ := e.srv.User(context.Background(), "cw02")
	m3, e3 := lead.act(streetdesk.MutReassign, o.ID, streetdesk.ReassignArgs{To: cw02.ID, Reason: "就近处理"})
	if r := lead.push([]streetdesk.Mutation{m3}, e3).Results[0]; r.Status != streetdesk.ResultApplied {
		t.Fatalf("reassign: %+v", r)
	}
	m4, e4 := b.act(streetdesk.MutAddNote, o.ID, note("接手后已处理"))
	b.push([]streetdesk.Mutation{m4}, e4)
	// The first desk's late note about the order it no longer has.
	m5, e5 := a.act(streetdesk.MutAddNote, o.ID, note("补记"))
	a.push([]streetdesk.Mutation{m5}, e5)

	ss, report := e.verify(platform.AuditQuery{OrderID: o.ID})
	if len(ss) != 3 || problemCount(ss) != 0 || strings.Count(report, "order "+o.ID+": client") != 5 {
		t.Fatalf("verify: %+v\n%s", ss, report)
	}
	if co := e.centreOrder(o.ID); len(co.AuditFlags) != 0 || co.AssigneeID != cw02.ID {
		t.Errorf("centre view: %+v", co.AuditFlags)
	}
}

func TestCentreAuditAccess(t *testing.T) {
	e := newEnv(t)
	for _, u := range []string{"cw01", "lead01", "callback", "supervisor"} {
		if st, _ := e.call(http.MethodGet, "/v1/centre/audit", e.token(u), nil, nil); st != http.StatusForbidden {
			t.Errorf("%s: %d", u, st)
		}
	}
	for _, q := range []string{"client=x", "order=../x", "after=-1", "limit=0", "limit=1001"} {
		if st, _ := e.call(http.MethodGet, "/v1/centre/audit?"+q, e.token("dispatcher"), nil, nil); st != http.StatusBadRequest {
			t.Errorf("%s: %d", q, st)
		}
	}
}

// TestChainOnlyPushThenMutations: a client whose first push carries only
// action-log entries (a desk forked after a restore sends its fork entry
// first) then pushes mutations numbered past 1: they are applied, not
// held as a gap forever (TestModelRestore stalled on it).
func TestChainOnlyPushThenMutations(t *testing.T) {
	e := newEnv(t)
	o := e.dispatch("teamA", "cw01")
	d := e.chainDesk("cw01")
	d.push(nil, d.append(streetdesk.ChainKindFork, streetdesk.ChainFork{PreviousClientID: newID(), Reason: "restored"}))
	d.c.next = 3 // ids 1 and 2 were the old client's, confirmed before the fork
	m, en := d.act(streetdesk.MutAccept, o.ID, nil)
	pr := d.push([]streetdesk.Mutation{m}, en)
	if len(pr.Results) != 1 || pr.Results[0].Status != streetdesk.ResultApplied || pr.LastMutationID != 3 {
		t.Fatalf("mutation 3 after a push of entries only: %+v, lastMutationId %d", pr.Results, pr.LastMutationID)
	}
	// A gap in a client that has numbering stays a gap.
	d.c.next = 5
	m2, en2 := d.act(streetdesk.MutAddNote, o.ID, note("跳号"))
	if pr := d.push([]streetdesk.Mutation{m2}, en2); len(pr.Results) != 0 || pr.LastMutationID != 3 {
		t.Fatalf("a gap after 3: %+v, lastMutationId %d", pr.Results, pr.LastMutationID)
	}
}
