package streetdesk_test

import (
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/streetdesk/streetdesk"
)

// Entries written before the direct encoders (NewChainEntry through
// CanonicalJSON, 2026-12-04): the same inputs must give the same bodies
// and hashes, or every stored log would stop verifying.
func TestChainGolden(t *testing.T) {
	at := time.Date(2026, 11, 24, 9, 0, 0, 123456789, streetdesk.ChinaTZ)
	m1 := streetdesk.Mutation{Key: "0190b2b1-0000-7000-8000-000000000001", Name: streetdesk.MutAddNote, OrderID: "SZ12345-20261124-000091",
		BaseVersion: 3, Args: json.RawMessage(`{"noteId":"0190b2b1-0000-7000-8000-0000000000d1", "body":"现场 <勘察> & \u2028 \"引号\" \\ \t 😀"}`)}
	m2 := streetdesk.Mutation{Key: "k2", Name: streetdesk.MutSubmitResolution, OrderID: "SZ12345-20261124-000092", BaseVersion: 9007199254740993, BaseCycle: 2,
		Args: json.RawMessage(`{"z":1.50,"a":[1e2,-0.0,{"b":null,"a":true}]}`),
		EvidenceChecks: []streetdesk.EvidenceCheck{{Code: "PHOTO_OLD", Severity: "warn", PhotoRefID: "p<1>", SHA256: "ab",
			TakenAt: time.Date(2026, 1, 2, 3, 4, 5, 6, time.UTC), DistanceM: 12, Orders: []string{"a", "b"}}}}
	e1, err := streetdesk.NewChainEntry(nil, streetdesk.ChainKindAction, "c1\x01<", at, streetdesk.ChainActionOf(&m1, "cw01"))
	if err != nil {
		t.Fatal(err)
	}
	a2 := streetdesk.ChainActionOf(&m2, "cw\xff01")
	e2, err := streetdesk.NewChainEntry(&e1, streetdesk.ChainKindAction, "c1", at, &a2)
	if err != nil {
		t.Fatal(err)
	}
	e3, err := streetdesk.NewChainEntry(&e2, streetdesk.ChainKindFork, "c2", at,
		streetdesk.ChainFork{Reason: "restored", PreviousClientID: "c1", NewClientID: "c2", LocalMutationID: 4})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		e                    streetdesk.ChainEntry
		body, bodyHash, hash string
	}{
		{e1, `{"args":{"body":"现场 <勘察> & ` + "\u2028" + ` \"引号\" \\ \t 😀","noteId":"0190b2b1-0000-7000-8000-0000000000d1"},"baseCycle":0,"baseVersion":3,"key":"0190b2b1-0000-7000-8000-000000000001","name":"addNote","orderId":"SZ12345-20261124-000091","userId":"cw01"}`,
			"35dac7993b396b84d7e87ca442e426d7426df3a58c6e28ed1d189bfba589a6d3", "2e78b50b9753a912f5d7e9a2fe3ccbffcc75ed8b7529ce18eac68e47d69c00cd"},
		{e2, `{"args":{"a":[100,0,{"a":true,"b":null}],"z":1.5},"baseCycle":2,"baseVersion":9007199254740992,"evidenceChecks":[{"code":"PHOTO_OLD","distanceM":12,"orders":["a","b"],"photoRefId":"p<1>","severity":"warn","sha256":"ab","takenAt":"2026-01-02T03:04:05.000000006Z"}],"key":"k2","name":"submitResolution","orderId":"SZ12345-20261124-000092","userId":"cw` + "\ufffd" + `01"}`,
			"992fb2dba5dd4c6efad55a036722b8ab4516073a3e852b1ae65a63a18683923c", "54fbec3f555c73a17adbba979973d21908b30fbc204be5248af9c9b7dd8b8127"},
		{e3, `{"localMutationId":4,"newClientId":"c2","previousClientId":"c1","reason":"restored"}`,
			"59aa9aa8462f89182e66f6ac62601c5e25e5743a0ecb1633f054820c9d3dc0d8", "18a602f0d619138496e7e48fb97c430e55df665b5994673b257be046262f98c5"},
	} {
		if string(tc.e.Body) != tc.body || tc.e.BodyHash != tc.bodyHash || tc.e.Hash != tc.hash {
			t.Errorf("entry %d:\nbody %s\nwant %s\nbodyHash %s want %s\nhash %s want %s", tc.e.Seq, tc.e.Body, tc.body, tc.e.BodyHash, tc.bodyHash, tc.e.Hash, tc.hash)
		}
	}
	if r := streetdesk.VerifyChain([]streetdesk.ChainEntry{e1, e2, e3}); !r.OK() {
		t.Errorf("golden chain does not verify: %v", r.Problems)
	}
}

