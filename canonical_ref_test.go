package streetdesk_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"sort"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/streetdesk/streetdesk"
)

// The reference: the encoding/json-token canonicalizer that Canonicalize
// replaced. Every action-log hash ever written was computed with it, so the
// new parser must give the same bytes and refuse the same documents.

// refCanonicalize returns the canonical form of the JSON document raw. A
// document that is not valid JSON, or that falls outside the I-JSON subset,
// is EINVALID.
func refCanonicalize(raw []byte) ([]byte, error) {
	if !utf8.Valid(raw) {
		return nil, streetdesk.Errorf(streetdesk.EINVALID, "canonical JSON: not valid UTF-8")
	}
	// encoding/json reads a lone surrogate escape as U+FFFD, which would
	// make two different documents canonicalize alike: refuse them first.
	if err := refCheckSurrogates(raw); err != nil {
		return nil, err
	}
	dec := json.NewDecoder(bytes.NewReader(raw))
	dec.UseNumber()
	var buf bytes.Buffer
	buf.Grow(len(raw))
	if err := refCanonValue(dec, &buf, 0); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, streetdesk.Errorf(streetdesk.EINVALID, "canonical JSON: trailing data after the document")
	}
	return buf.Bytes(), nil
}

// refCanonicalJSON marshals v with encoding/json and canonicalizes the result.
func refCanonicalJSON(v any) ([]byte, error) {
	raw, err := json.Marshal(v)
	if err != nil {
		return nil, fmt.Errorf("canonical JSON: %w", err)
	}
	return refCanonicalize(raw)
}

func refCanonErr(err error) error {
	var se *json.SyntaxError
	if errors.As(err, &se) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, io.EOF) {
		return streetdesk.Errorf(streetdesk.EINVALID, "canonical JSON: malformed document: %v", err)
	}
	return streetdesk.Errorf(streetdesk.EINVALID, "canonical JSON: %v", err)
}

func refCanonValue(dec *json.Decoder, buf *bytes.Buffer, depth int) error {
	if depth > refMaxDepth {
		return streetdesk.Errorf(streetdesk.EINVALID, "canonical JSON: nested deeper than %d", refMaxDepth)
	}
	tok, err := dec.Token()
	if err != nil {
		return refCanonErr(err)
	}
	switch t := tok.(type) {
	case json.Delim:
		switch t {
		case '{':
			return refCanonObject(dec, buf, depth)
		case '[':
			buf.WriteByte('[')
			for i := 0; dec.More(); i++ {
				if i > 0 {
					buf.WriteByte(',')
				}
				if err := refCanonValue(dec, buf, depth+1); err != nil {
					return err
				}
			}
			if _, err := dec.Token(); err != nil { // ']'
				return refCanonErr(err)
			}
			buf.WriteByte(']')
			return nil
		}
		return streetdesk.Errorf(streetdesk.EINVALID, "canonical JSON: unexpected %q", rune(t))
	case string:
		return refCanonString(buf, t)
	case json.Number:
		s, err := refCanonNumber(string(t))
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

func refCanonObject(dec *json.Decoder, buf *bytes.Buffer, depth int) error {
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
			return refCanonErr(err)
		}
		key, ok := tok.(string)
		if !ok {
			return streetdesk.Errorf(streetdesk.EINVALID, "canonical JSON: object key is not a string")
		}
		if seen[key] {
			return streetdesk.Errorf(streetdesk.EINVALID, "canonical JSON: duplicate member %q", key)
		}
		seen[key] = true
		var vb bytes.Buffer
		if err := refCanonValue(dec, &vb, depth+1); err != nil {
			return err
		}
		ms = append(ms, member{key: key, u16: utf16.Encode([]rune(key)), text: vb.Bytes()})
	}
	if _, err := dec.Token(); err != nil { // '}'
		return refCanonErr(err)
	}
	sort.Slice(ms, func(i, j int) bool { return refLessUTF16(ms[i].u16, ms[j].u16) })
	buf.WriteByte('{')
	for i, m := range ms {
		if i > 0 {
			buf.WriteByte(',')
		}
		if err := refCanonString(buf, m.key); err != nil {
			return err
		}
		buf.WriteByte(':')
		buf.Write(m.text)
	}
	buf.WriteByte('}')
	return nil
}

func refLessUTF16(a, b []uint16) bool {
	for i := 0; i < len(a) && i < len(b); i++ {
		if a[i] != b[i] {
			return a[i] < b[i]
		}
	}
	return len(a) < len(b)
}

// refCanonString writes s as a JSON string with the minimal escaping of RFC
// 8785 §3.2.2.2.
func refCanonString(buf *bytes.Buffer, s string) error {
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

// refCheckSurrogates refuses \u escapes of UTF-16 surrogates that do not form
// a high-low pair. It only looks inside strings; the decoder checks the rest
// of the syntax.
func refCheckSurrogates(raw []byte) error {
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
				return streetdesk.Errorf(streetdesk.EINVALID, "canonical JSON: lone surrogate \\u%04x", r)
			case utf16.IsSurrogate(r):
				return streetdesk.Errorf(streetdesk.EINVALID, "canonical JSON: lone surrogate \\u%04x", r)
			}
		}
	}
	return nil
}

func refCanonNumber(lit string) (string, error) {
	f, err := strconv.ParseFloat(lit, 64)
	if err != nil || math.IsInf(f, 0) || math.IsNaN(f) {
		return "", streetdesk.Errorf(streetdesk.EINVALID, "canonical JSON: number %s is outside the range of a double", lit)
	}
	return streetdesk.FormatJSNumber(f), nil
}

const refMaxDepth = 200
