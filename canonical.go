package streetdesk

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
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
func Canonicalize(raw []byte) ([]byte, error) {
	if !utf8.Valid(raw) {
		return nil, Errorf(EINVALID, "canonical JSON: not valid UTF-8")
	}
	// encoding/json reads a lone surrogate escape as U+FFFD, which would
	// make two different documents canonicalize alike: refuse them first.
	if err := checkSurrogates(raw); err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var buf bytes.Buffer
	buf.Grow(len(raw))
	if err := canonValue(dec, &buf, 0); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, Errorf(EINVALID, "canonical JSON: trailing data after the document")
	}
	return buf.Bytes(), nil
}

// CanonicalJSON marshals v with encoding/json and canonicalizes the result.
func CanonicalJSON(v any) ([]byte, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("canonical JSON: %w", err)
	}
	return Canonicalize(raw)
}

func canonErr(err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return Errorf(EINVALID, "canonical JSON: malformed document: %v", err)
	}
	return Errorf(EINVALID, "canonical JSON: %v", err)
}

func canonValue(dec *json.Decoder, buf *bytes.Buffer, depth int) error {
	if depth > maxCanonicalDepth {
		return Errorf(EINVALID, "canonical JSON: nested deeper than %d", maxCanonicalDepth)
	}
	tok, err := dec.Token()
	if err != nil {
		return canonErr(err)
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			return canonObject(dec, buf, depth)
		case '[':
			buf.WriteByte('[')
			for i := 0; dec.More(); i++ {
				if i > 0 {
					buf.WriteByte(',')
				}
				if err := canonValue(dec, buf, depth+1); err != nil {
					return err
				}
			}
			if _, err := dec.Token(); err != nil { // ']'
				return canonErr(err)
			}
			buf.WriteByte(']')
			return nil
		}
		return Errorf(EINVALID, "canonical JSON: unexpected %q", rune(t))
	case string:
		return canonString(buf, t)
	case json.Number:
		s, err := canonNumber(string(t))
		if err != nil {
			return err
		}
		buf.WriteString(s)
	case bool:
		if t {
			buf.WriteString("true")
		} else {
			buf.WriteString("false")
		}
	case nil:
		buf.WriteString("null")
	}
	return nil
}

func canonObject(dec *json.Decoder, buf *bytes.Buffer, depth int) error {
	type member struct {
		key  string
		u16  []uint16
		text []byte
	}
	var ms []member
	seen := map[string]bool{}
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return canonErr(err)
		}
		key, ok := tok.(string)
		if !ok {
			return Errorf(EINVALID, "canonical JSON: object key is not a string")
		}
		if seen[key] {
			return Errorf(EINVALID, "canonical JSON: duplicate member %q", key)
		}
		seen[key] = true
		var vb bytes.Buffer
		if err := canonValue(dec, &vb, depth+1); err != nil {
			return err
		}
		ms = append(ms, member{key: key, u16: utf16.Encode([]rune(key)), text: vb.Bytes()})
	}
	if _, err := dec.Token(); err != nil { // '}'
		return canonErr(err)
	}
	sort.Slice(ms, func(i, j int) bool { return lessUTF16(ms[i].u16, ms[j].u16) })
	buf.WriteByte('{')
	for i, m := range ms {
		if i > 0 {
			buf.WriteByte(',')
		}
		if err := canonString(buf, m.key); err != nil {
			return err
		}
		buf.WriteByte(':')
		buf.Write(m.text)
	}
	buf.WriteByte('}')
	return nil
}

func lessUTF16(a, b []uint16) bool {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return len(a) < len(b)
}

// canonString writes s as a JSON string with the minimal escaping of RFC
// 8785 §3.2.2.2.
func canonString(buf *bytes.Buffer, s string) error {
	buf.WriteByte('"')
	for _, r := range s {
		switch {
		case r == '"':
			buf.WriteString(`\"`)
		case r == '\\':
			buf.WriteString(`\\`)
		case r == '\b':
			buf.WriteString(`\b`)
		case r == '\t':
			buf.WriteString(`\t`)
		case r == '\n':
			buf.WriteString(`\n`)
		case r == '\f':
			buf.WriteString(`\f`)
		case r == '\r':
			buf.WriteString(`\r`)
		case r < 0x20:
			fmt.Fprintf(buf, `\u%04x`, r)
		default:
			buf.WriteRune(r)
		}
	}
	buf.WriteByte('"')
	return nil
}

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

// checkSurrogates refuses \u escapes of UTF-16 surrogates that do not form
// a high-low pair. It only looks inside strings; the decoder checks the rest
// of the syntax.
func checkSurrogates(raw []byte) error {
	hex4 := func(i int) (rune, bool) {
		if i+4 > len(raw) {
			return 0, false
		}
		v, err := strconv.ParseUint(string(raw[i:i+4]), 16, 16)
		return rune(v), err == nil
	}
	in := false
	for i := 0; i < len(raw); i++ {
		c := raw[i]
		if !in {
			if c == '"' {
				in = true
			}
			continue
		}
		switch c {
		case '"':
			in = false
		case '\\':
			if i+1 >= len(raw) {
				return nil
			}
			i++
			if raw[i] != 'u' {
				continue
			}
			r, ok := hex4(i + 1)
			if !ok {
				continue // the decoder reports it
			}
			i += 4
			switch {
			case utf16.IsSurrogate(r) && r < 0xdc00:
				if i+6 < len(raw) && raw[i+1] == '\\' && raw[i+2] == 'u' {
					if lo, ok := hex4(i + 3); ok && lo >= 0xdc00 && lo <= 0xdfff {
						i += 6
						continue
					}
				}
				return Errorf(EINVALID, "canonical JSON: lone surrogate \\u%04x", r)
			case utf16.IsSurrogate(r):
				return Errorf(EINVALID, "canonical JSON: lone surrogate \\u%04x", r)
			}
		}
	}
	return nil
}
