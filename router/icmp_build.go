package router

import "neutrino/packet/header"

// Sizes of the ICMP errors built here. As RFC 1812 section 4.3.2.3 asks
// and Linux does on links of MTU 576 and more, an error is at most a
// 576-byte IP datagram, of which 20 bytes of IP header and 8 of ICMP header
// leave ICMPQuoteMax bytes to quote the offending datagram.
const (
	ICMPErrorMaxLen   = 576
	ICMPQuoteMax      = ICMPErrorMaxLen - header.IPv4MinLen - header.ICMPv4Len
	ICMPErrorFrameMax = header.EthernetLen + ICMPErrorMaxLen
)

// defaultTTL is the TTL of what the router originates (Linux's
// net.ipv4.ip_default_ttl).
const defaultTTL = 64

// BuildICMPError writes into buf an untagged Ethernet frame from src to dst
// carrying the ICMP error typ/code about orig, the offending IPv4 datagram
// from its IP header on, as Linux's icmp_send builds it:
//
//   - IPv4 from the router's address from to orig's source, without
//     options: TOS (orig's TOS & 0x1e) | 0xc0 (precedence internetwork
//     control), TTL 64, DF clear, the identification from a shared counter;
//   - the ICMP header's second word zero, but for "fragmentation needed"
//     (type 3 code 4), where it holds the next-hop mtu (RFC 1191);
//   - as much of orig as fits, up to its total length: at most ICMPQuoteMax
//     bytes, so the error is at most ICMPErrorMaxLen bytes long;
//   - IP and ICMP checksums computed.
//
// It returns the frame's length, or 0 when orig is not a well-formed IPv4
// datagram (header.IPv4.Check) or the frame does not fit in buf (at most
// ICMPErrorFrameMax bytes). Whether an error may be sent at all is for
// ShouldSendError and ICMPLimiter to say first. buf may be the buffer orig
// lies in: orig is read, and its quote moved, before the headers are
// written. Linux also echoes some IP options of orig (a reversed source
// route, record route, timestamp); these errors carry none.
func BuildICMPError(buf []byte, dst, src [6]byte, from [4]byte, typ, code uint8, mtu uint16, orig []byte) int {
	o := header.IPv4(orig)
	if o.Check() != header.OK {
		return 0
	}
	quote := min(int(o.TotalLength()), ICMPQuoteMax)
	const at = header.EthernetLen + header.IPv4MinLen // the ICMP message
	n := at + header.ICMPv4Len + quote
	if len(buf) < n {
		return 0
	}
	to, tos := o.Src(), o.TOS()&0x1e|0xc0
	copy(buf[at+header.ICMPv4Len:n], orig[:quote])

	eth := header.Ethernet(buf)
	eth.SetDst(dst)
	eth.SetSrc(src)
	eth.SetType(header.EtherTypeIPv4)

	m := header.ICMPv4(buf[at:n])
	m.SetType(typ)
	m.SetCode(code)
	m.SetMTU(0)
	if typ == header.ICMPv4DestUnreach && code == header.ICMPv4FragNeeded {
		m.SetMTU(mtu)
	}
	m.SetChecksum(m.CalculateChecksum())

	writeIPv4(header.IPv4(buf[header.EthernetLen:at]), n-header.EthernetLen, tos, nextIPID(), 0, header.ProtoICMP, from, to)
	return n
}

// writeIPv4 writes an option-less IPv4 header of total length n into ip,
// TTL 64, its checksum computed.
func writeIPv4(ip header.IPv4, n int, tos uint8, id, flags uint16, proto uint8, src, dst [4]byte) {
	ip.SetHeaderLen(header.IPv4MinLen)
	ip.SetTOS(tos)
	ip.SetTotalLength(uint16(n))
	ip.SetID(id)
	ip.SetFlagsFragment(flags)
	ip.SetTTL(defaultTTL)
	ip.SetProtocol(proto)
	ip.SetSrc(src)
	ip.SetDst(dst)
	ip.SetChecksum(ip.CalculateChecksum())
}
