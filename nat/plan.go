package nat

import (
	"encoding/binary"

	"neutrino/packet/header"
)

// Plan is Rewrite, and the TTL decrement of routing, worked out once for
// every packet of one flow: packets whose addresses and ports are from
// get to's, and their checksums the same patches each time. A flow cache
// keyed by those fields holds one.
type Plan struct {
	to    Addrs
	nat   bool  // to differs from from
	ip    delta // the IPv4 header checksum's patch: addresses and TTL
	l4    delta // a full TCP or UDP checksum's: addresses and ports
	l4Sum delta // a partial one's: addresses only
}

// ttlDecrement is the change of the header word that holds the TTL when
// the TTL drops by one (TTL 2 to 255): ~old + (old - 0x100).
const ttlDecrement delta = 0xfeff

// NewPlan returns the plan that rewrites from into to (a TCP or UDP
// packet's addresses and ports).
func NewPlan(from, to Addrs) Plan {
	p := Plan{to: to, nat: from != to, ip: ttlDecrement}
	var addrs, ports delta
	addrs.addr(binary.BigEndian.Uint32(from.Src[:]), binary.BigEndian.Uint32(to.Src[:]))
	addrs.addr(binary.BigEndian.Uint32(from.Dst[:]), binary.BigEndian.Uint32(to.Dst[:]))
	ports.word(from.SPort, to.SPort)
	ports.word(from.DPort, to.DPort)
	p.ip += addrs
	p.l4, p.l4Sum = addrs+ports, addrs
	return p
}

// Apply rewrites the TCP or UDP packet of frame, parsed into l, whose
// addresses and ports are the plan's from and whose TTL is above 1: its
// addresses and ports become the plan's, its TTL drops by one, and its
// checksums are patched as Rewrite patches them (partial: the L4
// checksum field holds a pseudo-header sum still to be completed).
func (p *Plan) Apply(frame []byte, l *header.Layout, partial bool) {
	ip := frame[l.L3 : l.L3+20]
	ip[8]--
	binary.BigEndian.PutUint16(ip[10:12], p.ip.apply(binary.BigEndian.Uint16(ip[10:12])))
	if !p.nat {
		return
	}
	copy(ip[12:16], p.to.Src[:])
	copy(ip[16:20], p.to.Dst[:])
	off := tcpCsum
	if l.Proto == header.ProtoUDP {
		off = udpCsum
	}
	l4 := frame[int(l.L4) : int(l.L4)+off+2]
	binary.BigEndian.PutUint16(l4[0:2], p.to.SPort)
	binary.BigEndian.PutUint16(l4[2:4], p.to.DPort)
	c := l4[off : off+2]
	old := binary.BigEndian.Uint16(c)
	var sum uint16
	switch {
	case partial && p.l4Sum != 0:
		sum = p.l4Sum.applySum(old)
	case !partial && p.l4 != 0 && (old != 0 || l.Proto == header.ProtoTCP):
		sum = p.l4.apply(old)
	default:
		return // nothing to patch, or a UDP datagram sent without checksum
	}
	if sum == 0 && l.Proto == header.ProtoUDP {
		sum = 0xffff // RFC 768: a computed 0 goes out as all ones
	}
	binary.BigEndian.PutUint16(c, sum)
}
