package ui

import (
	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/theme"
	"fyne.io/fyne/v2/widget"
)

// The interface language is a setting: 跟随系统 (the system's locale, as
// Fyne reads it), 中文 or English. Chinese users often sit at desks set to
// a C or English locale; they choose 中文 once and keep it.

// Language settings.
const (
	LangSystem  = "system"
	LangChinese = "zh"
	LangEnglish = "en"
)

// languagePref is the app preference that holds the choice.
const languagePref = "language"

// chosenLang is the language chosen in the settings; "" follows the system.
var chosenLang string

// SetLanguage chooses the interface language (LangSystem, LangChinese or
// LangEnglish; anything else follows the system). Widgets built afterwards
// speak it.
func SetLanguage(l string) error {
	switch l {
	case LangChinese, LangEnglish:
		chosenLang = l
	default:
		chosenLang = ""
	}
	return nil
}

// Language is the setting in force (LangSystem when none was chosen).
func Language() string {
	if chosenLang == "" {
		return LangSystem
	}
	return chosenLang
}

// languageFromPrefs applies the saved choice.
func languageFromPrefs() {
	if a := fyne.CurrentApp(); a != nil {
		if err := SetLanguage(a.Preferences().StringWithFallback(languagePref, LangSystem)); err != nil {
			fyne.LogError("language setting", err)
		}
	}
}

// languageChoice is the select of the setting: its options in their own
// languages, but 跟随系统 in the interface's.
type languageChoice struct {
	sel      *widget.Select
	values   []string
	onChange func(string)
}

func newLanguageChoice(onChange func(string)) *languageChoice {
	c := &languageChoice{values: []string{LangSystem, LangChinese, LangEnglish}, onChange: onChange}
	c.sel = &widget.Select{Options: []string{tr("settings.langSystem", "Follow the system"), "中文", "English"}}
	for i, v := range c.values {
		if v == Language() {
			c.sel.SetSelectedIndex(i)
		}
	}
	c.sel.OnChanged = func(string) {
		if i := c.sel.SelectedIndex(); i >= 0 && c.values[i] != Language() {
			c.onChange(c.values[i])
		}
	}
	return c
}

// chooseLanguage saves l and applies it; the UI rebuilds its screens.
func (u *UI) chooseLanguage(l string) {
	if a := fyne.CurrentApp(); a != nil {
		a.Preferences().SetString(languagePref, l)
	}
	if err := SetLanguage(l); err != nil {
		u.showError(err)
		return
	}
	if u.settings != nil {
		u.settings.Hide()
		u.settings = nil
	}
	u.rebuild()
}

// showSettings is the settings popup (the sync bar's ⚙): the language.
func (u *UI) showSettings() {
	choice := newLanguageChoice(u.chooseLanguage)
	var pop *widget.PopUp
	closeBtn := &widget.Button{Text: tr("button.close", "Close"), OnTapped: func() { pop.Hide() }}
	keys := newKeyTrap(closeBtn.OnTapped, closeBtn.OnTapped)
	form := &widget.Form{Items: []*widget.FormItem{{Text: tr("settings.language", "Language"), Widget: choice.sel}}}
	body := container.NewVBox(&widget.Label{Text: tr("settings.title", "Settings"), TextStyle: fyne.TextStyle{Bold: true}}, form,
		container.NewHBox(closeBtn, keys))
	pop = widget.NewModalPopUp(body, u.w.Canvas())
	pop.Resize(fyne.NewSize(360, 0))
	pop.Show()
	u.w.Canvas().Focus(keys)
	u.settings, u.langChoice = pop, choice
}

// settingsButton opens the settings.
func (u *UI) settingsButton() *widget.Button {
	return &widget.Button{Icon: theme.SettingsIcon(), Importance: widget.LowImportance, OnTapped: u.showSettings}
}
