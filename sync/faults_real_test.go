package sync_test

import (
	"context"
	"errors"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"sync/atomic"
	"testing"
	"time"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/localdb"
	"github.com/streetdesk/streetdesk/platform"
	"github.com/streetdesk/streetdesk/sync"
)

// The server-side rows of the fault matrix against the real platform
// (its Hooks, ForgetClient, ExpireUploads) and the real localdb.

func realSynced(t *testing.T, mod ...func(*platform.Config)) (*realEnv, *desk, []string) {
	e := newRealEnv(t, mod...)
	ids := e.dispatch(2, e.cw.ID)
	d := e.desk("", e.cw, sync.Options{})
	d.start()
	if st := d.waitCycle(0); st.LastErr != nil {
		t.Fatal(st.LastErr)
	}
	return e, d, ids
}

// untilOK retries on the fake clock until a cycle succeeds.
func (d *desk) untilOK() {
	d.t.Helper()
	for i := 0; i < 30; i++ {
		n := d.eng.Stats().Cycles
		if i == 0 {
			d.eng.SyncNow()
		} else {
			d.retryNow()
		}
		if st := d.waitCycle(n); st.LastErr == nil {
			return
		}
	}
	d.t.Fatalf("never converged: %+v", d.eng.Stats())
}

func pendingKeys(t testTB, d *desk) []string {
	pend, err := d.db.PendingMutations(context.Background(), 1000)
	if err != nil {
		t.Fatal(err)
	}
	var ks []string
	for _, m := range pend {
		ks = append(ks, m.Key)
	}
	return ks
}

func (e *realEnv) wantEffects(t *testing.T, keys []string, n int) {
	t.Helper()
	for _, k := range keys {
		if c, err := e.srv.EffectCount(context.Background(), k); err != nil || c != n {
			t.Fatalf("key %s: %d effects (%v), want %d", k, c, err, n)
		}
	}
}

func TestRealFault_C1_BeforeCommit(t *testing.T) {
	var fail atomic.Int32
	fail.Store(2)
	e, d, ids := realSynced(t, func(c *platform.Config) {
		c.Hooks.BeforeCommit = func(streetdesk.Mutation) error {
			if fail.Add(-1) >= 0 {
				return errors.New("injected")
			}
			return nil
		}
	})
	ctx := context.Background()
	if err := d.db.Accept(ctx, ids[0]); err != nil {
		t.Fatal(err)
	}
	keys := pendingKeys(t, d)
	n := d.eng.Stats().Cycles
	d.eng.SyncNow()
	d.waitCycle(n)
	e.wantEffects(t, keys, 0)
	d.untilOK()
	d.stop()
	e.wantEffects(t, keys, 1)
	e.checkReal(t, d, e.cw)
}

func TestRealFault_C2_AfterCommit(t *testing.T) {
	var fail atomic.Bool
	fail.Store(true)
	e, d, ids := realSynced(t, func(c *platform.Config) {
		c.Hooks.AfterCommit = func(streetdesk.Mutation) error {
			if fail.CompareAndSwap(true, false) {
				return errors.New("injected")
			}
			return nil
		}
	})
	ctx := context.Background()
	if err := d.db.Accept(ctx, ids[0]); err != nil {
		t.Fatal(err)
	}
	if err := d.db.AddNote(ctx, ids[0], "应答丢失之前的记录"); err != nil {
		t.Fatal(err)
	}
	keys := pendingKeys(t, d)
	d.untilOK()
	d.stop()
	e.wantEffects(t, keys, 1)
	e.checkReal(t, d, e.cw)
}

func TestRealFault_C5_ServerLostClientState(t *testing.T) {
	e, d, ids := realSynced(t)
	ctx := context.Background()
	if err := d.db.Accept(ctx, ids[0]); err != nil {
		t.Fatal(err)
	}
	d.untilOK()
	cid, _ := d.db.ClientID(ctx)
	if err := e.srv.ForgetClient(ctx, cid); err != nil {
		t.Fatal(err)
	}
	if err := d.db.AddNote(ctx, ids[0], "平台丢失客户端状态之后的记录"); err != nil {
		t.Fatal(err)
	}
	keys := pendingKeys(t, d)
	d.untilOK()
	d.stop()
	if d.eng.Stats().Forks != 1 {
		t.Fatalf("forks %d", d.eng.Stats().Forks)
	}
	e.wantEffects(t, keys, 1)
	e.checkReal(t, d, e.cw)
}

