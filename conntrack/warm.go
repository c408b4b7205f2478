package conntrack

import (
	"encoding/binary"
	"sync/atomic"
	"unsafe"

	"neutrino/internal/prefetch"
)

// A new connection in a large table is a handful of cache misses, each
// one depending on the one before: the home slot of its original tuple
// (the lookup that misses), in a full table the early drop victim's conn
// found there, then the home slot of the victim's other tuple; and the
// home slot of its reply tuple, known only at the commit. Waited for one
// after the other they cost more than all the work around them. So the
// misses are asked for with prefetch instructions (internal/prefetch:
// unlike a load, a prefetch holds up neither the locked instructions that
// follow nor the processor once it has run a few hundred instructions
// ahead), together, in one round per connection, before the commit
// takes its locks (remove): the reply tuple's home slot and the victim's
// other tuple's for this connection, and, with the next two frames of the
// caller's batch (Ahead), the victim's conn for the next one, whose home
// slot the previous round asked for, and the home slot of the one after.
// Their addresses are collected first and asked for back to back (lines;
// where there is no prefetch instruction, loads farther apart in the code
// than the processor runs ahead would wait for each other). A frame that opens no connection asks for the next one's
// home slot after its lookup (Prefetch).

// victimLines adds to l what the early drop of a commit whose tuple has
// hash h will read: it will look at the slots from the tuple's home on,
// which an earlier round asked for, and most likely take the first
// connection there, whose state word and tuples it reads (a conn may span
// two cache lines).
func (t *Table) victimLines(h uint64, l *lines) {
	sh, _ := t.shardOf(h)
	tab := sh.tab.Load()
	i := tab.home(h)
	for k := 0; k < 4; k++ {
		s := &tab.s[i]
		if s.w1.Load() != 0 {
			c := t.connOf(slotRef(s.ref.Load()))
			l.add(&c.o0)
			l.add(&c.word)
			return
		}
		i = (i + 1) & tab.mask
	}
}

// frameHash returns the hash of the tuple Track would look up for an
// Ethernet frame not parsed yet, in zone: false for anything but an
// unfragmented IPv4 TCP or UDP packet (of at most one VLAN tag).
func (t *Table) frameHash(f []byte, zone uint16) (uint64, bool) {
	if len(f) < 14+20+4 {
		return 0, false
	}
	f = f[12:]
	if et := binary.BigEndian.Uint16(f); et == 0x8100 || et == 0x88a8 {
		f = f[4:]
	}
	if len(f) < 2+20+4 || binary.BigEndian.Uint16(f) != 0x0800 {
		return 0, false
	}
	ip := f[2:]
	hl := int(ip[0]&0x0f) * 4
	proto := ip[9]
	if ip[0]>>4 != 4 || binary.BigEndian.Uint16(ip[6:])&0x3fff != 0 || proto != 6 && proto != 17 || hl+4 > len(ip) {
		return 0, false
	}
	w0 := binary.LittleEndian.Uint64(ip[12:20])
	w1 := ports(binary.BigEndian.Uint16(ip[hl:]), binary.BigEndian.Uint16(ip[hl+2:])) |
		uint64(zone)<<32 | uint64(proto)<<48 | usedBit
	return t.seed.hash(w0, w1), true
}

// Prefetch asks for the cache line where Track will look up a frame's
// tuple in zone, without tracking it: a caller with a batch of frames
// calls it with the next frame after it tracked the current one, so that
// the two lookups' cache misses overlap. frame is an Ethernet frame not
// parsed yet; anything but an unfragmented IPv4 TCP or UDP packet is
// ignored.
func (t *Table) Prefetch(frame []byte, zone uint16) {
	if h, ok := t.frameHash(frame, zone); ok {
		sh, _ := t.shardOf(h)
		sh.touch(h)
	}
}

// Ahead tells the commit of NEW verdict v the next two frames of the
// caller's batch (nil: none), in zone, as Prefetch takes them. A commit
// into a full table waits for two cache misses of its own, the reply
// tuple's home slot and the victim's other tuple's; with them it asks for
// the home slot of after, whose lookup will then find it, and for the
// early drop victim of next, whose home slot the previous commit asked
// for: a batch of new connections then waits for one round of misses per
// connection, not two.
//
// memo is the caller's (one goroutine's, for one batch: zero it when a
// batch starts): the frame after is next at the following call, whose
// hash is then not computed again.
func (t *Table) Ahead(v *Verdict, memo *AheadMemo, next, after []byte, zone uint16) {
	v.ahead = lookahead{}
	if len(next) > 0 {
		if memo.frame == uintptr(unsafe.Pointer(&next[0])) && memo.zone == zone {
			v.ahead.next, v.ahead.okNext = memo.h, memo.ok
		} else {
			v.ahead.next, v.ahead.okNext = t.frameHash(next, zone)
		}
	}
	*memo = AheadMemo{}
	if len(after) > 0 {
		v.ahead.after, v.ahead.okAfter = t.frameHash(after, zone)
		*memo = AheadMemo{frame: uintptr(unsafe.Pointer(&after[0])), zone: zone, h: v.ahead.after, ok: v.ahead.okAfter}
	}
}

// AheadMemo is what Ahead remembers of the last frame it hashed.
type AheadMemo struct {
	// frame is the address of the frame's first byte: only compared, a
	// plain number (a pointer would cost a write barrier per call while
	// the collector runs).
	frame uintptr
	zone  uint16
	ok    bool
	h     uint64
}

// lookahead is what Ahead found.
type lookahead struct {
	next, after     uint64 // hashes of the tuples
	okNext, okAfter bool
}

// collect adds what the lookahead's frames will need to l.
func (a *lookahead) collect(t *Table, l *lines) {
	if a.okAfter {
		sh, _ := t.shardOf(a.after)
		l.home(sh, a.after)
	}
	if a.okNext && t.total.Load() >= t.max.Load() {
		t.victimLines(a.next, l)
	}
}

// lines are the cache lines a writer asks for before it locks, collected
// first and then asked for back to back.
type lines struct {
	p [16]*atomic.Uint64 // at most ten: two home slots of a victim, one of a reply, one ahead, a conn
	n uint
}

func (l *lines) add(p *atomic.Uint64) {
	l.p[l.n%16] = p // in bounds without a check; never more than ten
	l.n++
}

// home adds the lines of the home slot of hash h in sh (see shard.touch).
func (l *lines) home(sh *shard, h uint64) {
	t := sh.tab.Load()
	i := t.home(h)
	s := t.s
	l.add(&s[i&t.mask].w1)
	l.add(&s[(i+3)&t.mask].w1)
}

// load asks for them.
func (l *lines) load() {
	for _, p := range l.p[:l.n%16] {
		prefetch.Line(unsafe.Pointer(p))
	}
}

// Reset forgets the last frame, as at the start of a batch.
func (m *AheadMemo) Reset() { *m = AheadMemo{} }
