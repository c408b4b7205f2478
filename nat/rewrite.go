package nat

import (
	"encoding/binary"

	"neutrino/packet/header"
)

// Offsets of the checksum fields in their L4 headers.
const (
	tcpCsum  = 16
	udpCsum  = 6
	icmpCsum = 2
)

// Rewrite writes a into the IPv4 packet of frame, which header.Parse has
// parsed into l with result OK: the source and destination addresses, and
// the TCP or UDP ports or the ICMP echo identifier (a.SPort). Only fields
// whose value changes are written, and every checksum that covers them is
// patched incrementally:
//
//   - the IPv4 header checksum, for the addresses;
//   - the TCP or UDP checksum, for the addresses (pseudo-header) and the
//     ports; a UDP checksum of 0 (none) is left alone, and a patched one
//     that comes out 0 is written 0xffff (RFC 768);
//   - the ICMP checksum, for the echo identifier.
//
// With partial, the TCP or UDP checksum field holds the pseudo-header sum
// of a checksum still to be completed (virtio-net NEEDS_CSUM, a GSO
// super-frame): the address changes are added to that sum, the port
// changes leave it alone, and an ICMP checksum is not touched, as Linux
// does for CHECKSUM_PARTIAL. The payload is never read.
//
// A fragment other than the first has no L4 header: only its addresses
// change. A first fragment gets its ports and L4 checksum patched like a
// whole packet; the patch is right however much of the data follows.
// Other ICMP messages than echo keep their bytes: an ICMP error quoting a
// translated packet goes through RewriteICMPError. Non-IPv4 frames are
// left alone.
func Rewrite(frame []byte, l *header.Layout, a Addrs, partial bool) {
	if l.Flags&header.IsIPv4 == 0 {
		return
	}
	addrs := rewriteIPv4(frame[l.L3:], a.Src, a.Dst)
	if l.Flags&(header.Fragment|header.HasL4) != header.HasL4 {
		return
	}
	l4 := frame[l.L4:]
	switch l.Proto {
	case header.ProtoTCP:
		rewriteTCP(l4, a, addrs, partial)
	case header.ProtoUDP:
		rewriteUDP(l4, a, addrs, partial)
	case header.ProtoICMP:
		rewriteEcho(l4, a.SPort, partial)
	}
}

// rewriteIPv4 writes the addresses of the IPv4 header ip, patches its
// checksum, and returns their change, which the pseudo-header of a TCP or
// UDP checksum sees too.
func rewriteIPv4(ip []byte, src, dst [4]byte) delta {
	var d delta
	setAddr(ip[12:16], src, &d)
	setAddr(ip[16:20], dst, &d)
	if d != 0 {
		binary.BigEndian.PutUint16(ip[10:12], d.apply(binary.BigEndian.Uint16(ip[10:12])))
	}
	return d
}

// rewriteTCP writes the ports of a into the TCP header th and patches its
// checksum for them and for the addresses' change addrs.
func rewriteTCP(th []byte, a Addrs, addrs delta, partial bool) {
	var ports delta
	set16(th[0:2], a.SPort, &ports)
	set16(th[2:4], a.DPort, &ports)
	c := th[tcpCsum : tcpCsum+2]
	if partial {
		if addrs != 0 {
			binary.BigEndian.PutUint16(c, addrs.applySum(binary.BigEndian.Uint16(c)))
		}
		return
	}
	if d := addrs + ports; d != 0 {
		binary.BigEndian.PutUint16(c, d.apply(binary.BigEndian.Uint16(c)))
	}
}

// rewriteUDP is rewriteTCP for the UDP header uh. A checksum of 0 means
// none was sent, except in a partial checksum, which Linux patches
// whatever it holds.
func rewriteUDP(uh []byte, a Addrs, addrs delta, partial bool) {
	var ports delta
	set16(uh[0:2], a.SPort, &ports)
	set16(uh[2:4], a.DPort, &ports)
	c := uh[udpCsum : udpCsum+2]
	old := binary.BigEndian.Uint16(c)
	var sum uint16
	switch {
	case partial && addrs != 0:
		sum = addrs.applySum(old)
	case !partial && old != 0 && addrs+ports != 0:
		sum = (addrs + ports).apply(old)
	default:
		return
	}
	if sum == 0 {
		sum = 0xffff
	}
	binary.BigEndian.PutUint16(c, sum)
}

// rewriteEcho writes id as the identifier of the ICMP message ic when it
// is an echo request or reply, and patches its checksum unless partial.
func rewriteEcho(ic []byte, id uint16, partial bool) {
	if ic[0] != header.ICMPv4Echo && ic[0] != header.ICMPv4EchoReply {
		return
	}
	var d delta
	set16(ic[4:6], id, &d)
	if d != 0 && !partial {
		c := ic[icmpCsum : icmpCsum+2]
		binary.BigEndian.PutUint16(c, d.apply(binary.BigEndian.Uint16(c)))
	}
}
