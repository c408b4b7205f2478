package firewall

// Match returns the id (the index in Set.Rules) of the first rule, in the
// order given to Compile, of m's direction that allows an IPv4 packet with
// IP protocol proto whose other end is remote (the source address for
// ingress, the destination for egress) and with key: the destination port
// for tcp, udp, dccp, sctp and udplite, type<<8|code for icmp, 0
// otherwise. ok is false, and id -1, when no rule allows the packet.
//
// remote is an address in wire order, as packets carry it: the type says
// the matcher is for IPv4 only, and the caller needs no conversion.
//
// Its cost does not depend on the number of rules: an index by protocol,
// a binary search of the key intervals of one 256-key block, a few
// comparisons and at most two longest-prefix matches. It allocates nothing and is safe for
// concurrent use.
func (m *Matcher) Match(proto uint8, remote [4]byte, key uint16) (id int, ok bool) {
	k := &m.maps[m.byProto[proto]]
	c := &k.cells[k.find(key)]
	best := c.lookup(remote)
	if best == noRule {
		return -1, false
	}
	return int(best), true
}
