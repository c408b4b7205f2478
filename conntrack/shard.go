package conntrack

import (
	"math/bits"
	"sync"
	"sync/atomic"
	"unsafe"

	"neutrino/internal/prefetch"
)

// A shard is an open-addressing hash table with linear probing (the FDB's
// design, switch/fdb.go) whose slots hold a packed key and a reference to a
// conn, plus the slab of conns whose original tuple hashes here.
//
// Concurrency (a sequence lock per shard):
//   - Writers hold the shard's mutex (two shards' mutexes, in index order,
//     when a conn's two tuples hash to different shards).
//   - Readers hold nothing. They read the sequence number, probe, and read
//     it again; an odd or changed number means a deletion moved slots under
//     them and they retry (after a few tries they take the mutex).
//   - An insert fills an empty slot reference first, then key words, the
//     second (never zero) last; growth builds a new table and publishes it
//     whole. Only deletion moves slots, and it makes the number odd while
//     it does.
//   - A conn found through a slot is trusted only while its generation
//     matches the slot's reference (see conn).
//
// The load factor stays at or below 5/8 (maxLoadNum/maxLoadDen). Linear
// probing's unsuccessful lookups, which every new connection makes twice,
// cost about 4 slots there (2.5 at 1/2), still one or two cache lines; a
// lower bound would make a table whose keys sit at a power of two (the
// default conntrack_max puts 8192 keys in each shard) grow to a quarter
// full as soon as one more key came, doubling its memory for nothing.
const (
	shardBits = 6
	numShards = 1 << shardBits
	minSlots  = 16 // per shard, a power of two

	maxLoadNum = 5
	maxLoadDen = 8

	chunkBits = 6 // conns per slab chunk: 64 (2.5 KB)
	chunkSize = 1 << chunkBits
	chunkMask = chunkSize - 1
)

type slot struct {
	w0, w1 atomic.Uint64 // packed key; w1 == 0: empty
	ref    atomic.Uint64 // packRef, with the slot's distance from its home (withDist)
}

type slots struct {
	s     []slot
	mask  uint64
	shift uint8
}

type chunk [chunkSize]conn

type shard struct {
	mu  sync.Mutex
	seq atomic.Uint64 // odd while a deletion is in progress
	tab atomic.Pointer[slots]
	n   int // occupied slots, under mu

	// The slab: chunks only grow; freed conns are reused.
	chunks atomic.Pointer[[]*chunk]
	free   []uint32 // under mu
	next   uint32   // first never used index, under mu

	evictAt atomic.Uint64 // where the next early drop sample starts

	cnt counters // this shard's event counters

	_ [64]byte
}

// fillUnpublished writes a slot of a table no reader can see yet with
// plain stores: publishing the table (an atomic store of its pointer)
// orders them before any reader's loads. An atomic store is a locked
// instruction that stalls on a cache miss; a plain one does not, and
// rebuilding a large table writes nothing but misses.
func (s *slot) fillUnpublished(w0, w1, ref uint64) {
	*(*uint64)(unsafe.Pointer(&s.w0)) = w0
	*(*uint64)(unsafe.Pointer(&s.w1)) = w1
	*(*uint64)(unsafe.Pointer(&s.ref)) = ref
}

func newSlots(n int) *slots {
	s := make([]slot, n)
	return &slots{s: s, mask: uint64(n - 1), shift: uint8(64 - bits.Len(uint(n-1)))}
}

func (t *slots) home(h uint64) uint64 { return (h << shardBits) >> t.shift }

func (sh *shard) init() {
	sh.tab.Store(newSlots(minSlots))
	empty := []*chunk{}
	sh.chunks.Store(&empty)
}

// find returns the index of the slot holding (w0, w1), or found=false at
// the first empty slot.
func (t *slots) find(w0, w1, h uint64) (i uint64, found bool) {
	i = t.home(h)
	for {
		k1 := t.s[i].w1.Load()
		if k1 == w1 && t.s[i].w0.Load() == w0 {
			return i, true
		}
		if k1 == 0 {
			return i, false
		}
		i = (i + 1) & t.mask
	}
}

// get looks a packed key up without locking and returns its slot
// reference. The common case, the key in its home slot, is small enough to
// inline.
func (sh *shard) get(w0, w1, h uint64) (uint64, bool) {
	seq := sh.seq.Load()
	t := sh.tab.Load()
	s := &t.s[t.home(h)]
	k1 := s.w1.Load()
	if k1 == w1 && s.w0.Load() == w0 {
		r := slotRef(s.ref.Load())
		if seq&1 == 0 && sh.seq.Load() == seq {
			return r, true
		}
	} else if k1 == 0 && seq&1 == 0 && sh.seq.Load() == seq {
		return 0, false // an empty home slot: no run holds the key
	}
	return sh.probe(w0, w1, h)
}

// touch asks for the home slot of hash h and the third slot after it
// (prefetches), so that their cache lines are on their way while the
// caller does other work. A lookup that misses reads about four slots at the
// table's load factor, 96 bytes, which often end on the line after the
// home slot's.
func (sh *shard) touch(h uint64) {
	t := sh.tab.Load()
	i := t.home(h)
	prefetch.Line(unsafe.Pointer(&t.s[i]))
	prefetch.Line(unsafe.Pointer(&t.s[(i+3)&t.mask]))
}

