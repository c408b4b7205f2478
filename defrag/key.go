package defrag

import "neutrino/packet/header"

// key names the datagram a fragment belongs to: RFC 791's (source,
// destination, protocol, identification), and the conntrack zone, which
// Linux's nf_defrag_ipv4 folds into its reassembly user so that the same
// id from overlapping address spaces is two datagrams.
type key struct {
	src, dst [4]byte
	id, zone uint16
	proto    uint8
}

// keyOf returns the key of the fragment ip in zone.
func keyOf(ip header.IPv4, zone uint16) key {
	return key{src: ip.Src(), dst: ip.Dst(), id: ip.ID(), zone: zone, proto: ip.Protocol()}
}
