// Command streetdesk is the StreetDesk desktop app: the GUI by default and
// CLI subcommands for scripts and headless use (see README).
package main

import (
	"context"
	"os"
	"os/signal"
	"strings"
	"syscall"
)

func main() {
	fixLocale()
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	m := NewMain()
	code := m.Run(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}

// fixLocale gives Fyne a well-formed locale when the environment has none
// ("C", "POSIX", empty): Fyne cannot parse those and logs an error on every
// translated string. Such machines get English, as any non-Chinese locale does.
func fixLocale() {
	for _, k := range []string{"LC_ALL", "LC_MESSAGES", "LANG"} {
		v := os.Getenv(k)
		if v == "" {
			continue
		}
		base := strings.SplitN(v, ".", 2)[0]
		if base == "C" || base == "POSIX" {
			os.Setenv(k, "en_US.UTF-8")
			continue
		}
		return // the first set variable wins, as in libc
	}
	if os.Getenv("LANG") == "" {
		os.Setenv("LANG", "en_US.UTF-8")
	}
}
