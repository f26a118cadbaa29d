// Command streetdesk is the StreetDesk desktop app: the GUI by default and
// CLI subcommands for scripts and headless use (see README).
package main

import (
	"context"
	"os"
	"os/signal"
	"syscall"

	// Before Fyne's init reads the locale: C and POSIX become English
	// instead of three lines of errors on stderr.
	_ "github.com/streetdesk/streetdesk/internal/cleanlocale"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	m := NewMain()
	code := m.Run(ctx, os.Args[1:])
	stop()
	os.Exit(code)
}
