package sync_test

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"

	"pgregory.net/rapid"

	"github.com/streetdesk/streetdesk"
)

// TestModel is the randomized test of the whole sync: random interleavings
// of {local action, centre action, fault, crash, sync} on two desktops of
// one caseworker, then heal, quiesce and check I1–I6. 100 runs by default;
// -rapid.checks=5000 for a long run.
func TestModel(t *testing.T) {
	rapid.Check(t, func(rt *rapid.T) {
		p := newFakePlatform()
		srv := httptest.NewServer(p)
		defer srv.Close()
		ids := p.seed(4)
		devs := []*rig{
			newRig(t, withPlatform(p, srv)),
			newRig(t, withPlatform(p, srv)),
		}
		for _, d := range devs {
			d.start()
			d.idleAfter(0)
		}
		var afterCommitOnce atomic.Bool
		p.mu.Lock()
		p.afterCommit = func(string, *streetdesk.Mutation) int {
			if afterCommitOnce.CompareAndSwap(true, false) {
				return 500
			}
			return 0
		}
		p.mu.Unlock()
		steps := rapid.IntRange(5, 25).Draw(rt, "steps")
		for i := 0; i < steps; i++ {
			d := devs[rapid.IntRange(0, 1).Draw(rt, "dev")]
			id := ids[rapid.IntRange(0, len(ids)-1).Draw(rt, "order")]
			switch rapid.SampledFrom([]string{"local", "local", "local", "centre", "fault", "crash", "sync", "sync"}).Draw(rt, "action") {
			case "local":
				switch rapid.SampledFrom([]string{"note", "accept", "resolve", "photo"}).Draw(rt, "op") {
				case "note":
					d.store.enqueue(streetdesk.MutAddNote, id, noteArgs(fmt.Sprintf("记录 %d", i)))
				case "accept":
					d.store.enqueue(streetdesk.MutAccept, id, streetdesk.AcceptArgs{})
				case "resolve":
					d.store.enqueue(streetdesk.MutSubmitResolution, id, streetdesk.SubmitResolutionArgs{ResolutionID: newUUID(), Outcome: streetdesk.OutcomeSolved, Reply: "已处理完毕，现场已恢复正常，市民已确认。"})
				case "photo":
					sha, _ := d.photo(rapid.IntRange(1, 200<<10).Draw(rt, "size"), id)
					d.store.enqueue(streetdesk.MutAttachPhoto, id, streetdesk.AttachPhotoArgs{PhotoRefID: newUUID(), SHA256: sha, Size: d.store.blob(sha).Size, MIME: "image/jpeg", Tag: streetdesk.PhotoAfter})
				}
				d.eng.Trigger()
			case "centre":
				switch rapid.SampledFrom([]string{"reassign", "reassign-back", "cancel", "reopen", "lead"}).Draw(rt, "centre") {
				case "reassign":
					p.reassign(id, "u-cw2")
				case "reassign-back":
					p.reassign(id, p.user.ID)
				case "cancel":
					p.cancel(id)
				case "reopen":
					p.reopen(id)
				case "lead":
					p.leadSetStatus(id, streetdesk.StatusExtensionRequested)
				}
			case "fault":
				switch rapid.SampledFrom([]string{"none", "drop-request", "drop-response", "after-commit-500", "portal", "cut-patch"}).Draw(rt, "fault") {
				case "none":
					d.rt.setPlan(nil)
				case "drop-request":
					d.rt.setPlan(func(*http.Request) fault { return fault{dropRequest: true} })
				case "drop-response":
					d.rt.setPlan(func(*http.Request) fault { return fault{dropResponse: true} })
				case "after-commit-500":
					afterCommitOnce.Store(true)
				case "portal":
					d.rt.setPlan(func(*http.Request) fault { return fault{status: 200, ctype: "text/html", body: "<html>login</html>"} })
				case "cut-patch":
					d.rt.setPlan(func(r *http.Request) fault {
						if r.Method == http.MethodPatch {
							return fault{cutAfter: 1000}
						}
						return fault{}
					})
				}
			case "crash":
				// The process dies between transactions; a new engine
				// starts on the same store.
				d.stop()
				nd := newRig(t, withPlatform(p, srv), withStore(d.store))
				nd.rt.setPlan(d.rt.plan)
				*d = *nd
				d.start()
				d.cycles(1)
			case "sync":
				n := d.eng.Stats().Cycles
				d.eng.SyncNow()
				d.cycles(n + 1)
			}
		}
		// Heal and quiesce: sync both until a full round changes nothing.
		afterCommitOnce.Store(false)
		for _, d := range devs {
			d.rt.setPlan(nil)
		}
		for round := 0; round < 3; round++ {
			for _, d := range devs {
				n := d.eng.Stats().Cycles
				d.eng.SyncNow()
				d.idleAfter(n)
			}
		}
		for _, d := range devs {
			d.stop()
		}
		checkInvariants(rt, p, devs[0].store, devs[1].store)
	})
}
