package streetdesk

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// Canonical JSON in the style of RFC 8785 (JSON Canonicalization Scheme):
// the same data always gives the same bytes, so a hash of them can be
// recomputed by anyone, in any language, from the parsed data alone. The
// rules: no insignificant whitespace; object members sorted by the UTF-16
// code units of their names; strings escaped minimally (only '"', '\\' and
// control characters, the latter as \b \t \n \f \r or \u00xx); numbers as
// ECMAScript's Number.prototype.toString writes an IEEE-754 double; true,
// false and null as is. Duplicate member names, invalid UTF-8, lone
// surrogate escapes and numbers outside the range of a double are refused,
// as the RFC requires (its I-JSON subset).

// maxCanonicalDepth bounds nesting so a hostile document cannot exhaust the
// stack.
const maxCanonicalDepth = 200

// Canonicalize returns the canonical form of the JSON document raw. A
// document that is not valid JSON, or that falls outside the I-JSON subset,
// is EINVALID.
//
// It parses raw in one pass straight into the output (no decoder tokens,
// no per-value buffers): every push's action-log entries are canonicalized
// on both sides, so this is on the push's critical path. The result is
// byte for byte what the earlier encoding/json-based parser gave (kept as
// the reference in the tests, FuzzCanonicalizeMatchesReference).
func Canonicalize(raw []byte) ([]byte, error) {
	return appendCanonical(make([]byte, 0, len(raw)), raw)
}

// appendCanonical appends the canonical form of raw to dst.
func appendCanonical(dst, raw []byte) ([]byte, error) {
	if !utf8.Valid(raw) {
		return nil, Errorf(EINVALID, "canonical JSON: not valid UTF-8")
	}
	p := canonParser{in: raw, out: dst}
	p.skipSpace()
	if err := p.value(0); err != nil {
		return nil, err
	}
	p.skipSpace()
	if p.i != len(p.in) {
		return nil, Errorf(EINVALID, "canonical JSON: trailing data after the document")
	}
	return p.out, nil
}

// CanonicalJSON marshals v with encoding/json and canonicalizes the result.
func CanonicalJSON(v any) ([]byte, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("canonical JSON: %w", err)
	}
	return Canonicalize(raw)
}

// canonParser reads in (valid UTF-8) and appends the canonical form to out.
type canonParser struct {
	in      []byte
	i       int
	out     []byte
	scratch []byte // an object's members while they are put in order
	key     []byte // a key's decoded text when it holds escapes
}

func (p *canonParser) malformed(what string) error {
	if p.i >= len(p.in) {
		return Errorf(EINVALID, "canonical JSON: malformed document: unexpected end of JSON input")
	}
	return Errorf(EINVALID, "canonical JSON: malformed document: %s at offset %d", what, p.i)
}

func (p *canonParser) skipSpace() {
	for p.i < len(p.in) {
		switch p.in[p.i] {
		case ' ', '\t', '\n', '\r':
			p.i++
		default:
			return
		}
	}
}

// value appends one value; p.i is at its first byte.
func (p *canonParser) value(depth int) error {
	if depth > maxCanonicalDepth {
		return Errorf(EINVALID, "canonical JSON: nested deeper than %d", maxCanonicalDepth)
	}
	if p.i >= len(p.in) {
		return p.malformed("")
	}
	switch c := p.in[p.i]; {
	case c == '{':
		return p.object(depth)
	case c == '[':
		return p.array(depth)
	case c == '"':
		s, escaped, err := p.str()
		if err != nil {
			return err
		}
		if !escaped {
			// Without escapes the text is its own canonical form: '"', '\\'
			// and control characters cannot appear unescaped.
			p.out = append(p.out, '"')
			p.out = append(p.out, s...)
			p.out = append(p.out, '"')
			return nil
		}
		p.out = appendCanonString(p.out, s)
		return nil
	case c == 't':
		return p.literal("true")
	case c == 'f':
		return p.literal("false")
	case c == 'n':
		return p.literal("null")
	case c == '-' || c >= '0' && c <= '9':
		return p.number()
	}
	return p.malformed("invalid character")
}

func (p *canonParser) literal(word string) error {
	if len(p.in)-p.i < len(word) || string(p.in[p.i:p.i+len(word)]) != word {
		return p.malformed("invalid literal")
	}
	p.i += len(word)
	p.out = append(p.out, word...)
	return nil
}

