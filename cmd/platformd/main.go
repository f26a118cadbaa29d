// Command platformd is the reference central platform (docs/protocol.md):
//
//	platformd serve --db FILE --listen 127.0.0.1:8420 --media DIR [--tls-cert F --tls-key F] [--releases DIR]
//	platformd seed  --db FILE --demo [--password P] [--orders N]
//	platformd user add --db FILE --username U --role ROLE --team T   (password from stdin)
//	platformd user bulk --db FILE --prefix P --count N [--team-size K] [--bcrypt-cost C]   (password from stdin)
//	platformd import-open311 --db FILE --team T [--map FILE] [--zone Z] FILE…
//	platformd open311-key add --db FILE --channel C --name NAME
//	platformd open311-key list --db FILE
//	platformd open311-key revoke --db FILE ID|KEY
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
	m := &Main{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr}
	if err := m.Run(ctx, os.Args[1:]); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			os.Exit(0)
		}
		fmt.Fprintln(os.Stderr, "platformd:", err)
		os.Exit(1)
	}
}
