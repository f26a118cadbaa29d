package main

import (
	"bytes"
	"encoding/json"
	"os"
	"reflect"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/evidence"
)

// jsonOutputs are the types each `--json` command prints, by the name
// docs/cli.md gives its example (```json output=NAME).
var jsonOutputs = map[string]func() any{
	"status":    func() any { return &statusJSON{} },
	"orders":    func() any { return &[]orderJSON{} },
	"show":      func() any { return &streetdesk.OrderDetail{} },
	"conflicts": func() any { return &[]streetdesk.Conflict{} },
	"hotspots":  func() any { return &streetdesk.HotspotReport{} },
	"evidence":  func() any { return &evidence.Report{} },
	"audit":     func() any { return &auditJSON{} },
	"version":   func() any { return &versionJSON{} },
	"update":    func() any { return &streetdesk.UpdateStatus{} },
}

// TestCLIDocs checks docs/cli.md against the program: every command of the
// usage text has a section, every --json command has an example, and every
// example decodes into the type the command prints without unknown keys
// and mentions every key that type always writes.
func TestCLIDocs(t *testing.T) {
	b, err := os.ReadFile("../../docs/cli.md")
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)

	cmdRe := regexp.MustCompile(`(?m)^  streetdesk \[--data DIR\] ([a-z|-]+)`)
	for _, m := range cmdRe.FindAllStringSubmatch(usage, -1) {
		for _, cmd := range strings.Split(m[1], "|") {
			if !strings.Contains(doc, "## `streetdesk "+cmd+"`") {
				t.Errorf("docs/cli.md has no section for %q", cmd)
			}
		}
	}
	jsonRe := regexp.MustCompile(`(?m)^  streetdesk \[--data DIR\] ([a-z]+) .*\[--json\]`)
	for _, m := range jsonRe.FindAllStringSubmatch(usage, -1) {
		if jsonOutputs[m[1]] == nil {
			t.Errorf("%s --json has no type in jsonOutputs", m[1])
		}
	}

	blocks := regexp.MustCompile("(?s)```json output=([a-z]+)\n(.*?)```").FindAllStringSubmatch(doc, -1)
	seen := map[string]bool{}
	for _, m := range blocks {
		name, example := m[1], []byte(m[2])
		seen[name] = true
		t.Run(name, func(t *testing.T) {
			mk := jsonOutputs[name]
			if mk == nil {
				t.Fatalf("example output=%s names no command", name)
			}
			v := mk()
			dec := json.NewDecoder(bytes.NewReader(example))
			dec.DisallowUnknownFields()
			if err := dec.Decode(v); err != nil {
				t.Fatalf("the example does not decode into %T: %v", v, err)
			}
			again, err := json.Marshal(v)
			if err != nil {
				t.Fatal(err)
			}
			var doc, written any
			if err := json.Unmarshal(example, &doc); err != nil {
				t.Fatal(err)
			}
			if err := json.Unmarshal(again, &written); err != nil {
				t.Fatal(err)
			}
			for _, miss := range missingKeys(written, doc, name) {
				t.Errorf("the example lacks %s, which the command always writes", miss)
			}
		})
	}
	for name := range jsonOutputs {
		if !seen[name] {
			t.Errorf("docs/cli.md has no ```json output=%s example", name)
		}
	}
}

// missingKeys lists the object keys of written that doc lacks, by path;
// arrays are compared element by element.
func missingKeys(written, doc any, path string) []string {
	var out []string
	switch w := written.(type) {
	case map[string]any:
		d, _ := doc.(map[string]any)
		for k, wv := range w {
			dv, ok := d[k]
			if !ok {
				out = append(out, path+"."+k)
				continue
			}
			out = append(out, missingKeys(wv, dv, path+"."+k)...)
		}
	case []any:
		d, _ := doc.([]any)
		for i := range min(len(w), len(d)) {
			out = append(out, missingKeys(w[i], d[i], path+"[]")...)
		}
	}
	slices.Sort(out)
	return out
}

// TestJSONKeysCamelCase walks every type the CLI prints: each field's JSON
// key is camelCase (maps keyed by state values are data, not keys).
func TestJSONKeysCamelCase(t *testing.T) {
	camel := regexp.MustCompile(`^[a-z][a-zA-Z0-9]*$`)
	seen := map[reflect.Type]bool{}
	var walk func(typ reflect.Type, path string)
	walk = func(typ reflect.Type, path string) {
		for typ.Kind() == reflect.Pointer || typ.Kind() == reflect.Slice || typ.Kind() == reflect.Map {
			typ = typ.Elem()
		}
		if typ.Kind() != reflect.Struct || seen[typ] || typ.PkgPath() == "time" {
			return
		}
		seen[typ] = true
		for f := range typ.Fields() {
			if !f.IsExported() {
				continue
			}
			tag := f.Tag.Get("json")
			name, _, _ := strings.Cut(tag, ",")
			if f.Anonymous && name == "" {
				walk(f.Type, path)
				continue
			}
			if name == "-" {
				continue
			}
			if !camel.MatchString(name) {
				t.Errorf("%s.%s: JSON key %q is not camelCase", path, f.Name, name)
			}
			walk(f.Type, path+"."+f.Name)
		}
	}
	for name, mk := range jsonOutputs {
		walk(reflect.TypeOf(mk()), name)
	}
}
