package pgstore

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
)

// pipe is a write transaction's connection. Statements whose answer nobody
// waits for (the transaction's own BEGIN and writer lock, most writes, the
// change log, NOTIFY, COMMIT) are held back and sent in one batch with the
// next statement whose answer is needed, or with the commit: a push then
// costs the writer's turn about 6 round trips to PostgreSQL instead of 14,
// which is what bounds pushes per second across the instances (every write
// transaction holds the writer lock from its first statement to COMMIT).
//
// A held-back statement that fails makes the statement it travels with fail
// (PostgreSQL skips the rest of the batch): the transaction is lost either
// way, as it would be had the statement been sent alone.
type pipe struct {
	c       *pgx.Conn
	held    []heldStmt
	started bool // something reached the server: cancelling a write is too late
	reads   bool // a read-only transaction: a client gone stops it any time
	// sent and held are when the first batch went out and when its held
	// statements (a write transaction's BEGIN and writer lock) were
	// answered: where a write's time goes (writeTx.logTimes).
	sent, heldDone time.Time
}

// heldStmt is a statement waiting for the next round trip; what names it
// in an error.
type heldStmt struct {
	what, sql string
	args      []any
}

// later holds a statement back until the next round trip.
func (p *pipe) later(what, sql string, args ...any) {
	p.held = append(p.held, heldStmt{what, sql, args})
}

// ctx is the context of the next round trip: until a write transaction
// has sent anything (its BEGIN and the wait for the writer lock travel with
// the first statement) a client that goes away stops it; after that it runs
// to its end.
func (p *pipe) ctx(ctx context.Context) context.Context {
	if p.started && !p.reads {
		return context.WithoutCancel(ctx)
	}
	return ctx
}

// send sends the held statements followed by then in one batch; the
// caller reads then's results from the batch and closes it.
func (p *pipe) send(ctx context.Context, then ...heldStmt) (pgx.BatchResults, error) {
	b := &pgx.Batch{}
	for _, h := range append(p.held, then...) {
		b.Queue(h.sql, h.args...)
	}
	held := p.held
	p.held = nil
	if !p.started {
		p.sent = time.Now()
	}
	br := p.c.SendBatch(p.ctx(ctx), b)
	p.started = true
	for _, h := range held {
		if _, err := br.Exec(); err != nil {
			return nil, errors.Join(fmt.Errorf("%s: %w", h.what, translate(err)), br.Close())
		}
	}
	if p.heldDone.IsZero() {
		p.heldDone = time.Now()
	}
	return br, nil
}

func (p *pipe) Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error) {
	if len(p.held) == 0 {
		ctx = p.ctx(ctx)
		p.started = true
		rows, err := p.c.Query(ctx, sql, args...)
		if err != nil {
			return nil, translate(err)
		}
		return translatingRows{rows}, nil
	}
	br, err := p.send(ctx, heldStmt{"", sql, args})
	if err != nil {
		return nil, err
	}
	rows, err := br.Query()
	if err != nil {
		return nil, closeBatch(br, err)
	}
	return &batchRows{translatingRows{rows}, br}, nil
}

func (p *pipe) QueryRow(ctx context.Context, sql string, args ...any) pgx.Row {
	if len(p.held) == 0 {
		ctx = p.ctx(ctx)
		p.started = true
		return translatingRow{p.c.QueryRow(ctx, sql, args...)}
	}
	br, err := p.send(ctx, heldStmt{"", sql, args})
	if err != nil {
		return errRow{err}
	}
	return batchRow{br.QueryRow(), br}
}

func (p *pipe) Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	if len(p.held) == 0 {
		ctx = p.ctx(ctx)
		p.started = true
		tag, err := p.c.Exec(ctx, sql, args...)
		return tag, translate(err)
	}
	br, err := p.send(ctx, heldStmt{"", sql, args})
	if err != nil {
		return pgconn.CommandTag{}, err
	}
	tag, err := br.Exec()
	return tag, closeBatch(br, err)
}

// commit sends what is held back and COMMIT in one round trip.
func (p *pipe) commit(ctx context.Context) error {
	tag, err := p.Exec(ctx, "COMMIT")
	if err != nil {
		return err
	}
	// A transaction that failed earlier answers COMMIT with ROLLBACK.
	if tag.String() == "ROLLBACK" {
		return pgx.ErrTxCommitRollback
	}
	return nil
}

// rollback ends the transaction; nothing to say to the server when nothing
// reached it.
func (p *pipe) rollback(ctx context.Context) error {
	p.held = nil
	if !p.started {
		return nil
	}
	_, err := p.c.Exec(context.WithoutCancel(ctx), "ROLLBACK")
	return translate(err)
}

// batchRows closes its batch with the rows.
type batchRows struct {
	translatingRows
	br pgx.BatchResults
}

func (r *batchRows) Close() {
	r.translatingRows.Close()
	if r.br != nil {
		_ = r.br.Close() // the rows' own error is what the caller reads
		r.br = nil
	}
}

func (r *batchRows) Next() bool {
	if r.translatingRows.Next() {
		return true
	}
	r.Close()
	return false
}

type batchRow struct {
	r  pgx.Row
	br pgx.BatchResults
}

func (r batchRow) Scan(dest ...any) error {
	return closeBatch(r.br, r.r.Scan(dest...))
}

// closeBatch closes br after its last result, whose error is err.
func closeBatch(br pgx.BatchResults, err error) error {
	if err != nil {
		_ = br.Close() // it answers err again
		return translate(err)
	}
	return translate(br.Close())
}

// together runs reads — each a function that issues at most one statement
// on the reader it is given, whose answer does not decide what it asks —
// in one round trip with what is held back. They run twice: first on a
// recorder, which queues their statements, then on the batch's results in
// the same order. Each keeps its own result and error; together fails only
// when the batch does.
func (p *pipe) together(ctx context.Context, reads ...func(reader)) error {
	rec := &recorder{}
	for _, f := range reads {
		f(reader{rec})
	}
	br, err := p.send(ctx, rec.queued...)
	if err != nil {
		return err
	}
	rp := replayer{br}
	for _, f := range reads {
		f(reader{rp})
	}
	return translate(br.Close())
}

// recorder is a queryer that queues statements instead of running them.
type recorder struct{ queued []heldStmt }

var errRecorded = errors.New("recorded, not run")

func (r *recorder) Query(_ context.Context, sql string, args ...any) (pgx.Rows, error) {
	r.queued = append(r.queued, heldStmt{"read", sql, args})
	return nil, errRecorded
}

func (r *recorder) QueryRow(_ context.Context, sql string, args ...any) pgx.Row {
	r.queued = append(r.queued, heldStmt{"read", sql, args})
	return errRow{errRecorded}
}

func (r *recorder) Exec(_ context.Context, sql string, args ...any) (pgconn.CommandTag, error) {
	r.queued = append(r.queued, heldStmt{"read", sql, args})
	return pgconn.CommandTag{}, errRecorded
}

// replayer answers each statement from the next result of a batch.
type replayer struct{ br pgx.BatchResults }

func (r replayer) Query(context.Context, string, ...any) (pgx.Rows, error) {
	rows, err := r.br.Query()
	if err != nil {
		return nil, translate(err)
	}
	return translatingRows{rows}, nil
}

func (r replayer) QueryRow(context.Context, string, ...any) pgx.Row {
	return translatingRow{r.br.QueryRow()}
}

func (r replayer) Exec(context.Context, string, ...any) (pgconn.CommandTag, error) {
	tag, err := r.br.Exec()
	return tag, translate(err)
}
