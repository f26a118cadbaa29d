package platform_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/internal/cputime"
	"golang.org/x/crypto/bcrypt"
)

// BenchmarkPushChain is BenchmarkPush1000 (1,000 notes in pushes of 100)
// without and with each push carrying its 100 action-log entries, the two
// interleaved in every iteration: what the platform's chain check (hashes,
// links, the mutation digests, three more multi-row INSERTs) adds to a
// push. It reports each variant's wall time and process CPU time (the
// CPU time holds up better on a loaded machine).
func BenchmarkPushChain(b *testing.B) {
	e := newBenchEnv(b, bcrypt.MinCost)
	u, err := e.srv.User(context.Background(), "cw01")
	if err != nil {
		b.Fatal(err)
	}
	var wall, cpu [2]time.Duration
	for b.Loop() {
		for v, chain := range []bool{false, true} {
			b.StopTimer()
			bodies := pushBodies(b, u.ID, chain, 10, 100, 1000)
			b.StartTimer()
			start, c0 := time.Now(), cputime.Process()
			for _, body := range bodies {
				e.sendPush(b, body)
			}
			wall[v] += time.Since(start)
			cpu[v] += cputime.Process() - c0
		}
	}
	n := float64(b.N)
	b.ReportMetric(float64(wall[0].Milliseconds())/n, "plain-ms")
	b.ReportMetric(float64(wall[1].Milliseconds())/n, "chain-ms")
	b.ReportMetric(float64(cpu[0].Milliseconds())/n, "plain-cpu-ms")
	b.ReportMetric(float64(cpu[1].Milliseconds())/n, "chain-cpu-ms")
}

// BenchmarkPushBatch1000 is what a desk's queue of 1,000 notes costs the
// platform in one push (pushBatch1000), with its action-log entries: ten
// notes on each of 100 orders, as sync's BenchmarkPush1000 sends them.
func BenchmarkPushBatch1000(b *testing.B) {
	e := newBenchEnv(b, bcrypt.MinCost)
	u, err := e.srv.User(context.Background(), "cw01")
	if err != nil {
		b.Fatal(err)
	}
	var cpu time.Duration
	for b.Loop() {
		b.StopTimer()
		bodies := pushBodies(b, u.ID, true, 1, 1000, 100)
		b.StartTimer()
		c0 := cputime.Process()
		e.sendPush(b, bodies[0])
		cpu += cputime.Process() - c0
	}
	b.ReportMetric(float64(cpu.Microseconds())/1000/float64(b.N), "cpu-ms/op")
}

// pushBodies builds pushes of size notes from a new client, on orders
// orders in turn, with their entries when chain is set.
func pushBodies(b *testing.B, userID string, chain bool, pushes, size, orders int) [][]byte {
	client := newID()
	var bodies [][]byte
	var prev *streetdesk.ChainEntry
	for batch := 0; batch < pushes; batch++ {
		req := streetdesk.PushRequest{PushVersion: 1, SchemaVersion: streetdesk.SchemaVersion, ClientID: client}
		for k := 0; k < size; k++ {
			i := batch*size + k
			args, _ := json.Marshal(streetdesk.AddNoteArgs{NoteID: newID(), Body: "现场勘察：已到达现场，情况属实，正在协调处理。"})
			m := streetdesk.Mutation{ID: int64(i + 1), Key: newID(), Name: streetdesk.MutAddNote,
				OrderID: fmt.Sprintf("WO-2026-%06d", i%orders+1), BaseVersion: 1, Args: args, ClientTime: time.Now()}
			req.Mutations = append(req.Mutations, m)
			if chain {
				en, err := streetdesk.NewChainEntry(prev, streetdesk.ChainKindAction, client, time.Now(), streetdesk.ChainActionOf(&m, userID))
				if err != nil {
					b.Fatal(err)
				}
				req.Chain = append(req.Chain, en)
				prev = &req.Chain[len(req.Chain)-1]
			}
		}
		body, _ := json.Marshal(req)
		bodies = append(bodies, body)
	}
	return bodies
}

func (e *benchEnv) sendPush(b *testing.B, body []byte) {
	r, _ := http.NewRequest(http.MethodPost, e.ts.URL+"/v1/sync/push", bytes.NewReader(body))
	r.Header.Set("Content-Type", "application/json")
	r.Header.Set("Authorization", "Bearer "+e.token)
	resp, err := e.ts.Client().Do(r)
	if err != nil {
		b.Fatal(err)
	}
	raw, _ := io.ReadAll(resp.Body)
	resp.Body.Close()
	var pr streetdesk.PushResponse
	if err := json.Unmarshal(raw, &pr); err != nil || resp.StatusCode != 200 || len(pr.Results) == 0 || pr.Results[len(pr.Results)-1].Status != streetdesk.ResultApplied {
		b.Fatalf("push: %d %s", resp.StatusCode, raw)
	}
	if bytes.Contains(body, []byte(`"chain"`)) && pr.Chain == nil {
		b.Fatal("entries not acknowledged")
	}
}
