package router

import (
	"math/bits"
	"sync/atomic"
)

// index maps neighKey to neighbours: open addressing with linear probing
// over atomic pointers, sized once for the cache's maximum (load at most
// 1/2 live, 3/4 with deleted slots).
//
// Readers take no lock: they probe until the key or an empty slot. Writers
// (under Cache.mu) fill an empty slot, or replace a neighbour by the cache's
// tombstone, which readers step over; a neighbour is marked StateNone before
// it is unlinked, so a reader still holding it goes to the slow path. When
// tombstones fill the table, the writer builds a fresh index and publishes
// it whole; readers on the old one still see consistent (shared) entries.
type index[T any] struct {
	slots []atomic.Pointer[neighbour[T]]
	mask  uint64
	used  int // live + tombstones, under Cache.mu
}

func newIndex[T any](max int) *index[T] {
	n := 1 << bits.Len(uint(2*max-1)) // a power of two >= 2*max
	n = max2(n, 16)
	return &index[T]{slots: make([]atomic.Pointer[neighbour[T]], n), mask: uint64(n - 1)}
}

func max2(a, b int) int {
	if a > b {
		return a
	}
	return b
}

func hashKey(k uint64) uint64 { return (k * 0x9e3779b97f4a7c15) >> 20 }

// find returns the neighbour for key, or nil.
func (c *Cache[T]) find(key uint64) *neighbour[T] {
	ix := c.ix.Load()
	for i := hashKey(key) & ix.mask; ; i = (i + 1) & ix.mask {
		n := ix.slots[i].Load()
		if n == nil {
			return nil
		}
		if n.key == key && n != c.tomb {
			return n
		}
	}
}

// insert links n, rebuilding the index first when tombstones crowd it.
// Under mu; the key must be absent and count below the maximum.
func (c *Cache[T]) insert(n *neighbour[T]) {
	ix := c.ix.Load()
	if (ix.used+1)*4 > len(ix.slots)*3 {
		ix = c.rebuild(ix)
	}
	for i := hashKey(n.key) & ix.mask; ; i = (i + 1) & ix.mask {
		if ix.slots[i].Load() == nil {
			ix.slots[i].Store(n)
			ix.used++
			c.count++
			return
		}
	}
}

// rebuild copies the live neighbours of ix into a fresh index and
// publishes it.
func (c *Cache[T]) rebuild(ix *index[T]) *index[T] {
	nx := newIndex[T](c.cfg.MaxEntries)
	for i := range ix.slots {
		n := ix.slots[i].Load()
		if n == nil || n == c.tomb {
			continue
		}
		for j := hashKey(n.key) & nx.mask; ; j = (j + 1) & nx.mask {
			if nx.slots[j].Load() == nil {
				nx.slots[j].Store(n)
				nx.used++
				break
			}
		}
	}
	c.ix.Store(nx)
	return nx
}

// remove unlinks n. Under mu.
func (c *Cache[T]) remove(n *neighbour[T]) {
	if n.state() == StateFailed {
		c.failed--
	}
	n.word.Store(0) // StateNone: a reader holding n takes the slow path
	c.unlink(n)
	ix := c.ix.Load()
	for i := hashKey(n.key) & ix.mask; ; i = (i + 1) & ix.mask {
		p := ix.slots[i].Load()
		if p == nil {
			return
		}
		if p == n {
			ix.slots[i].Store(c.tomb)
			c.count--
			return
		}
	}
}

// each calls fn for every live neighbour. Under mu.
func (c *Cache[T]) each(fn func(n *neighbour[T])) {
	ix := c.ix.Load()
	for i := range ix.slots {
		if n := ix.slots[i].Load(); n != nil && n != c.tomb {
			fn(n)
		}
	}
}
