package sqlitestore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"sync"

	"github.com/streetdesk/streetdesk/platform/store"
	sqlite "modernc.org/sqlite" // the embedded default database
	sqlite3 "modernc.org/sqlite/lib"
)

func openDB(path string, writer bool) (*pool, error) {
	q := url.Values{}
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(FULL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Add("_pragma", "busy_timeout(10000)")
	q.Add("_pragma", "temp_store(MEMORY)") // savepoint sub-journals stay in memory
	// A page cache that holds a district's working set: without it every
	// page read is a system call.
	if writer {
		q.Add("_pragma", "cache_size(-65536)")
	} else {
		q.Add("_pragma", "cache_size(-32768)")
	}
	// Pages are read straight from the mapped file instead of being copied
	// into each connection's cache: a first sync's pages of order JSON
	// cost about a tenth less CPU. Writes still go through the cache and
	// write(2), so durability is unchanged.
	q.Add("_pragma", "mmap_size(268435456)")
	if writer {
		q.Set("_txlock", "immediate")
		q.Add("_pragma", fmt.Sprintf("wal_autocheckpoint(%d)", checkpointBackstop)) // see checkpoint.go
	}
	db, err := sql.Open("sqlite", "file:"+path+"?"+q.Encode())
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	n := 4
	if writer {
		n = 1 // one writer; SQLite serializes writes anyway
	}
	// Connections stay open: each holds its page cache and its prepared
	// statements (database/sql would close all but two idle ones).
	db.SetMaxOpenConns(n)
	db.SetMaxIdleConns(n)
	return &pool{DB: db, stmts: map[string]*sql.Stmt{}}, nil
}

// pool is a database/sql pool whose statements are prepared once per
// connection and kept: parsing the same SQL again for every request was
// half of the platform's CPU under load. Queries outside a transaction use
// the cache directly; a transaction (tx) uses it through Tx.StmtContext,
// and asks for what it lacks to be prepared after it ends (its connection is
// busy until then; on the single writer, preparing inside would deadlock).
type pool struct {
	*sql.DB
	// committed, if set (the writer), is told of every write that
	// committed: the checkpointer's nudge.
	committed func()
	mu        sync.Mutex
	stmts     map[string]*sql.Stmt
	wanted    map[string]bool
}

// maxStmts bounds the cache; statements past it run unprepared. Only
// queries built with a variable number of arguments (IN lists, multi-row
// INSERTs of up to a push's 100 mutations) make many distinct texts.
const maxStmts = 1024

// stmt returns q prepared on the pool, preparing it if needed (the caller
// must not hold one of the pool's connections), or nil past maxStmts.
func (p *pool) stmt(ctx context.Context, q string) (*sql.Stmt, error) {
	p.mu.Lock()
	st, ok := p.stmts[q]
	full := len(p.stmts) >= maxStmts
	p.mu.Unlock()
	if ok || full {
		return st, nil
	}
	st, err := p.DB.PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	if prev, dup := p.stmts[q]; dup {
		st.Close()
		return prev, nil
	}
	p.stmts[q] = st
	return st, nil
}

// cached returns q if it is prepared; otherwise nil, and q is prepared at
// the next prepareWanted.
func (p *pool) cached(q string) *sql.Stmt {
	p.mu.Lock()
	defer p.mu.Unlock()
	st, ok := p.stmts[q]
	if !ok && len(p.stmts)+len(p.wanted) < maxStmts {
		if p.wanted == nil {
			p.wanted = map[string]bool{}
		}
		p.wanted[q] = true
	}
	return st
}

// prepareWanted prepares what transactions asked for; it runs after a
// transaction ended, when the caller holds no connection.
func (p *pool) prepareWanted(ctx context.Context) {
	p.mu.Lock()
	qs := p.wanted
	p.wanted = nil
	p.mu.Unlock()
	for q := range qs {
		_, _ = p.stmt(ctx, q) // an error leaves q unprepared: it runs as before
	}
}

func (p *pool) queryRow(ctx context.Context, q string, args ...any) row {
	st, err := p.stmt(ctx, q)
	if err != nil || st == nil {
		return row{p.DB.QueryRowContext(ctx, q, args...)} // the error surfaces at Scan
	}
	return row{st.QueryRowContext(ctx, args...)}
}

func (p *pool) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	st, err := p.stmt(ctx, q)
	if err != nil {
		return nil, translate(err)
	}
	var rows *sql.Rows
	if st == nil {
		rows, err = p.DB.QueryContext(ctx, q, args...)
	} else {
		rows, err = st.QueryContext(ctx, args...)
	}
	return rows, translate(err)
}

func (p *pool) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	st, err := p.stmt(ctx, q)
	if err != nil {
		return nil, translate(err)
	}
	var res sql.Result
	if st == nil {
		res, err = p.DB.ExecContext(ctx, q, args...)
	} else {
		res, err = st.ExecContext(ctx, args...)
	}
	if err == nil && p.committed != nil {
		p.committed() // a write outside a transaction commits on its own
	}
	return res, translate(err)
}

