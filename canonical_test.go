package streetdesk_test

import (
	"bytes"
	"encoding/json"
	"math"
	"math/rand/v2"
	"reflect"
	"strings"
	"testing"

	"github.com/streetdesk/streetdesk"
)

// The examples of RFC 8785 §3.2.2 and §3.2.3.
func TestCanonicalizeRFC8785(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"rfc 3.2.2", `{
  "numbers": [333333333.33333329, 1E30, 4.50, 2e-3, 0.000000000000000000000000001],
  "string": "\u20ac$\u000F\u000aA'\u0042\u0022\u005c\\\"\/",
  "literals": [null, true, false]
}`, `{"literals":[null,true,false],"numbers":[333333333.3333333,1e+30,4.5,0.002,1e-27],"string":"€$\u000f\nA'B\"\\\\\"/"}`},
		{"rfc 3.2.3 sorting", `{
  "\u20ac": "Euro Sign",
  "\r": "Carriage Return",
  "\ufb33": "Hebrew Letter Dalet With Dagesh",
  "1": "One",
  "\ud83d\ude00": "Emoji: Grinning Face",
  "\u0080": "Control",
  "\u00f6": "Latin Small Letter O With Diaeresis"
}`, "{\"\\r\":\"Carriage Return\",\"1\":\"One\",\"\u0080\":\"Control\",\"ö\":\"Latin Small Letter O With Diaeresis\",\"€\":\"Euro Sign\",\"😀\":\"Emoji: Grinning Face\",\"\ufb33\":\"Hebrew Letter Dalet With Dagesh\"}"},
		{"nested and empty", ` { "b" : [ {} , [ ] , { "z":1,"a":[2, {"y":null,"x":"中文"}] } ], "a": "" } `,
			`{"a":"","b":[{},[],{"a":[2,{"x":"中文","y":null}],"z":1}]}`},
		{"escapes", `"\u0000\u001f\b\f\t\n\r\u007f\u2028"`, "\"\\u0000\\u001f\\b\\f\\t\\n\\r\u007f\u2028\""},
		{"top-level number", `-0.0`, `0`},
		{"integers", `[0, -1, 9007199254740993, 1e2, 100.000]`, `[0,-1,9007199254740992,100,100]`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := streetdesk.Canonicalize([]byte(tc.in))
			if err != nil {
				t.Fatal(err)
			}
			if string(got) != tc.want {
				t.Errorf("got  %s\nwant %s", got, tc.want)
			}
		})
	}
}

// Appendix B of RFC 8785: IEEE-754 bit patterns and their canonical text.
func TestFormatJSNumber(t *testing.T) {
	for _, tc := range []struct {
		bits uint64
		want string
	}{
		{0x0000000000000000, "0"},
		{0x8000000000000000, "0"},
		{0x0000000000000001, "5e-324"},
		{0x8000000000000001, "-5e-324"},
		{0x7fefffffffffffff, "1.7976931348623157e+308"},
		{0xffefffffffffffff, "-1.7976931348623157e+308"},
		{0x4340000000000000, "9007199254740992"},
		{0xc340000000000000, "-9007199254740992"},
		{0x4430000000000000, "295147905179352830000"},
		{0x44b52d02c7e14af5, "9.999999999999997e+22"},
		{0x44b52d02c7e14af6, "1e+23"},
		{0x44b52d02c7e14af7, "1.0000000000000001e+23"},
		{0x444b1ae4d6e2ef4e, "999999999999999700000"},
		{0x444b1ae4d6e2ef4f, "999999999999999900000"},
		{0x444b1ae4d6e2ef50, "1e+21"},
		{0x3eb0c6f7a0b5ed8c, "9.999999999999997e-7"},
		{0x3eb0c6f7a0b5ed8d, "0.000001"},
		{0x41b3de4355555553, "333333333.3333332"},
		{0x41b3de4355555554, "333333333.33333325"},
		{0x41b3de4355555555, "333333333.3333333"},
		{0x41b3de4355555556, "333333333.3333334"},
		{0x41b3de4355555557, "333333333.33333343"},
		{0xbecbf647612f3696, "-0.0000033333333333333333"},
		{0x43143ff3c1cb0959, "1424953923781206.2"},
	} {
		if got := streetdesk.FormatJSNumber(math.Float64frombits(tc.bits)); got != tc.want {
			t.Errorf("%016x: got %s, want %s", tc.bits, got, tc.want)
		}
	}
}

