package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"runtime/debug"
	"strconv"
	"strings"
	"time"

	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/internal/columns"
	"github.com/streetdesk/streetdesk/ui/translation"
)

// Main is the program: flags, profile, wiring. End-to-end tests run it in
// process with their own streams and data folder.
type Main struct {
	DataDir string
	Stdin   io.Reader
	Stdout  io.Writer
	Stderr  io.Writer
	Logger  *slog.Logger
	Now     func() time.Time
	// GUI starts the window; nil means the real Fyne app (gui.go).
	GUI func(ctx context.Context, m *Main) error
	// Version is the running version; "" means the stamped one (internal/buildinfo).
	Version string
	// Words are the language of what it prints for people; nil: the
	// process's locale (Chinese for zh_…, else English).
	Words *translation.Words
}

// words are the words it prints in.
func (m *Main) words() *translation.Words {
	if m.Words == nil {
		m.Words = translation.FromEnv()
	}
	return m.Words
}

// NewMain returns a Main on the process's streams.
func NewMain() *Main {
	return &Main{Stdin: os.Stdin, Stdout: os.Stdout, Stderr: os.Stderr, Now: time.Now}
}

const usage = `streetdesk — the street office's work-order desk

usage:
  streetdesk [--data DIR]                     the GUI
  streetdesk [--data DIR] login --server URL --user U --password-stdin
  streetdesk [--data DIR] logout
  streetdesk [--data DIR] sync [--once]
  streetdesk [--data DIR] status [--json]
  streetdesk [--data DIR] orders [--json] [--status S] [--search Q]
  streetdesk [--data DIR] show ORDER-ID [--json]      one order: details, timeline, notes, photos
  streetdesk [--data DIR] conflicts [--json] [--all]  the "needs attention" inbox
  streetdesk [--data DIR] hotspots [--json] [--days N] [--radius M]  recurring complaints (热点)
  streetdesk [--data DIR] accept ORDER-ID
  streetdesk [--data DIR] note ORDER-ID TEXT
  streetdesk [--data DIR] contact ORDER-ID --method phone|visit|sms [--reached] [TEXT]
  streetdesk [--data DIR] photo ORDER-ID FILE… [--tag before|after] [--caption TEXT]
  streetdesk [--data DIR] resolve ORDER-ID --outcome solved|partly|explained --reply TEXT [--photos ID,…] [--explain CODE=TEXT]
  streetdesk [--data DIR] return ORDER-ID --reason CODE [--text TEXT]
  streetdesk [--data DIR] extend ORDER-ID --until 2006-01-02T15:04 --reason TEXT
  streetdesk [--data DIR] reassign ORDER-ID… --to USER [--reason TEXT]
  streetdesk [--data DIR] propose-event ORDER-ID… --title T --reason R [--department D] [--hotspot H]  a big-data event (leads)
  streetdesk [--data DIR] export --format csv|xlsx --out FILE
  streetdesk [--data DIR] evidence ORDER-ID --out FILE.zip   the order's evidence package
  streetdesk [--data DIR] evidence verify FILE.zip [--json]  recompute every hash of a package (offline)
  streetdesk [--data DIR] audit verify [--json]       check this computer's action log
  streetdesk [--data DIR] config [KEY [VALUE]]     download-budget-mb, downscale-max-side
  streetdesk [--data DIR] version [--json]          version, commit, build date, data folder, log file
  streetdesk [--data DIR] update [--download] [--json]  is a newer version published on the platform?
`

