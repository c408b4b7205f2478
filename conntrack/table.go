package conntrack

import (
	"math/rand/v2"
	"sync"
	"sync/atomic"
)

// DefaultMaxEntries is the node-wide limit on connections when Config sets
// none (Linux's nf_conntrack_max on a host with 8 GB or more).
const DefaultMaxEntries = 262144

// Config sets up a Table.
type Config struct {
	// MaxEntries bounds the connections in the table (0: DefaultMaxEntries).
	MaxEntries int
	// TCPLoose lets a TCP segment without SYN create an ESTABLISHED
	// connection (mid-stream pickup, Linux's nf_conntrack_tcp_loose): what
	// NAT wants after a restart. Security groups leave it off, so such
	// segments are INVALID.
	TCPLoose bool
	// Timeouts overrides Linux's defaults field by field.
	Timeouts Timeouts
}

// Table is a node's connection table. All methods are safe for concurrent
// use; Lookup and Track take no lock on a hit.
type Table struct {
	shards  [numShards]shard
	seed    seed
	max     atomic.Int64
	_       [56]byte     // total, written by every insert, on a line of its own: the seed is read by every lookup
	total   atomic.Int64 // connections in the table, dead ones until removed
	_       [56]byte
	loose   bool
	timeout timeoutTable

	expMu   sync.Mutex // serializes Expire
	expAt   uint64     // Expire's cursor: shard<<32 | slot
	scratch []uint64   // Expire's victims, under expMu
}

// New returns an empty table.
func New(cfg Config) *Table {
	t := &Table{loose: cfg.TCPLoose, timeout: cfg.Timeouts.withDefaults().table()}
	for i := range t.seed {
		t.seed[i] = rand.Uint64()
	}
	for i := range t.shards {
		t.shards[i].init()
	}
	t.SetMaxEntries(cfg.MaxEntries)
	return t
}

// SetMaxEntries changes the bound (0: DefaultMaxEntries). Connections over
// a lowered bound stay until they end.
func (t *Table) SetMaxEntries(n int) {
	if n <= 0 {
		n = DefaultMaxEntries
	}
	t.max.Store(int64(n))
}

// Len returns the number of connections in the table, including timed out
// ones Expire has not removed yet.
func (t *Table) Len() int { return int(t.total.Load()) }

func (t *Table) shardOf(h uint64) (*shard, int) {
	i := int(h >> (64 - shardBits))
	return &t.shards[i], i
}

// connOf resolves a slot reference.
func (t *Table) connOf(ref uint64) *conn {
	return t.shards[refOwner(ref)].conn(refIdx(ref))
}

// Lookup finds the live connection one of whose tuples is k, and the
// direction k has in it. It takes no lock and writes nothing.
func (t *Table) Lookup(k Key, now int64) (Ref, Dir, bool) {
	w0, w1 := k.pack()
	r, _, ok := t.lookup(w0, w1, millis(now))
	if !ok {
		return Ref{}, 0, false
	}
	return Ref{c: t.connOf(r), ref: r &^ (1 << 56)}, refDir(r), true
}

// lookup is Lookup on a packed key; it also returns the state word read.
func (t *Table) lookup(w0, w1 uint64, ms int64) (uint64, uint64, bool) {
	h := t.seed.hash(w0, w1)
	sh, _ := t.shardOf(h)
	r, ok := sh.get(w0, w1, h)
	if !ok {
		return 0, 0, false
	}
	w := t.connOf(r).word.Load()
	if wGen(w) != refGen(r) || !t.timeout.live(w, ms) {
		return 0, 0, false
	}
	return r, w, true
}

// lockPair locks shards a and b (once when they are the same) in index
// order, the one order every writer uses.
func (t *Table) lockPair(a, b int) {
	if a > b {
		a, b = b, a
	}
	t.shards[a].mu.Lock()
	if b != a {
		t.shards[b].mu.Lock()
	}
}

