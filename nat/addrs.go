package nat

import "neutrino/conntrack"

// Addrs are the addresses and ports a packet carries after translation.
// For ICMP echo requests and replies both ports hold the echo identifier,
// as in conntrack.Key; Rewrite writes SPort as the identifier.
type Addrs struct {
	Src, Dst     [4]byte
	SPort, DPort uint16
}

// AddrsOf returns the addresses and ports of tuple k. A packet of the
// original direction is rewritten to AddrsOf(reply.Invert()), one of the
// reply direction to AddrsOf(orig.Invert()).
func AddrsOf(k conntrack.Key) Addrs {
	return Addrs{Src: k.Src, Dst: k.Dst, SPort: k.SPort, DPort: k.DPort}
}