func TestCanonicalizeRefuses(t *testing.T) {
	for name, in := range map[string]string{
		"duplicate member":   `{"a":1,"a":2}`,
		"nested duplicate":   `[{"x":{"k":1,"k":1}}]`,
		"too large":          `1e400`,
		"lone high":          `"\ud800"`,
		"lone low":           `"x\udc00y"`,
		"high then text":     `"\ud83dabc"`,
		"invalid UTF-8":      "\"\xff\"",
		"trailing":           `{} {}`,
		"truncated":          `{"a":[1,2`,
		"not json":           `{a:1}`,
		"empty":              ``,
		"deep":               strings.Repeat("[", 300) + strings.Repeat("]", 300),
		"single quote":       `'x'`,
		"trailing comma":     `[1,]`,
		"leading zero":       `01`,
		"bare minus":         `-`,
		"control in string":  "\"a\x01b\"",
		"unescaped newline":  "\"a\nb\"",
		"bad escape":         `"\x"`,
		"number then letter": `1a`,
	} {
		t.Run(name, func(t *testing.T) {
			out, err := streetdesk.Canonicalize([]byte(in))
			if err == nil {
				t.Fatalf("accepted, gave %s", out)
			}
			if streetdesk.ErrorCode(err) != streetdesk.EINVALID {
				t.Errorf("code %s: %v", streetdesk.ErrorCode(err), err)
			}
		})
	}
}

func TestCanonicalJSONOfStruct(t *testing.T) {
	v := struct {
		Z string            `json:"z"`
		A []int             `json:"a"`
		M map[string]string `json:"m"`
		H string            `json:"h"`
	}{"<&>", []int{3, 1}, map[string]string{"中": "文", "b": "a"}, "\u2028"}
	got, err := streetdesk.CanonicalJSON(v)
	if err != nil {
		t.Fatal(err)
	}
	// encoding/json escapes <, & and > and U+2028 as \u00XX; the canonical
	// form writes them as themselves.
	want := "{\"a\":[3,1],\"h\":\"\u2028\",\"m\":{\"b\":\"a\",\"中\":\"文\"},\"z\":\"<&>\"}"
	if string(got) != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
}

// FuzzCanonicalize: whatever encoding/json accepts is either refused with
// EINVALID or canonicalized into valid JSON that means the same, is a fixed
// point, and has no insignificant whitespace.
func FuzzCanonicalize(f *testing.F) {
	for _, s := range []string{
		`{"numbers":[333333333.33333329,1E30,4.50,2e-3,0.000000000000000000000000001]}`,
		`{"b":1,"a":{"d":[true,false,null],"c":"\u00e9\ud83d\ude00"}}`,
		`[1e21,1e-7,123456789012345678901234567890,-0,0.1]`,
		`"\u0000\"\\\/\b\f\n\r\t"`,
		`{"":{"":[]}}`,
		`{"a":1,"a":2}`,
		`"\ud800"`,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		out, err := streetdesk.Canonicalize(in)
		if err != nil {
			if streetdesk.ErrorCode(err) != streetdesk.EINVALID {
				t.Fatalf("error without EINVALID: %v", err)
			}
			return
		}
		if !json.Valid(in) {
			t.Fatalf("accepted invalid JSON %q → %q", in, out)
		}
		if !json.Valid(out) {
			t.Fatalf("produced invalid JSON %q from %q", out, in)
		}
		again, err := streetdesk.Canonicalize(out)
		if err != nil {
			t.Fatalf("canonical form refused: %q: %v", out, err)
		}
		if !bytes.Equal(again, out) {
			t.Fatalf("not a fixed point:\n%q\n%q", out, again)
		}
		var a, b any
		if err := json.Unmarshal(in, &a); err != nil {
			t.Fatalf("unmarshal input: %v", err)
		}
		if err := json.Unmarshal(out, &b); err != nil {
			t.Fatalf("unmarshal output: %v", err)
		}
		if !reflect.DeepEqual(a, b) {
			t.Fatalf("meaning changed:\n%q → %#v\n%q → %#v", in, a, out, b)
		}
	})
}

