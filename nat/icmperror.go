package nat

import (
	"encoding/binary"

	"neutrino/packet/header"
)

// ICMP errors (RFC 792) carry the header of the packet that caused them
// after their 8-byte fixed part: its IPv4 header and at least 8 bytes of
// what followed, enough for the ports (RFC 1812 asks for as much as fits
// in 576 bytes). Under NAT that packet is quoted as it was on the wire, so
// the error is translated back, inside and out, as Linux's
// nf_nat_icmp_reply_translation does:
//
//	outer IPv4 | ICMP type code csum unused | inner IPv4 | inner L4 (>= 8 bytes)
//	 src, dst  |                 csum       |  src, dst  | ports or echo id
//	 csum      |                            |  csum      | csum, when quoted

// quoted returns the ICMP error message of frame and the IPv4 header
// length of the packet it quotes, or ok false when frame is not an ICMP
// error or its quote is unusable: not IPv4, a bad header length, less than
// the header and 8 bytes, a fragment other than the first (no ports), or
// an ICMP message other than echo (an error about an error, which Linux
// does not relate to a connection either).
func quoted(frame []byte, l *header.Layout) (msg []byte, hl int, ok bool) {
	if l.Flags&(header.IsIPv4|header.Fragment|header.HasL4) != header.IsIPv4|header.HasL4 ||
		l.Proto != header.ProtoICMP {
		return nil, 0, false
	}
	msg = l.Transport(frame)
	switch msg[0] {
	case header.ICMPv4DestUnreach, 4 /* source quench */, header.ICMPv4Redirect,
		header.ICMPv4TimeExceeded, header.ICMPv4ParamProblem:
	default:
		return nil, 0, false
	}
	in := msg[header.ICMPv4Len:]
	if len(in) < header.IPv4MinLen || in[0]>>4 != 4 {
		return nil, 0, false
	}
	hl = int(in[0]&0x0f) * 4
	if hl < header.IPv4MinLen || len(in) < hl+8 ||
		binary.BigEndian.Uint16(in[6:8])&header.IPv4FragOffsetMask != 0 {
		return nil, 0, false
	}
	if in[9] == header.ProtoICMP && in[hl] != header.ICMPv4Echo && in[hl] != header.ICMPv4EchoReply {
		return nil, 0, false
	}
	return msg, hl, true
}

// ICMPErrorInner returns the addresses and ports of the packet quoted by
// the ICMP error in frame (parsed by header.Parse into l), and its IP
// protocol. For a quoted echo both ports hold its identifier; for
// protocols other than TCP, UDP and ICMP both are 0, as in conntrack.Key.
// ok is false under the conditions RewriteICMPError returns false.
func ICMPErrorInner(frame []byte, l *header.Layout) (inner Addrs, proto uint8, ok bool) {
	msg, hl, ok := quoted(frame, l)
	if !ok {
		return Addrs{}, 0, false
	}
	in := msg[header.ICMPv4Len:]
	inner.Src, inner.Dst = [4]byte(in[12:16]), [4]byte(in[16:20])
	proto = in[9]
	l4 := in[hl:]
	switch proto {
	case header.ProtoTCP, header.ProtoUDP:
		inner.SPort = binary.BigEndian.Uint16(l4[0:2])
		inner.DPort = binary.BigEndian.Uint16(l4[2:4])
	case header.ProtoICMP:
		inner.SPort = binary.BigEndian.Uint16(l4[4:6])
		inner.DPort = inner.SPort
	}
	return inner, proto, true
}

// RewriteICMPError translates the ICMP error in frame (parsed by
// header.Parse into l with result OK): the outer addresses become outerSrc
// and outerDst, and the quoted packet gets inner's addresses and ports (its
// echo identifier from inner.SPort when it is an echo). Every checksum is
// patched incrementally, innermost first, each patch also added to the
// checksum that covers it:
//
//  1. the quoted IPv4 header checksum, for its addresses;
//  2. the quoted L4 checksum, for its addresses and ports, when the quote
//     holds it: UDP (in the 8 bytes; 0 stays 0), TCP only when the whole
//     20-byte header is quoted (as Linux's tcp_manip_pkt), ICMP echo;
//  3. the ICMP checksum, for every word changed in the quote;
//  4. the outer IPv4 header checksum, for the outer addresses.
//
// It returns false and changes nothing when frame holds no ICMP error
// (types 3, 4, 5, 11, 12) or its quote is not usable: not IPv4, a bad
// header length, shorter than the IPv4 header and 8 bytes, a fragment
// other than the first, or an ICMP message other than echo.
func RewriteICMPError(frame []byte, l *header.Layout, outerSrc, outerDst [4]byte, inner Addrs) bool {
	msg, hl, ok := quoted(frame, l)
	if !ok {
		return false
	}
	in := msg[header.ICMPv4Len:]
	l4 := in[hl:]
	var addrs, ports delta
	setAddr(in[12:16], inner.Src, &addrs)
	setAddr(in[16:20], inner.Dst, &addrs)
	proto := in[9]
	switch proto {
	case header.ProtoTCP, header.ProtoUDP:
		set16(l4[0:2], inner.SPort, &ports)
		set16(l4[2:4], inner.DPort, &ports)
	case header.ProtoICMP:
		set16(l4[4:6], inner.SPort, &ports)
	}
	icmp := addrs + ports // what the quote's words add to the ICMP sum
	if addrs != 0 {
		set16(in[10:12], addrs.apply(binary.BigEndian.Uint16(in[10:12])), &icmp)
	}
	switch {
	case proto == header.ProtoUDP:
		if c := binary.BigEndian.Uint16(l4[udpCsum:]); c != 0 && addrs+ports != 0 {
			n := (addrs + ports).apply(c)
			if n == 0 {
				n = 0xffff
			}
			set16(l4[udpCsum:], n, &icmp)
		}
	case proto == header.ProtoTCP && len(l4) >= header.TCPMinLen:
		if addrs+ports != 0 {
			set16(l4[tcpCsum:], (addrs + ports).apply(binary.BigEndian.Uint16(l4[tcpCsum:])), &icmp)
		}
	case proto == header.ProtoICMP:
		if ports != 0 {
			set16(l4[icmpCsum:], ports.apply(binary.BigEndian.Uint16(l4[icmpCsum:])), &icmp)
		}
	}
	if icmp != 0 {
		binary.BigEndian.PutUint16(msg[icmpCsum:], icmp.apply(binary.BigEndian.Uint16(msg[icmpCsum:])))
	}
	rewriteIPv4(frame[l.L3:], outerSrc, outerDst)
	return true
}
