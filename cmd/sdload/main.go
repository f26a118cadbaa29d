// Command sdload is StreetDesk's load generator. It signs in many simulated
// desks (accounts made in bulk with "platformd user bulk"), runs for a fixed
// time the traffic a desk makes — a pull a minute, notes, accepts and
// resolutions pushed as they happen, now and then a photo (HEAD, then a tus
// upload) — and reports pulls/s, pushes/s, latency percentiles and errors
// by kind. At the end it checks that every mutation it pushed was applied
// exactly once (in the platform's database, --verify-db: a SQLite file or a
// postgres:// URL) and that every photo it attached reads back from the
// platform with its SHA-256. It only ever connects to loopback addresses, and it always
// stops by itself.
//
//	platformd user bulk --db platform.db --prefix load --count 300 --bcrypt-cost 4 <<< "load-pass"
//	sdload --target http://127.0.0.1:8420 --users 300 --password load-pass --duration 5m \
//	       --verify-db platform.db --watch-pid $(pidof platformd)
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	m := &Main{Stdout: os.Stdout, Stderr: os.Stderr}
	if err := m.Run(ctx, os.Args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "sdload:", err)
		os.Exit(1)
	}
}
