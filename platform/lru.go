package platform

import (
	"container/list"
	"sync"
)

// lru is a map bounded by the total size of its entries: past the bound it
// drops the least recently used. It is safe for concurrent use.
type lru[K comparable, V any] struct {
	mu     sync.Mutex
	max    int // bytes
	size   int
	sizeOf func(K, V) int
	order  *list.List // front: most recently used
	items  map[K]*list.Element
}

type lruEntry[K comparable, V any] struct {
	key  K
	val  V
	size int
}

// newLRU returns an lru holding at most maxBytes, as sizeOf counts them.
func newLRU[K comparable, V any](maxBytes int, sizeOf func(K, V) int) *lru[K, V] {
	return &lru[K, V]{max: maxBytes, sizeOf: sizeOf, order: list.New(), items: map[K]*list.Element{}}
}

func (c *lru[K, V]) get(k K) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.items[k]
	if !ok {
		var zero V
		return zero, false
	}
	c.order.MoveToFront(e)
	return e.Value.(*lruEntry[K, V]).val, true
}

// put stores v under k; an entry larger than the whole bound is not kept.
func (c *lru[K, V]) put(k K, v V) {
	n := c.sizeOf(k, v)
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[k]; ok {
		c.removeLocked(e)
	}
	if n > c.max {
		return
	}
	c.items[k] = c.order.PushFront(&lruEntry[K, V]{key: k, val: v, size: n})
	c.size += n
	for c.size > c.max {
		c.removeLocked(c.order.Back())
	}
}

func (c *lru[K, V]) remove(k K) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.items[k]; ok {
		c.removeLocked(e)
	}
}

func (c *lru[K, V]) clear() {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.order.Init()
	c.items = map[K]*list.Element{}
	c.size = 0
}

func (c *lru[K, V]) removeLocked(e *list.Element) {
	en := e.Value.(*lruEntry[K, V])
	c.order.Remove(e)
	delete(c.items, en.key)
	c.size -= en.size
}

// usage returns the number of entries and their size.
func (c *lru[K, V]) usage() (entries, bytes int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.items), c.size
}
