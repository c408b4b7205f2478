package router

import (
	"encoding/binary"

	"neutrino/packet/header"
)

// EchoReply turns the ICMP echo request in frame, parsed by header.Parse
// into l, into the echo reply in place, as Linux answers a ping to one of
// its addresses:
//
//   - Ethernet: to the request's source MAC, from mac (an 802.1Q tag stays);
//   - IPv4: addresses swapped, TTL 64, DF clear, a new identification, TOS
//     kept; options are dropped and the ICMP message moved up behind a
//     20-byte header (Linux echoes record route, timestamp and a reversed
//     source route; this reply carries none);
//   - ICMP: type 0, code, identifier, sequence number and data kept, the
//     checksum updated incrementally (RFC 1624).
//
// It returns the reply's length (the caller pads it to 60 bytes where the
// link needs it) and true, or false with frame untouched when frame is not
// an echo request Linux would answer: not a whole, unfragmented IPv4 ICMP
// echo request with a correct ICMP checksum (a fragmented request must be
// reassembled first), to a multicast or the limited broadcast address
// (icmp_echo_ignore_broadcasts), or from a source ShouldSendError refuses or
// an Ethernet group address. The reply is never longer than the request.
func EchoReply(frame []byte, l *header.Layout, mac [6]byte) (int, bool) {
	msg, ok := echoRequest(frame, l)
	if !ok {
		return 0, false
	}
	ip := header.IPv4(frame[l.L3:])
	src, dst := ip.Src(), ip.Dst()

	old := binary.BigEndian.Uint16(msg[0:2])
	msg.SetType(header.ICMPv4EchoReply)
	c := header.ChecksumUpdate16(msg.Checksum(), old, binary.BigEndian.Uint16(msg[0:2]))
	if c == 0 {
		// RFC 1624 gives +0 where -0 (0xffff) is right when every other
		// word of the message is zero; a full sum tells the two apart.
		c = msg.CalculateChecksum()
	}
	msg.SetChecksum(c)

	n := copy(ip[header.IPv4MinLen:], msg) + header.IPv4MinLen
	writeIPv4(ip, n, ip.TOS(), nextIPID(), 0, header.ProtoICMP, dst, src)

	eth := header.Ethernet(frame)
	eth.SetDst(eth.Src())
	eth.SetSrc(mac)
	return int(l.L3) + n, true
}

// echoRequest returns the ICMP message of frame when it is an echo request
// EchoReply answers. It checks l against frame rather than trusting it.
func echoRequest(frame []byte, l *header.Layout) (header.ICMPv4, bool) {
	const want = header.IsIPv4 | header.HasL4
	if l.Flags&want != want || l.Flags&header.Fragment != 0 || l.Proto != header.ProtoICMP ||
		l.L3 < header.EthernetLen || int(l.L3) > len(frame) || frame[6]&1 != 0 {
		return nil, false
	}
	ip := header.IPv4(frame[l.L3:])
	if ip.Check() != header.OK || ip.Protocol() != header.ProtoICMP || ip.IsFragment() ||
		int(l.L4) != int(l.L3)+ip.HeaderLen() {
		return nil, false
	}
	if !unicastSource(ip.Src()) || groupDest(ip.Dst()) {
		return nil, false
	}
	msg := header.ICMPv4(ip.Payload())
	if !msg.Valid() || msg.Type() != header.ICMPv4Echo || !msg.ChecksumValid() {
		return nil, false
	}
	return msg, true
}
