package platform

import "testing"

func TestLRUDropsLeastRecentlyUsed(t *testing.T) {
	c := newLRU(30, func(k string, v int) int { return v })
	c.put("a", 10)
	c.put("b", 10)
	c.put("c", 10)
	c.get("a") // a is now the most recent; b the least
	c.put("d", 10)
	if _, ok := c.get("b"); ok {
		t.Error("b kept")
	}
	for _, k := range []string{"a", "c", "d"} {
		if _, ok := c.get(k); !ok {
			t.Errorf("%s dropped", k)
		}
	}
	c.put("a", 25) // replaced: a's old size no longer counts
	if n, b := c.usage(); b > 30 || n != 1 {
		t.Errorf("after replacing a: %d entries, %d bytes", n, b)
	}
	c.put("big", 31) // larger than the bound: not kept, nothing else lost
	if _, ok := c.get("big"); ok {
		t.Error("an entry larger than the bound was kept")
	}
	if _, ok := c.get("a"); !ok {
		t.Error("a dropped for an entry that could not fit anyway")
	}
	c.remove("a")
	c.clear()
	if n, b := c.usage(); n != 0 || b != 0 {
		t.Errorf("after clear: %d, %d", n, b)
	}
}
