package platform_test

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/streetdesk/streetdesk"
	"github.com/streetdesk/streetdesk/internal/pgtest"
	"github.com/streetdesk/streetdesk/platform"
	"github.com/streetdesk/streetdesk/platform/pgstore"
)

// needPostgres skips a test of PostgreSQL's own faults in the SQLite pass;
// make test runs the suite again with STREETDESK_TEST_DB=postgres.
func needPostgres(t *testing.T) {
	t.Helper()
	if !pgtest.Postgres() {
		t.Skip("PostgreSQL only: runs under STREETDESK_TEST_DB=postgres")
	}
}

// ownCluster starts a PostgreSQL server for one test (one the test may
// stop), durable: what was committed survives a crash.
func ownCluster(t *testing.T) *pgtest.Cluster {
	t.Helper()
	c, err := pgtest.Start(pgtest.Options{Durable: true})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Remove() })
	return c
}

// TestPostgresRestartedWhileServing: while PostgreSQL is down every request
// that needs it is answered 503 with Retry-After (never 500, never a hang),
// and once it is back the same platform serves again, without a restart.
func TestPostgresRestartedWhileServing(t *testing.T) {
	needPostgres(t)
	pg := ownCluster(t)
	ctx := context.Background()
	name, err := pg.CreateDB(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, func(c *platform.Config) {
		c.DBPath, c.DBWait, c.TokenCacheTTL = pg.URL(name), 500*time.Millisecond, -1
	})
	o := e.dispatch("teamA", "cw01")
	tok := e.token("cw01")
	c := e.client("cw01")
	if r := c.pushOne(c.mut(streetdesk.MutAccept, o, streetdesk.AcceptArgs{})); r.Status != streetdesk.ResultApplied {
		t.Fatalf("accept: %+v", r)
	}
	cursor := c.pull("", 0).Cursor

	if err := pg.Kill(); err != nil {
		t.Fatal(err)
	}
	unavailable := [2]string{"503 Retry-After:1", streetdesk.EINTERNAL}
	for _, path := range []string{"/v1/me", "/v1/sync/pull?clientId=" + c.id + "&cursor=" + cursor, "/v1/team"} {
		start := time.Now()
		if got := <-e.get(ctx, path, tok); got != unavailable {
			t.Errorf("GET %s with PostgreSQL down: %v, want %v", path, got, unavailable)
		}
		if d := time.Since(start); d > 10*time.Second {
			t.Errorf("GET %s took %s", path, d)
		}
	}
	note := c.mut(streetdesk.MutAddNote, o, streetdesk.AddNoteArgs{NoteID: newID(), Body: "现场查看"})
	if st, _, body := c.push(note); st != 503 {
		t.Errorf("push with PostgreSQL down: %d %s", st, body)
	}

	if err := pg.Restart(); err != nil {
		t.Fatal(err)
	}
	// Broken connections are dropped as they are found: a request may
	// still meet one (503 again) before the platform serves.
	deadline := time.Now().Add(30 * time.Second)
	for {
		got := <-e.get(ctx, "/v1/me", tok)
		if got[0] == "200 Retry-After:" {
			break
		}
		if got != unavailable || time.Now().After(deadline) {
			t.Fatalf("after the restart: %v", got)
		}
	}
	// The desk sends the refused push again.
	var r streetdesk.MutationResult
	for {
		st, pr, body := c.push(note)
		if st == 200 {
			r = pr.Results[0]
			break
		}
		if st != 503 || time.Now().After(deadline) {
			t.Fatalf("push after the restart: %d %s", st, body)
		}
	}
	if r.Status != streetdesk.ResultApplied {
		t.Fatalf("note after the restart: %+v", r)
	}
	if p := c.pull(cursor, 0); len(p.Changes) == 0 {
		t.Fatal("the pull after the restart sees nothing new")
	}
}

// TestPostgresPoolExhausted: with every connection taken, a request waits
// at most DBWait and gets 503 with Retry-After; it does not hang.
func TestPostgresPoolExhausted(t *testing.T) {
	needPostgres(t)
	g := newGate()
	e := newEnv(t, func(c *platform.Config) {
		c.DBMaxConns, c.DBWait, c.TokenCacheTTL = 1, 200*time.Millisecond, -1
		c.Hooks.BeforeCommit = g.hook
	})
	o := e.dispatch("teamA", "cw01")
	tok := e.token("cw01")
	c := e.client("cw01")
	held := c.pushAsync(context.Background(), c.mut(streetdesk.MutAddNote, o, streetdesk.AddNoteArgs{NoteID: newID(), Body: "现场查看"}))
	<-g.in // the push's transaction holds the only connection
	start := time.Now()
	if got, want := <-e.get(context.Background(), "/v1/sync/pull", tok), [2]string{"503 Retry-After:1", streetdesk.EINTERNAL}; got != want {
		t.Errorf("pull with the pool taken: %v, want %v", got, want)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("the refused pull took %s", d)
	}
	close(g.open)
	if st := <-held; st != 200 {
		t.Fatalf("held push: %d", st)
	}
	if got := <-e.get(context.Background(), "/v1/sync/pull", tok); got[0] != "200 Retry-After:" {
		t.Fatalf("pull after the push: %v", got)
	}
}

