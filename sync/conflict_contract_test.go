package sync_test

import (
	"context"
	"testing"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/sync"
)

// The offline conflicts the engine tests play against the fake platform are
// played against the real one too, and both must answer as
// docs/protocol.md says: the fake cannot drift from the platform unnoticed.
func TestConflictContract(t *testing.T) {
	for _, w := range []struct {
		name string
		make func(t *testing.T) conflictWorld
	}{
		{"fake", newFakeWorld},
		{"real", newRealWorld},
	} {
		t.Run(w.name, func(t *testing.T) {
			for _, sc := range conflictScenarios {
				t.Run(sc.name, func(t *testing.T) {
					cw := w.make(t)
					id := cw.order()
					keys := map[string]string{}
					for _, op := range sc.offline {
						keys[op] = cw.do(id, op)
					}
					cw.happen(id, sc.event)
					cw.sync()
					for op, want := range sc.want {
						got, ok := cw.result(keys[op])
						if !ok {
							t.Fatalf("%s: no result", op)
						}
						if got.Status != want.Status || got.Code != want.Code || got.Disposition != want.Disposition {
							t.Errorf("%s: %s/%s/%s, want %s/%s/%s", op, got.Status, got.Code, got.Disposition, want.Status, want.Code, want.Disposition)
						}
					}
				})
			}
		})
	}
}

var conflictScenarios = []struct {
	name    string
	offline []string // accept, note, resolve
	event   string   // reassigned, cancelled, resolvedElsewhere
	want    map[string]streetdesk.MutationResult
}{
	{"reassigned", []string{"accept", "note", "resolve"}, "reassigned", map[string]streetdesk.MutationResult{
		"accept":  {Status: streetdesk.ResultConflict, Code: streetdesk.CodeReassigned},
		"note":    {Status: streetdesk.ResultApplied, Disposition: streetdesk.DispositionKeptAsFact},
		"resolve": {Status: streetdesk.ResultConflict, Code: streetdesk.CodeReassigned, Disposition: streetdesk.DispositionKeptAsProposal},
	}},
	{"cancelled", []string{"accept", "note", "resolve"}, "cancelled", map[string]streetdesk.MutationResult{
		"accept":  {Status: streetdesk.ResultConflict, Code: streetdesk.CodeCancelled},
		"note":    {Status: streetdesk.ResultApplied, Disposition: streetdesk.DispositionKeptAsFact},
		"resolve": {Status: streetdesk.ResultConflict, Code: streetdesk.CodeCancelled, Disposition: streetdesk.DispositionKeptAsProposal},
	}},
	{"resolved on another device", []string{"accept"}, "resolvedElsewhere", map[string]streetdesk.MutationResult{
		"accept": {Status: streetdesk.ResultConflict, Code: streetdesk.CodeAlreadyResolved},
	}},
}

const contractReply = "已更换损坏的灯头，夜间照明已恢复正常。"

// conflictWorld is a platform and one caseworker's desk on it.
type conflictWorld interface {
	order() string           // a new order of the caseworker's, synced to the desk
	do(id, op string) string // an offline action; its mutation key
	happen(id, event string) // what happens on the platform meanwhile
	sync()                   // one sync of the desk
	result(key string) (streetdesk.MutationResult, bool)
}

type fakeWorld struct {
	r *rig
}

func newFakeWorld(t *testing.T) conflictWorld {
	r := newRig(t)
	r.start()
	r.idleAfter(0)
	t.Cleanup(r.stop)
	return &fakeWorld{r: r}
}

func (w *fakeWorld) order() string { id := w.r.p.seed(1)[0]; w.sync(); return id }
func (w *fakeWorld) sync()         { syncAgain(w.r) }

func (w *fakeWorld) do(id, op string) string {
	var m streetdesk.Mutation
	switch op {
	case "accept":
		m = w.r.store.enqueue(streetdesk.MutAccept, id, streetdesk.AcceptArgs{})
	case "note":
		m = w.r.store.enqueue(streetdesk.MutAddNote, id, noteArgs("现场查看：灯头损坏"))
	case "resolve":
		m = w.r.store.enqueue(streetdesk.MutSubmitResolution, id, streetdesk.SubmitResolutionArgs{ResolutionID: newUUID(),
			Outcome: streetdesk.OutcomeSolved, Reply: contractReply, PhotoRefIDs: []string{}})
	}
	return m.Key
}

func (w *fakeWorld) happen(id, event string) {
	switch event {
	case "reassigned":
		w.r.p.reassign(id, "u-cw2")
	case "cancelled":
		w.r.p.cancel(id)
	case "resolvedElsewhere":
		w.r.p.leadSetStatus(id, streetdesk.StatusAccepted)
		w.r.p.leadSetStatus(id, streetdesk.StatusResolved)
	}
}

func (w *fakeWorld) result(key string) (streetdesk.MutationResult, bool) {
	r, ok := w.r.store.snapshot().Results[key]
	return r, ok
}

type realWorld struct {
	t *testing.T
	e *realEnv
	d *desk
}

func newRealWorld(t *testing.T) conflictWorld {
	e := newRealEnv(t)
	d := e.desk("", e.cw, sync.Options{})
	return &realWorld{t: t, e: e, d: d}
}

func (w *realWorld) order() string { id := w.e.dispatch(1, w.e.cw.ID)[0]; w.sync(); return id }

func (w *realWorld) sync() {
	w.d.start()
	w.d.syncNow()
	w.d.stop()
}

func (w *realWorld) do(id, op string) string {
	ctx := context.Background()
	var err error
	switch op {
	case "accept":
		err = w.d.db.Accept(ctx, id)
	case "note":
		err = w.d.db.AddNote(ctx, id, "现场查看：灯头损坏")
	case "resolve":
		_, err = w.d.db.Resolve(ctx, id, streetdesk.ResolveInput{Outcome: streetdesk.OutcomeSolved, Reply: contractReply})
	}
	if err != nil {
		w.t.Fatalf("%s: %v", op, err)
	}
	ms, err := w.d.db.PendingMutations(ctx, 1000)
	if err != nil || len(ms) == 0 {
		w.t.Fatalf("outbox after %s: %v", op, err)
	}
	return ms[len(ms)-1].Key
}

func (w *realWorld) happen(id, event string) {
	ctx := context.Background()
	var err error
	switch event {
	case "reassigned":
		_, err = w.e.srv.Reassign(ctx, &w.e.lead, streetdesk.ReassignRequest{OrderIDs: []string{id}, To: w.e.cw2.ID, Reason: "调整分工"})
	case "cancelled":
		_, err = w.e.srv.Cancel(ctx, &w.e.dispatcher, id, "重复工单")
	case "resolvedElsewhere":
		// The same caseworker on another computer.
		other := w.e.desk("", w.e.cw, sync.Options{})
		other.start()
		other.syncNow()
		if err = other.db.Accept(ctx, id); err == nil {
			_, err = other.db.Resolve(ctx, id, streetdesk.ResolveInput{Outcome: streetdesk.OutcomeSolved, Reply: contractReply})
		}
		other.syncNow()
		other.stop()
	}
	if err != nil {
		w.t.Fatalf("%s: %v", event, err)
	}
}

func (w *realWorld) result(key string) (streetdesk.MutationResult, bool) {
	r, err := w.e.srv.MutationResultByKey(context.Background(), key)
	if err != nil || r == nil {
		return streetdesk.MutationResult{}, false
	}
	return *r, true
}
