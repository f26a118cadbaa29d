package localdb_test

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/localdb"
)

// TestRecordPushAnswerInOneGo: a push's answers recorded together (the
// plain ones in one statement) leave exactly what recording them one at a
// time leaves — outbox states and results, resolutions, the conflicts
// inbox, the orders as shown — for a mix of applied, duplicate, rejected
// and conflicting answers, a submitted resolution, an answer without a key
// and answers whose rows are already gone.
func TestRecordPushAnswerInOneGo(t *testing.T) {
	ctx := context.Background()
	run := func(oneByOne bool) string {
		db, path := openTest(t, localdb.Options{})
		pull(t, db, order("A1", streetdesk.StatusAccepted), order("A2", streetdesk.StatusAccepted),
			order("A3", streetdesk.StatusAccepted), order("D1", streetdesk.StatusDispatched))
		resolve := func(id string) {
			if _, err := db.Resolve(ctx, id, streetdesk.ResolveInput{Outcome: streetdesk.OutcomeSolved, Reply: "已协调环卫部门调整作业时间至早上7点以后，市民表示认可。"}); err != nil {
				t.Fatal(err)
			}
		}
		for _, f := range []func() error{
			func() error { return db.AddNote(ctx, "A1", "现场勘察记录 1") },
			func() error { return db.AddNote(ctx, "A1", "现场勘察记录 2") },
			func() error { resolve("A2"); return nil },
			func() error { resolve("A3"); return nil },
			func() error { return db.Accept(ctx, "D1") },
			func() error { return db.AddNote(ctx, "A1", "现场勘察记录 3") },
		} {
			if err := f(); err != nil {
				t.Fatal(err)
			}
		}
		ms := pending(t, db)
		if len(ms) != 6 {
			t.Fatalf("%d pending", len(ms))
		}
		r := func(i int, st streetdesk.ResultStatus, code streetdesk.ResultCode) streetdesk.MutationResult {
			return streetdesk.MutationResult{ID: ms[i].ID, Key: ms[i].Key, Name: ms[i].Name, OrderID: ms[i].OrderID, Status: st, Code: code, Version: int64(10 + i)}
		}
		res := []streetdesk.MutationResult{
			r(0, streetdesk.ResultApplied, ""),
			r(1, streetdesk.ResultDuplicate, ""),
			r(2, streetdesk.ResultApplied, ""),
			r(3, streetdesk.ResultRejected, streetdesk.CodeAlreadyResolved),
			r(4, streetdesk.ResultConflict, streetdesk.CodeReassigned),
			r(5, streetdesk.ResultApplied, ""),
			// Rows confirmed by an earlier pull: a plain answer changes
			// nothing, a refusal still reaches the inbox.
			{ID: 90, Key: "0190f3a2-0000-7000-8000-000000000090", Name: streetdesk.MutAddNote, OrderID: "A1", Status: streetdesk.ResultApplied},
			{ID: 91, Key: "0190f3a2-0000-7000-8000-000000000091", Name: streetdesk.MutAddNote, OrderID: "A1", Status: streetdesk.ResultRejected, Code: streetdesk.CodeForbidden},
		}
		res[5].Key = "" // found by its id
		if oneByOne {
			for i := range res {
				if err := db.RecordPushResults(ctx, res[i:i+1]); err != nil {
					t.Fatal(err)
				}
			}
		} else if err := db.RecordPushResults(ctx, res); err != nil {
			t.Fatal(err)
		}
		return dumpAnswers(t, db, path, ms)
	}
	batch, single := run(false), run(true)
	if batch != single {
		t.Fatalf("recorded together:\n%s\none by one:\n%s", batch, single)
	}
	for _, want := range []string{
		`outbox 1 answered {"id":1,"name":"addNote","orderId":"A1","status":"applied","version":10}`,
		`outbox 2 answered {"id":2,"name":"addNote","orderId":"A1","status":"duplicate","version":11}`,
		`outbox 4 rejected`, `outbox 5 conflict`,
		`resolution A2 accepted`, `resolution A3 proposal`,
		`conflict 91 addNote rejected FORBIDDEN A1`,
	} {
		if !strings.Contains(batch, want) {
			t.Errorf("missing %q in\n%s", want, batch)
		}
	}
}

// dumpAnswers lists what recording a push's answers changes, without the
// keys and ids that differ from one database to another.
func dumpAnswers(t *testing.T, db *localdb.DB, path string, ms []streetdesk.Mutation) string {
	t.Helper()
	ctx := context.Background()
	var b strings.Builder
	raw, err := sql.Open("sqlite", (&url.URL{Scheme: "file", Path: path, RawQuery: "mode=ro"}).String())
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()
	rows, err := raw.QueryContext(ctx, `SELECT id, state, result FROM outbox ORDER BY id`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var id int64
		var state, result string
		if err := rows.Scan(&id, &state, &result); err != nil {
			t.Fatal(err)
		}
		if result != "" {
			var m map[string]any
			if err := json.Unmarshal([]byte(result), &m); err != nil {
				t.Fatalf("outbox %d result %q: %v", id, result, err)
			}
			delete(m, "key")
			j, _ := json.Marshal(m)
			result = string(j)
		}
		fmt.Fprintf(&b, "outbox %d %s %s\n", id, state, result)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows.Close()
	for _, id := range []string{"A1", "A2", "A3", "D1"} {
		d := mustOrder(t, db, id)
		fmt.Fprintf(&b, "order %s %s pending %d", id, d.Order.Status, d.Pending)
		for _, n := range d.Notes {
			fmt.Fprintf(&b, " note %s", n.Sync)
		}
		b.WriteString("\n")
		for _, r := range d.Resolutions {
			fmt.Fprintf(&b, "resolution %s %s %s\n", id, r.State, r.Sync)
		}
	}
	cs, err := db.Conflicts(ctx, true)
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cs {
		fmt.Fprintf(&b, "conflict %d %s %s %s %s %v\n", c.MutationID, c.Name, c.Status, c.Code, c.OrderID, c.Explanation)
	}
	return b.String()
}