// number checks RFC 8259's number grammar and appends the canonical number.
func (p *canonParser) number() error {
	start := p.i
	digits := func() int {
		n := 0
		for p.i < len(p.in) && p.in[p.i] >= '0' && p.in[p.i] <= '9' {
			p.i++
			n++
		}
		return n
	}
	if p.in[p.i] == '-' {
		p.i++
	}
	switch {
	case p.i < len(p.in) && p.in[p.i] == '0':
		p.i++
	case digits() == 0:
		return p.malformed("invalid number")
	}
	integer := true
	if p.i < len(p.in) && p.in[p.i] == '.' {
		p.i++
		integer = false
		if digits() == 0 {
			return p.malformed("invalid number")
		}
	}
	if p.i < len(p.in) && (p.in[p.i] == 'e' || p.in[p.i] == 'E') {
		p.i++
		integer = false
		if p.i < len(p.in) && (p.in[p.i] == '+' || p.in[p.i] == '-') {
			p.i++
		}
		if digits() == 0 {
			return p.malformed("invalid number")
		}
	}
	lit := p.in[start:p.i]
	// An integer of up to 15 digits is a double exactly and ECMAScript
	// writes it as it stands (the grammar forbids leading zeros); only -0
	// becomes 0.
	if n := len(lit); integer && (n <= 15 || n == 16 && lit[0] == '-') {
		if string(lit) == "-0" {
			lit = lit[1:]
		}
		p.out = append(p.out, lit...)
		return nil
	}
	s, err := canonNumber(string(lit))
	if err != nil {
		return err
	}
	p.out = append(p.out, s...)
	return nil
}

func (p *canonParser) array(depth int) error {
	p.i++ // '['
	p.out = append(p.out, '[')
	p.skipSpace()
	if p.i < len(p.in) && p.in[p.i] == ']' {
		p.i++
		p.out = append(p.out, ']')
		return nil
	}
	for {
		if err := p.value(depth + 1); err != nil {
			return err
		}
		p.skipSpace()
		if p.i >= len(p.in) {
			return p.malformed("")
		}
		switch p.in[p.i] {
		case ',':
			p.i++
			p.out = append(p.out, ',')
			p.skipSpace()
		case ']':
			p.i++
			p.out = append(p.out, ']')
			return nil
		default:
			return p.malformed("expected ',' or ']' after an array element")
		}
	}
}

// canonMember is an object member written to out[start:end] as
// "name":value; key is the decoded name.
type canonMember struct {
	key        []byte
	start, end int
}

func (p *canonParser) object(depth int) error {
	p.i++ // '{'
	open := len(p.out)
	p.out = append(p.out, '{')
	p.skipSpace()
	if p.i < len(p.in) && p.in[p.i] == '}' {
		p.i++
		p.out = append(p.out, '}')
		return nil
	}
	var small [16]canonMember
	ms := small[:0]
	inOrder := true
	for {
		if p.i >= len(p.in) || p.in[p.i] != '"' {
			return Errorf(EINVALID, "canonical JSON: object key is not a string")
		}
		// An escaped key is decoded into its own copy: p.key is reused
		// by the next one.
		key, escaped, err := p.str()
		if err != nil {
			return err
		}
		if escaped {
			key = bytes.Clone(key)
		}
		if len(ms) > 0 {
			c := compareUTF16(ms[len(ms)-1].key, key)
			if c == 0 {
				return Errorf(EINVALID, "canonical JSON: duplicate member %q", key)
			}
			inOrder = inOrder && c < 0
			p.out = append(p.out, ',')
		}
		start := len(p.out)
		p.out = appendCanonString(p.out, key)
		p.skipSpace()
		if p.i >= len(p.in) || p.in[p.i] != ':' {
			return p.malformed("expected ':' after an object key")
		}
		p.i++
		p.out = append(p.out, ':')
		p.skipSpace()
		if err := p.value(depth + 1); err != nil {
			return err
		}
		ms = append(ms, canonMember{key: key, start: start, end: len(p.out)})
		p.skipSpace()
		if p.i >= len(p.in) {
			return p.malformed("")
		}
		c := p.in[p.i]
		p.i++
		if c == '}' {
			break
		}
		if c != ',' {
			p.i--
			return p.malformed("expected ',' or '}' after an object member")
		}
		p.skipSpace()
	}
	if !inOrder {
		slices.SortFunc(ms, func(a, b canonMember) int { return compareUTF16(a.key, b.key) })
		for i := 1; i < len(ms); i++ {
			if bytes.Equal(ms[i-1].key, ms[i].key) {
				return Errorf(EINVALID, "canonical JSON: duplicate member %q", ms[i].key)
			}
		}
		// Rewrite the members in order after the '{'.
		p.scratch = append(p.scratch[:0], p.out[open:]...)
		p.out = p.out[:open+1]
		for i, m := range ms {
			if i > 0 {
				p.out = append(p.out, ',')
			}
			p.out = append(p.out, p.scratch[m.start-open:m.end-open]...)
		}
	}
	p.out = append(p.out, '}')
	return nil
}

