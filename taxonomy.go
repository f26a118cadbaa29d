package streetdesk

import (
	_ "embed"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"sort"
	"strconv"
	"strings"
	"unicode/utf8"
)

// RequestKind is the nature of a citizen request; it sets the default time limit.
type RequestKind string

// Request kinds.
const (
	KindConsultation RequestKind = "consultation" // 咨询, 1 working day
	KindComplaint    RequestKind = "complaint"    // 投诉, 5
	KindHelp         RequestKind = "help"         // 求助, 5
	KindSuggestion   RequestKind = "suggestion"   // 建议, 5
	KindComplex      RequestKind = "complex"      // 疑难, 15 after approval
)

// DefaultWorkdays returns the usual time limit of a kind.
func (k RequestKind) DefaultWorkdays() int {
	switch k {
	case KindConsultation:
		return 1
	case KindComplex:
		return 15
	}
	return 5
}

// Valid reports whether k is known.
func (k RequestKind) Valid() bool {
	switch k {
	case KindConsultation, KindComplaint, KindHelp, KindSuggestion, KindComplex:
		return true
	}
	return false
}

// DutyItem is one leaf of the 3-level duty list: a category, the department
// responsible for it and its time limit.
type DutyItem struct {
	Category
	Kind            RequestKind `json:"kind"`
	ResolveWorkdays int         `json:"resolveWorkdays"`
	// EvidenceRadiusM, when set, replaces the default radius of the photo
	// evidence checks for this category (see EvidencePolicyFrom).
	EvidenceRadiusM int `json:"evidenceRadiusM,omitempty"`
}

// Limit returns the item's time limit.
func (d DutyItem) Limit() TimeLimit {
	return TimeLimit{AcceptWorkdays: 1, ContactWorkdays: 1, ResolveWorkdays: d.ResolveWorkdays}
}

// Taxonomy is the duty list (职责清单), indexed by level-3 code.
type Taxonomy struct {
	Items []DutyItem
	byL3  map[string]int
}

// Lookup returns the item with level-3 code l3.
func (t *Taxonomy) Lookup(l3 string) (DutyItem, bool) {
	i, ok := t.byL3[l3]
	if !ok {
		return DutyItem{}, false
	}
	return t.Items[i], true
}

// Level1 returns the distinct level-1 (code, name) pairs in code order.
func (t *Taxonomy) Level1() [][2]string {
	seen := map[string]string{}
	for _, it := range t.Items {
		seen[it.L1Code] = it.L1Name
	}
	out := make([][2]string, 0, len(seen))
	for c, n := range seen {
		out = append(out, [2]string{c, n})
	}
	sort.Slice(out, func(i, j int) bool { return out[i][0] < out[j][0] })
	return out
}

//go:embed taxonomy_sample.csv
var sampleTaxonomy string

// SampleTaxonomy returns the built-in sample duty list (Chinese, 45 leaves).
func SampleTaxonomy() *Taxonomy {
	return must(LoadTaxonomyCSV(strings.NewReader(sampleTaxonomy)))
}

var taxonomyHeader = []string{"l1_code", "l1_name", "l2_code", "l2_name", "l3_code", "l3_name", "department", "kind", "resolve_workdays"}

// LoadTaxonomyCSV reads a duty list in CSV with the header
// l1_code,l1_name,l2_code,l2_name,l3_code,l3_name,department,kind,resolve_workdays.
// resolve_workdays may be empty (the kind's default). Errors name the line.
func LoadTaxonomyCSV(r io.Reader) (*Taxonomy, error) {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	head, err := cr.Read()
	if err != nil {
		if errors.Is(err, io.EOF) {
			return nil, Errorf(EINVALID, "duty list: empty file")
		}
		return nil, Errorf(EINVALID, "duty list line 1: %v", err)
	}
	if len(head) > 0 {
		head[0] = strings.TrimPrefix(head[0], "\ufeff") // Excel's BOM
	}
	if strings.Join(head, ",") != strings.Join(taxonomyHeader, ",") {
		return nil, Errorf(EINVALID, "duty list line 1: header must be %s", strings.Join(taxonomyHeader, ","))
	}
	var items []DutyItem
	var lines []int
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				return nil, Errorf(EINVALID, "duty list line %d: %v", pe.Line, pe.Err)
			}
			return nil, Errorf(EINVALID, "duty list: %v", err)
		}
		if len(rec) != len(taxonomyHeader) {
			return nil, Errorf(EINVALID, "duty list line %d: want %d fields, got %d", line, len(taxonomyHeader), len(rec))
		}
		it := DutyItem{Category: Category{
			L1Code: rec[0], L1Name: rec[1], L2Code: rec[2], L2Name: rec[3],
			L3Code: rec[4], L3Name: rec[5], Department: rec[6],
		}, Kind: RequestKind(rec[7])}
		if s := strings.TrimSpace(rec[8]); s != "" {
			n, err := strconv.Atoi(s)
			if err != nil {
				return nil, Errorf(EINVALID, "duty list line %d: resolve_workdays %q is not a number", line, s)
			}
			it.ResolveWorkdays = n
		}
		items = append(items, it)
		lines = append(lines, line)
	}
	return newTaxonomy(items, func(i int) string { return fmt.Sprintf("line %d", lines[i]) })
}

