package sqlitestore

import (
	"context"
	"log/slog"
	"time"
)

// The writer's automatic WAL checkpoint (every 1,000 pages by default)
// ran inside whichever commit crossed it: about 9 ms of CPU and a disk
// flush in the middle of a push of 1,000 mutations, paid by that request.
// Commits now only nudge a checkpointer goroutine, which checkpoints from a
// reader connection (PASSIVE: it never waits for, nor blocks, readers or the
// writer) at most every checkpointEvery. The writer keeps an automatic
// checkpoint at checkpointBackstop pages in case the goroutine falls
// behind. Durability does not change: a commit is in the WAL, flushed
// (synchronous=FULL), before it returns; a checkpoint only copies it on.
const (
	checkpointEvery    = 100 * time.Millisecond
	checkpointBackstop = 16384 // pages (64 MiB of WAL)
)

// checkpointer is the one goroutine that checkpoints the WAL. It exits when
// stop is closed (Close), after the checkpoint under way if any.
type checkpointer struct {
	kick chan struct{} // 1-buffered: commits since the last checkpoint
	stop chan struct{}
	done chan struct{}
}

func startCheckpointer(p *pool, log *slog.Logger, done func(frames, copied int)) *checkpointer {
	c := &checkpointer{kick: make(chan struct{}, 1), stop: make(chan struct{}), done: make(chan struct{})}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	go c.run(p, log, done)
	return c
}

// committed tells the checkpointer that the WAL grew; it never blocks.
func (c *checkpointer) committed() {
	select {
	case c.kick <- struct{}{}:
	default:
	}
}

func (c *checkpointer) run(p *pool, log *slog.Logger, done func(frames, copied int)) {
	defer close(c.done)
	t := time.NewTimer(0)
	defer t.Stop()
	for {
		select {
		case <-c.stop:
			return
		case <-c.kick:
		}
		var busy, frames, copied int
		err := p.QueryRowContext(context.Background(), "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &frames, &copied)
		if err != nil {
			// The next commit tries again; the writer's backstop keeps
			// the WAL bounded meanwhile.
			log.Warn("wal checkpoint", "err", err)
		} else if done != nil {
			done(frames, copied)
		}
		// Commits during the pause wait in kick: one checkpoint covers them.
		t.Reset(checkpointEvery)
		select {
		case <-c.stop:
			return
		case <-t.C:
		}
	}
}

// close stops the goroutine and waits for it.
func (c *checkpointer) close() {
	close(c.stop)
	<-c.done
}
