package main

import (
	"context"
	"errors"
	"fmt"
	"os"
	"time"

	"github.com/streetdesk/streetdesk"
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

// open311Key manages Open311 api_keys: "open311-key add" creates one for a
// channel and prints it once (only its hash is stored).
func (m *Main) open311Key(ctx context.Context, args []string) error {
	if len(args) == 0 || args[0] != "add" {
		fmt.Fprint(m.Stderr, usage)
		return errors.New(`unknown "open311-key" subcommand (want: open311-key add)`)
	}
	fs := m.flags("open311-key add", "open311-key add --db FILE --channel C --name NAME")
	db := fs.String("db", "", dbUsage)
	media := fs.String("media", "", "photo store `dir` (default FILE.media)")
	channel := fs.String("channel", "", "the intake `channel` the key's requests come from: hotline, mini_program, web, app, mayor_mail or grid")
	name := fs.String("name", "", "who holds the key, e.g. \"FixMyStreet 深圳\"")
	if err := fs.Parse(args[1:]); err != nil {
		return err
	}
	srv, closeSrv, err := m.openAccounts(ctx, *db, *media)
	if err != nil {
		return err
	}
	defer closeSrv()
	key, err := srv.AddOpen311Key(ctx, streetdesk.Channel(*channel), *name)
	if err != nil {
		return errors.New(streetdesk.ErrorMessage(err))
	}
	fmt.Fprintf(m.Stdout, "api_key of %s (%s), shown once: %s\n", *name, *channel, key)
	return nil
}