// TestPostgresConcurrentMigration: two instances starting on a new
// database at once — one migrates, the other waits for it on the migration
// lock and then finds nothing to do; each migration is recorded once.
func TestPostgresConcurrentMigration(t *testing.T) {
	needPostgres(t)
	ctx := context.Background()
	pg := pgtest.Shared(t)
	name, err := pg.CreateDB(ctx, "")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { pg.DropDB(context.Background(), name) })
	url := pg.URL(name)

	// A third party holds the migration lock: both instances must wait.
	holder, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer holder.Close(ctx)
	var key int64
	if err := holder.QueryRow(ctx, `SELECT pg_advisory_lock($1), $1::bigint`, pgstore.MigrationLock).Scan(nil, &key); err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	errs := make([]error, 2)
	dbs := make([]*pgstore.DB, 2)
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dbs[i], errs[i] = pgstore.Open(ctx, url, pgstore.Options{})
		}()
	}
	deadline := time.Now().Add(20 * time.Second)
	for {
		var waiting int
		if err := holder.QueryRow(ctx, `SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted AND objid = $1`, uint32(key)).Scan(&waiting); err != nil {
			t.Fatal(err)
		}
		if waiting == 2 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d instances wait for the migration lock, want 2", waiting)
		}
		time.Sleep(10 * time.Millisecond)
	}
	var tables int
	if err := holder.QueryRow(ctx, `SELECT count(*) FROM pg_tables WHERE schemaname = 'public'`).Scan(&tables); err != nil || tables != 0 {
		t.Fatalf("tables made while the lock was held elsewhere: %d %v", tables, err)
	}
	if _, err := holder.Exec(ctx, `SELECT pg_advisory_unlock($1)`, key); err != nil {
		t.Fatal(err)
	}
	wg.Wait()
	for i := range 2 {
		if errs[i] != nil {
			t.Fatalf("instance %d: %v", i, errs[i])
		}
		dbs[i].Close()
	}
	var n, distinct int
	if err := holder.QueryRow(ctx, `SELECT count(*), count(DISTINCT version) FROM schema_migrations`).Scan(&n, &distinct); err != nil {
		t.Fatal(err)
	}
	if n != pgstore.Migrations() || distinct != n {
		t.Fatalf("schema_migrations: %d rows, %d versions; want %d once each", n, distinct, pgstore.Migrations())
	}
}

// TestPostgresRefusesNewerSchema: a database migrated by a newer platformd
// is refused, not written to.
func TestPostgresRefusesNewerSchema(t *testing.T) {
	needPostgres(t)
	ctx := context.Background()
	url := pgtest.DB(t)
	conn, err := pgx.Connect(ctx, url)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, fmt.Sprintf(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (%d, 'future.sql', 0)`, pgstore.Migrations()+1)); err != nil {
		t.Fatal(err)
	}
	_, err = platform.Open(ctx, platform.Config{DBPath: url, MediaDir: t.TempDir()})
	if streetdesk.ErrorCode(err) != streetdesk.EINVALID || !strings.Contains(err.Error(), "newer platformd") {
		t.Fatalf("Open of a newer schema: %v, want EINVALID", err)
	}
}

// TestTwoInstancesOneDatabase: two platform instances on one database
// share everything a desk depends on — a token issued by one is good on the
// other, and a cursor one issued pages on at the other without a reset.
func TestTwoInstancesOneDatabase(t *testing.T) {
	e := newEnv(t)
	other, err := platform.Open(context.Background(), platform.Config{DBPath: e.dbPath, MediaDir: t.TempDir(), Now: e.clock.Now})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { other.Close() })
	b := startHTTP(t, other.Handler())
	o := e.dispatch("teamA", "cw01")
	c := e.client("cw01")
	first := c.pull("", 0)
	if r := c.pushOne(c.mut(streetdesk.MutAccept, o, streetdesk.AcceptArgs{})); r.Status != streetdesk.ResultApplied {
		t.Fatalf("accept on A: %+v", r)
	}
	a := e.ts
	e.ts = b // the same desk, now through instance B
	defer func() { e.ts = a }()
	p := c.pull(first.Cursor, 0)
	if p.Reset || len(p.Changes) == 0 || p.LastMutationID != 1 {
		t.Fatalf("B's answer to A's cursor: reset %v, %d changes, lastMutationId %d", p.Reset, len(p.Changes), p.LastMutationID)
	}
	if again := c.pull(p.Cursor, 0); len(again.Changes) != 0 || again.Reset {
		t.Fatalf("nothing new on B: %d changes, reset %v", len(again.Changes), again.Reset)
	}
}
