package streetdesk_test

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/streetdesk/streetdesk"
)

// The CPU an action pays for its action-log entry (canonical JSON of the
// body and the header, two SHA-256) and a verifier pays per entry.
//
//	go test -run '^$' -bench 'ChainEntry|VerifyChain|Canonicalize' .

func benchMutation() streetdesk.Mutation {
	return streetdesk.Mutation{Key: "0190b2b1-0000-7000-8000-000000000001", Name: streetdesk.MutAddNote, OrderID: "SZ12345-20261124-000091",
		BaseVersion: 3, Args: json.RawMessage(`{"noteId":"0190b2b1-0000-7000-8000-0000000000d1","body":"现场勘察：垃圾站压缩设备已调整作业时间，已电话告知市民，下周复查。"}`)}
}

func BenchmarkNewChainEntry(b *testing.B) {
	m := benchMutation()
	at := time.Date(2026, 11, 24, 9, 0, 0, 0, streetdesk.ChinaTZ)
	prev, err := streetdesk.NewChainEntry(nil, streetdesk.ChainKindAction, "c", at, streetdesk.ChainActionOf(&m, "cw01"))
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := streetdesk.NewChainEntry(&prev, streetdesk.ChainKindAction, "c", at, streetdesk.ChainActionOf(&m, "cw01")); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkVerifyChain1000(b *testing.B) {
	m := benchMutation()
	at := time.Date(2026, 11, 24, 9, 0, 0, 0, streetdesk.ChinaTZ)
	var es []streetdesk.ChainEntry
	var prev *streetdesk.ChainEntry
	for range 1000 {
		e, err := streetdesk.NewChainEntry(prev, streetdesk.ChainKindAction, "c", at, streetdesk.ChainActionOf(&m, "cw01"))
		if err != nil {
			b.Fatal(err)
		}
		es = append(es, e)
		prev = &es[len(es)-1]
	}
	for b.Loop() {
		if r := streetdesk.VerifyChain(es); !r.OK() {
			b.Fatal(r.Problems)
		}
	}
}

func BenchmarkCanonicalize(b *testing.B) {
	m := benchMutation()
	raw, _ := json.Marshal(streetdesk.ChainActionOf(&m, "cw01"))
	b.SetBytes(int64(len(raw)))
	for b.Loop() {
		if _, err := streetdesk.Canonicalize(raw); err != nil {
			b.Fatal(err)
		}
	}
}
