package pgstore

import (
	"context"
	"errors"
	"fmt"

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
	started bool // something reached the server: cancelling is too late
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

// ctx is the context of the next round trip: until the transaction has
// sent anything (its BEGIN and the wait for the writer lock travel with the
// first statement) a client that goes away stops it; after that it runs to
// its end.
func (p *pipe) ctx(ctx context.Context) context.Context {
	if p.started {
		return context.WithoutCancel(ctx)
	}
	return ctx
}

// send sends the held statements with sql (if any) in one batch; the
// caller reads sql's result from the batch and closes it.
func (p *pipe) send(ctx context.Context, sql string, args []any) (pgx.BatchResults, error) {
	b := &pgx.Batch{}
	for _, h := range p.held {
		b.Queue(h.sql, h.args...)
	}
	if sql != "" {
		b.Queue(sql, args...)
	}
	held := p.held
	p.held = nil
	br := p.c.SendBatch(p.ctx(ctx), b)
	p.started = true
	for _, h := range held {
		if _, err := br.Exec(); err != nil {
			return nil, errors.Join(fmt.Errorf("%s: %w", h.what, translate(err)), br.Close())
		}
	}
	return br, nil
}

// flush sends what is held back and waits for the answers.
func (p *pipe) flush(ctx context.Context) error {
	if len(p.held) == 0 {
		return nil
	}
	br, err := p.send(ctx, "", nil)
	if err != nil {
		return err
	}
	return translate(br.Close())
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
	br, err := p.send(ctx, sql, args)
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
	br, err := p.send(ctx, sql, args)
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
	br, err := p.send(ctx, sql, args)
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
