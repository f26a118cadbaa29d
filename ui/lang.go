package ui

import (
	"encoding/json"
	"regexp"
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
	zh, err := translation.Files.ReadFile("zh-Hans.json")
	if err != nil {
		return err
	}
	var m map[string]string
	if err := json.Unmarshal(zh, &m); err != nil {
		return err
	}
	for k := range m {
		if strings.HasPrefix(k, "err:") {
			knownErrors[strings.TrimPrefix(k, "err:")] = true
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

// knownErrors are the messages the translations have words for.
var knownErrors = map[string]bool{}

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

// errorPatterns translate the root package's messages that carry values.
var errorPatterns = []struct {
	re  *regexp.Regexp
	key string
}{
	{regexp.MustCompile(`^the new deadline must be after the current one \((.+)\)$`), "err.extensionBefore"},
	{regexp.MustCompile(`^the new deadline (.+) has already passed$`), "err.extensionPast"},
	{regexp.MustCompile(`^the new deadline falls on a day off \((.+)\)$`), "err.extensionDayOff"},
	{regexp.MustCompile(`^an extension may add at most (\d+) working days \(asked for (\d+)\)$`), "err.extensionTooLong"},
	{regexp.MustCompile(`^reply is too short: (\d+) characters, at least (\d+)$`), "err.replyShort"},
	{regexp.MustCompile(`^(.+) is required$`), "err.required"},
}

// errorText is what the user reads for err: the application error's message,
// translated where the translations know it.
func errorText(err error) string {
	msg := streetdesk.ErrorMessage(err)
	if langCode() == "en" || !isASCII(msg) { // already in the user's words
		return msg
	}
	if knownErrors[msg] {
		return tr("err:"+msg, msg)
	}
	for _, p := range errorPatterns {
		if m := p.re.FindStringSubmatch(msg); m != nil {
			data := map[string]string{}
			for i, v := range m[1:] {
				data[string(rune('A'+i))] = v
			}
			return tr(p.key, msg, data)
		}
	}
	return msg
}

func isASCII(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] >= 0x80 {
			return false
		}
	}
	return true
}