// refHeader is the header as the hash was first defined: a struct through
// CanonicalJSON.
type refHeader struct {
	V        int                  `json:"v"`
	Seq      int64                `json:"seq"`
	Prev     string               `json:"prev"`
	Kind     streetdesk.ChainKind `json:"kind"`
	ClientID string               `json:"clientId"`
	At       string               `json:"at"`
	BodyHash string               `json:"bodyHash"`
}

// The direct encoders give what the reflection path gives for awkward
// strings (escapes, HTML characters, invalid UTF-8, U+2028), large numbers
// and args in any layout.
func TestChainEncodersMatchReflection(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 16))
	strs := []string{"", "a", "<&>", "\u2028\u2029", "\x00\x1f\x7f", "\"\\", "\xff\xfe", "中文😀", "\xe4\xb8", "cw01", "0190b2b1-0000-7000-8000-000000000001"}
	ints := []int64{0, 1, -1, 3, 1<<53 - 1, 1 << 53, 1<<53 + 1, -(1<<53 + 1), 1<<62 + 12345, -1 << 63, 1<<63 - 1}
	pick := func() string {
		var b strings.Builder
		for range r.IntN(3) {
			b.WriteString(strs[r.IntN(len(strs))])
		}
		return b.String()
	}
	args := []json.RawMessage{nil, json.RawMessage(`null`), json.RawMessage(` {"b" : 1, "a":[1.50, "<x>"]} `), json.RawMessage(`{"body":"\u003c\u2028"}`)}
	for i := range 2000 {
		a := streetdesk.ChainAction{Key: pick(), Name: pick(), OrderID: pick(), UserID: pick(), BaseVersion: ints[r.IntN(len(ints))],
			BaseCycle: int(ints[r.IntN(len(ints))]), Args: args[r.IntN(len(args))]}
		if i%5 == 0 {
			a.EvidenceChecks = []streetdesk.EvidenceCheck{{Code: "X", PhotoRefID: pick(), Explanation: pick()}}
		}
		got, err := a.Canonical()
		want, werr := refCanonicalJSON(a)
		if err != nil || werr != nil || string(got) != string(want) {
			t.Fatalf("%+v:\ngot  %q %v\nwant %q %v", a, got, err, want, werr)
		}
		e := streetdesk.ChainEntry{Seq: ints[r.IntN(len(ints))], Prev: pick(), Kind: streetdesk.ChainKind(pick()), ClientID: pick(), At: pick(), BodyHash: pick()}
		hb, err := refCanonicalJSON(refHeader{V: streetdesk.ChainVersion, Seq: e.Seq, Prev: e.Prev, Kind: e.Kind, ClientID: e.ClientID, At: e.At, BodyHash: e.BodyHash})
		if err != nil {
			t.Fatal(err)
		}
		if h, err := e.HeaderHash(); err != nil || h != streetdesk.SHA256Hex(hb) {
			t.Fatalf("%+v: header hash %s %v, want the hash of %q", e, h, err, hb)
		}
	}
	for _, bad := range []json.RawMessage{json.RawMessage(``), json.RawMessage(`{`), json.RawMessage("\"\xff\"")} {
		a := streetdesk.ChainAction{Key: "k", Args: bad}
		if _, err := a.Canonical(); err == nil {
			t.Errorf("args %q accepted", bad)
		}
		if _, err := refCanonicalJSON(a); err == nil {
			t.Errorf("reference accepted args %q", bad)
		}
	}
}
