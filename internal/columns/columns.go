// Package columns lines up tab-separated text for a terminal, counting a
// Chinese character as the two columns it takes on screen.
// text/tabwriter counts it as one, so a table with names or titles in
// Chinese came out ragged.
package columns

import (
	"bytes"
	"io"
	"strings"
	"unicode/utf8"

	"golang.org/x/text/width"
)

// Writer takes lines of cells separated by tabs, as text/tabwriter does, and
// writes them at Flush with every cell but the line's last padded to its
// column's width plus two spaces.
type Writer struct {
	out io.Writer
	buf bytes.Buffer
}

// NewWriter returns a Writer that writes to out.
func NewWriter(out io.Writer) *Writer { return &Writer{out: out} }

func (w *Writer) Write(p []byte) (int, error) { return w.buf.Write(p) }

const gap = 2

// Flush writes the lines written so far, aligned.
func (w *Writer) Flush() error {
	text := w.buf.String()
	w.buf.Reset()
	lines := strings.SplitAfter(text, "\n")
	var widths []int
	rows := make([][]string, len(lines))
	for i, l := range lines {
		rows[i] = strings.Split(l, "\t")
		for j, c := range rows[i][:len(rows[i])-1] {
			if j == len(widths) {
				widths = append(widths, 0)
			}
			widths[j] = max(widths[j], Width(c))
		}
	}
	var out, line bytes.Buffer
	for _, cells := range rows {
		last := len(cells) - 1
		line.Reset()
		for j, c := range cells[:last] {
			line.WriteString(c)
			line.WriteString(strings.Repeat(" ", widths[j]-Width(c)+gap))
		}
		rest := cells[last]
		if strings.TrimSpace(rest) == "" { // no spaces left trailing when the last cells are empty
			out.Write(bytes.TrimRight(line.Bytes(), " "))
		} else {
			out.Write(line.Bytes())
		}
		out.WriteString(rest)
	}
	_, err := w.out.Write(out.Bytes())
	return err
}

// Width is how many terminal columns s takes: two for each wide or
// full-width character (Chinese, full-width punctuation), none for
// combining marks, one for the rest.
func Width(s string) int {
	n := 0
	for len(s) > 0 {
		r, size := utf8.DecodeRuneInString(s)
		s = s[size:]
		switch p := width.LookupRune(r); {
		case p.Kind() == width.EastAsianWide || p.Kind() == width.EastAsianFullwidth:
			n += 2
		case r == 0x200b || r >= 0x300 && r < 0x370: // zero-width space, combining marks
		default:
			n++
		}
	}
	return n
}
