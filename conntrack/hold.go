package conntrack

import "neutrino/packet/header"

// Hold is a connection as a flow cache holds it: its slot, the direction
// and generation a packet's verdict found, and its tuple in that
// direction. A cache keyed by the packet's own fields (which fix the
// tuple) may answer later packets of the flow with Hit instead of Track.
type Hold struct {
	c      *conn
	ref    uint64 // the slot reference, with the direction in bit 56
	t0, t1 uint64 // the tuple of the direction
}

// HoldOf returns v's connection as a Hold, when v found a TCP or UDP
// connection in the table.
func HoldOf(v *Verdict) (Hold, bool) {
	if !v.Conn.Valid() || v.dry {
		return Hold{}, false
	}
	c := v.Conn.c
	w := c.word.Load()
	if wGen(w) != refGen(v.Conn.ref) || w&fDead != 0 {
		return Hold{}, false
	}
	if cl := wClass(w); cl != classTCP && cl != classUDP {
		return Hold{}, false
	}
	p := Hold{c: c, ref: v.Conn.ref}
	if v.Dir == Reply {
		p.ref |= 1 << 56
		p.t0, p.t1 = c.r0.Load(), c.r1.Load()
	} else {
		p.t0, p.t1 = c.o0.Load(), c.o1.Load()
	}
	return p, true
}

// Dir returns the held direction.
func (p *Hold) Dir() Dir { return refDir(p.ref) }

// Hit reports whether Track would answer a packet of the pinned
// connection in the held direction, with TCP flags tcpFlags (ignored
// for UDP), with the same connection and direction and without writing
// anything: the connection is still the held one (generation and
// tuple), alive, its stamp younger than the refresh interval, and it is
// TCP ESTABLISHED and assured with a segment that has ACK and no SYN, FIN
// or RST, or UDP (a reply only once the connection is replied and
// assured). On false, the packet goes to Track, which renews, moves on
// or ends the connection as it would have.
func (p *Hold) Hit(tcpFlags uint8, now int64) bool {
	c := p.c
	if c == nil {
		return false
	}
	w := c.word.Load()
	if wGen(w) != refGen(p.ref) || w&fDead != 0 || ageMS(millis(now), w) >= refreshMS {
		return false
	}
	if refDir(p.ref) == Original {
		if c.o0.Load() != p.t0 || c.o1.Load() != p.t1 {
			return false
		}
	} else if c.r0.Load() != p.t0 || c.r1.Load() != p.t1 {
		return false
	}
	switch wClass(w) {
	case classTCP:
		const bad = header.TCPFlagSYN | header.TCPFlagFIN | header.TCPFlagRST
		return wState(w) == TCPEstablished && w&fAssured != 0 && tcpFlags&bad == 0 && tcpFlags&header.TCPFlagACK != 0
	case classUDP:
		return refDir(p.ref) == Original || w&(fSeenReply|fAssured) == fSeenReply|fAssured
	}
	return false
}
