package l2switch

import (
	"math/bits"
	"sync"
	"sync/atomic"
)

// The forwarding database: numShards independent open-addressing hash tables
// with linear probing, keyed by fdbKey. A slot holds the key and one value
// word, the owning port and the last-seen time packed together so that a
// reader always sees a matching pair:
//
//	 63        48 47                                 0
//	+------------+------------------------------------+
//	|    port    |  last seen, ms (wraps every 8925 y) |
//	+------------+------------------------------------+
//
// Concurrency (a sequence lock per shard):
//   - Writers hold the shard's mutex.
//   - Readers hold nothing. They read the sequence number, probe, and read
//     it again; an odd or changed number means a writer moved entries under
//     them and they retry (after a few tries they take the mutex).
//   - Only deletion moves entries (backward-shift deletion), so only deletion
//     bumps the sequence number. An insert fills an empty slot value-first,
//     then key; a refresh or move rewrites the value word alone; growth builds
//     a new table and publishes it whole. A reader racing any of these sees
//     the entry either before or after the change, never a torn one.
//   - Every slot word is an atomic, so the race detector agrees.
//
// The load factor stays at or below 1/2, so a probe always meets an empty
// slot even while a deletion is half done.

const (
	shardBits = 6
	numShards = 1 << shardBits
	minSlots  = 16 // per shard, a power of two

	stampBits = 48
	stampMask = 1<<stampBits - 1
)

type slot struct {
	key atomic.Uint64 // fdbKey; 0 = empty
	val atomic.Uint64 // port<<48 | stamp
}

type table struct {
	slots []slot
	mask  uint64 // len(slots)-1
	shift uint8  // 64 - log2(len(slots))
}

type shard struct {
	mu  sync.Mutex
	seq atomic.Uint64 // odd while a deletion is in progress
	tab atomic.Pointer[table]
	n   int // entries, under mu

	// evictAt is where the next search for an entry to evict starts (see
	// victim), under mu.
	evictAt uint64

	// Event counters, written under mu, read by Stats.
	learned, moved, aged, flushed, evicted, tableFull atomic.Uint64

	_ [64]byte // keep shards on separate cache lines
}

// mix hashes a key by Fibonacci hashing: one multiply by 2^64/φ, whose top
// bits depend on every key bit. The top shardBits pick the shard and the
// bits below them the slot (table.home).
func mix(k uint64) uint64 { return k * 0x9e3779b97f4a7c15 }

func newTable(n int) *table {
	return &table{slots: make([]slot, n), mask: uint64(n - 1), shift: uint8(64 - bits.Len(uint(n-1)))}
}

// home is the slot where a key with hash h starts probing.
func (t *table) home(h uint64) uint64 { return (h << shardBits) >> t.shift }

// packVal builds a slot value from a port and a time in ms.
func packVal(p PortID, ms int64) uint64 {
	return uint64(p)<<stampBits | uint64(ms)&stampMask
}

func valPort(v uint64) PortID { return PortID(v >> stampBits) }

// valAge returns how many ms ago v was stamped, as seen at ms. A stamp from a
// goroutine whose clock read was slightly later gives a negative age, which
// callers treat as fresh.
func valAge(ms int64, v uint64) int64 {
	return int64((uint64(ms)-v)<<(64-stampBits)) >> (64 - stampBits)
}

// find returns the index of key, or found=false at the first empty slot.
func (t *table) find(key, h uint64) (i uint64, found bool) {
	i = t.home(h)
	for {
		k := t.slots[i].key.Load()
		if k == key {
			return i, true
		}
		if k == 0 {
			return i, false
		}
		i = (i + 1) & t.mask
	}
}

// get looks key up without locking and returns its value word. The common
// case, the key in its home slot and no writer deleting, is small enough to
// inline into Forward.
func (sh *shard) get(key, h uint64) (uint64, bool) {
	seq := sh.seq.Load()
	t := sh.tab.Load()
	s := &t.slots[t.home(h)]
	if s.key.Load() == key {
		v := s.val.Load()
		if seq&1 == 0 && sh.seq.Load() == seq {
			return v, true
		}
	}
	return sh.probe(key, h)
}

