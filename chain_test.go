package streetdesk_test

import (
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/streetdesk/streetdesk"
)

func testChain(t *testing.T, n int) []streetdesk.ChainEntry {
	t.Helper()
	at := time.Date(2026, 3, 12, 9, 0, 0, 123456789, streetdesk.ChinaTZ)
	var out []streetdesk.ChainEntry
	var prev *streetdesk.ChainEntry
	for i := range n {
		m := streetdesk.Mutation{Key: fmt.Sprintf("0190b2b1-0000-7000-8000-%012d", i), Name: streetdesk.MutAddNote, OrderID: "SZ-1",
			BaseVersion: 3, BaseCycle: 0, Args: json.RawMessage(fmt.Sprintf(`{"noteId":"x","body":"第%d条记录 <现场>"}`, i))}
		e, err := streetdesk.NewChainEntry(prev, streetdesk.ChainKindAction, "client-a", at.Add(time.Duration(i)*time.Minute), streetdesk.ChainActionOf(&m, "cw01"))
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, e)
		prev = &out[len(out)-1]
	}
	return out
}

func problemCodes(r streetdesk.ChainReport) []string {
	var out []string
	for _, p := range r.Problems {
		out = append(out, fmt.Sprintf("%d:%s", p.Seq, p.Code))
	}
	return out
}

func TestChainVerifies(t *testing.T) {
	c := testChain(t, 5)
	r := streetdesk.VerifyChain(c)
	if !r.OK() || r.Entries != 5 || r.Head.Seq != 5 || r.Head.Hash != c[4].Hash {
		t.Fatalf("report %+v", r)
	}
	if c[0].Prev != streetdesk.ChainGenesis || c[1].Prev != c[0].Hash {
		t.Errorf("links: %s, %s", c[0].Prev, c[1].Prev)
	}
	if c[2].At != "2026-03-12T09:02:00.123456789+08:00" {
		t.Errorf("At = %s", c[2].At)
	}
	// The body is canonical: '<' is itself, members sorted.
	if !strings.HasPrefix(string(c[0].Body), `{"args":{"body":"第0条记录 <现场>","noteId":"x"},"baseCycle":0,`) {
		t.Errorf("body %s", c[0].Body)
	}
	// Skeletons keep the links verifiable; a run from the middle too.
	var sk []streetdesk.ChainEntry
	for _, e := range c[1:] {
		sk = append(sk, e.Skeleton())
	}
	v := streetdesk.ChainVerifier{FromMiddle: true}
	for _, e := range sk {
		v.Add(e)
	}
	if r := v.Report(); !r.OK() {
		t.Errorf("skeleton from the middle: %v", problemCodes(r))
	}
	var whole streetdesk.ChainVerifier
	for _, e := range sk {
		whole.Add(e)
	}
	if r := whole.Report(); !slices.Equal(problemCodes(r), []string{"2:BAD_GENESIS"}) {
		t.Errorf("a run from the middle as a whole chain: %v", problemCodes(r))
	}
}

// Editing one byte anywhere in a stored entry is caught, at that entry.
func TestChainDetectsOneEditedByte(t *testing.T) {
	c := testChain(t, 4)
	for i := range c {
		raw, err := json.Marshal(c[i])
		if err != nil {
			t.Fatal(err)
		}
		for pos := range raw {
			mut := slices.Clone(raw)
			mut[pos] ^= 0x01
			var e streetdesk.ChainEntry
			if json.Unmarshal(mut, &e) != nil {
				continue // no longer JSON: caught by any reader
			}
			edited := slices.Clone(c)
			edited[i] = e
			r := streetdesk.VerifyChain(edited)
			if r.OK() {
				// A flipped bit in a JSON escape or a field name that
				// decodes to the same entry changes nothing stored.
				if same, _ := json.Marshal(e); string(same) == string(raw) {
					continue
				}
				t.Fatalf("entry %d byte %d (%q→%q) edited, chain still verifies", i, pos, raw[pos], mut[pos])
			}
		}
	}
}