func (t *Table) unlockPair(a, b int) {
	t.shards[a].mu.Unlock()
	if b != a {
		t.shards[b].mu.Unlock()
	}
}

// reserve counts one more connection against the bound, or reports false
// when the table is full.
func (t *Table) reserve() bool {
	for {
		n := t.total.Load()
		if n >= t.max.Load() {
			return false
		}
		if t.total.CompareAndSwap(n, n+1) {
			return true
		}
	}
}

// insert adds a connection with tuples orig (packed: o0, o1) and reply
// and state word template w (stamp, state, flags, class; the generation
// is the slab's). It returns the connection, and the direction of orig in
// it: an existing live connection holding orig is returned as it is, a
// live one holding reply is a clash.
func (t *Table) insert(o0, o1 uint64, reply *Key, w uint64, ms int64, countClash bool, ahead *lookahead) (Ref, Dir, Refusal) {
	r0, r1 := reply.pack()
	ho, hr := t.seed.hash(o0, o1), t.seed.hash(r0, r1)
	a, ai := t.shardOf(ho)
	b, bi := t.shardOf(hr)
	single := o0 == r0 && o1 == r1
	also := homeSlot{b, hr, *ahead}
	for attempt := 0; attempt < 4; attempt++ {
		// An early drop hands its victim's place under the bound over to
		// this connection: no second trip to the shared count. It asks
		// for the reply tuple's home slot, a cache miss in a large table,
		// and the batch's next frames' misses, along with its victim's,
		// so that they overlap; without one they are asked for here.
		if t.reserve() {
			if attempt == 0 {
				also.touch(t)
			}
		} else if !t.earlyDrop(ho, ms, also) {
			break
		}
		t.lockPair(ai, bi)
		var stale uint64
		staleFound := false
		if r, ok := a.getLocked(o0, o1, ho); ok {
			cw := t.connOf(r).word.Load()
			if wGen(cw) == refGen(r) && t.timeout.live(cw, ms) {
				t.unlockPair(ai, bi)
				t.total.Add(-1)
				return Ref{c: t.connOf(r), ref: r &^ (1 << 56)}, refDir(r), RefusedNone
			}
			stale, staleFound = r, true
		} else if r, ok := b.getLocked(r0, r1, hr); ok && !single {
			cw := t.connOf(r).word.Load()
			if wGen(cw) == refGen(r) && t.timeout.live(cw, ms) {
				t.unlockPair(ai, bi)
				t.total.Add(-1)
				if countClash {
					a.cnt.refused[RefusedClash].Add(1)
				}
				return Ref{}, 0, RefusedClash
			}
			stale, staleFound = r, true
		}
		if staleFound {
			// A timed out or killed connection still holds a tuple:
			// remove it (it may span other shards) and try again.
			t.unlockPair(ai, bi)
			t.total.Add(-1)
			t.remove(stale, removeIfNotLive, ms, homeSlot{})
			continue
		}
		idx, c := a.alloc()
		gen := wGen(c.word.Load())
		c.o0.Store(o0)
		c.o1.Store(o1)
		c.r0.Store(r0)
		c.r1.Store(r1)
		c.word.Store(w | fUsed | uint64(gen)<<genShift)
		ref := packRef(ai, idx, gen, Original)
		a.put(o0, o1, ho, ref, &t.seed)
		if !single {
			b.put(r0, r1, hr, packRef(ai, idx, gen, Reply), &t.seed)
		}
		a.cnt.inserted++
		t.unlockPair(ai, bi)
		return Ref{c: c, ref: ref}, Original, RefusedNone
	}
	a.cnt.refused[RefusedTableFull].Add(1)
	return Ref{}, 0, RefusedTableFull
}

// homeSlot is the home slot of hash h in shard sh, to ask for early, and
// the lookahead of the caller's batch (see Ahead).
type homeSlot struct {
	sh    *shard // nil: none
	h     uint64
	ahead lookahead
}