// LoadTaxonomyJSON reads a duty list as a JSON array of DutyItem objects.
// Errors name the line and the item.
func LoadTaxonomyJSON(r io.Reader) (*Taxonomy, error) {
	data, err := io.ReadAll(io.LimitReader(r, 16<<20))
	if err != nil {
		return nil, fmt.Errorf("read duty list: %w", err)
	}
	var items []DutyItem
	if err := json.Unmarshal(data, &items); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			return nil, Errorf(EINVALID, "duty list line %d: %v", lineAt(data, se.Offset), se)
		case errors.As(err, &te):
			return nil, Errorf(EINVALID, "duty list line %d: field %s: want %s, got %s", lineAt(data, te.Offset), te.Field, te.Type, te.Value)
		}
		return nil, Errorf(EINVALID, "duty list: %v", err)
	}
	// Locate each item's line for validation messages.
	starts := itemLines(data)
	return newTaxonomy(items, func(i int) string {
		if i < len(starts) {
			return fmt.Sprintf("line %d (item %d)", starts[i], i+1)
		}
		return fmt.Sprintf("item %d", i+1)
	})
}

func lineAt(data []byte, off int64) int {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	return 1 + strings.Count(string(data[:off]), "\n")
}

// itemLines returns the line of each top-level array element's '{'.
func itemLines(data []byte) []int {
	var out []int
	depth, line := 0, 1
	inStr, esc := false, false
	for _, b := range data {
		switch {
		case b == '\n':
			line++
		case inStr:
			if esc {
				esc = false
			} else if b == '\\' {
				esc = true
			} else if b == '"' {
				inStr = false
			}
			continue
		case b == '"':
			inStr = true
		case b == '{' || b == '[':
			if b == '{' && depth == 1 {
				out = append(out, line)
			}
			depth++
		case b == '}' || b == ']':
			depth--
		}
	}
	return out
}

func newTaxonomy(items []DutyItem, where func(int) string) (*Taxonomy, error) {
	if len(items) == 0 {
		return nil, Errorf(EINVALID, "duty list has no items")
	}
	t := &Taxonomy{Items: items, byL3: make(map[string]int, len(items))}
	for i := range t.Items {
		it := &t.Items[i]
		for _, f := range []struct{ name, v string }{
			{"l1_code", it.L1Code}, {"l1_name", it.L1Name}, {"l2_code", it.L2Code},
			{"l2_name", it.L2Name}, {"l3_code", it.L3Code}, {"l3_name", it.L3Name},
			{"department", it.Department},
		} {
			if strings.TrimSpace(f.v) == "" {
				return nil, Errorf(EINVALID, "duty list %s: %s is empty", where(i), f.name)
			}
			if !utf8.ValidString(f.v) {
				return nil, Errorf(EINVALID, "duty list %s: %s is not valid UTF-8", where(i), f.name)
			}
		}
		if !strings.HasPrefix(it.L2Code, it.L1Code) || !strings.HasPrefix(it.L3Code, it.L2Code) {
			return nil, Errorf(EINVALID, "duty list %s: code %s does not extend its parent codes %s/%s", where(i), it.L3Code, it.L1Code, it.L2Code)
		}
		if it.Kind == "" {
			it.Kind = KindComplaint
		}
		if !it.Kind.Valid() {
			return nil, Errorf(EINVALID, "duty list %s: unknown kind %q", where(i), it.Kind)
		}
		if it.ResolveWorkdays == 0 {
			it.ResolveWorkdays = it.Kind.DefaultWorkdays()
		}
		if it.ResolveWorkdays < 0 || it.ResolveWorkdays > 60 {
			return nil, Errorf(EINVALID, "duty list %s: resolve_workdays %d out of range 1–60", where(i), it.ResolveWorkdays)
		}
		if it.EvidenceRadiusM < 0 || it.EvidenceRadiusM > MaxEvidenceRadiusM {
			return nil, Errorf(EINVALID, "duty list %s: evidenceRadiusM %d out of range 0–%d", where(i), it.EvidenceRadiusM, MaxEvidenceRadiusM)
		}
		if j, dup := t.byL3[it.L3Code]; dup {
			return nil, Errorf(EINVALID, "duty list %s: code %s already used by %s", where(i), it.L3Code, where(j))
		}
		t.byL3[it.L3Code] = i
	}
	return t, nil
}
