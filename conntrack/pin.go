package conntrack

import (
	"encoding/binary"
	"sync/atomic"

	"neutrino/packet/header"
)

// A Pin is one direction of a connection a HitCache entry holds, taken
// out of the cache by its caller to keep beside decisions of its own (a
// flow cache that answers two filters' lookups for one frame, say). Like
// the entry, it answers only what Track would answer without writing:
// Holds is true while the connection is the one pinned, in the state
// word it had then (generation, protocol, flags, TCP state; a FIN, a
// kill, a removal or a reuse of the slot changes it), and its stamp is
// younger than the refresh interval. A packet with the FlowKey the pin
// was taken for, in the pin's zone, is then ESTABLISHED in its
// direction. The zero Pin holds nothing and must not be asked.
type Pin struct {
	t0, t1 *atomic.Uint64 // the connection's tuple in the pinned direction
	w      *atomic.Uint64 // its state word
	k0, k1 uint64         // the direction's tuple, packed, zone included
	hi     uint64         // the state word without its stamp
}

// Pin returns the entry of h that Hit would answer the packet from, as
// a Pin, and false when Hit would not answer it.
func (h *HitCache) Pin(frame []byte, l *header.Layout, zone uint16, tag uint64, now int64) (Pin, bool) {
	k0, k1, ok := cacheableKey(frame, l, zone)
	if !ok {
		return Pin{}, false
	}
	e := &h.ents[(k0^k1*0x9e3779b97f4a7c15)>>(64-hitCacheBits)]
	if e.k0 != k0 || e.k1 != k1 || e.tag != tag || e.c == nil {
		return Pin{}, false
	}
	c := e.c
	p := Pin{t0: &c.o0, t1: &c.o1, w: &c.word, k0: k0, k1: k1}
	if refDir(e.ref) == Reply {
		p.t0, p.t1 = &c.r0, &c.r1
	}
	// The word read here is the one the pin keeps: it must be fresh as
	// the entry sees it (generation, liveness, TCP state, stamp), and
	// the tuple still the entry's.
	w := c.word.Load()
	p.hi = w >> stampBits
	if wGen(w) != refGen(e.ref) || w&fDead != 0 || (wClass(w) == classTCP && wState(w) != TCPEstablished) ||
		ageMS(millis(now), w) >= refreshMS || p.t0.Load() != k0 || p.t1.Load() != k1 {
		return Pin{}, false
	}
	return p, true
}

// Holds reports whether a packet of the pin's FlowKey in its zone is,
// at ms (Millis of the time), ESTABLISHED without Track writing anything:
// see Pin.
func (p *Pin) Holds(ms int64) bool {
	w := p.w.Load()
	return w>>stampBits == p.hi && p.t0.Load() == p.k0 && p.t1.Load() == p.k1 && ageMS(ms, w) < refreshMS
}

// Millis converts Unix nanoseconds to the unit of Holds.
func Millis(now int64) int64 { return millis(now) }

// FlowKey returns a key of the packets a HitCache may answer, taken
// from their headers as they are on the wire: two packets with the same
// FlowKey have the same packed key in any zone, and a packet with a
// FlowKey has one (cacheableKey's conditions hold: IPv4 TCP or UDP with
// its header in the frame, no fragment, first fragments included, and
// for TCP a segment with ACK and without SYN, FIN or RST). It is the
// flow caches' per-packet work, kept to a few loads.
func FlowKey(frame []byte, l *header.Layout) (k0, k1 uint64, ok bool) {
	l3, l4, n := int(l.L3), int(l.L4), len(frame)
	if l.Flags&(header.IsIPv4|header.Fragment|header.HasL4) != header.IsIPv4|header.HasL4 ||
		l3 > n-header.IPv4MinLen || l4 > n-header.TCPMinLen && (l.Proto == header.ProtoTCP || l4 > n-8) {
		return 0, 0, false
	}
	ip := (*[header.IPv4MinLen]byte)(frame[l3:])
	p := (*[8]byte)(frame[l4:])
	switch {
	case ip[6]&0x3f != 0: // MF, or an offset
		return 0, 0, false
	case l.Proto == header.ProtoTCP:
		if frame[l4+13]&(header.TCPFlagSYN|header.TCPFlagFIN|header.TCPFlagRST|header.TCPFlagACK) != header.TCPFlagACK {
			return 0, 0, false
		}
	case l.Proto != header.ProtoUDP:
		return 0, 0, false
	}
	return binary.LittleEndian.Uint64(ip[12:]), uint64(binary.LittleEndian.Uint32(p[:])) | uint64(l.Proto)<<32, true
}
