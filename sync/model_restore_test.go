package sync_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"flag"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	gosync "sync"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/localdb"
	"github.com/streetdesk/streetdesk/platform"
	"github.com/streetdesk/streetdesk/sync"
)

// restoreRuns is how many random runs TestModelRestore makes: a few in
// `make test`, 250 in `make long` (STREETDESK_LONG=1), or
// STREETDESK_RESTORE_RUNS.
func restoreRuns() int {
	if v, err := strconv.Atoi(os.Getenv("STREETDESK_RESTORE_RUNS")); err == nil && v > 0 {
		return v
	}
	if os.Getenv("STREETDESK_LONG") != "" {
		return 250
	}
	if testing.Short() {
		return 2
	}
	return 6
}

// TestModelRestore is the randomized model of a restored backup, against
// the real platform and the real local store: a caseworker works (accept,
// notes, contact records, photos, resolutions) and syncs, with lost
// answers; a backup of the store is taken at a random point — between
// actions, while a push is on its way, after a push was answered but
// before its results were recorded, or while a photo uploads — and
// restored at a random later point, after which work and sync go on.
// Then, healed and quiet:
//   - sync never stalls (a restored store forks by itself);
//   - every action of either timeline that the platform received or the
//     restored store still holds is on the platform exactly once (notes by
//     their text, every pushed key's effect counted);
//   - the desk converges: nothing queued, the checksum matches, and it lists
//     what a freshly signed-in desk lists.
func TestModelRestore(t *testing.T) {
	old := flag.Lookup("rapid.checks").Value.String()
	if err := flag.Set("rapid.checks", strconv.Itoa(restoreRuns())); err != nil {
		t.Fatal(err)
	}
	defer flag.Set("rapid.checks", old)
	parent := t.TempDir()
	rapid.Check(t, func(rt *rapid.T) {
		dir, err := os.MkdirTemp(parent, "run-")
		if err != nil {
			rt.Fatal(err)
		}
		rt.Cleanup(func() { os.RemoveAll(dir) })
		restoreRun(rt, dir)
	})
}

// backupPoint is where in a sync the backup is taken.
type backupPoint string

const (
	pointNow      backupPoint = "between actions"
	pointPush     backupPoint = "push on its way"
	pointAnswered backupPoint = "push answered, results not recorded"
	pointUpload   backupPoint = "photo uploading"
)

// hookStore lets the test act just before the engine records a push's results.
type hookStore struct {
	*localdb.DB
	mu     gosync.Mutex
	before func()
	pushed map[string]bool // every key the engine read to send
}

func (s *hookStore) PendingMutations(ctx context.Context, limit int) ([]streetdesk.Mutation, error) {
	ms, err := s.DB.PendingMutations(ctx, limit)
	s.mu.Lock()
	for _, m := range ms {
		s.pushed[m.Key] = true
	}
	s.mu.Unlock()
	return ms, err
}

func (s *hookStore) RecordPushResults(ctx context.Context, rs []streetdesk.MutationResult) error {
	return s.RecordPushAnswer(ctx, rs, nil)
}

func (s *hookStore) RecordPushAnswer(ctx context.Context, rs []streetdesk.MutationResult, ack *streetdesk.ChainAck) error {
	s.mu.Lock()
	f := s.before
	s.before = nil
	s.mu.Unlock()
	if f != nil {
		f()
	}
	return s.DB.RecordPushAnswer(ctx, rs, ack)
}

