package main

import (
	"context"
	"errors"
	"fmt"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/platform"
)

// auditVerify checks the action logs stored on the platform (every
// client's, one client's, or those of the clients that logged actions on
// one order) and prints what it finds; it fails when something is wrong.
// It only reads: a serving platform may go on.
func (m *Main) auditVerify(ctx context.Context, args []string) error {
	fs := m.flags("audit verify", "audit verify --db FILE [--order ID] [--client ID]")
	db := fs.String("db", "", dbUsage)
	order := fs.String("order", "", "check the logs of the clients that logged actions on this order `ID`, and list them")
	client := fs.String("client", "", "check this client's log (a client `ID`)")
	if err := fs.Parse(args); err != nil {
		return err
	}
	switch {
	case *db == "":
		return errors.New("--db is required")
	case fs.NArg() > 0:
		return fmt.Errorf("unexpected argument %q", fs.Arg(0))
	case *order != "" && !streetdesk.ValidOrderID(*order):
		return errors.New("--order: bad order id")
	case *client != "" && !streetdesk.ValidUUID(*client):
		return errors.New("--client: a client id is a UUID")
	}
	a, err := platform.OpenAudit(ctx, *db)
	if err != nil {
		return err
	}
	defer func() { _ = a.Close() }() // read only: its close loses nothing
	ss, err := a.VerifyChains(ctx, platform.AuditQuery{OrderID: *order, ClientID: *client}, m.Stdout)
	if err != nil {
		return err
	}
	if n := platform.Problems(ss); n > 0 {
		return fmt.Errorf("audit verify: %d problems in the action logs", n)
	}
	return nil
}