// Close closes the statements and the pool.
func (p *pool) Close() error {
	p.mu.Lock()
	for _, st := range p.stmts {
		st.Close()
	}
	p.stmts = map[string]*sql.Stmt{}
	p.mu.Unlock()
	return p.DB.Close()
}

// tx wraps a transaction. Its statements use the pool's prepared ones (a
// push runs the same few statements for every mutation), each bound to the
// transaction once.
type tx struct {
	*sql.Tx
	pool  *pool
	conn  *sql.Conn // returned to the pool when the transaction ends
	stmts map[string]*sql.Stmt
	ended bool
}

// Statements in a transaction run with a context that is never canceled
// (database/sql and the driver would start a goroutine per statement to
// watch it): a write transaction runs to its end, and reads check their
// request's context themselves between steps.

func (t *tx) stmt(ctx context.Context, q string) (*sql.Stmt, error) {
	if st, ok := t.stmts[q]; ok {
		return st, nil
	}
	var st *sql.Stmt
	if ps := t.pool.cached(q); ps != nil {
		st = t.Tx.StmtContext(ctx, ps)
	} else {
		var err error
		if st, err = t.Tx.PrepareContext(ctx, q); err != nil {
			return nil, err
		}
	}
	if t.stmts == nil {
		t.stmts = map[string]*sql.Stmt{}
	}
	t.stmts[q] = st
	return st, nil
}

func (t *tx) exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	ctx = context.WithoutCancel(ctx)
	st, err := t.stmt(ctx, q)
	if err != nil {
		return nil, translate(err)
	}
	res, err := st.ExecContext(ctx, args...)
	return res, translate(err)
}

func (t *tx) query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	ctx = context.WithoutCancel(ctx)
	st, err := t.stmt(ctx, q)
	if err != nil {
		return nil, translate(err)
	}
	rows, err := st.QueryContext(ctx, args...)
	return rows, translate(err)
}

func (t *tx) queryRow(ctx context.Context, q string, args ...any) row {
	ctx = context.WithoutCancel(ctx)
	st, err := t.stmt(ctx, q)
	if err != nil {
		// Let the error surface at Scan, as database/sql does.
		return row{t.Tx.QueryRowContext(ctx, q, args...)}
	}
	return row{st.QueryRowContext(ctx, args...)}
}

// Commit commits and then prepares what the transaction lacked.
func (t *tx) Commit() error {
	err := t.Tx.Commit()
	if err == nil && t.pool.committed != nil {
		t.pool.committed()
	}
	t.end()
	return translate(err)
}

// Rollback rolls back (a no-op after Commit) and then prepares what the
// transaction lacked.
func (t *tx) Rollback() error {
	err := t.Tx.Rollback()
	t.end()
	if errors.Is(err, sql.ErrTxDone) {
		return nil
	}
	return err
}

func (t *tx) end() {
	if !t.ended {
		t.ended = true
		_ = t.conn.Close() // database/sql reports nothing useful here
		t.pool.prepareWanted(context.Background())
	}
}

func beginOn(ctx context.Context, p *pool, opts *sql.TxOptions) (*tx, error) {
	conn, err := p.Conn(ctx)
	if err != nil {
		return nil, fmt.Errorf("begin: %w", translate(err))
	}
	// Statements run with a context that is never canceled: the driver
	// then needs no goroutine per statement to interrupt it.
	t, err := conn.BeginTx(context.WithoutCancel(ctx), opts)
	if err != nil {
		_ = conn.Close() // the failed begin is what to report
		return nil, fmt.Errorf("begin: %w", translate(err))
	}
	return &tx{Tx: t, pool: p, conn: conn}, nil
}

// row is a *sql.Row whose Scan translates errors.
type row struct{ r *sql.Row }

func (r row) Scan(dest ...any) error { return translate(r.r.Scan(dest...)) }

// translate marks SQLite's "busy" (the writer held past busy_timeout) and
// "locked" as store.ErrUnavailable; other errors pass unchanged.
func translate(err error) error {
	var se *sqlite.Error
	if err == nil || !errors.As(err, &se) {
		return err
	}
	switch se.Code() & 0xff {
	case sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED:
		return fmt.Errorf("%w: %w", store.ErrUnavailable, err)
	}
	return err
}

// isUnique reports whether err is SQLite's unique (or primary key)
// constraint failing, by its extended result code.
func isUnique(err error) bool {
	var se *sqlite.Error
	if !errors.As(err, &se) {
		return false
	}
	return se.Code() == sqlite3.SQLITE_CONSTRAINT_UNIQUE || se.Code() == sqlite3.SQLITE_CONSTRAINT_PRIMARYKEY
}