// Run runs one command line and returns the exit status. Errors are one
// line on stderr.
func (m *Main) Run(ctx context.Context, args []string) int {
	if m.Now == nil {
		m.Now = time.Now
	}
	defaultLogger := m.Logger == nil
	if defaultLogger {
		lvl := slog.LevelWarn
		if os.Getenv("STREETDESK_DEBUG") != "" {
			lvl = slog.LevelDebug
		}
		m.Logger = slog.New(slog.NewTextHandler(m.Stderr, &slog.HandlerOptions{Level: lvl}))
	}
	fs := flag.NewFlagSet("streetdesk", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	data := fs.String("data", m.DataDir, "data folder (default: the OS's app data folder)")
	showVersion := fs.Bool("version", false, "print the version and exit")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprint(m.Stdout, usage)
			return 0
		}
		return m.fail(streetdesk.Errorf(streetdesk.EINVALID, "%v", err))
	}
	m.DataDir = *data
	if m.DataDir == "" {
		d, err := defaultDataDir()
		if err != nil {
			return m.fail(err)
		}
		m.DataDir = d
	}
	rest := fs.Args()
	if *showVersion {
		return m.exit(m.cmdVersion(nil))
	}
	if len(rest) == 0 {
		if defaultLogger {
			m.Logger = m.guiLogger(guiLogLevel())
		}
		gui := m.GUI
		if gui == nil {
			gui = runGUI
		}
		return m.exit(gui(ctx, m))
	}
	cmd, cargs := rest[0], rest[1:]
	var err error
	switch cmd {
	case "help", "-h", "--help":
		fmt.Fprint(m.Stdout, usage)
		return 0
	case "login":
		err = m.cmdLogin(ctx, cargs)
	case "logout":
		err = m.cmdLogout(ctx, cargs)
	case "sync":
		err = m.cmdSync(ctx, cargs)
	case "status":
		err = m.cmdStatus(ctx, cargs)
	case "orders":
		err = m.cmdOrders(ctx, cargs)
	case "accept", "note", "contact", "photo", "resolve", "return", "extend":
		err = m.cmdAction(ctx, cmd, cargs)
	case "show":
		err = m.cmdShow(ctx, cargs)
	case "config":
		err = m.cmdConfig(ctx, cargs)
	case "conflicts":
		err = m.cmdConflicts(ctx, cargs)
	case "hotspots":
		err = m.cmdHotspots(ctx, cargs)
	case "reassign":
		err = m.cmdReassign(ctx, cargs)
	case "propose-event":
		err = m.cmdProposeEvent(ctx, cargs)
	case "export":
		err = m.cmdExport(ctx, cargs)
	case "evidence":
		err = m.cmdEvidence(ctx, cargs)
	case "audit":
		err = m.cmdAudit(ctx, cargs)
	case "version":
		err = m.cmdVersion(cargs)
	case "update":
		err = m.cmdUpdate(ctx, cargs)
	default:
		err = streetdesk.Errorf(streetdesk.EINVALID, "unknown command %q (see streetdesk --help)", cmd)
	}
	return m.exit(err)
}

func (m *Main) exit(err error) int {
	if err == nil {
		return 0
	}
	return m.fail(err)
}

// fail prints one line and returns the exit status: 2 for bad usage or
// input, 3 for sign-in problems, 1 otherwise.
func (m *Main) fail(err error) int {
	msg := streetdesk.ErrorMessage(err)
	if say := streetdesk.ErrorSay(err); !say.IsZero() && say.Code != streetdesk.MsgErrInternal {
		msg = m.words().Say(say)
	}
	if streetdesk.ErrorCode(err) == streetdesk.EINTERNAL {
		msg = err.Error()
	}
	msg = strings.ReplaceAll(msg, "\n", " ")
	fmt.Fprintf(m.Stderr, "streetdesk: %s\n", msg)
	switch streetdesk.ErrorCode(err) {
	case streetdesk.EINVALID:
		return 2
	case streetdesk.EUNAUTHORIZED:
		return 3
	}
	return 1
}

// flags parses a subcommand's flags, allowing them after positional
// arguments too (streetdesk note ID TEXT --x).
func parseInterleaved(fs *flag.FlagSet, args []string) ([]string, error) {
	fs.SetOutput(io.Discard)
	var pos []string
	for {
		if err := fs.Parse(args); err != nil {
			return nil, streetdesk.Errorf(streetdesk.EINVALID, "%v", err)
		}
		args = fs.Args()
		if len(args) == 0 {
			return pos, nil
		}
		pos = append(pos, args[0])
		args = args[1:]
	}
}

