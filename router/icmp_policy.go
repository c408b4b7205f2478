package router

import "neutrino/packet/header"

// ShouldSendError reports whether the router may answer the IPv4 datagram
// orig (from its IP header on) with an ICMP error, by the rules of Linux's
// icmp_send and RFC 1122 section 3.2.2. It says no when orig is
//
//   - not a well-formed IPv4 datagram (header.IPv4.Check);
//   - a fragment other than the first (non-zero offset);
//   - an ICMP error itself, or ICMP too short to show its type: only the
//     informational types (echo and echo reply, timestamp, information and
//     address mask request and reply: 0, 8 and 13 to 18) may draw an error.
//     Like Linux, every other type counts as an error, the unassigned ones
//     and those above 18 included;
//   - from a source no answer can go to: 0.0.0.0/8, loopback 127.0.0.0/8,
//     multicast 224.0.0.0/4 or class E 240.0.0.0/4 (which holds the limited
//     broadcast 255.255.255.255); Linux drops these on input as martians;
//   - to a multicast address or the limited broadcast.
//
// Two more of Linux's rules need what the datagram alone does not say, and
// are the caller's: no error for a frame received to an Ethernet group
// address (pkt_type other than PACKET_HOST), nor for one to a subnet's
// directed broadcast address.
func ShouldSendError(orig []byte) bool {
	ip := header.IPv4(orig)
	if ip.Check() != header.OK {
		return false
	}
	if ip.FlagsFragment()&header.IPv4FragOffsetMask != 0 {
		return false
	}
	if !unicastSource(ip.Src()) || groupDest(ip.Dst()) {
		return false
	}
	if ip.Protocol() == header.ProtoICMP {
		hl := ip.HeaderLen()
		if int(ip.TotalLength()) <= hl || icmpIsError(orig[hl]) {
			return false
		}
	}
	return true
}

// icmpIsError reports whether an ICMP message of type t is an error for the
// rule above: all but the informational types.
func icmpIsError(t uint8) bool {
	switch t {
	case header.ICMPv4EchoReply, header.ICMPv4Echo, header.ICMPv4TimestampReq, header.ICMPv4TimestampReply,
		15, 16, 17, 18: // information request and reply, address mask request and reply
		return false
	}
	return true
}

// unicastSource reports whether a can be the source of a datagram the
// router answers: not in 0/8, 127/8 or 224/3 (multicast and class E).
func unicastSource(a [4]byte) bool {
	return a[0] != 0 && a[0] != 127 && a[0] < 224
}

// groupDest reports whether a is a multicast address or the limited
// broadcast: a datagram to it is never answered with an error, a reset or
// an echo reply.
func groupDest(a [4]byte) bool {
	return a[0]&0xf0 == 0xe0 || a == [4]byte{255, 255, 255, 255}
}