func TestRealFault_C10_PoisonRejectedQueueMovesOn(t *testing.T) {
	var poison atomic.Value
	poison.Store("")
	e, d, ids := realSynced(t, func(c *platform.Config) {
		c.Hooks.Poison = func(m streetdesk.Mutation) bool { return m.Key == poison.Load().(string) }
	})
	ctx := context.Background()
	if err := d.db.Accept(ctx, ids[0]); err != nil {
		t.Fatal(err)
	}
	keys := pendingKeys(t, d)
	poison.Store(keys[0])
	if err := d.db.Accept(ctx, ids[1]); err != nil {
		t.Fatal(err)
	}
	d.untilOK()
	d.stop()
	cs, _ := d.db.Conflicts(ctx, false)
	if len(cs) != 1 || cs[0].MutationKey != keys[0] {
		t.Fatalf("conflicts %+v", cs)
	}
	if o, _ := e.srv.Order(ctx, ids[1]); o.Status != streetdesk.StatusAccepted {
		t.Fatal("the mutation behind the poison did not apply")
	}
	e.checkReal(t, d, e.cw)
}

func TestRealFault_E4_UploadExpired(t *testing.T) {
	var skew atomic.Int64
	e, d, ids := realSynced(t, func(c *platform.Config) {
		c.UploadExpiry = time.Minute
		c.Now = func() time.Time { return time.Now().Add(time.Duration(skew.Load())) }
	})
	ctx := context.Background()
	path := filepath.Join(t.TempDir(), "p.jpg")
	data := make([]byte, 3<<20)
	for i := range data {
		data[i] = byte(i * 13)
	}
	_ = os.WriteFile(path, data, 0o600)
	p, err := importForTest(ctx, d.db, ids[0], path)
	if err != nil {
		t.Fatal(err)
	}
	var patches atomic.Int32
	d.rt.setPlan(func(r *http.Request) fault {
		if r.Method == http.MethodPatch && patches.Add(1) > 1 {
			return fault{dropRequest: true}
		}
		return fault{}
	})
	d.eng.SyncNow()
	d.waitCycle(d.eng.Stats().Cycles)
	skew.Store(int64(2 * time.Minute))
	if n, err := e.srv.ExpireUploads(ctx); err != nil || n != 1 {
		t.Fatalf("expired %d (%v)", n, err)
	}
	d.rt.setPlan(nil)
	d.untilOK()
	d.stop()
	b, err := os.ReadFile(e.srv.BlobPath(p.SHA256))
	if err != nil || len(b) != len(data) {
		t.Fatalf("blob %d bytes (%v)", len(b), err)
	}
	e.checkReal(t, d, e.cw)
}

// Reference b1 A5 / a5: a database restored from a backup.
func TestRealFault_A5_RestoredDatabaseForks(t *testing.T) {
	e, d, ids := realSynced(t)
	ctx := context.Background()
	d.stop()
	d.db.Close()
	backup := filepath.Join(t.TempDir(), "backup.db")
	copyFile(t, d.path, backup)
	db, err := localdb.Open(ctx, d.path, localdb.Options{User: e.cw})
	if err != nil {
		t.Fatal(err)
	}
	d.db = db
	d.eng = sync.New(db, d.client, sync.Options{Clock: d.clock, Rand: func() float64 { return 0.5 }})
	d.start()
	// The first cycle ends before the accept: one still running when it is
	// written could end "ok" without it, and untilOK would stop there with
	// the accept never sent, so the restored copy would reuse no id.
	d.waitCycle(0)
	if err := db.Accept(ctx, ids[0]); err != nil {
		t.Fatal(err)
	}
	d.untilOK()
	if keys := pendingKeys(t, d); len(keys) != 0 {
		t.Fatalf("the accept was not sent before the PC died: %v", keys)
	}
	d.close()
	// The PC dies; the backup is restored and work goes on there.
	d2 := e.desk(backup, e.cw, sync.Options{})
	d2.start()
	d2.waitCycle(0)
	if err := d2.db.AddNote(ctx, ids[1], "从备份恢复之后的记录"); err != nil {
		// ids[1] was not accepted in the backup: accept it first.
		if err := d2.db.Accept(ctx, ids[1]); err != nil {
			t.Fatal(err)
		}
	}
	keys := pendingKeys(t, d2)
	d2.untilOK()
	d2.stop()
	if d2.eng.Stats().Forks != 1 {
		t.Fatalf("forks %d, want 1", d2.eng.Stats().Forks)
	}
	e.wantEffects(t, keys, 1)
	e.checkReal(t, d2, e.cw)
}

func copyFile(t testTB, from, to string) {
	t.Helper()
	in, err := os.Open(from)
	if err != nil {
		t.Fatal(err)
	}
	defer in.Close()
	out, err := os.Create(to)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, in); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
}

