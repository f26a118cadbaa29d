package sync_test

import (
	"testing"
	"time"

	"github.com/streetdesk/streetdesk"
)

// The offline-conflict scenarios, end to end: D1 reassigned, D2 cancelled,
// D3 reopened while a resolution is in flight, D4 one user on two devices,
// D5 a lead changing what the caseworker changed, D6 the later edit
// arriving first, D7 a desk's clock a day off (it decides nothing).

// offlineWork queues the typical day on one order: accept, a note, a
// photo, a resolution.
func offlineWork(r *rig, id string) (accept, note, photo, resolve streetdesk.Mutation) {
	sha, _ := r.photo(64<<10, id)
	ref := newUUID()
	accept = r.store.enqueue(streetdesk.MutAccept, id, streetdesk.AcceptArgs{})
	note = r.store.enqueue(streetdesk.MutAddNote, id, noteArgs("已到现场，路灯灯头损坏"))
	photo = r.store.enqueue(streetdesk.MutAttachPhoto, id, streetdesk.AttachPhotoArgs{PhotoRefID: ref, SHA256: sha, Size: 64 << 10, MIME: "image/jpeg", Tag: streetdesk.PhotoAfter})
	resolve = r.store.enqueue(streetdesk.MutSubmitResolution, id, streetdesk.SubmitResolutionArgs{ResolutionID: newUUID(), Outcome: streetdesk.OutcomeSolved, Reply: "已更换损坏的灯头，夜间照明已恢复正常。", PhotoRefIDs: []string{ref}})
	return
}

func syncedRig(t *testing.T) (*rig, []string) {
	r := newRig(t)
	ids := r.p.seed(2)
	r.start()
	r.idleAfter(0)
	return r, ids
}

func syncAgain(r *rig) {
	n := r.eng.Stats().Cycles
	r.eng.SyncNow()
	r.idleAfter(n)
}

func wantResult(t *testing.T, r *rig, m streetdesk.Mutation, status streetdesk.ResultStatus, code streetdesk.ResultCode, disposition string) {
	t.Helper()
	res, ok := r.store.snapshot().Results[m.Key]
	if !ok {
		t.Fatalf("%s: no result stored", m.Name)
	}
	if res.Status != status || res.Code != code || res.Disposition != disposition {
		t.Fatalf("%s: got %s/%s/%s, want %s/%s/%s", m.Name, res.Status, res.Code, res.Disposition, status, code, disposition)
	}
	_, inbox := r.store.snapshot().Conflicts[m.Key]
	if inbox != (status == streetdesk.ResultRejected || status == streetdesk.ResultConflict) {
		t.Fatalf("%s: in conflicts inbox = %v", m.Name, inbox)
	}
}

func TestConflict_D1_ReassignedWhileOffline(t *testing.T) {
	r, ids := syncedRig(t)
	accept, note, photo, resolve := offlineWork(r, ids[0])
	r.p.reassign(ids[0], "u-cw2")
	syncAgain(r)
	r.stop()
	wantResult(t, r, accept, streetdesk.ResultConflict, streetdesk.CodeReassigned, "")
	wantResult(t, r, note, streetdesk.ResultApplied, "", streetdesk.DispositionKeptAsFact)
	wantResult(t, r, photo, streetdesk.ResultApplied, "", streetdesk.DispositionKeptAsFact)
	wantResult(t, r, resolve, streetdesk.ResultConflict, streetdesk.CodeReassigned, streetdesk.DispositionKeptAsProposal)
	st := r.store.snapshot()
	if rv, ok := st.Revoked[ids[0]]; !ok || rv.Reason != streetdesk.CodeReassigned || rv.NewAssignee != "u-cw2" {
		t.Fatalf("revocation %+v", st.Revoked)
	}
	if len(st.Notes) != 1 || len(st.Photos) != 1 {
		t.Fatal("local facts deleted by the revocation")
	}
	checkInvariants(t, r.p, r.store)
}

func TestConflict_D2_CancelledWhileOffline(t *testing.T) {
	r, ids := syncedRig(t)
	accept, note, _, resolve := offlineWork(r, ids[0])
	r.p.cancel(ids[0])
	syncAgain(r)
	r.stop()
	wantResult(t, r, accept, streetdesk.ResultConflict, streetdesk.CodeCancelled, "")
	wantResult(t, r, note, streetdesk.ResultApplied, "", streetdesk.DispositionKeptAsFact)
	wantResult(t, r, resolve, streetdesk.ResultConflict, streetdesk.CodeCancelled, streetdesk.DispositionKeptAsProposal)
	if r.p.order(ids[0]).Status != streetdesk.StatusCancelled {
		t.Fatal("order did not stay cancelled")
	}
	checkInvariants(t, r.p, r.store)
}

