package sqlitestore

import (
	"context"
	"sync"

	"github.com/streetdesk/streetdesk/platform/store"
)

// watchers is the in-process broadcast of commits: SQLite has one writer,
// this process, so every commit that matters passes through publish.
type watchers struct {
	mu  sync.Mutex
	fns map[int]func(store.Wake)
	n   int
}

func (w *watchers) publish(wk store.Wake) {
	w.mu.Lock()
	defer w.mu.Unlock()
	for _, fn := range w.fns {
		fn(wk)
	}
}

// Watch calls fn after each commit that touched the change log.
func (db *DB) Watch(ctx context.Context, fn func(store.Wake)) error {
	w := &db.watch
	w.mu.Lock()
	if w.fns == nil {
		w.fns = map[int]func(store.Wake){}
	}
	id := w.n
	w.n++
	w.fns[id] = fn
	w.mu.Unlock()
	<-ctx.Done()
	w.mu.Lock()
	delete(w.fns, id)
	w.mu.Unlock()
	return nil
}