// probe is get's general case: a probe run of any length, retried when a
// deletion moved slots under it.
func (sh *shard) probe(w0, w1, h uint64) (uint64, bool) {
	for try := 0; try < 4; try++ {
		seq := sh.seq.Load()
		if seq&1 != 0 {
			continue
		}
		t := sh.tab.Load()
		i, ok := t.find(w0, w1, h)
		var r uint64
		if ok {
			r = slotRef(t.s[i].ref.Load())
		}
		if sh.seq.Load() == seq {
			return r, ok
		}
	}
	sh.mu.Lock()
	defer sh.mu.Unlock()
	return sh.getLocked(w0, w1, h)
}

// getLocked is get for a caller holding mu.
func (sh *shard) getLocked(w0, w1, h uint64) (uint64, bool) {
	t := sh.tab.Load()
	i, ok := t.find(w0, w1, h)
	if !ok {
		return 0, false
	}
	return slotRef(t.s[i].ref.Load()), true
}

// put adds a key known to be absent. The caller holds mu.
func (sh *shard) put(w0, w1, h, ref uint64, seed *seed) {
	t := sh.tab.Load()
	if (sh.n+1)*maxLoadDen > len(t.s)*maxLoadNum {
		t = sh.rebuild(t, 2*len(t.s), seed)
	}
	i, _ := t.find(w0, w1, h)
	t.s[i].ref.Store(withDist(ref, (i-t.home(h))&t.mask))
	t.s[i].w0.Store(w0)
	t.s[i].w1.Store(w1)
	sh.n++
}

// rebuild publishes a copy of t with size slots. Readers still probing t
// see its slots unchanged. The caller holds mu.
func (sh *shard) rebuild(t *slots, size int, seed *seed) *slots {
	nt := newSlots(size)
	for i := range t.s {
		w1 := t.s[i].w1.Load()
		if w1 == 0 {
			continue
		}
		w0 := t.s[i].w0.Load()
		h := seed.hash(w0, w1)
		j, _ := nt.find(w0, w1, h)
		nt.s[j].fillUnpublished(w0, w1, withDist(t.s[i].ref.Load(), (j-nt.home(h))&nt.mask))
	}
	sh.tab.Store(nt)
	return nt
}

// shrink gives memory back when the slots are less than 1/8 full,
// publishing a table at most 1/4 full. The caller holds mu.
func (sh *shard) shrink(seed *seed) {
	t := sh.tab.Load()
	if len(t.s) <= minSlots || sh.n*8 >= len(t.s) {
		return
	}
	size := minSlots
	for size < 4*sh.n {
		size *= 2
	}
	sh.rebuild(t, size, seed)
}

// del removes the slot of (w0, w1) if it refers to the conn of ref. The
// caller holds mu and has made seq odd.
func (sh *shard) del(w0, w1, h, ref uint64, seed *seed) {
	t := sh.tab.Load()
	i, ok := t.find(w0, w1, h)
	if !ok || !sameConn(t.s[i].ref.Load(), ref) {
		return
	}
	t.deleteAt(i, seed)
	sh.n--
}

// deleteAt empties slot i and shifts later slots of its probe run back so
// that no lookup stops early.
func (t *slots) deleteAt(i uint64, seed *seed) {
	for {
		j := i
		for {
			j = (j + 1) & t.mask
			w1 := t.s[j].w1.Load()
			if w1 == 0 {
				// An empty slot is one whose w1 is zero: every reader
				// looks at w1 first and at nothing else of an empty
				// slot, and an insert writes all three words, so the
				// stale key and reference left here cost no stores.
				t.s[i].w1.Store(0)
				return
			}
			r := t.s[j].ref.Load()
			d := r >> distShift
			if d == distMax {
				d = (j - t.home(seed.hash(t.s[j].w0.Load(), w1))) & t.mask
			}
			if gap := (j - i) & t.mask; d >= gap {
				t.s[i].ref.Store(withDist(r, d-gap))
				t.s[i].w0.Store(t.s[j].w0.Load())
				t.s[i].w1.Store(w1)
				i = j
				break
			}
		}
	}
}

// conn returns the conn at idx of the slab. Any goroutine may call it for
// an index it read from a slot reference.
//
// The address is computed with unsafe.Add: indexing through the chunk
// pointer makes the compiler check it for nil with a load of the chunk's
// first byte, a cache miss of its own in a large table (the chunks of a
// full default table are 10 MB), on every lookup that finds a conn. A
// chunk of an index read from a slot is never nil: it was added to the
// slab before the index was handed out.
func (sh *shard) conn(idx uint32) *conn {
	cs := *sh.chunks.Load()
	return (*conn)(unsafe.Add(unsafe.Pointer(cs[idx>>chunkBits]), uintptr(idx&chunkMask)*unsafe.Sizeof(conn{})))
}

// alloc takes a free conn from the slab. The caller holds mu.
func (sh *shard) alloc() (uint32, *conn) {
	if n := len(sh.free); n > 0 {
		idx := sh.free[n-1]
		sh.free = sh.free[:n-1]
		return idx, sh.conn(idx)
	}
	idx := sh.next
	cs := *sh.chunks.Load()
	if int(idx>>chunkBits) >= len(cs) {
		grown := make([]*chunk, len(cs)+1)
		copy(grown, cs)
		grown[len(cs)] = new(chunk)
		sh.chunks.Store(&grown)
	}
	sh.next++
	return idx, sh.conn(idx)
}
