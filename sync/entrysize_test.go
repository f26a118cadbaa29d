package sync_test

import (
	"encoding/json"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/sync"
)

// The size a push reserves for an entry is never less than its JSON, so a
// batch measured with it stays within the platform's byte limit.
func TestEntryJSONBound(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 500))
	parts := []string{"a", "中文", "<", ">", "&", "\u2028", "\u2029", "\"", "\\", "\x01", "\n", "\xff", "😀", "0123456789abcdef"}
	str := func() string {
		var b strings.Builder
		for range r.IntN(8) {
			b.WriteString(parts[r.IntN(len(parts))])
		}
		return b.String()
	}
	for range 3000 {
		body, _ := json.Marshal(map[string]string{str(): str(), "body": str()})
		if r.IntN(4) == 0 {
			body = []byte(` { "x" : [ 1 , 2 ] } `)
		}
		en := streetdesk.ChainEntry{Seq: r.Int64(), Prev: str(), Kind: streetdesk.ChainKind(str()), ClientID: str(), At: str(),
			BodyHash: str(), Hash: str(), Body: body}
		if r.IntN(8) == 0 {
			en.Body = nil
		}
		b, err := json.Marshal(&en)
		if err != nil {
			t.Fatal(err)
		}
		if got := sync.EntryJSONBound(&en); got < len(b) {
			t.Fatalf("bound %d < %d bytes of %s", got, len(b), b)
		}
	}
}
