package conntrack

import "encoding/binary"

// A new connection in a large table is a handful of cache misses: the
// home slot of its original tuple (the lookup that missed), that of its
// reply tuple, and in a full table the early drop's victim and the home
// slot of the victim's other tuple. Waited for one after the other they
// cost more than all the work around them. Go has no prefetch
// instruction, but a load whose value is not needed yet does the same
// for the few hundred instructions the processor runs ahead of it; the
// locked instructions of a writer wait for it. So each miss is asked for
// as early as what it depends on allows, next to another one:
//
//   - Prefetch, by the caller, with the next packet of its batch: the
//     next lookup's home slot overlaps with this packet's misses;
//   - warm, when a lookup missed in a full table: the victim's conn;
//   - insert: the reply tuple's home slot, and remove the victim's other
//     tuple's, before their locks.

// warm readies the commit of a NEW packet (a miss, v's tuple) in a full
// table: early drop will look at the slots from the tuple's home on,
// which the lookup has just read, and most likely take the first
// connection there, whose state word and tuples it reads (a conn may
// span two cache lines).
func (t *Table) warm(v *Verdict) {
	if v.dry || t.total.Load() < t.max.Load() {
		return
	}
	h := t.seed.hash(v.k0, v.k1)
	sh, _ := t.shardOf(h)
	tab := sh.tab.Load()
	i := tab.home(h)
	for k := 0; k < 4; k++ {
		s := &tab.s[i]
		if s.w1.Load() != 0 {
			c := t.connOf(s.ref.Load())
			c.o0.Load()
			c.word.Load()
			return
		}
		i = (i + 1) & tab.mask
	}
}

// Prefetch asks for the cache line where Track will look up a frame's
// tuple in zone, without tracking it: a caller with a batch of frames
// calls it with the next frame before it tracks the current one, so that
// the two lookups' cache misses overlap. frame is an Ethernet frame not
// parsed yet; anything but an unfragmented IPv4 TCP or UDP packet (of at
// most one VLAN tag) is ignored.
func (t *Table) Prefetch(frame []byte, zone uint16) {
	l3 := 14
	if len(frame) < l3+20 {
		return
	}
	et := binary.BigEndian.Uint16(frame[12:])
	if et == 0x8100 || et == 0x88a8 {
		l3 += 4
		if len(frame) < l3+20 {
			return
		}
		et = binary.BigEndian.Uint16(frame[l3-2:])
	}
	if et != 0x0800 || frame[l3]>>4 != 4 || binary.BigEndian.Uint16(frame[l3+6:])&0x3fff != 0 {
		return
	}
	proto := frame[l3+9]
	l4 := l3 + int(frame[l3]&0x0f)*4
	if proto != 6 && proto != 17 || len(frame) < l4+4 {
		return
	}
	w0 := binary.LittleEndian.Uint64(frame[l3+12 : l3+20])
	w1 := ports(binary.BigEndian.Uint16(frame[l4:]), binary.BigEndian.Uint16(frame[l4+2:])) |
		uint64(zone)<<32 | uint64(proto)<<48 | usedBit
	h := t.seed.hash(w0, w1)
	sh, _ := t.shardOf(h)
	sh.touch(h)
}
