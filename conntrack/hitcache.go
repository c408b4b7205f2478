package conntrack

import (
	"encoding/binary"

	"neutrino/packet/header"
)

// HitCache sits in front of the table for one goroutine and answers,
// without the table, the packets the table itself would answer without
// writing anything: packets of a connection in a state no such packet
// moves on, whose timestamp is younger than the refresh interval (so the
// table would not renew it either). Those states are TCP ESTABLISHED and
// assured, for a segment with ACK and without SYN, FIN or RST, and
// replied and assured UDP; other protocols, and connections whose
// timeout is shorter than twice the refresh interval, are never cached.
// A hit reads the connection's tuple and state word, so a connection
// that ended (its slot reused, whatever its generation), moved on (a FIN)
// or needs its stamp renewed since is noticed and the packet goes to the
// table. Verdicts are exactly Track's. A HitCache belongs to one
// goroutine; its zero value is ready to use.
type HitCache struct {
	hits uint64 // packets answered from the cache
	ents [hitCacheSize]hitEntry
}

const (
	hitCacheBits = 6
	hitCacheSize = 1 << hitCacheBits
)

type hitEntry struct {
	k0, k1 uint64 // the packet's key, packed; k1 zero: empty
	tag    uint64 // the caller's, see Hit
	ref    uint64 // the slot reference, with the packet's direction
	c      *conn
}

// TrackCached is Track with h in front of the table; the verdict is
// written to v. tag is the caller's: Hit finds the entry this call makes
// only with the same tag.
func (t *Table) TrackCached(h *HitCache, v *Verdict, frame []byte, l *header.Layout, zone uint16, tag uint64, now int64) {
	k0, k1, ok := cacheableKey(frame, l, zone)
	if !ok {
		t.track(v, frame, l, zone, now, t.loose)
		return
	}
	t.trackCached(h, v, k0, k1, frame, l, zone, tag, now)
}

// Hit reports whether h alone answers the packet as ESTABLISHED: an
// earlier TrackCached of a packet with the same key
// and the same tag left an entry that still holds. The tag is what else
// the caller decided on that packet and wants the same for this one (a
// filter's identity and the source MAC it checked, say): a hit lets it
// skip those decisions too. On false, call TrackCached or
// TrackCached.
func (h *HitCache) Hit(frame []byte, l *header.Layout, zone uint16, tag uint64, now int64) bool {
	k0, k1, ok := cacheableKey(frame, l, zone)
	if !ok {
		return false
	}
	e := &h.ents[(k0^k1*0x9e3779b97f4a7c15)>>(64-hitCacheBits)]
	if e.k0 != k0 || e.k1 != k1 || e.tag != tag {
		return false
	}
	if !e.fresh(millis(now)) {
		return false
	}
	h.hits++
	return true
}

// fresh reports whether e's connection is still the one cached (its
// tuple in the entry's direction is the entry's key, its generation the
// same after reading it), alive, not closing (a FIN since may have moved
// it on) and its stamp younger than the refresh interval.
func (e *hitEntry) fresh(ms int64) bool {
	c := e.c
	var t0, t1 uint64
	if refDir(e.ref) == Original {
		t0, t1 = c.o0.Load(), c.o1.Load()
	} else {
		t0, t1 = c.r0.Load(), c.r1.Load()
	}
	w := c.word.Load()
	return t0 == e.k0 && t1 == e.k1 && wGen(w) == refGen(e.ref) && w&fDead == 0 &&
		(wClass(w) != classTCP || wState(w) == TCPEstablished) && ageMS(ms, w) < refreshMS
}

func (t *Table) trackCached(h *HitCache, v *Verdict, k0, k1 uint64, frame []byte, l *header.Layout, zone uint16, tag uint64, now int64) {
	ms := millis(now)
	e := &h.ents[(k0^k1*0x9e3779b97f4a7c15)>>(64-hitCacheBits)]
	if e.k0 == k0 && e.k1 == k1 && e.tag == tag {
		if e.fresh(ms) {
			v.k0, v.k1 = k0, k1
			v.Conn = Ref{c: e.c, ref: e.ref &^ (1 << 56)}
			v.Dir = refDir(e.ref)
			v.State = StateEstablished
			h.hits++
			return
		}
	}
	t.track(v, frame, l, zone, now, t.loose)
	if v.State != StateEstablished || !v.Conn.Valid() {
		return
	}
	w := v.Conn.c.word.Load()
	if wGen(w) != refGen(v.Conn.ref) || w&fSeenReply == 0 || w&fDead != 0 {
		return
	}
	switch wClass(w) {
	case classTCP:
		if wState(w) != TCPEstablished || w&fAssured == 0 {
			return
		}
	case classUDP:
		if w&fAssured == 0 {
			return
		}
	default:
		return
	}
	if t.timeout.of(w) < 2*refreshMS {
		return // it could time out while cached
	}
	ref := v.Conn.ref
	if v.Dir == Reply {
		ref |= 1 << 56
	}
	*e = hitEntry{k0: k0, k1: k1, tag: tag, ref: ref, c: v.Conn.c}
}

// cacheableKey returns the packed key of a packet HitCache may answer:
// IPv4 TCP or UDP, not a fragment, and for TCP a segment with ACK and
// without SYN, FIN or RST. It is the hit path's: each header is sliced
// once, so that the loads after need no bounds checks.
func cacheableKey(frame []byte, l *header.Layout, zone uint16) (k0, k1 uint64, ok bool) {
	if l.Flags&(header.IsIPv4|header.Fragment) != header.IsIPv4 || int(l.L3) > len(frame) {
		return 0, 0, false
	}
	ip := frame[l.L3:]
	if len(ip) < header.IPv4MinLen {
		return 0, 0, false
	}
	k0 = binary.LittleEndian.Uint64(ip[12:20])
	k1 = uint64(zone)<<32 | uint64(l.Proto)<<48 | usedBit
	switch l.Proto {
	case header.ProtoTCP, header.ProtoUDP:
		if l.Flags&header.HasL4 == 0 || int(l.L4) > len(frame) {
			return 0, 0, false
		}
		l4 := frame[l.L4:]
		if len(l4) < header.TCPMinLen && (l.Proto == header.ProtoTCP || len(l4) < 8) {
			return 0, 0, false
		}
		if l.Proto == header.ProtoTCP {
			f := l4[13]
			if f&(header.TCPFlagSYN|header.TCPFlagFIN|header.TCPFlagRST|header.TCPFlagACK) != header.TCPFlagACK || !tcpFlagsValid(f) {
				return 0, 0, false
			}
		}
		// Both ports, big-endian on the wire, into ports()'s layout.
		p := uint64(binary.LittleEndian.Uint32(l4[0:4]))
		k1 |= (p&0x00ff00ff)<<8 | (p>>8)&0x00ff00ff
		return k0, k1, true
	}
	// ICMP (whose key holds the echo's direction) and the rest: never
	// cached, so the cache's key need not follow each protocol's.
	return 0, 0, false
}
