// Package cleanlocale gives the process a message locale Fyne can parse,
// before Fyne reads it. Fyne's lang package resolves the user's language in
// its own init; a locale such as "C.UTF-8" (the default of many servers and
// containers) is not a language tag, and Fyne then logs three lines of
// errors to stderr on every run — also for command-line use that never
// opens a window.
//
// Import it for its side effect from package main. It imports only "os" and
// "strings", which Fyne's language matcher depends on too, so Go's package
// initialization order runs this package's init before Fyne's lang init.
package cleanlocale

import (
	"os"
	"strings"
)

func init() { Fix() }

// English is what a C or POSIX message locale becomes: the language such
// machines show anyway.
const English = "en_US.UTF-8"

// Fix rewrites the message locale when it is C or POSIX ("C", "C.UTF-8",
// "POSIX"): LC_MESSAGES becomes English and the character type is kept.
// The first of LC_ALL, LC_MESSAGES and LANG that is set decides, as in
// libc; nothing changes when that is a real locale. It is idempotent.
func Fix() {
	for _, k := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		v := os.Getenv(k)
		if v == "" {
			continue
		}
		if !isC(v) {
			return
		}
		if k == "LC_ALL" {
			// LC_ALL overrides every category: hand its value to LANG so
			// the character type stays, and let LC_MESSAGES speak.
			os.Unsetenv("LC_ALL")
			os.Setenv("LANG", v)
		}
		os.Setenv("LC_MESSAGES", English)
		return
	}
	// Nothing set: Fyne would fall back to English quietly; say it so that
	// the window and the command line agree.
	os.Setenv("LC_MESSAGES", English)
}

// isC reports whether a locale value names the C or POSIX locale, with or
// without a codeset or modifier.
func isC(v string) bool {
	base, _, _ := strings.Cut(v, ".")
	base, _, _ = strings.Cut(base, "@")
	return base == "C" || base == "POSIX"
}