// collect adds s's lines to l.
func (s *homeSlot) collect(t *Table, l *lines) {
	if s.sh != nil {
		l.home(s.sh, s.h)
	}
	s.ahead.collect(t, l)
}

// touch asks for s's lines.
func (s *homeSlot) touch(t *Table) {
	var l lines
	s.collect(t, &l)
	l.load()
}

// Why remove is called, which decides what it may remove.
type removeCond uint8

const (
	removeIfNotLive   removeCond = iota // timed out or killed (Expire, stale tuples)
	removeIfUnassured                   // early drop: not ASSURED (or not live); its place under the bound goes to the caller
	removeAlways                        // Delete
)

// remove deletes the connection of slot reference ref when cond still
// holds under the locks, and reports whether it did. It asks for the slot
// also (if any) with the connection's own, before locking.
func (t *Table) remove(ref uint64, cond removeCond, ms int64, also homeSlot) bool {
	owner, idx, gen := refOwner(ref), refIdx(ref), refGen(ref)
	c := t.shards[owner].conn(idx)
	o0, o1 := c.o0.Load(), c.o1.Load()
	r0, r1 := c.r0.Load(), c.r1.Load()
	if w := c.word.Load(); wGen(w) != gen || w&fUsed == 0 {
		return false
	}
	ho, hr := t.seed.hash(o0, o1), t.seed.hash(r0, r1)
	a, ai := t.shardOf(ho)
	b, bi := t.shardOf(hr)
	if ai != owner {
		return false // read a reused conn's keys mid-change
	}
	// Both home slots are cache misses in a large table (one is the
	// caller's when it found ref in a slot): asked for now, with also's,
	// they overlap each other, where the locks' atomic instructions would
	// wait for the first before the second was asked for.
	var l lines
	l.home(a, ho)
	l.home(b, hr)
	also.collect(t, &l)
	l.load()
	t.lockPair(ai, bi)
	defer t.unlockPair(ai, bi)
	var w uint64
	for {
		w = c.word.Load()
		if wGen(w) != gen || w&fUsed == 0 {
			return false
		}
		live := t.timeout.live(w, ms)
		switch cond {
		case removeIfNotLive:
			if live {
				return false
			}
		case removeIfUnassured:
			if live && w&fAssured != 0 {
				return false
			}
		}
		// Free it first, with the next generation: a packet racing us
		// then fails its compare-and-swap, and lookups through the slots
		// still to be deleted see the connection gone. It is not reused
		// before it is on the free list, under a's mutex.
		if c.word.CompareAndSwap(w, uint64((gen+1)&genMask)<<genShift) {
			break
		}
	}
	a.seq.Add(1)
	if bi != ai {
		b.seq.Add(1)
	}
	a.del(o0, o1, ho, ref, &t.seed)
	if o0 != r0 || o1 != r1 {
		b.del(r0, r1, hr, ref, &t.seed)
	}
	a.free = append(a.free, idx)
	a.seq.Add(1)
	if bi != ai {
		b.seq.Add(1)
	}
	if cond != removeIfUnassured {
		t.total.Add(-1)
	}
	switch {
	case w&fDead != 0 && cond != removeAlways:
		a.cnt.killed++
	case cond == removeAlways:
		a.cnt.deleted++
	case !t.timeout.live(w, ms):
		a.cnt.expired++
	default:
		a.cnt.evicted++
	}
	return true
}

// Delete removes the connection r names, if it is still there (Neutron
// deletes a floating IP's connections when it is disassociated).
func (t *Table) Delete(r Ref) bool {
	if r.c == nil {
		return false
	}
	return t.remove(r.ref, removeAlways, 0, homeSlot{})
}

// kill ends a connection at once (a RST before any reply, a reopened
// TIME_WAIT): lookups stop finding it and Expire removes it.
func (t *Table) kill(c *conn, w uint64) bool {
	return c.word.CompareAndSwap(w, w|fDead)
}