func (m *Main) cmdLogin(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("login", flag.ContinueOnError)
	server := fs.String("server", "", "platform URL, e.g. https://12345.example.gov.cn")
	user := fs.String("user", "", "username")
	pwStdin := fs.Bool("password-stdin", false, "read the password from stdin")
	caFile := fs.String("ca-file", "", "PEM file of a private CA")
	if _, err := parseInterleaved(fs, args); err != nil {
		return err
	}
	if *server == "" || *user == "" {
		return streetdesk.Errorf(streetdesk.EINVALID, "login needs --server and --user")
	}
	if !*pwStdin {
		return streetdesk.Errorf(streetdesk.EINVALID, "login needs --password-stdin (the password is never taken from the command line)")
	}
	pw, err := bufio.NewReader(m.Stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return fmt.Errorf("read password: %w", err)
	}
	pw = strings.TrimRight(pw, "\r\n")
	if pw == "" {
		return streetdesk.Errorf(streetdesk.EINVALID, "empty password on stdin")
	}
	p, err := m.login(ctx, *server, *user, pw, *caFile)
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "signed in as %s (%s, %s) on %s\n", p.User.Name, p.User.Username, p.User.Role, p.Server)
	if c, _, err := m.newClient(p); err == nil {
		m.checkUpdateQuietly(ctx, c, true)
	}
	return nil
}

func (m *Main) cmdLogout(ctx context.Context, args []string) error {
	p, err := loadCurrent(m.DataDir)
	if err != nil {
		return err
	}
	pending, err := m.logout(ctx, p)
	if err != nil {
		return err
	}
	if pending > 0 {
		fmt.Fprintf(m.Stdout, "signed out; %d unsynced change(s) are kept on this computer and will be sent after the next sign-in\n", pending)
	} else {
		fmt.Fprintln(m.Stdout, "signed out")
	}
	return nil
}

// syncMemoryLimit is the Go memory limit of `streetdesk sync` (the whole
// Go runtime: heap, stacks, metadata; SQLite's caches are outside it).
const syncMemoryLimit = 20 << 20

func (m *Main) cmdSync(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("sync", flag.ContinueOnError)
	once := fs.Bool("once", false, "sync once and exit")
	if os.Getenv("GOMEMLIMIT") == "" {
		// A headless desk holds at most two pull pages (~6–10 MB live);
		// past this soft limit the GC runs more often (the runtime caps its
		// CPU, so it never fails), keeping a first sync of 10,000 orders
		// near 55 MB RSS instead of 70 (docs/benchmarks.md, sync).
		debug.SetMemoryLimit(syncMemoryLimit)
	}
	s, _, err := m.open(ctx, fs, args)
	if err != nil {
		return err
	}
	defer s.Close()
	if *once {
		st, err := s.syncOnce(ctx)
		if err != nil {
			return err
		}
		fmt.Fprintf(m.Stdout, "synced: %d change(s) pending, %d upload(s) waiting\n", st.Pending, len(st.Uploads))
		m.checkUpdateQuietly(ctx, s.client, false)
		return nil
	}
	fmt.Fprintln(m.Stdout, "syncing; Ctrl+C to stop")
	stopUpdates := s.runUpdater(ctx)
	defer stopUpdates()
	return s.runEngine(ctx, func(st streetdesk.SyncStatus) {
		say := m.words().SyncSentence(st, m.Now())
		if st.State == streetdesk.SyncSyncing {
			say = m.words().Say(st.Activity)
		}
		fmt.Fprintf(m.Stdout, "%s %s pending=%d %s\n", m.Now().Format("15:04:05"), st.State, st.Pending, say)
	})
}

