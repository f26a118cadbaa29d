// Package translation holds every word the desk says to a person and says
// it without a window: en.json and zh-Hans.json (and NAME.en.json,
// NAME.zh-Hans.json beside them) are the only place the wording lives. The
// window (package ui) and the command line speak through Words, so they
// say the same thing in the same language.
//
// The rest of the program tells people things as codes: a
// streetdesk.Message (a code and its values) in errors and in the sync
// engine's status, and the domain's coded values (Status, Operation, …).
// Words turns them into sentences; a test fails when a code has no wording
// in either language.
//
// The package imports no Fyne, so the command line can use it.
package translation

import (
	"embed"
	"encoding/json"
	"fmt"
	"os"
	"strings"
	"sync"
	"text/template"

	"github.com/nicksnyder/go-i18n/v2/i18n"
	"golang.org/x/text/language"
)

// Files are the translation files. A file's language is the last part of
// its name before .json: en, zh-Hans. Chinese is zh-Hans (not zh-CN) so that
// Fyne merges it with its own base.zh_Hans.json and picks it for every
// Chinese locale.
//
//go:embed *.json
var Files embed.FS

// Languages Words speak.
const (
	Chinese = "zh"
	English = "en"
)

// bundle reads every file once.
var bundle = sync.OnceValues(func() (*i18n.Bundle, error) {
	b := i18n.NewBundle(language.English)
	b.RegisterUnmarshalFunc("json", json.Unmarshal)
	files, err := Files.ReadDir(".")
	if err != nil {
		return nil, err
	}
	for _, f := range files {
		data, err := Files.ReadFile(f.Name())
		if err != nil {
			return nil, err
		}
		if _, err := b.ParseMessageFileBytes(data, f.Name()); err != nil {
			return nil, fmt.Errorf("translation %s: %w", f.Name(), err)
		}
	}
	return b, nil
})

// Words speak one language.
type Words struct {
	lang string
	loc  *i18n.Localizer
}

var (
	wordsMu sync.Mutex
	words   = map[string]*Words{}
)

// For returns the words of lang: Chinese for "zh" and every zh-… or zh_…
// tag, English for anything else.
func For(lang string) *Words {
	l := English
	if isChinese(lang) {
		l = Chinese
	}
	wordsMu.Lock()
	defer wordsMu.Unlock()
	if w, ok := words[l]; ok {
		return w
	}
	w := &Words{lang: l}
	if b, err := bundle(); err == nil {
		tag := "en"
		if l == Chinese {
			tag = "zh-Hans"
		}
		w.loc = i18n.NewLocalizer(b, tag)
	}
	words[l] = w
	return w
}

// FromEnv returns the words of the process's message locale (the first of
// LC_ALL, LC_MESSAGES and LANG that is set, as libc reads it): Chinese for
// zh_…, English for any other.
func FromEnv() *Words {
	for _, k := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		if v := os.Getenv(k); v != "" {
			return For(v)
		}
	}
	return For(English)
}

func isChinese(lang string) bool {
	return len(lang) >= 2 && strings.EqualFold(lang[:2], "zh")
}

// Lang is the language the words are in: Chinese or English.
func (w *Words) Lang() string { return w.lang }

// Has reports whether key has wording in w's language (the English file
// for English).
func (w *Words) Has(key string) bool {
	if w.loc == nil {
		return false
	}
	_, tag, err := w.loc.LocalizeWithTag(&i18n.LocalizeConfig{MessageID: key})
	if err != nil {
		return false
	}
	base, _ := tag.Base()
	return base.String() == w.lang
}

// T is the wording of key filled with data ({{.Name}}: a map or a struct);
// fallback, filled the same way, when the files have none.
func (w *Words) T(key, fallback string, data ...any) string {
	var d any
	if len(data) > 0 {
		d = data[0]
	}
	if w.loc != nil {
		s, err := w.loc.Localize(&i18n.LocalizeConfig{DefaultMessage: &i18n.Message{ID: key, Other: fallback}, TemplateData: d})
		if err == nil {
			return s
		}
	}
	t, err := template.New(key).Option("missingkey=zero").Parse(fallback)
	if err != nil {
		return fallback
	}
	var b strings.Builder
	if t.Execute(&b, d) != nil {
		return fallback
	}
	return b.String()
}

// join puts sentences together: Chinese runs them on, English leaves a
// space.
func (w *Words) join(parts ...string) string {
	var out []string
	for _, p := range parts {
		if p != "" {
			out = append(out, p)
		}
	}
	if w.lang == Chinese {
		return strings.Join(out, "")
	}
	return strings.Join(out, " ")
}
