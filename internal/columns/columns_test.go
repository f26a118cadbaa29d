package columns_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/streetdesk/streetdesk/internal/columns"
)

func TestWidth(t *testing.T) {
	for _, c := range []struct {
		s    string
		want int
	}{
		{"", 0},
		{"cw01", 4},
		{"梁晓红", 6},
		{"城管组 A", 8},
		{"（电话）", 8}, // full-width parentheses
		{"剩余 22分钟", 11},
		{"é", 1}, // e + combining acute
		{"⚠", 1},
	} {
		if got := columns.Width(c.s); got != c.want {
			t.Errorf("Width(%q) = %d, want %d", c.s, got, c.want)
		}
	}
}

// TestAligned: every column starts at the same screen column on every
// line, whatever mix of Chinese and ASCII the cells before it hold; the
// last cell of a line is not padded.
func TestAligned(t *testing.T) {
	var b strings.Builder
	w := columns.NewWriter(&b)
	rows := [][]string{
		{"USERNAME", "ROLE", "NAME", "TEAM", "STREET OFFICE"},
		{"lead01", "lead", "刘组长", "城管组", "桂园街道"},
		{"cw01", "caseworker", "梁晓红", "城管组", "桂园街道"},
		{"dispatcher", "dispatcher", "12345派单员", "", ""},
	}
	for _, r := range rows {
		fmt.Fprintln(w, strings.Join(r, "\t"))
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(b.String(), "\n"), "\n")
	if len(lines) != len(rows) {
		t.Fatalf("%d lines:\n%s", len(lines), b.String())
	}
	// Where each cell starts, in screen columns.
	starts := func(l string, cells []string) []int {
		var out []int
		at := 0
		for _, c := range cells {
			i := strings.Index(l, c)
			if c == "" {
				out = append(out, -1)
				continue
			}
			out = append(out, at+columns.Width(l[:i]))
			at += columns.Width(l[:i]) + columns.Width(c)
			l = l[i+len(c):]
		}
		return out
	}
	want := starts(lines[0], rows[0])
	for i := range lines[1:] {
		got := starts(lines[i+1], rows[i+1])
		for j := range got {
			if got[j] >= 0 && got[j] != want[j] {
				t.Errorf("line %d cell %d starts at %d, header at %d:\n%s", i+1, j, got[j], want[j], b.String())
			}
		}
	}
	for _, l := range lines {
		if strings.HasSuffix(l, " ") {
			t.Errorf("spaces left trailing: %q", l)
		}
	}
}