// sameAsReference fails t unless Canonicalize and the reference
// canonicalizer agree on in: the same bytes, or both refuse with EINVALID.
func sameAsReference(t *testing.T, in []byte) {
	t.Helper()
	got, err := streetdesk.Canonicalize(in)
	want, werr := refCanonicalize(in)
	switch {
	case err != nil && werr != nil:
		if streetdesk.ErrorCode(err) != streetdesk.EINVALID {
			t.Fatalf("%q: error without EINVALID: %v", in, err)
		}
	case err != nil:
		t.Fatalf("%q: refused (%v), the reference gives %q", in, err, want)
	case werr != nil:
		t.Fatalf("%q: gave %q, the reference refuses: %v", in, got, werr)
	case !bytes.Equal(got, want):
		t.Fatalf("%q:\ngot  %q\nwant %q", in, got, want)
	}
}

// canonCorpus is documents of every shape (the RFC's examples, the refused
// ones, generated ones) and byte-level damage of them.
func canonCorpus() [][]byte {
	docs := []string{
		`{"numbers":[333333333.33333329,1E30,4.50,2e-3,0.000000000000000000000000001]}`,
		`{"b":1,"a":{"d":[true,false,null],"c":"\u00e9\ud83d\ude00"}}`,
		`[1e21,1e-7,123456789012345678901234567890,-0,0.1,-0.0,1E+2,1e-400,9007199254740993,-9007199254740993,999999999999999,-999999999999999,1000000000000000,-1000000000000000]`,
		`"\u0000\"\\\/\b\f\n\r\t\u001F\u007f\u2028\u2029"`,
		`{"":{"":[]}}`, `{"a":1,"a":2}`, `{"a":1,"b":2,"a":3}`, `"\ud800"`, `"\udc00"`, `"\ud83d\u0041"`, `"\ud83d\ude00\ud83d"`,
		"{\"\u20ac\":1,\"\\r\":2,\"\ufb33\":3,\"1\":4,\"\\ud83d\\ude00\":5,\"\u0080\":6,\"\u00f6\":7,\"\U0001F600x\":8,\"\uffff\":9}",
		`{"k\u0061y":1,"kay":2}`, `{"a\/b":1,"a/b":2}`, `{"z":{"y":{"x":[{"b":1,"a":2}]}},"a":[]}`,
		" \t\r\n[ 1 , 2 ]\n ", `[]`, `{}`, `[[]]`, `""`, `"中文 <&> 😀"`, `true`, `false`, `null`, `0`, `-1.5e-3`,
		`{"a":1,}`, `[1,]`, `[,1]`, `{,}`, `{"a"}`, `{"a":}`, `{"a" 1}`, `{1:2}`, `[1 2]`, `tru`, `nul`, `-`, `-01`, `1.`, `1.e3`, `1e`, `1e+`, `.5`, `+1`,
		`"\u12"`, `"\uZZZZ"`, `"\q"`, `"abc`, `[`, `{"a":[}`, `01`, `1a`, `{} {}`, "\xef\xbb\xbf{}", "\"\xff\"", "[\"a\x00b\"]",
		strings.Repeat("[", 200) + strings.Repeat("]", 200), strings.Repeat("[", 201) + strings.Repeat("]", 201),
		strings.Repeat("[", 200) + "1" + strings.Repeat("]", 200), strings.Repeat(`{"a":`, 200) + "1" + strings.Repeat("}", 200),
	}
	r := rand.New(rand.NewPCG(16, 1000))
	for range 300 {
		docs = append(docs, string(randomJSON(r, 0)))
	}
	out := make([][]byte, 0, len(docs)*4)
	damage := []byte(`{}[]",:\ u0-1e.` + "\x00\n")
	for _, d := range docs {
		out = append(out, []byte(d))
		for range 3 {
			b := []byte(d)
			if len(b) == 0 {
				continue
			}
			i := r.IntN(len(b))
			switch r.IntN(3) {
			case 0:
				b = append(b[:i], b[i+1:]...)
			case 1:
				b[i] = damage[r.IntN(len(damage))]
			default:
				b = append(b[:i], append([]byte{damage[r.IntN(len(damage))]}, b[i:]...)...)
			}
			out = append(out, b)
		}
	}
	return out
}