func restoreRun(rt *rapid.T, dir string) {
	ctx := context.Background()
	e := openRealEnv(rt, dir)
	var stores []*hookStore
	e.wrap = func(db *localdb.DB) sync.Store {
		s := &hookStore{DB: db, pushed: map[string]bool{}}
		stores = append(stores, s)
		return s
	}
	ids := e.dispatch(3, e.cw.ID)
	d := e.desk(filepath.Join(dir, "local.db"), e.cw, sync.Options{})
	d.start()
	if err := syncUntil(d); err != nil {
		rt.Fatalf("first sync: %v", err)
	}
	var (
		mu     gosync.Mutex // backup and point are set on the engine's goroutine too
		backup string       // the backup's file, once taken
		point  backupPoint
		// Notes by text: written before the backup (in it), after it on the
		// old timeline, or after the restore.
		before, after, later []string
		restored             bool
		inBackup             = map[string]bool{}
		photoN               int
	)
	taken := func() (string, backupPoint) {
		mu.Lock()
		defer mu.Unlock()
		return backup, point
	}
	take := func(db *localdb.DB, at backupPoint) {
		mu.Lock()
		defer mu.Unlock()
		if backup != "" {
			return
		}
		// Keys read to send before the backup are in it: answered by
		// then, or still queued in it.
		for _, s := range stores {
			s.mu.Lock()
			for k := range s.pushed {
				inBackup[k] = true
			}
			s.mu.Unlock()
		}
		p := filepath.Join(dir, "backup.db")
		if err := db.Backup(ctx, p); err != nil {
			rt.Errorf("backup: %v", err)
			return
		}
		backup, point = p, at
	}
	// arm makes a coming sync take the backup at p.
	// The desk's network: a backup armed for a request kind, and one
	// lost answer when asked (both read on the engine's goroutine).
	var armedKind string
	var loseNext bool
	plan := func(cur *desk) func(r *http.Request) fault {
		return func(r *http.Request) fault {
			mu.Lock()
			want, lose := armedKind, loseNext && kindOf(r) == "push"
			if lose {
				loseNext = false
			}
			mu.Unlock()
			if want != "" && kindOf(r) == want {
				take(cur.db, map[string]backupPoint{"push": pointPush, "patch": pointUpload}[want])
			}
			return fault{dropResponse: lose}
		}
	}
	d.rt.setPlan(plan(d))
	arm := func(p backupPoint) {
		cur := d
		switch p {
		case pointAnswered:
			s := stores[len(stores)-1]
			s.mu.Lock()
			s.before = func() { take(cur.db, p) }
			s.mu.Unlock()
		case pointPush, pointUpload:
			mu.Lock()
			armedKind = map[backupPoint]string{pointPush: "push", pointUpload: "patch"}[p]
			mu.Unlock()
		}
	}
	step := 0
	act := func() {
		step++
		id := ids[rapid.IntRange(0, len(ids)-1).Draw(rt, "order")]
		switch rapid.SampledFrom([]string{"accept", "note", "note", "contact", "photo", "resolve",
			"sync", "sync", "kick", "lose-answer"}).Draw(rt, "action") {
		case "accept":
			_ = d.db.Accept(ctx, id) // a lifecycle refusal is fine: the UI would not offer it
		case "note":
			body := fmt.Sprintf("现场记录 %d", step)
			if d.db.AddNote(ctx, id, body) == nil {
				// Read after the commit: a backup taken before it lacks the note.
				b, _ := taken()
				switch {
				case restored:
					later = append(later, body)
				case b == "":
					before = append(before, body)
				default:
					after = append(after, body)
				}
			}
		case "contact":
			_ = d.db.RecordContact(ctx, id, streetdesk.ContactInput{Method: streetdesk.ContactPhone, Reached: true, Body: fmt.Sprintf("电话联系 %d", step)})
		case "photo":
			photoN++
			p := filepath.Join(dir, fmt.Sprintf("photo%d.jpg", photoN))
			data := make([]byte, 1+rapid.IntRange(1, 96<<10).Draw(rt, "photo size"))
			for j := range data {
				data[j] = byte(j*31 + photoN)
			}
			if err := os.WriteFile(p, data, 0o600); err != nil {
				rt.Fatal(err)
			}
			_ = d.db.Accept(ctx, id)
			_, _ = attachForTest(ctx, d.db, id, p)
		case "resolve":
			_, _ = d.db.Resolve(ctx, id, streetdesk.ResolveInput{Outcome: streetdesk.OutcomeSolved, Reply: "已处理完毕，现场恢复正常，感谢反映。"})
		case "sync":
			_ = syncUntil(d) // a lost answer may fail this one; the next heals it
		case "kick":
			d.eng.Trigger() // a sync runs while the next actions are written
		case "lose-answer":
			mu.Lock()
			loseNext = true
			mu.Unlock()
		}
	}
	// Work, with the backup taken somewhere in it.
	for n := rapid.IntRange(0, 8).Draw(rt, "steps before the backup"); n > 0; n-- {
		act()
	}
	if p := rapid.SampledFrom([]backupPoint{pointNow, pointPush, pointAnswered, pointUpload}).Draw(rt, "backup point"); p == pointNow {
		waitIdle(d)
		take(d.db, p)
	} else {
		arm(p)
	}
	// The old timeline goes on, then its PC is gone: the backup comes back.
	for n := rapid.IntRange(0, 8).Draw(rt, "steps on the old timeline"); n > 0; n-- {
		act()
	}
	waitIdle(d)
	if b, _ := taken(); b == "" {
		take(d.db, "end of the old timeline (the armed moment did not come)")
	}
	// The old timeline's notes that never reached the platform go with the
	// PC; those that did must stay.
	onPlatform := platformNotes(rt, e, ids)
	var kept []string
	for _, b := range after {
		if onPlatform[b] > 0 {
			kept = append(kept, b)
		}
	}
	after = kept
	b, _ := taken()
	oldStores := len(stores)
	d = e.restore(rt, d, b, e.cw)
	restored = true
	mu.Lock()
	armedKind, loseNext = "", false
	mu.Unlock()
	d.rt.setPlan(plan(d))
	for n := rapid.IntRange(0, 8).Draw(rt, "steps after the restore"); n > 0; n-- {
		act()
	}
	// Heal and quiesce: the engine must get through on its own.
	d.rt.setPlan(nil)
	_, point = taken()
	for round := 0; round < 3; round++ {
		if err := syncUntil(d); err != nil {
			rt.Fatalf("sync stalled (backup at %q, restored %v): %v; status %+v", point, restored, err, d.eng.Status())
		}
	}
	d.stop()
	if st := d.eng.Status(); st.State != streetdesk.SyncIdle {
		rt.Fatalf("sync did not settle: %+v", st)
	}

	notes := platformNotes(rt, e, ids)
	for _, list := range [][]string{before, after, later} {
		for _, b := range list {
			if notes[b] != 1 {
				rt.Errorf("note %q is on the platform %d times, want once (backup at %q, restored %v)", b, notes[b], point, restored)
			}
		}
	}
	for b, n := range notes {
		if n > 1 {
			rt.Errorf("note %q is on the platform %d times", b, n)
		}
	}
	inbox := map[string]bool{}
	cs, _ := d.db.Conflicts(ctx, true)
	for _, c := range cs {
		inbox[c.MutationKey] = true
	}
	// I1 holds for every key in the backup and every key the restored
	// store sent. The old timeline's last push after the backup may have
	// been read from its queue and then cut by the restore before it
	// reached the platform: those keys went with the PC, as its notes did
	// above.
	for i, s := range stores {
		for k := range s.pushed {
			if n, err := e.srv.EffectCount(ctx, k); err != nil || n > 1 {
				rt.Errorf("I2: key %s has %d effects (%v)", k, n, err)
			}
			if i < oldStores && !inBackup[k] {
				continue
			}
			if r, err := e.srv.MutationResultByKey(ctx, k); (err != nil || r == nil) && !inbox[k] {
				rt.Errorf("I1: key %s was sent but has no result on the platform", k)
			}
		}
	}
	if ups, err := d.db.PendingUploads(ctx); err != nil || len(ups) > 0 {
		rt.Errorf("I6: %d photos still waiting to upload (%v)", len(ups), err)
	}
	e.checkReal(rt, d, e.cw)
	e.checkConverged(rt, d, e.cw)
	// The platform's copy of the action log is whole: a fork the restore
	// made is one the desk recorded.
	var report bytes.Buffer
	if ss, err := e.srv.VerifyChains(ctx, platform.AuditQuery{}, &report); err != nil || platform.Problems(ss) != 0 {
		rt.Errorf("action logs on the platform (backup at %q): %v\n%s", point, err, report.String())
	}
}