// str reads the string at p.i (its opening quote) and returns its decoded
// text, which aliases the input when it holds no escape (escaped false)
// and p.key otherwise.
func (p *canonParser) str() (s []byte, escaped bool, err error) {
	p.i++ // '"'
	start := p.i
	for p.i < len(p.in) {
		c := p.in[p.i]
		switch {
		case c == '"':
			p.i++
			return p.in[start : p.i-1], false, nil
		case c == '\\':
			return p.strEscaped(start)
		case c < 0x20:
			return nil, false, p.malformed("control character in a string")
		}
		p.i++
	}
	return nil, false, p.malformed("")
}

// strEscaped decodes the rest of a string holding escapes (p.i at the
// first backslash) into p.key.
func (p *canonParser) strEscaped(start int) ([]byte, bool, error) {
	b := append(p.key[:0], p.in[start:p.i]...)
	for p.i < len(p.in) {
		c := p.in[p.i]
		switch {
		case c == '"':
			p.i++
			p.key = b
			return b, true, nil
		case c < 0x20:
			return nil, false, p.malformed("control character in a string")
		case c != '\\':
			b = append(b, c)
			p.i++
			continue
		}
		p.i++
		if p.i >= len(p.in) {
			break
		}
		e := p.in[p.i]
		p.i++
		switch e {
		case '"', '\\', '/':
			b = append(b, e)
		case 'b':
			b = append(b, '\b')
		case 'f':
			b = append(b, '\f')
		case 'n':
			b = append(b, '\n')
		case 'r':
			b = append(b, '\r')
		case 't':
			b = append(b, '\t')
		case 'u':
			r, ok := p.hex4()
			if !ok {
				return nil, false, p.malformed("invalid \\u escape")
			}
			if utf16.IsSurrogate(r) {
				lo, ok := rune(0), false
				if r < 0xdc00 && p.i+1 < len(p.in) && p.in[p.i] == '\\' && p.in[p.i+1] == 'u' {
					p.i += 2
					lo, ok = p.hex4()
					ok = ok && lo >= 0xdc00 && lo <= 0xdfff
				}
				if !ok {
					return nil, false, Errorf(EINVALID, "canonical JSON: lone surrogate \\u%04x", r)
				}
				r = utf16.DecodeRune(r, lo)
			}
			b = utf8.AppendRune(b, r)
		default:
			return nil, false, p.malformed("invalid escape")
		}
	}
	return nil, false, p.malformed("")
}

func (p *canonParser) hex4() (rune, bool) {
	if len(p.in)-p.i < 4 {
		return 0, false
	}
	var r rune
	for _, c := range p.in[p.i : p.i+4] {
		switch {
		case c >= '0' && c <= '9':
			c -= '0'
		case c >= 'a' && c <= 'f':
			c -= 'a' - 10
		case c >= 'A' && c <= 'F':
			c -= 'A' - 10
		default:
			return 0, false
		}
		r = r<<4 | rune(c)
	}
	p.i += 4
	return r, true
}

