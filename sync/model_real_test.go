package sync_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/sync"
)

// TestModelReal is the randomized model test on the real platform and two
// real localdb desktops of one caseworker: random {local action, centre
// action, fault, crash, sync}, then heal, quiesce and check I1–I4/I6 on the
// platform's database, and that each desk, its conflicts acknowledged,
// lists what a freshly signed-in desk lists. 8 runs by default (each opens a platform and two
// SQLite files); STREETDESK_MODEL_RUNS=N for more. The seed is logged.
func TestModelReal(t *testing.T) {
	runs := 8
	if testing.Short() {
		runs = 2
	}
	if v, err := strconv.Atoi(os.Getenv("STREETDESK_MODEL_RUNS")); err == nil {
		runs = v
	}
	base := uint64(time.Now().UnixNano())
	for i := 0; i < runs; i++ {
		seed := base + uint64(i)
		t.Run(fmt.Sprint(seed), func(t *testing.T) { modelRealRun(t, seed) })
	}
}

func modelRealRun(t *testing.T, seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 42))
	e := newRealEnv(t)
	ids := e.dispatch(5, e.cw.ID)
	ctx := context.Background()
	dir := t.TempDir()
	paths := []string{filepath.Join(dir, "a.db"), filepath.Join(dir, "b.db")}
	desks := make([]*desk, 2)
	open := func(i int) {
		desks[i] = e.desk(paths[i], e.cw, sync.Options{})
		desks[i].start()
		desks[i].waitCycle(0)
	}
	open(0)
	open(1)
	keys := map[string]bool{}
	var shas []string
	track := func(d *desk) {
		for _, k := range pendingKeys(t, d) {
			keys[k] = true
		}
	}
	steps := 10 + rng.IntN(20)
	for s := 0; s < steps; s++ {
		di := rng.IntN(2)
		d := desks[di]
		id := ids[rng.IntN(len(ids))]
		switch a := rng.IntN(10); {
		case a < 4: // local action; lifecycle errors are fine (the UI would not offer it)
			switch rng.IntN(4) {
			case 0:
				_ = d.db.Accept(ctx, id)
			case 1:
				_ = d.db.AddNote(ctx, id, fmt.Sprintf("现场记录 %d", s))
			case 2:
				_, _ = d.db.Resolve(ctx, id, streetdesk.ResolveInput{Outcome: streetdesk.OutcomeSolved, Reply: "已处理完毕，现场已恢复正常，市民已确认。"})
			case 3:
				p := filepath.Join(dir, fmt.Sprintf("p%d.jpg", s))
				data := make([]byte, 1+rng.IntN(300<<10))
				for j := range data {
					data[j] = byte(rng.Uint32())
				}
				_ = os.WriteFile(p, data, 0o600)
				if ph, err := importForTest(ctx, d.db, id, p); err == nil {
					shas = append(shas, ph.SHA256)
				}
			}
			track(d)
			d.eng.Trigger()
		case a < 5: // centre or lead
			switch rng.IntN(3) {
			case 0:
				to := e.cw2.ID
				if rng.IntN(2) == 0 {
					to = e.cw.ID
				}
				_, _ = e.srv.Reassign(ctx, &e.lead, streetdesk.ReassignRequest{OrderIDs: []string{id}, To: to, Reason: "调整"})
			case 1:
				_, _ = e.srv.Cancel(ctx, &e.dispatcher, id, "重复工单")
			case 2:
				_, _ = e.srv.Callback(ctx, &e.dispatcher, id, streetdesk.CallbackRequest{Rating: streetdesk.RatingDissatisfied, Comment: "未解决"})
			}
		case a < 7: // fault
			switch rng.IntN(5) {
			case 0:
				d.rt.setPlan(nil)
			case 1:
				d.rt.setPlan(func(*http.Request) fault { return fault{dropRequest: true} })
			case 2:
				d.rt.setPlan(func(*http.Request) fault { return fault{dropResponse: true} })
			case 3:
				d.rt.setPlan(func(*http.Request) fault { return fault{status: 200, ctype: "text/html", body: "<html>wifi</html>"} })
			case 4:
				d.rt.setPlan(func(r *http.Request) fault {
					if r.Method == http.MethodPatch {
						return fault{cutAfter: 1 + rng.Int64N(64<<10)}
					}
					return fault{}
				})
			}
		case a < 8: // crash: the process dies between transactions
			plan := d.rt.plan
			d.close()
			open(di)
			desks[di].rt.setPlan(plan)
		default: // sync
			n := d.eng.Stats().Cycles
			d.eng.SyncNow()
			d.waitCycle(n)
		}
	}
	// Heal and quiesce.
	for _, d := range desks {
		d.rt.setPlan(nil)
	}
	for round := 0; round < 3; round++ {
		for _, d := range desks {
			d.untilOK()
		}
	}
	for _, d := range desks {
		d.stop()
	}
	for _, d := range desks {
		e.checkReal(t, d, e.cw)
	}
	inbox := map[string]bool{}
	for _, d := range desks {
		cs, _ := d.db.Conflicts(ctx, true)
		for _, c := range cs {
			inbox[c.MutationKey] = true
		}
	}
	for _, d := range desks {
		e.checkConverged(t, d, e.cw)
	}
	for k := range keys {
		if n, _ := e.srv.EffectCount(ctx, k); n > 1 {
			t.Errorf("I2: key %s has %d effects (seed %d)", k, n, seed)
		}
		if r, err := e.srv.MutationResultByKey(ctx, k); (err != nil || r == nil) && !inbox[k] {
			t.Errorf("I1: key %s lost (seed %d)", k, seed)
		}
	}
	for _, sha := range shas {
		if _, err := os.Stat(e.srv.BlobPath(sha)); err != nil {
			// A photo on an order that left the user before upload may be
			// refused; it must then be flagged locally, never verified.
			for _, d := range desks {
				if d.db.KnownBlob(ctx, sha) {
					if ups, _ := d.db.PendingUploads(ctx); len(ups) > 0 {
						t.Errorf("I6: uploads still pending (seed %d)", seed)
					}
				}
			}
		}
	}
}
