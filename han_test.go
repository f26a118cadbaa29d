package streetdesk_test

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"unicode"
)

// hanAllowed are the Go files outside the translation files that may hold
// Chinese string literals, each with the reason.
var hanAllowed = map[string]string{
	// Data, not wording: matched, stored or made up, never translated.
	"hotspot.go":                    "province and city prefixes stripped from addresses (matched, not said)",
	"platform/seed.go":              "the reference platform's seed data: teams, people, sample orders",
	"platform/auth.go":              "the load-test teams' made-up names",
	"platform/track.go":             "the name citizens' ratings are recorded under (stored in the order's history)",
	"internal/fakedesk/samples.go":  "the fake desk's sample orders",
	"internal/fakedesk/fakedesk.go": "the fake desk's sample people and team",
	"internal/desktest/desktest.go": "the contract suite's sample texts",
	"cmd/sdload/desk.go":            "the load generator's sample texts",
	"cmd/sdload/run.go":             "the load generator's sample orders",
	"cmd/streetdesk/events.go":      "a flag's help example (an event title)",
	"cmd/platformd/open311.go":      "a flag's help example (a key holder's name)",
	"cmd/streetdesk/cli.go":         "the usage text glosses one term in Chinese (热点)",
	"ui/language.go":                "中文: a language is offered under its own name",
	// The platform's own words: it speaks to citizens and to other
	// clients, not through the desk's translation files. The desk words a
	// conflict from its code (docs/protocol.md, push results).
	"platform/track_words.go":  "the citizen tracking page's word file (zh and en)",
	"platform/push.go":         "push results' message: docs/protocol.md fixes one Chinese sentence for other clients",
	"platform/events.go":       "a refused proposal's message (protocol .message, as push.go)",
	"platform/open311.go":      "Open311 status notes the platform sends to GeoReport clients",
	"platform/open311_post.go": "the Open311 notice the platform sends with a posted request",
	"evidence/evidence.go":     "the evidence package's README, Chinese and English side by side",
	"evidence/html.go":         "the evidence page's word file (zh and en): the page is a document of its own",
}

// hanSkipped are the directories whose Go files are wording or sample data
// by nature.
var hanSkipped = []string{
	"ui/translation", // the desk's words
	"internal/demo",  // the demo's made-up orders
	"docs",
}

// TestNoChineseOutsideTranslation: a person's words live in ui/translation
// (zh-CN and en); the rest of the program speaks in codes and values. A
// Chinese string literal in a Go file elsewhere is wording in the wrong
// place, unless hanAllowed says why it must stay.
func TestNoChineseOutsideTranslation(t *testing.T) {
	fset := token.NewFileSet()
	found := map[string][]string{}
	err := filepath.WalkDir(".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		p := filepath.ToSlash(path)
		if d.IsDir() {
			if p != "." && (strings.HasPrefix(d.Name(), ".") || d.Name() == "testdata" || slices.Contains(hanSkipped, p)) {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			if lit, ok := n.(*ast.BasicLit); ok && (lit.Kind == token.STRING || lit.Kind == token.CHAR) {
				if s, err := strconv.Unquote(lit.Value); err == nil && hasHan(s) {
					found[p] = append(found[p], fmt.Sprintf("%d: %s", fset.Position(lit.Pos()).Line, lit.Value))
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for p, lits := range found {
		if _, ok := hanAllowed[p]; ok {
			continue
		}
		t.Errorf("%s has Chinese string literals (words belong in ui/translation):\n\t%s", p, strings.Join(lits, "\n\t"))
	}
	for p := range hanAllowed {
		if found[p] == nil {
			t.Errorf("hanAllowed lists %s, which has no Chinese string literals: drop it", p)
		}
	}
}

func hasHan(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}