// compareUTF16 orders two names by their UTF-16 code units (RFC 8785
// §3.2.3), reading them as UTF-8.
func compareUTF16(a, b []byte) int {
	for len(a) > 0 && len(b) > 0 {
		if a[0] == b[0] && a[0] < utf8.RuneSelf {
			a, b = a[1:], b[1:]
			continue
		}
		ra, na := utf8.DecodeRune(a)
		rb, nb := utf8.DecodeRune(b)
		if ra != rb {
			// Past the BMP a rune's first unit is its high surrogate;
			// with the same first unit the rest follows the runes.
			if ua, ub := firstUTF16(ra), firstUTF16(rb); ua != ub {
				return cmp.Compare(ua, ub)
			}
			return cmp.Compare(ra, rb)
		}
		a, b = a[na:], b[nb:]
	}
	return cmp.Compare(len(a), len(b))
}

func firstUTF16(r rune) rune {
	if r < 0x10000 {
		return r
	}
	return 0xd800 + (r-0x10000)>>10
}

// appendCanonString appends s as a JSON string with the minimal escaping of
// RFC 8785 §3.2.2.2. Invalid UTF-8 becomes U+FFFD byte by byte, as
// encoding/json writes it.
func appendCanonString[S ~string | ~[]byte](dst []byte, s S) []byte {
	dst = append(dst, '"')
	run := 0 // start of the bytes not yet copied
	for i := 0; i < len(s); {
		c := s[i]
		if c >= utf8.RuneSelf {
			var buf [utf8.UTFMax]byte
			r, n := utf8.DecodeRune(buf[:copy(buf[:], s[i:])])
			if r == utf8.RuneError && n == 1 {
				dst = append(dst, s[run:i]...)
				dst = append(dst, "\uFFFD"...)
				i++
				run = i
				continue
			}
			i += n
			continue
		}
		if c >= 0x20 && c != '"' && c != '\\' {
			i++
			continue
		}
		dst = append(dst, s[run:i]...)
		switch c {
		case '"':
			dst = append(dst, `\"`...)
		case '\\':
			dst = append(dst, `\\`...)
		case '\b':
			dst = append(dst, `\b`...)
		case '\t':
			dst = append(dst, `\t`...)
		case '\n':
			dst = append(dst, `\n`...)
		case '\f':
			dst = append(dst, `\f`...)
		case '\r':
			dst = append(dst, `\r`...)
		default:
			dst = append(dst, `\u00`...)
			dst = append(dst, hexDigits[c>>4], hexDigits[c&0xf])
		}
		i++
		run = i
	}
	dst = append(dst, s[run:]...)
	return append(dst, '"')
}

const hexDigits = "0123456789abcdef"

// canonNumber formats a JSON number as ECMAScript does for the double it
// denotes (RFC 8785 §3.2.2.3).
func canonNumber(lit string) (string, error) {
	f, err := strconv.ParseFloat(lit, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return "", Errorf(EINVALID, "canonical JSON: number %s is outside the range of a double", lit)
	}
	return FormatJSNumber(f), nil
}

// FormatJSNumber formats f as ECMAScript's Number.prototype.toString does
// (shortest round-trip digits; fixed notation for 1e-6 ≤ |f| < 1e21,
// exponential otherwise). f must be finite; -0 is written "0".
func FormatJSNumber(f float64) string {
	if f == 0 {
		return "0"
	}
	neg := f < 0
	if neg {
		f = -f
	}
	// Shortest digits and the decimal exponent: d.ddddde±x.
	e := strconv.FormatFloat(f, 'e', -1, 64)
	mant, exps, _ := strings.Cut(e, "e")
	exp, _ := strconv.Atoi(exps)
	digits := strings.Replace(mant, ".", "", 1)
	k := len(digits)
	n := exp + 1 // the decimal point sits after n digits
	var s string
	switch {
	case k <= n && n <= 21:
		s = digits + strings.Repeat("0", n-k)
	case 0 < n && n <= 21:
		s = digits[:n] + "." + digits[n:]
	case -6 < n && n <= 0:
		s = "0." + strings.Repeat("0", -n) + digits
	default:
		sign := "+"
		if n-1 < 0 {
			sign = "-"
		}
		x := n - 1
		if x < 0 {
			x = -x
		}
		if k == 1 {
			s = digits + "e" + sign + strconv.Itoa(x)
		} else {
			s = digits[:1] + "." + digits[1:] + "e" + sign + strconv.Itoa(x)
		}
	}
	if neg {
		return "-" + s
	}
	return s
}