// randomJSON writes a random document the way people and encoders do:
// members unsorted, escapes, whitespace, numbers of every form.
func randomJSON(r *rand.Rand, depth int) []byte {
	ws := func() string { return []string{"", "", " ", "\n  ", "\t"}[r.IntN(5)] }
	str := func() string {
		parts := []string{"a", "b", "Z", "中", "文", "😀", "é", "\u20ac", "\ufb33", "\\n", "\\u0041", "\\u00e9", "\\ud83d\\ude00", "\\\"", "\\\\", "\\/", "<", "&", "\\u2028", "\\u001f", "\\t", " ", "key"}
		var b strings.Builder
		b.WriteByte('"')
		for range r.IntN(4) {
			b.WriteString(parts[r.IntN(len(parts))])
		}
		b.WriteByte('"')
		return b.String()
	}
	num := func() string {
		return []string{"0", "-0", "1", "-17", "3.14", "1e3", "1E-3", "2.50", "123456789012345", "1234567890123456", "-1234567890123456",
			"12345678901234567890", "0.000001", "1e-7", "1e21", "1e300", "5e-324", "4.5e+1"}[r.IntN(18)]
	}
	if depth > 4 {
		if r.IntN(2) == 0 {
			return []byte(num())
		}
		return []byte(str())
	}
	var b bytes.Buffer
	switch r.IntN(6) {
	case 0:
		b.WriteString("{" + ws())
		n := r.IntN(6)
		used := map[string]bool{}
		first := true
		for range n {
			k := str()
			if used[k] {
				continue
			}
			used[k] = true
			if !first {
				b.WriteString("," + ws())
			}
			first = false
			b.WriteString(k + ws() + ":" + ws())
			b.Write(randomJSON(r, depth+1))
			b.WriteString(ws())
		}
		b.WriteString("}")
	case 1:
		b.WriteString("[" + ws())
		for i := range r.IntN(5) {
			if i > 0 {
				b.WriteString("," + ws())
			}
			b.Write(randomJSON(r, depth+1))
		}
		b.WriteString(ws() + "]")
	case 2:
		b.WriteString(str())
	case 3:
		b.WriteString(num())
	default:
		b.WriteString([]string{"true", "false", "null"}[r.IntN(3)])
	}
	return b.Bytes()
}

func TestCanonicalizeMatchesReference(t *testing.T) {
	for _, in := range canonCorpus() {
		sameAsReference(t, in)
	}
}

// FuzzCanonicalizeMatchesReference: the parser gives what the reference
// gives for any input.
func FuzzCanonicalizeMatchesReference(f *testing.F) {
	for _, in := range canonCorpus()[:200] {
		f.Add(in)
	}
	f.Fuzz(sameAsReference)
}