func TestChainDetects(t *testing.T) {
	c := testChain(t, 4)
	tests := []struct {
		name string
		edit func([]streetdesk.ChainEntry) []streetdesk.ChainEntry
		want []string
	}{
		{"dropped entry", func(c []streetdesk.ChainEntry) []streetdesk.ChainEntry { return slices.Delete(c, 1, 2) },
			[]string{"3:GAP", "3:BROKEN_LINK"}},
		{"swapped entries", func(c []streetdesk.ChainEntry) []streetdesk.ChainEntry { c[1], c[2] = c[2], c[1]; return c },
			[]string{"3:GAP", "3:BROKEN_LINK", "2:GAP", "2:BROKEN_LINK", "4:GAP", "4:BROKEN_LINK"}},
		{"body swapped with another", func(c []streetdesk.ChainEntry) []streetdesk.ChainEntry { c[1].Body = c[2].Body; return c },
			[]string{"2:BAD_BODY"}},
		{"body re-hashed, header not", func(c []streetdesk.ChainEntry) []streetdesk.ChainEntry {
			c[1].Body = c[2].Body
			c[1].BodyHash = streetdesk.SHA256Hex(c[2].Body)
			return c
		}, []string{"2:BAD_HASH"}},
		{"entry rewritten and re-hashed", func(c []streetdesk.ChainEntry) []streetdesk.ChainEntry {
			c[1].At = "2026-03-12T08:00:00+08:00"
			c[1].Hash, _ = c[1].HeaderHash()
			return c
		}, []string{"3:BROKEN_LINK"}},
		{"body re-encoded is fine", func(c []streetdesk.ChainEntry) []streetdesk.ChainEntry {
			c[0].Body = json.RawMessage(" " + strings.ReplaceAll(string(c[0].Body), "<", `\u003c`))
			return c
		}, nil},
		{"body missing", func(c []streetdesk.ChainEntry) []streetdesk.ChainEntry { c[2].Body = nil; return c },
			[]string{"3:BAD_BODY"}},
		{"bad time", func(c []streetdesk.ChainEntry) []streetdesk.ChainEntry { c[3].At = "yesterday"; return c },
			[]string{"4:BAD_FIELD", "4:BAD_HASH"}},
		{"unknown kind", func(c []streetdesk.ChainEntry) []streetdesk.ChainEntry { c[3].Kind = "delete"; return c },
			[]string{"4:BAD_FIELD", "4:BAD_HASH"}},
		{"bad hash text", func(c []streetdesk.ChainEntry) []streetdesk.ChainEntry { c[0].Hash = "zz"; return c },
			[]string{"1:BAD_FIELD", "2:BROKEN_LINK"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := streetdesk.VerifyChain(tc.edit(slices.Clone(c)))
			if got := problemCodes(r); !slices.Equal(got, tc.want) {
				t.Errorf("problems %v, want %v", got, tc.want)
			}
		})
	}
}

func TestChainActionMatchesMutation(t *testing.T) {
	m := streetdesk.Mutation{Key: "0190b2b1-0000-7000-8000-000000000001", Name: streetdesk.MutSubmitResolution, OrderID: "SZ-1",
		BaseVersion: 3, Args: json.RawMessage(`{"resolutionId":"r","outcome":"solved","reply":"已处理完毕，市民表示满意，谢谢。","photoRefIds":[]}`),
		EvidenceChecks: []streetdesk.EvidenceCheck{{Code: streetdesk.EvidenceNoPlace, Severity: streetdesk.SeverityWarning, PhotoRefID: "p", Explanation: "室内"}}}
	e, err := streetdesk.NewChainEntry(nil, streetdesk.ChainKindAction, "c", time.Now(), streetdesk.ChainActionOf(&m, "cw01"))
	if err != nil {
		t.Fatal(err)
	}
	if !e.SameAction(&m, "cw01") {
		t.Fatal("entry does not match its own mutation")
	}
	// Whitespace in the args does not matter; content does.
	m2 := m
	m2.Args = json.RawMessage(`{ "outcome":"solved", "resolutionId":"r", "reply":"已处理完毕，市民表示满意，谢谢。", "photoRefIds":[] }`)
	if !e.SameAction(&m2, "cw01") {
		t.Error("reformatted args differ")
	}
	m2.EvidenceChecks = nil
	if e.SameAction(&m2, "cw01") {
		t.Error("dropped explanation not noticed")
	}
	if e.SameAction(&m, "cw02") {
		t.Error("other user not noticed")
	}
	a, err := e.Action()
	if err != nil || a.Key != m.Key || a.EvidenceChecks[0].Explanation != "室内" {
		t.Errorf("Action() = %+v, %v", a, err)
	}
}
