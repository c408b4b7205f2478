package nat

import (
	"neutrino/conntrack"
	"neutrino/packet/header"
)

// SNATReply returns the reply tuple of a connection with original tuple
// orig whose source is translated to address to and port: what the reply
// carries on the wire, from orig's destination back to to. For ICMP echo
// port is the new identifier, in both ports as conntrack keys it; for
// protocols without ports it is ignored. Test the port with
// conntrack.Table.Lookup of this tuple and commit the connection with it
// (conntrack.Table.CommitReply).
func SNATReply(orig conntrack.Key, to [4]byte, port uint16) conntrack.Key {
	r := orig.Invert()
	r.Dst = to
	switch orig.Proto {
	case header.ProtoTCP, header.ProtoUDP:
		r.DPort = port
	case header.ProtoICMP:
		r.SPort, r.DPort = port, port
	}
	return r
}

// DNATReply returns the reply tuple of a connection with original tuple
// orig whose destination is translated to address to, ports unchanged: the
// reply comes from to.
func DNATReply(orig conntrack.Key, to [4]byte) conntrack.Key {
	r := orig.Invert()
	r.Src = to
	return r
}