type statusJSON struct {
	User      string         `json:"user"`
	Server    string         `json:"server"`
	ByStatus  map[string]int `json:"byStatus"`
	Overdue   int            `json:"overdue"`
	DueSoon   int            `json:"dueSoon"`
	Pending   int            `json:"pending"`
	Conflicts int            `json:"conflicts"`
	Uploads   int            `json:"uploads"`
	LastSync  *time.Time     `json:"lastSync"`
	// Update is what the last update check found (absent before the first).
	Update *streetdesk.UpdateStatus `json:"update,omitempty"`
}

func (m *Main) cmdStatus(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("status", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "JSON output")
	s, _, err := m.open(ctx, fs, args)
	if err != nil {
		return err
	}
	defer s.Close()
	c, err := s.desk.Counts(ctx)
	if err != nil {
		return err
	}
	out := statusJSON{User: s.profile.Username, Server: s.profile.Server, ByStatus: map[string]int{},
		Overdue: c.Overdue, DueSoon: c.DueSoon, Pending: c.Pending, Conflicts: c.Conflicts, Uploads: c.Uploads}
	for st, n := range c.ByStatus {
		out.ByStatus[string(st)] = n
	}
	if !c.LastSync.IsZero() {
		// China time to the second, like every other time the CLI prints.
		t := c.LastSync.In(streetdesk.ChinaTZ).Truncate(time.Second)
		out.LastSync = &t
	}
	out.Update = m.currentUpdate()
	if *asJSON {
		return printJSON(m.Stdout, out)
	}
	tw := columns.NewWriter(m.Stdout)
	fmt.Fprintf(tw, "user\t%s @ %s\n", s.profile.Username, s.profile.Server)
	for _, st := range streetdesk.Statuses {
		if n := c.ByStatus[st]; n > 0 {
			fmt.Fprintf(tw, "%s\t%d\n", translation.For(translation.English).Name(st), n)
		}
	}
	fmt.Fprintf(tw, "overdue\t%d\ndue within 2h\t%d\npending changes\t%d\nconflicts\t%d\nphotos to upload\t%d\n",
		c.Overdue, c.DueSoon, c.Pending, c.Conflicts, c.Uploads)
	last := "never"
	if !c.LastSync.IsZero() {
		last = c.LastSync.In(streetdesk.ChinaTZ).Format("2006-01-02 15:04:05")
	}
	fmt.Fprintf(tw, "last sync\t%s\n", last)
	return tw.Flush()
}

type orderJSON struct {
	streetdesk.WorkOrder
	Pending   int  `json:"pending"`
	Conflicts int  `json:"conflicts"`
	Overdue   bool `json:"overdue"`
}