func TestConflict_D3_ReopenedWhileResolutionInFlight(t *testing.T) {
	r, ids := syncedRig(t)
	r.store.enqueue(streetdesk.MutAccept, ids[0], streetdesk.AcceptArgs{})
	syncAgain(r)
	// Offline: the caseworker resolves; meanwhile the citizen was
	// dissatisfied with an earlier round and the centre reopened it.
	res := r.store.enqueue(streetdesk.MutSubmitResolution, ids[0], streetdesk.SubmitResolutionArgs{ResolutionID: newUUID(), Outcome: streetdesk.OutcomeSolved, Reply: "已处理完毕，现场恢复正常，市民已确认。"})
	r.p.reopen(ids[0])
	syncAgain(r)
	r.stop()
	wantResult(t, r, res, streetdesk.ResultConflict, streetdesk.CodeStaleCycle, streetdesk.DispositionKeptAsProposal)
	o := r.store.snapshot().Shadow[ids[0]]
	if o.Status != streetdesk.StatusReopened || o.Cycle != 1 || o.ReopenReason == "" {
		t.Fatalf("shadow %+v: the new cycle must stay open with its reason", o)
	}
	checkInvariants(t, r.p, r.store)
}

func TestConflict_D4_TwoDevicesOneUser(t *testing.T) {
	a, ids := syncedRig(t)
	b := newRig(t, withPlatform(a.p, a.srv))
	b.start()
	b.idleAfter(0)
	na := a.store.enqueue(streetdesk.MutAddNote, ids[0], noteArgs("台式机上的记录"))
	nb := b.store.enqueue(streetdesk.MutAddNote, ids[0], noteArgs("笔记本上的记录"))
	acA := a.store.enqueue(streetdesk.MutAccept, ids[0], streetdesk.AcceptArgs{})
	acB := b.store.enqueue(streetdesk.MutAccept, ids[0], streetdesk.AcceptArgs{})
	syncAgain(a)
	syncAgain(b)
	syncAgain(a)
	a.stop()
	b.stop()
	wantResult(t, a, na, streetdesk.ResultApplied, "", "")
	wantResult(t, b, nb, streetdesk.ResultApplied, "", "")
	wantResult(t, a, acA, streetdesk.ResultApplied, "", "")
	wantResult(t, b, acB, streetdesk.ResultConflict, streetdesk.CodeStatusChanged, "")
	checkInvariants(t, a.p, a.store, b.store)
}

func TestConflict_D5_LeadEditsSameOrder(t *testing.T) {
	r, ids := syncedRig(t)
	r.store.enqueue(streetdesk.MutAccept, ids[0], streetdesk.AcceptArgs{})
	syncAgain(r)
	res := r.store.enqueue(streetdesk.MutSubmitResolution, ids[0], streetdesk.SubmitResolutionArgs{ResolutionID: newUUID(), Outcome: streetdesk.OutcomeSolved, Reply: "已处理完毕，群众认可处理结果并表示满意。"})
	r.p.leadSetStatus(ids[0], streetdesk.StatusExtensionRequested) // the lead asked for more time meanwhile
	syncAgain(r)
	r.stop()
	wantResult(t, r, res, streetdesk.ResultConflict, streetdesk.CodeStatusChanged, streetdesk.DispositionKeptAsProposal)
	if r.p.order(ids[0]).Status != streetdesk.StatusExtensionRequested {
		t.Fatal("the lead's change was overwritten")
	}
	checkInvariants(t, r.p, r.store)
}

func TestConflict_D6_OutOfOrderAcrossDevices(t *testing.T) {
	a, ids := syncedRig(t)
	b := newRig(t, withPlatform(a.p, a.srv))
	b.start()
	b.idleAfter(0)
	// A accepts first (offline); B accepts and resolves later but reaches
	// the platform first.
	acA := a.store.enqueue(streetdesk.MutAccept, ids[0], streetdesk.AcceptArgs{})
	b.store.enqueue(streetdesk.MutAccept, ids[0], streetdesk.AcceptArgs{})
	syncAgain(b)
	b.store.enqueue(streetdesk.MutSubmitResolution, ids[0], streetdesk.SubmitResolutionArgs{ResolutionID: newUUID(), Outcome: streetdesk.OutcomeSolved, Reply: "已处理完毕，现场已恢复正常，市民已确认。"})
	syncAgain(b)
	syncAgain(a)
	a.stop()
	b.stop()
	if a.p.order(ids[0]).Status != streetdesk.StatusResolved {
		t.Fatalf("status went backwards: %s", a.p.order(ids[0]).Status)
	}
	wantResult(t, a, acA, streetdesk.ResultConflict, streetdesk.CodeAlreadyResolved, "")
	checkInvariants(t, a.p, a.store, b.store)
}

func TestConflict_D7_ClockSkew(t *testing.T) {
	for _, skew := range []time.Duration{-24 * time.Hour, 24 * time.Hour} {
		r, ids := syncedRig(t)
		// The desktop's clock is a day off. The row is queued before the
		// clock moves: advancing it may start a periodic sync at once,
		// which must find the row (one that started before it was queued
		// would end the wait below without it).
		m := r.store.enqueueAt(streetdesk.MutAccept, ids[0], streetdesk.AcceptArgs{}, r.clock.Now().Add(skew))
		r.clock.Advance(skew)
		syncAgain(r)
		r.stop()
		wantResult(t, r, m, streetdesk.ResultApplied, "", "")
		checkInvariants(t, r.p, r.store)
	}
}
