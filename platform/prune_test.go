package platform_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/streetdesk/streetdesk"
)

// TestPruneResults: stored mutation results older than the change-log
// retention go, with their change-log entries; younger ones stay. A resend
// that old is answered as one whose result was never stored (a fork), and
// the fork's resend under the same key keeps one note: facts dedupe on
// their own ids.
func TestPruneResults(t *testing.T) {
	e := newEnv(t)
	ctx := context.Background()
	o := e.dispatch("teamA", "cw01")
	c := e.client("cw01")
	oldNote := c.mut(streetdesk.MutAddNote, o, streetdesk.AddNoteArgs{NoteID: newID(), Body: "现场已查看"})
	if r := c.pushOne(oldNote); r.Status != streetdesk.ResultApplied {
		t.Fatalf("old note: %+v", r)
	}
	e.later(60 * 24 * time.Hour)
	newNote := c.mut(streetdesk.MutAddNote, o, streetdesk.AddNoteArgs{NoteID: newID(), Body: "已联系物业"})
	if r := c.pushOne(newNote); r.Status != streetdesk.ResultApplied {
		t.Fatalf("new note: %+v", r)
	}
	e.later(31 * 24 * time.Hour) // the old result is 91 days old, the new one 31

	for i, want := range []int{1, 0} {
		if n, err := e.srv.PruneResults(ctx); err != nil || n != want {
			t.Fatalf("prune #%d: %d %v, want %d", i+1, n, err, want)
		}
	}
	for _, tc := range []struct {
		key  string
		kept bool
	}{{oldNote.Key, false}, {newNote.Key, true}} {
		r, err := e.srv.MutationResultByKey(ctx, tc.key)
		if err != nil || (r != nil) != tc.kept {
			t.Errorf("result of %s after pruning: %+v %v, want kept=%v", tc.key, r, err, tc.kept)
		}
	}
	// A fresh snapshot carries the client's kept results only.
	var ids []int64
	for _, p := range c.pullAll("", 0) {
		for _, ch := range p.Changes {
			if ch.Type == streetdesk.ChangeMutationResult {
				ids = append(ids, ch.Result.ID)
			}
		}
	}
	if len(ids) != 1 || ids[0] != newNote.ID {
		t.Errorf("results in a snapshot after pruning: %v, want [%d]", ids, newNote.ID)
	}

	st, _, body := c.push(oldNote)
	if st != http.StatusUnprocessableEntity || mismatchOf(t, body) != streetdesk.MismatchID {
		t.Fatalf("resend of a pruned result: %d %s", st, body)
	}
	fork := e.client("cw01")
	fork.next = 10
	resent := oldNote
	resent.ID = fork.next
	if r := fork.pushOne(resent); r.Status != streetdesk.ResultApplied {
		t.Fatalf("fork's resend: %+v", r)
	}
	notes, err := e.srv.Notes(ctx, o.ID)
	if err != nil || len(notes) != 2 {
		t.Fatalf("notes after the fork's resend: %d %v, want 2", len(notes), err)
	}
}

// later moves the clock on; the tokens it outlived sign in again.
func (e *env) later(d time.Duration) {
	e.clock.Add(d)
	e.mu.Lock()
	defer e.mu.Unlock()
	clear(e.tokens)
}
