package ui

import (
	"strings"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/lang"

	streetdesk "github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/ui/translation"
)

// LoadTranslations adds the app's translations (package translation) to
// Fyne's lang package, which merges them with its own (dialog buttons) and
// resolves the system's language from them. Call it before building
// widgets.
func LoadTranslations() error {
	chosenLang = "" // the system's, until a setting says otherwise
	files, err := translation.Files.ReadDir(".")
	if err != nil {
		return err
	}
	for _, f := range files {
		data, err := translation.Files.ReadFile(f.Name())
		if err != nil {
			return err
		}
		tag := fileLang(f.Name())
		if err := lang.AddTranslationsForLocale(data, fyne.Locale(tag)); err != nil {
			return err
		}
		// Fyne's matcher may pick one of its own languages (de, fr, …) for
		// which we have no words; give those our English ones.
		if tag == "en" {
			for _, l := range fyneLanguages {
				if err := lang.AddTranslationsForLocale(data, fyne.Locale(l)); err != nil {
					return err
				}
			}
		}
	}
	return nil
}

// fileLang is a translation file's language: the last part of its name
// before .json (about.zh-Hans.json: zh-Hans).
func fileLang(name string) string {
	name = strings.TrimSuffix(name, ".json")
	return name[strings.LastIndex(name, ".")+1:]
}

// fyneLanguages are the languages of Fyne 2.7.1's built-in translations
// other than English and Chinese.
var fyneLanguages = []string{"cs", "de", "el", "es", "fr", "pl", "pt", "pt-BR", "ru", "sv", "ta", "uk"}

// words are the interface's words: in the language chosen in the settings,
// else in the one Fyne resolved from the system.
func words() *translation.Words {
	if chosenLang != "" {
		return translation.For(chosenLang)
	}
	return translation.For(lang.X("meta.lang", "en"))
}

// langCode is the language the interface speaks ("zh" or "en").
func langCode() string { return words().Lang() }

// tr translates a key with an English fallback; data fills {{.Name}} fields.
func tr(key, fallback string, data ...any) string {
	return words().T(key, fallback, data...)
}

// errorText is what the user reads for err: what the error tells a person
// (its code and values), worded in the user's language; an application
// error that tells no person anything shows its own message.
func errorText(err error) string {
	if m := streetdesk.ErrorSay(err); !m.IsZero() {
		return words().Say(m)
	}
	return streetdesk.ErrorMessage(err)
}