// probe is get's general case: a probe run of any length, retried when a
// deletion moved entries under it.
func (sh *shard) probe(key, h uint64) (uint64, bool) {
	for try := 0; try < 4; try++ {
		seq := sh.seq.Load()
		if seq&1 != 0 {
			continue
		}
		t := sh.tab.Load()
		i, ok := t.find(key, h)
		var v uint64
		if ok {
			v = t.slots[i].val.Load()
		}
		if sh.seq.Load() == seq {
			return v, ok
		}
	}
	// A writer keeps deleting under us (Expire or FlushPort on a big
	// shard): wait for it instead of spinning.
	sh.mu.Lock()
	defer sh.mu.Unlock()
	t := sh.tab.Load()
	i, ok := t.find(key, h)
	if !ok {
		return 0, false
	}
	return t.slots[i].val.Load(), true
}

// insert adds a key known to be absent. The caller holds mu.
func (sh *shard) insert(key, h, val uint64) {
	t := sh.tab.Load()
	if (sh.n+1)*2 > len(t.slots) {
		t = sh.grow(t)
	}
	i, _ := t.find(key, h)
	t.slots[i].val.Store(val)
	t.slots[i].key.Store(key)
	sh.n++
}

// grow publishes a table twice the size of t. The caller holds mu.
func (sh *shard) grow(t *table) *table { return sh.rebuild(t, 2*len(t.slots)) }

// shrink gives memory back: when the entries fill less than 1/8 of the
// table (after aging or a flush emptied a shard that had grown under a burst
// of MACs), it publishes a table filled to at most 1/4, so that it has room
// to grow again before it shrinks again. The caller holds mu.
func (sh *shard) shrink() {
	t := sh.tab.Load()
	if len(t.slots) <= minSlots || sh.n*8 >= len(t.slots) {
		return
	}
	size := minSlots
	for size < 4*sh.n {
		size *= 2
	}
	sh.rebuild(t, size)
}

// rebuild publishes a copy of t with size slots. Readers still probing t
// see its entries, unchanged: writers only touch the new table. The caller
// holds mu.
func (sh *shard) rebuild(t *table, size int) *table {
	nt := newTable(size)
	for i := range t.slots {
		k := t.slots[i].key.Load()
		if k == 0 {
			continue
		}
		j, _ := nt.find(k, mix(k))
		nt.slots[j].val.Store(t.slots[i].val.Load())
		nt.slots[j].key.Store(k)
	}
	sh.tab.Store(nt)
	return nt
}

// deleteAt empties slot i and shifts later entries of its probe run back so
// that no lookup stops early. The caller holds mu and has made seq odd.
func (t *table) deleteAt(i uint64) {
	for {
		j := i
		for {
			j = (j + 1) & t.mask
			k := t.slots[j].key.Load()
			if k == 0 {
				t.slots[i].key.Store(0)
				t.slots[i].val.Store(0)
				return
			}
			// The entry at j may fill the hole at i only if its home
			// slot is not cyclically after i (within (i, j]).
			home := t.home(mix(k))
			if (j-home)&t.mask >= (j-i)&t.mask {
				t.slots[i].val.Store(t.slots[j].val.Load())
				t.slots[i].key.Store(k)
				i = j
				break
			}
		}
	}
}

// removeIf deletes every entry for which drop returns true, passing each
// removed value to gone, and returns how many it removed. scratch is reused
// across calls. The caller holds mu.
func (sh *shard) removeIf(scratch *[]uint64, drop func(k, v uint64) bool, gone func(v uint64)) int {
	t := sh.tab.Load()
	keys := (*scratch)[:0]
	for i := range t.slots {
		k := t.slots[i].key.Load()
		if k != 0 && drop(k, t.slots[i].val.Load()) {
			keys = append(keys, k)
		}
	}
	*scratch = keys
	if len(keys) == 0 {
		return 0
	}
	sh.seq.Add(1)
	for _, k := range keys {
		i, _ := t.find(k, mix(k)) // present: we hold mu
		gone(t.slots[i].val.Load())
		t.deleteAt(i)
	}
	sh.n -= len(keys)
	sh.seq.Add(1)
	return len(keys)
}
