package ui

import (
	"embed"
	"encoding/json"
	"io/fs"
	"regexp"
	"strings"

	"fyne.io/fyne/v2"

	"fyne.io/fyne/v2/lang"

	streetdesk "github.com/streetdesk/streetdesk"
)

// Translations: translation/en.json and translation/zh-Hans.json. The
// Chinese file is named zh-Hans (not zh-CN) so that it merges with Fyne's
// own base.zh_Hans.json (dialog buttons) and Fyne's matcher picks it for
// every Chinese locale (zh_CN, zh_SG, zh_TW, …); any other locale falls
// back to the English strings.
//
//go:embed translation
var translations embed.FS

// LoadTranslations adds the app's translations to Fyne's lang package. Call
// it before building widgets.
func LoadTranslations() error {
	chosenLang, chosen = "", nil // the system's, until a setting says otherwise
	if err := lang.AddTranslationsFS(translations, "translation"); err != nil {
		return err
	}
	// Fyne's matcher may pick one of its own languages (de, fr, …) for
	// which we have no words; give those our English ones (en.json and
	// every NAME.en.json).
	files, err := fs.Glob(translations, "translation/*en.json")
	if err != nil {
		return err
	}
	for _, f := range files {
		en, err := translations.ReadFile(f)
		if err != nil {
			return err
		}
		for _, l := range fyneLanguages {
			if err := lang.AddTranslationsForLocale(en, fyne.Locale(l)); err != nil {
				return err
			}
		}
	}
	zh, err := translations.ReadFile("translation/zh-Hans.json")
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

// fyneLanguages are the languages of Fyne 2.7.1's built-in translations
// other than English and Chinese.
var fyneLanguages = []string{"cs", "de", "el", "es", "fr", "pl", "pt", "pt-BR", "ru", "sv", "ta", "uk"}

// knownErrors are the messages the translations have words for.
var knownErrors = map[string]bool{}

// langCode is the language the interface speaks ("zh" or "en"): the one
// chosen in the settings, else the one the translations resolved to from
// the system; for the root package's Label(lang) helpers.
func langCode() string {
	if chosenLang != "" {
		return chosenLang
	}
	return lang.X("meta.lang", "en")
}

// tr translates a key with an English fallback; data fills {{.Name}} fields.
func tr(key, fallback string, data ...any) string {
	if chosen != nil {
		return localize(key, fallback, data...)
	}
	return lang.X(key, fallback, data...)
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
