package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"os"
	"time"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/internal/columns"
	"github.com/streetdesk/streetdesk/platform"
)

// importOpen311 reads GeoReport v2 captures (JSON or XML) into a team's
// orders (docs/cli.md): each file in one transaction; every record not
// imported is listed on stderr with its line, and then the exit status is
// non-zero although the others stay imported.
func (m *Main) importOpen311(ctx context.Context, args []string) error {
	fs := m.flags("import-open311", "import-open311 --db FILE --team T [--map FILE] [--zone Z] [--prefix P] FILE…")
	db := fs.String("db", "", dbUsage)
	media := fs.String("media", "", "photo store `dir` (default FILE.media)")
	team := fs.String("team", "", "the `team` whose queue gets the orders (required)")
	mapFile := fs.String("map", "", "mapping `file`: CSV service,l3_code (foreign service_code or service_name → duty-list level-3 code)")
	zone := fs.String("zone", "Asia/Shanghai", "time `zone` of times written without one (San Francisco's: America/Los_Angeles)")
	prefix := fs.String("prefix", "O311", "order ids are PREFIX-<service_request_id>")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() == 0 {
		fs.Usage()
		return errors.New("no file to import")
	}
	if *team == "" {
		return errors.New("--team is required")
	}
	loc, err := time.LoadLocation(*zone)
	if err != nil {
		return fmt.Errorf("--zone: %w", err)
	}
	srv, closeSrv, err := m.openAccounts(ctx, *db, *media)
	if err != nil {
		return err
	}
	defer closeSrv()
	opts := platform.Open311ImportOptions{TeamID: *team, Zone: loc, Prefix: *prefix}
	if *mapFile != "" {
		f, err := os.Open(*mapFile)
		if err != nil {
			return err
		}
		opts.Map, err = srv.LoadOpen311Map(f)
		_ = f.Close() // read only
		if err != nil {
			return fmt.Errorf("%s: %s", *mapFile, streetdesk.ErrorMessage(err))
		}
	}
	skipped := 0
	for _, name := range fs.Args() {
		f, err := os.Open(name)
		if err != nil {
			return err
		}
		recs, err := streetdesk.DecodeOpen311Requests(f)
		_ = f.Close() // read only
		if err != nil {
			return fmt.Errorf("%s: %s", name, streetdesk.ErrorMessage(err))
		}
		res, err := srv.ImportOpen311(ctx, recs, opts)
		if err != nil {
			return fmt.Errorf("%s: %s", name, streetdesk.ErrorMessage(err))
		}
		fmt.Fprintf(m.Stdout, "%s: %d records, %d imported, %d not imported, %d imported without something\n",
			name, len(recs), len(res.Imported), len(res.Skipped), len(res.Warnings))
		for _, n := range res.Warnings {
			fmt.Fprintf(m.Stdout, "%s:%s: %s\n", name, n.Where(), n.Text)
		}
		for _, n := range res.Skipped {
			fmt.Fprintf(m.Stderr, "%s:%s: not imported: %s\n", name, n.Where(), n.Text)
		}
		skipped += len(res.Skipped)
	}
	if skipped > 0 {
		return fmt.Errorf("%d records not imported (listed above)", skipped)
	}
	return nil
}

// open311Key manages Open311 api_keys: "add" creates one for a channel and
// prints it once (only its hash is stored), "list" shows them by id (a
// prefix of the hash, never the key), "revoke" removes one.
func (m *Main) open311Key(ctx context.Context, args []string) error {
	const want = `want: open311-key add, open311-key list, open311-key revoke`
	if len(args) == 0 {
		fmt.Fprint(m.Stderr, usage)
		return errors.New(`missing "open311-key" subcommand (` + want + `)`)
	}
	var fs *flag.FlagSet
	switch args[0] {
	case "add":
		fs = m.flags("open311-key add", "open311-key add --db FILE --channel C --name NAME")
	case "list":
		fs = m.flags("open311-key list", "open311-key list --db FILE")
	case "revoke":
		fs = m.flags("open311-key revoke", "open311-key revoke --db FILE ID|KEY")
	default:
		fmt.Fprint(m.Stderr, usage)
		return fmt.Errorf(`unknown "open311-key" subcommand %q (%s)`, args[0], want)
	}
	db := fs.String("db", "", dbUsage)
	media := fs.String("media", "", "photo store `dir` (default FILE.media)")
	var channel, name *string
	if args[0] == "add" {
		channel = fs.String("channel", "", "the intake `channel` the key's requests come from: hotline, mini_program, web, app, mayor_mail or grid")
		name = fs.String("name", "", "who holds the key, e.g. \"FixMyStreet 深圳\"")
	}
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	if n := fs.NArg(); args[0] == "revoke" && n != 1 || args[0] != "revoke" && n != 0 {
		fs.Usage()
		return errors.New("open311-key " + args[0] + ": wrong arguments")
	}
	srv, closeSrv, err := m.openAccounts(ctx, *db, *media)
	if err != nil {
		return err
	}
	defer closeSrv()
	switch args[0] {
	case "add":
		key, err := srv.AddOpen311Key(ctx, streetdesk.Channel(*channel), *name)
		if err != nil {
			return errors.New(streetdesk.ErrorMessage(err))
		}
		fmt.Fprintf(m.Stdout, "api_key of %s (%s), shown once: %s\n", *name, *channel, key)
	case "list":
		keys, err := srv.Open311Keys(ctx)
		if err != nil {
			return err
		}
		tw := columns.NewWriter(m.Stdout)
		fmt.Fprintln(tw, "ID\tCHANNEL\tCREATED\tNAME")
		for _, k := range keys {
			fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", platform.Open311KeyID(k), k.Channel, k.Created.In(streetdesk.ChinaTZ).Format(time.DateTime), k.Name)
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	case "revoke":
		k, err := srv.RevokeOpen311Key(ctx, fs.Arg(0))
		if err != nil {
			return errors.New(streetdesk.ErrorMessage(err))
		}
		fmt.Fprintf(m.Stdout, "revoked api_key %s of %s (%s); its requests now get 403\n", platform.Open311KeyID(k), k.Name, k.Channel)
	}
	return nil
}