func (m *Main) cmdOrders(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("orders", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "JSON output")
	status := fs.String("status", "", "comma-separated states (e.g. dispatched,accepted)")
	search := fs.String("search", "", "full-text search")
	limit := fs.Int("limit", 0, "at most this many orders (default all)")
	if _, err := parseInterleaved(fs, args); err != nil {
		return err
	}
	f := streetdesk.QueueFilter{Text: *search}
	if *status != "" {
		for _, v := range strings.Split(*status, ",") {
			st, err := streetdesk.ParseStatus(strings.TrimSpace(v))
			if err != nil {
				return err
			}
			f.Statuses = append(f.Statuses, st)
		}
	}
	s, err := m.openSession(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	items, err := allOrders(ctx, s.desk, f, *limit)
	if err != nil {
		return err
	}
	now := m.Now()
	if *asJSON {
		out := make([]orderJSON, 0, len(items))
		for _, it := range items {
			out = append(out, orderJSON{WorkOrder: it.Order, Pending: it.Pending, Conflicts: it.Conflicts, Overdue: it.Order.Overdue(now)})
		}
		return printJSON(m.Stdout, out)
	}
	tw := columns.NewWriter(m.Stdout)
	zh := cliWords()
	for _, it := range items {
		o := it.Order
		marks := ""
		if o.Supervised {
			marks += " " + zh.T("cli.mark.supervised", "supervised")
		}
		if o.Cycle > 0 {
			marks += " " + zh.T("cli.mark.reopened", "reopened")
		}
		if it.Pending > 0 {
			marks += " " + zh.T("cli.mark.pending", "to sync")
		}
		if it.Conflicts > 0 {
			marks += " ⚠"
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s%s\n", o.ID, zh.Name(o.Status),
			zh.Remaining(o.CurrentDeadline(), now), o.Title, o.Location.StreetOffice, marks)
	}
	return tw.Flush()
}

// allOrders pages through the queue.
func allOrders(ctx context.Context, d streetdesk.OrderService, f streetdesk.QueueFilter, limit int) ([]streetdesk.QueueItem, error) {
	var out []streetdesk.QueueItem
	f.Limit = streetdesk.MaxPageSize
	for {
		page, err := d.Queue(ctx, f)
		if err != nil {
			return nil, err
		}
		out = append(out, page.Items...)
		if limit > 0 && len(out) >= limit {
			return out[:limit], nil
		}
		if len(page.Items) < f.Limit || len(out) >= page.Total {
			return out, nil
		}
		f.Offset += len(page.Items)
	}
}

func (m *Main) cmdAction(ctx context.Context, cmd string, args []string) error {
	fs := flag.NewFlagSet(cmd, flag.ContinueOnError)
	tag := fs.String("tag", "", "photo tag: before|after")
	caption := fs.String("caption", "", "photo caption")
	outcome := fs.String("outcome", "", "resolution outcome: solved|partly|explained")
	reply := fs.String("reply", "", "the reply text to the citizen")
	cite := fs.Bool("cite-event", false, "resolve: start the reply with the resolution of the big-data event the order belongs to (参照大数据事件 ID 的处理结果：…); --reply is added after it")
	photos := fs.String("photos", "", "comma-separated photo ids for the resolution (default: all photos of this cycle)")
	publish := fs.String("publish", "", "resolve: comma-separated \"after\" photo ids the citizen may see on the progress page (default: none)")
	reason := fs.String("reason", "", "reason (code for return; text for extend)")
	text := fs.String("text", "", "explanation")
	until := fs.String("until", "", "new resolve-by (2006-01-02T15:04, China time)")
	method := fs.String("method", "phone", "contact method: phone|visit|sms")
	var explain explainFlag
	fs.Var(&explain, "explain", "resolve: a one-line explanation of a photo warning, CODE=TEXT or PHOTO-ID:CODE=TEXT (repeatable)")
	reached := fs.Bool("reached", false, "the citizen was reached")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		return streetdesk.Errorf(streetdesk.EINVALID, "%s needs an ORDER-ID", cmd)
	}
	id, rest := streetdesk.NormalizeOrderID(pos[0]), pos[1:]
	s, err := m.openSession(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	d := s.desk
	switch cmd {
	case "accept":
		err = d.Accept(ctx, id)
	case "note":
		if len(rest) == 0 {
			return streetdesk.Errorf(streetdesk.EINVALID, "note needs TEXT")
		}
		err = d.AddNote(ctx, id, strings.Join(rest, " "))
	case "contact":
		err = d.RecordContact(ctx, id, streetdesk.ContactInput{Method: streetdesk.ContactMethod(*method), Reached: *reached, Body: strings.Join(rest, " ")})
	case "photo":
		if len(rest) == 0 {
			return streetdesk.Errorf(streetdesk.EINVALID, "photo needs at least one FILE")
		}
		in := make([]streetdesk.PhotoInput, 0, len(rest))
		for _, p := range rest {
			abs, _ := filepath.Abs(p)
			in = append(in, streetdesk.PhotoInput{Path: abs, Tag: streetdesk.PhotoTag(*tag), Caption: *caption})
		}
		var refs []streetdesk.PhotoRef
		refs, err = d.AttachPhotos(ctx, id, in)
		for _, r := range refs {
			fmt.Fprintf(m.Stdout, "photo %s %s\n", r.ID, r.SHA256)
		}
	case "resolve":
		in := streetdesk.ResolveInput{Outcome: streetdesk.Outcome(*outcome), Reply: *reply}
		var det *streetdesk.OrderDetail
		if *photos == "" || *cite {
			if det, err = d.Order(ctx, id); err != nil {
				return err
			}
		}
		if *cite {
			er := det.Order.EventResolution
			if er == nil || er.EventID != det.Order.EventID {
				return streetdesk.Errorf(streetdesk.EINVALID, "--cite-event: order %s is not part of a resolved big-data event", id)
			}
			in.Reply = cliWords().CiteEvent(er) + *reply
		}
		if *photos != "" {
			in.PhotoRefIDs = strings.Split(*photos, ",")
		} else {
			for _, p := range det.Photos {
				if p.Cycle == det.Order.Cycle && p.AuthorID == d.Me().ID {
					in.PhotoRefIDs = append(in.PhotoRefIDs, p.ID)
				}
			}
		}
		if *publish != "" {
			in.PublishPhotoRefIDs = strings.Split(*publish, ",")
		}
		if in.Evidence, err = explain.explanations(in.PhotoRefIDs); err != nil {
			return err
		}
		var res streetdesk.Resolution
		if res, err = d.Resolve(ctx, id, in); err == nil {
			m.printChecks(res.EvidenceChecks)
		}
	case "return":
		err = d.RequestReturn(ctx, id, streetdesk.ReturnReason(*reason), *text)
	case "extend":
		t, perr := time.ParseInLocation("2006-01-02T15:04", *until, streetdesk.ChinaTZ)
		if perr != nil {
			return streetdesk.Errorf(streetdesk.EINVALID, "--until %q: want 2006-01-02T15:04", *until)
		}
		err = d.RequestExtension(ctx, id, *reason, t)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "saved on this computer: %s %s (will sync)\n", cmd, id)
	return nil
}

func (m *Main) cmdReassign(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("reassign", flag.ContinueOnError)
	to := fs.String("to", "", "username or user id of the new assignee")
	reason := fs.String("reason", "", "why")
	ids, err := orderIDs(parseInterleaved(fs, args))
	if err != nil {
		return err
	}
	if len(ids) == 0 || *to == "" {
		return streetdesk.Errorf(streetdesk.EINVALID, "reassign needs ORDER-ID… and --to USER")
	}
	s, err := m.openSession(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	target := *to
	if team, err := s.desk.Team(ctx); err == nil {
		for _, mem := range team.Members {
			if mem.Username == *to || mem.ID == *to {
				target = mem.ID
			}
		}
	}
	if err := s.desk.Reassign(ctx, ids, target, *reason); err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "saved on this computer: reassign %d order(s) to %s (will sync)\n", len(ids), *to)
	return nil
}

func (m *Main) cmdExport(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("export", flag.ContinueOnError)
	format := fs.String("format", "csv", "csv|xlsx")
	out := fs.String("out", "", "output file")
	if _, err := parseInterleaved(fs, args); err != nil {
		return err
	}
	if *out == "" {
		return streetdesk.Errorf(streetdesk.EINVALID, "export needs --out FILE")
	}
	if *format != "csv" && *format != "xlsx" {
		return streetdesk.Errorf(streetdesk.EINVALID, "--format must be csv or xlsx")
	}
	s, err := m.openSession(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	n, err := exportLedger(ctx, s.desk, newLedgerMeta(s.profile.User, m.Now()), *format, *out)
	if err != nil {
		return err
	}
	fmt.Fprintf(m.Stdout, "exported %d order(s) to %s\n", n, *out)
	return nil
}

func (m *Main) cmdShow(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("show", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "JSON output")
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return streetdesk.Errorf(streetdesk.EINVALID, "show needs one ORDER-ID")
	}
	s, err := m.openSession(ctx)
	if err != nil {
		return err
	}
	defer s.Close()
	d, err := s.desk.Order(ctx, streetdesk.NormalizeOrderID(pos[0]))
	if err != nil {
		return err
	}
	if *asJSON {
		return printJSON(m.Stdout, emptyLists(d))
	}
	o := d.Order
	now := m.Now()
	zh := cliWords()
	fmt.Fprintf(m.Stdout, "%s  %s  %s\n%s\n%s  %s\n%s %s\n%s\n\n%s\n\n",
		o.ID, zh.Name(o.Status), zh.Remaining(o.CurrentDeadline(), now), o.Title,
		o.Category.Path(), zh.T("cli.show.department", "department: {{.D}}", map[string]string{"D": o.Category.Department}),
		o.Location.District, o.Location.Address,
		zh.T("cli.show.citizen", "citizen: {{.Name}} {{.Phone}}", map[string]string{"Name": o.Citizen.Name, "Phone": streetdesk.MaskPhone(o.Citizen.Phone)}),
		o.Complaint)
	switch {
	case o.IsEvent():
		fmt.Fprintf(m.Stdout, "%s\n\n", zh.T("cli.show.event", "Big-data event · {{.N}} member orders: {{.IDs}}",
			map[string]any{"N": len(o.Members), "IDs": strings.Join(o.Members, " ")}))
	case o.EventID != "":
		fmt.Fprintln(m.Stdout, zh.T("cli.show.inEvent", "Part of big-data event {{.ID}}", map[string]string{"ID": o.EventID}))
		if er := o.EventResolution; er != nil && er.EventID == o.EventID {
			fmt.Fprintln(m.Stdout, zh.T("cli.show.eventResolved", "The event was resolved ({{.O}}, {{.T}}). Its reply: {{.R}}",
				map[string]string{"O": zh.Name(er.Outcome), "T": er.ResolvedAt.In(streetdesk.ChinaTZ).Format("01-02 15:04"), "R": er.Reply}))
			fmt.Fprintln(m.Stdout, zh.T("cli.show.citeHint", "To cite it: streetdesk resolve {{.ID}} --cite-event [--reply MORE]", map[string]string{"ID": o.ID}))
		}
		fmt.Fprintln(m.Stdout)
	}
	marks := map[streetdesk.ItemSync]string{streetdesk.SyncPending: "  " + zh.T("cli.sync.pending", "⟳ to sync"),
		streetdesk.SyncConflict: "  " + zh.T("cli.sync.conflict", "⚠ needs attention"), streetdesk.SyncUploading: "  " + zh.T("cli.sync.uploading", "⬆ uploading")}
	for _, e := range d.Timeline {
		line := strings.Join(nonEmpty(e.At.In(streetdesk.ChinaTZ).Format("01-02 15:04"), e.Actor,
			zh.TimelineKind(e.Kind), zh.TimelineDetail(&e)), " ")
		fmt.Fprintf(m.Stdout, "%s%s\n", line, marks[e.Sync])
	}
	if d.Revoked {
		fmt.Fprintf(m.Stdout, "\n%s\n", zh.Say(d.RevokeNote))
	}
	return nil
}

func (m *Main) cmdConflicts(ctx context.Context, args []string) error {
	fs := flag.NewFlagSet("conflicts", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "JSON output")
	all := fs.Bool("all", false, "include dismissed entries")
	s, _, err := m.open(ctx, fs, args)
	if err != nil {
		return err
	}
	defer s.Close()
	cs, err := s.desk.Conflicts(ctx, *all)
	if err != nil {
		return err
	}
	if *asJSON {
		if cs == nil {
			cs = []streetdesk.Conflict{}
		}
		return printJSON(m.Stdout, cs)
	}
	for _, c := range cs {
		fmt.Fprintf(m.Stdout, "%d\t%s\t%s\t%s\t%s\n", c.ID, c.OrderID, c.Name, c.Code, cliWords().Say(c.Explanation))
	}
	return nil
}

var configKeys = map[string]func(*Settings) *int{
	"download-budget-mb": func(s *Settings) *int { return &s.DownloadBudgetMB },
	"downscale-max-side": func(s *Settings) *int { return &s.DownscaleMaxSide },
}

// cmdConfig shows or sets the profile's settings.
func (m *Main) cmdConfig(ctx context.Context, args []string) error {
	p, err := loadCurrent(m.DataDir)
	if err != nil {
		return err
	}
	switch len(args) {
	case 0:
		fmt.Fprintf(m.Stdout, "download-budget-mb\t%d\t(photos others attached, kept for offline viewing; 0 = 200)\n", p.Settings.DownloadBudgetMB)
		fmt.Fprintf(m.Stdout, "downscale-max-side\t%d\t(shrink photos before sending; 0 = send as taken)\n", p.Settings.DownscaleMaxSide)
		return nil
	case 1, 2:
		f, ok := configKeys[args[0]]
		if !ok {
			return streetdesk.Errorf(streetdesk.EINVALID, "unknown setting %q (download-budget-mb, downscale-max-side)", args[0])
		}
		if len(args) == 1 {
			fmt.Fprintln(m.Stdout, *f(&p.Settings))
			return nil
		}
		v, err := strconv.Atoi(args[1])
		if err != nil || v < 0 || v > 100000 {
			return streetdesk.Errorf(streetdesk.EINVALID, "%s must be a whole number from 0 to 100000", args[0])
		}
		*f(&p.Settings) = v
		return saveProfile(m.DataDir, p)
	}
	return streetdesk.Errorf(streetdesk.EINVALID, "config takes at most KEY VALUE")
}

// open parses a subcommand's flags (positional arguments returned) and
// opens the current profile.
func (m *Main) open(ctx context.Context, fs *flag.FlagSet, args []string) (*session, []string, error) {
	pos, err := parseInterleaved(fs, args)
	if err != nil {
		return nil, nil, err
	}
	s, err := m.openSession(ctx)
	if err != nil {
		return nil, nil, err
	}
	return s, pos, nil
}

// orderIDs returns typed order ids as the platform keeps them
// (streetdesk.NormalizeOrderID: upper case, trimmed), so an id read off a
// message in lower case finds the order.
func orderIDs(ids []string, err error) ([]string, error) {
	for i := range ids {
		ids[i] = streetdesk.NormalizeOrderID(ids[i])
	}
	return ids, err
}

func printJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func nonEmpty(ss ...string) []string {
	out := ss[:0:0]
	for _, s := range ss {
		if s != "" {
			out = append(out, s)
		}
	}
	return out
}

// emptyLists gives an order's lists as [] rather than null in JSON, so
// scripts can iterate without a check.
func emptyLists(d *streetdesk.OrderDetail) *streetdesk.OrderDetail {
	c := *d
	if c.Notes == nil {
		c.Notes = []streetdesk.LocalNote{}
	}
	if c.Photos == nil {
		c.Photos = []streetdesk.LocalPhoto{}
	}
	if c.Resolutions == nil {
		c.Resolutions = []streetdesk.LocalResolution{}
	}
	if c.Timeline == nil {
		c.Timeline = []streetdesk.TimelineEntry{}
	}
	if c.Conflicts == nil {
		c.Conflicts = []streetdesk.Conflict{}
	}
	if c.Allowed == nil {
		c.Allowed = []streetdesk.Operation{}
	}
	return &c
}

// cliWords are the words of the order list, the order view and the inbox:
// Chinese, the caseworkers' language, whatever the locale (the rest of the
// command line speaks English).
func cliWords() *translation.Words { return translation.For(translation.Chinese) }