func TestRealConflict_D2_CancelledWhileOffline(t *testing.T) {
	e, d, ids := realSynced(t)
	ctx := context.Background()
	if err := d.db.Accept(ctx, ids[0]); err != nil {
		t.Fatal(err)
	}
	if _, err := e.srv.Cancel(ctx, &e.dispatcher, ids[0], "市民撤诉"); err != nil {
		t.Fatal(err)
	}
	d.untilOK()
	d.stop()
	cs, _ := d.db.Conflicts(ctx, false)
	if len(cs) != 1 || cs[0].Code != streetdesk.CodeCancelled || cs[0].Explanation.IsZero() {
		t.Fatalf("conflicts %+v", cs)
	}
	if o, _ := e.srv.Order(ctx, ids[0]); o.Status != streetdesk.StatusCancelled {
		t.Fatalf("order %s, want cancelled", o.Status)
	}
	e.checkReal(t, d, e.cw)
}

func TestRealConflict_D4_TwoDevicesOneUser(t *testing.T) {
	e, a, ids := realSynced(t)
	b := e.desk("", e.cw, sync.Options{})
	b.start()
	b.waitCycle(0)
	ctx := context.Background()
	for _, d := range []*desk{a, b} {
		if err := d.db.Accept(ctx, ids[0]); err != nil {
			t.Fatal(err)
		}
		if err := d.db.AddNote(ctx, ids[0], "同一个人在另一台电脑上的记录"); err != nil {
			t.Fatal(err)
		}
	}
	ka, kb := pendingKeys(t, a), pendingKeys(t, b)
	a.untilOK()
	b.untilOK()
	a.untilOK()
	a.stop()
	b.stop()
	notes, _ := e.srv.Notes(ctx, ids[0])
	if len(notes) != 2 {
		t.Fatalf("%d notes on the platform, want both", len(notes))
	}
	e.wantEffects(t, ka, 1)
	e.wantEffects(t, kb[1:], 1) // b's accept is a conflict (already accepted): no effect
	cs, _ := b.db.Conflicts(ctx, false)
	if len(cs) != 1 {
		t.Fatalf("device b conflicts %+v", cs)
	}
	e.checkReal(t, a, e.cw)
	e.checkReal(t, b, e.cw)
}

// restore puts a backup in place of d's store (the PC is gone; its copy
// of the data folder comes back) and starts a desk on it.
func (e *realEnv) restore(t testTB, d *desk, backup string, user streetdesk.User) *desk {
	t.Helper()
	d.close()
	for _, suffix := range []string{"", "-wal", "-shm"} {
		if err := os.Remove(d.path + suffix); err != nil && !errors.Is(err, os.ErrNotExist) {
			t.Fatal(err)
		}
	}
	copyFile(t, backup, d.path)
	nd := e.desk(d.path, user, sync.Options{})
	nd.start()
	return nd
}

// A backup restored while it held unsynced work (the case that stopped
// sync for good): the restored store reuses a mutation id the platform
// already has from the other timeline, with another key. The platform
// answers 422 for an id this database assigned itself, which proves the
// fork: the desk forks without asking anyone, and every action of either
// timeline is on the platform exactly once.
func TestRealFault_A5_RestoredBackupWithPendingWork(t *testing.T) {
	e, d, ids := realSynced(t)
	ctx := context.Background()
	if err := d.db.Accept(ctx, ids[0]); err != nil {
		t.Fatal(err)
	}
	d.untilOK()
	if err := d.db.AddNote(ctx, ids[0], "备注A：备份时尚未发送"); err != nil {
		t.Fatal(err)
	}
	keyA := pendingKeys(t, d)
	backup := filepath.Join(t.TempDir(), "backup.db")
	if err := d.db.Backup(ctx, backup); err != nil {
		t.Fatal(err)
	}
	d.untilOK() // A is sent
	if err := d.db.AddNote(ctx, ids[0], "备注B：备份之后写的"); err != nil {
		t.Fatal(err)
	}
	keyB := pendingKeys(t, d)
	d.untilOK()

	d = e.restore(t, d, backup, e.cw)
	if err := d.db.AddNote(ctx, ids[0], "备注C：恢复之后写的"); err != nil {
		t.Fatal(err)
	}
	keys := pendingKeys(t, d) // A (again) and C
	d.untilOK()
	d.untilOK()
	d.stop()
	if st := d.eng.Status(); st.State != streetdesk.SyncIdle {
		t.Fatalf("sync stalled: %+v", st)
	}
	if d.eng.Stats().Forks != 1 {
		t.Errorf("forks %d, want 1", d.eng.Stats().Forks)
	}
	e.wantEffects(t, append(append(keyA, keyB...), keys...), 1)
	notes, _ := e.srv.Notes(ctx, ids[0])
	var bodies []string
	for _, n := range notes {
		bodies = append(bodies, n.Body)
	}
	slices.Sort(bodies)
	if want := []string{"备注A：备份时尚未发送", "备注B：备份之后写的", "备注C：恢复之后写的"}; !slices.Equal(bodies, want) {
		t.Errorf("platform notes %v, want %v", bodies, want)
	}
	e.checkReal(t, d, e.cw)
	e.checkConverged(t, d, e.cw)
}