// attachForTest attaches a file already where it stays (hash and attach,
// as media.Import would).
func attachForTest(ctx context.Context, db *localdb.DB, orderID, path string) (streetdesk.PhotoRef, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return streetdesk.PhotoRef{}, err
	}
	sum := sha256.Sum256(b)
	p := streetdesk.ImportedPhoto{SHA256: hex.EncodeToString(sum[:]), Path: path, Size: int64(len(b)), MIME: "image/jpeg", Width: 800, Height: 600, Orientation: 1}
	return db.AttachPhoto(ctx, orderID, p, streetdesk.PhotoAfter, "整改后")
}

// platformNotes counts the platform's notes by text.
func platformNotes(t testTB, e *realEnv, ids []string) map[string]int {
	t.Helper()
	out := map[string]int{}
	for _, id := range ids {
		ns, err := e.srv.Notes(context.Background(), id)
		if err != nil {
			t.Fatal(err)
		}
		for _, n := range ns {
			out[n.Body]++
		}
	}
	return out
}

// syncUntil asks for a sync and waits for it, retrying on the fake clock
// while it fails; an error means it never got through (the engine paused,
// or no cycle succeeded).
func syncUntil(d *desk) error {
	var last error
	for i := 0; i < 20; i++ {
		n := d.eng.Stats().Cycles
		s := d.eng.Status()
		switch {
		case i == 0 || s.NextTry.IsZero() && s.State == streetdesk.SyncIdle:
			// A cycle started elsewhere (a kick) may have succeeded since.
			d.eng.SyncNow()
		case s.NextTry.IsZero():
			return fmt.Errorf("no retry planned: %s (%s) (last cycle: %v)", s.State, s.Reason, last)
		default:
			d.clock.Advance(max(s.NextTry.Sub(d.clock.Now()), 0) + time.Millisecond)
		}
		st, err := cycleAfter(d, n)
		if err != nil {
			return err
		}
		if st.LastErr == nil {
			return nil
		}
		last = st.LastErr
	}
	return fmt.Errorf("no cycle succeeded: %v", last)
}

// waitIdle waits for a running cycle to finish.
func waitIdle(d *desk) {
	deadline := time.After(30 * time.Second)
	for {
		ch := d.eng.Notify()
		if d.eng.Status().State != streetdesk.SyncSyncing {
			return
		}
		select {
		case <-ch:
		case <-deadline:
			return
		}
	}
}

func cycleAfter(d *desk, after int) (sync.Stats, error) {
	deadline := time.After(30 * time.Second)
	for {
		ch := d.eng.Notify()
		if st := d.eng.Stats(); st.Cycles > after && d.eng.Status().State != streetdesk.SyncSyncing {
			return st, nil
		}
		select {
		case <-ch:
		case <-deadline:
			return sync.Stats{}, fmt.Errorf("no cycle within 30 s: %+v", d.eng.Status())
		}
	}
}
