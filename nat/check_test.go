package nat

import (
	"encoding/binary"

	"neutrino/packet/header"
)

// The fuzz targets' oracle is their own: an incremental patch keeps the
// ones' complement sum of every checksummed region unchanged (the field
// moves by exactly what the data moved), whatever the checksum held
// before, right or wrong, and however much of the datagram is present.
// Sums are compared modulo 0xffff, where 0 and 0xffff are both zero.
// Checksums made right first must therefore verify after.

// none marks a region a frame does not have.
const none = -1

// regionSums are the sums of the regions Rewrite patches.
type regionSums struct {
	ip      int32 // IPv4 header
	l4      int32 // TCP or UDP with pseudo-header, or ICMP message
	partial int32 // a partial checksum field minus its pseudo-header sum
}

// mod is s as a ones' complement value: 0xffff and 0 are the same.
func mod(s uint16) int32 { return int32(s % 0xffff) }

// pseudoLen is the L4 length the pseudo-header of frame's TCP or UDP
// header carries: the UDP Length field, or the segment length for TCP.
func pseudoLen(frame []byte, l *header.Layout) uint16 {
	if l.Proto == header.ProtoUDP {
		return header.UDP(frame[l.L4:]).Length()
	}
	return uint16(len(l.Transport(frame)))
}

// covered returns the bytes under the L4 checksum present in frame: the
// UDP datagram up to Length (or to the end of a first fragment), the TCP
// segment or ICMP message.
func covered(frame []byte, l *header.Layout) []byte {
	b := l.Transport(frame)
	if l.Proto == header.ProtoUDP {
		if n := int(header.UDP(b).Length()); n < len(b) {
			b = b[:n]
		}
	}
	return b
}

// sumsOf returns the region sums of frame, parsed OK into l.
func sumsOf(frame []byte, l *header.Layout) regionSums {
	s := regionSums{ip: none, l4: none, partial: none}
	if l.Flags&header.IsIPv4 == 0 {
		return s
	}
	ip := header.IPv4(frame[l.L3:])
	s.ip = mod(header.Checksum(ip[:ip.HeaderLen()], 0))
	if l.Flags&(header.Fragment|header.HasL4) != header.HasL4 {
		return s
	}
	b := covered(frame, l)
	switch l.Proto {
	case header.ProtoTCP, header.ProtoUDP:
		ps := header.PseudoHeaderChecksum(l.Proto, ip.Src(), ip.Dst(), pseudoLen(frame, l))
		s.l4 = mod(header.Checksum(b, ps))
		f := binary.BigEndian.Uint16(b[l4Csum(l.Proto):])
		s.partial = mod(header.ChecksumCombine(f, ^ps))
	case header.ProtoICMP:
		s.l4 = mod(header.Checksum(b, 0))
	}
	return s
}

// l4Csum returns the offset of the checksum in the L4 header of proto.
func l4Csum(proto uint8) int {
	switch proto {
	case header.ProtoTCP:
		return tcpCsum
	case header.ProtoUDP:
		return udpCsum
	}
	return icmpCsum
}

// makeValid gives frame right checksums, or with partial the partial
// sum a NEEDS_CSUM frame carries in its TCP or UDP field. A UDP checksum
// of 0 stays 0 (none); so does a partial one, which Linux then patches
// like any other.
func makeValid(frame []byte, l *header.Layout, partial bool) {
	ip := header.IPv4(frame[l.L3:])
	ip.SetChecksum(ip.CalculateChecksum())
	if l.Flags&(header.Fragment|header.HasL4) != header.HasL4 {
		return
	}
	b := covered(frame, l)
	switch l.Proto {
	case header.ProtoTCP, header.ProtoUDP:
		c := b[l4Csum(l.Proto):]
		if l.Proto == header.ProtoUDP && binary.BigEndian.Uint16(c) == 0 {
			return
		}
		ps := header.PseudoHeaderChecksum(l.Proto, ip.Src(), ip.Dst(), pseudoLen(frame, l))
		if partial {
			binary.BigEndian.PutUint16(c, ps)
			return
		}
		binary.BigEndian.PutUint16(c, 0)
		sum := ^header.Checksum(b, ps)
		if sum == 0 && l.Proto == header.ProtoUDP {
			sum = 0xffff
		}
		binary.BigEndian.PutUint16(c, sum)
	case header.ProtoICMP:
		if in, hl, ok := quotedHeader(l.Transport(frame)); ok {
			makeQuoteValid(in, hl)
		}
		ic := header.ICMPv4(l.Transport(frame))
		ic.SetChecksum(ic.CalculateChecksum())
	}
}

// quotedHeader returns the quote of the ICMP message msg and its header
// length when there is one worth checksums: an IPv4 header with its
// length within the quote.
func quotedHeader(msg []byte) (in []byte, hl int, ok bool) {
	in = msg[header.ICMPv4Len:]
	if len(in) < header.IPv4MinLen || in[0]>>4 != 4 {
		return nil, 0, false
	}
	hl = int(in[0]&0x0f) * 4
	if hl < header.IPv4MinLen || hl > len(in) {
		return nil, 0, false
	}
	return in, hl, true
}

// quoteSums are the sums of the regions of an ICMP error's quote.
type quoteSums struct {
	ip int32 // quoted IPv4 header
	l4 int32 // quoted L4 bytes under their checksum (with pseudo-header), when the checksum field is patched
}

// quoteL4 returns the quoted L4 bytes of quote in (header length hl)
// whose checksum RewriteICMPError patches, and the pseudo-header sum that
// goes with them; ok is false when it patches none (UDP without
// checksum, TCP with less than its 20-byte header, other protocols).
func quoteL4(in []byte, hl int) (b []byte, ps uint16, ok bool) {
	b = in[hl:]
	ip := header.IPv4(in)
	switch ip.Protocol() {
	case header.ProtoUDP:
		if len(b) < header.UDPLen || binary.BigEndian.Uint16(b[udpCsum:]) == 0 {
			return nil, 0, false
		}
	case header.ProtoTCP:
		if len(b) < header.TCPMinLen {
			return nil, 0, false
		}
	case header.ProtoICMP:
		return b, 0, len(b) >= header.ICMPv4Len
	default:
		return nil, 0, false
	}
	// The length in the pseudo-header is that of the quoted bytes: any
	// constant would do, the sum only has to stay the same.
	return b, header.PseudoHeaderChecksum(ip.Protocol(), ip.Src(), ip.Dst(), uint16(len(b))), true
}

// quoteSumsOf returns the sums of the quote of an ICMP message.
func quoteSumsOf(msg []byte) quoteSums {
	s := quoteSums{ip: none, l4: none}
	in, hl, ok := quotedHeader(msg)
	if !ok {
		return s
	}
	s.ip = mod(header.Checksum(in[:hl], 0))
	if b, ps, ok := quoteL4(in, hl); ok {
		s.l4 = mod(header.Checksum(b, ps))
	}
	return s
}

// makeQuoteValid gives the quoted IPv4 header in (length hl) a right
// checksum, and its L4 bytes one as if the quote were the whole packet.
func makeQuoteValid(in []byte, hl int) {
	header.IPv4(in).SetChecksum(^header.Checksum(in[12:hl], header.Checksum(in[:10], 0)))
	b, ps, ok := quoteL4(in, hl)
	if !ok {
		return
	}
	c := b[l4Csum(header.IPv4(in).Protocol()):]
	binary.BigEndian.PutUint16(c, 0)
	sum := ^header.Checksum(b, ps)
	if sum == 0 && header.IPv4(in).Protocol() == header.ProtoUDP {
		sum = 0xffff
	}
	binary.BigEndian.PutUint16(c, sum)
}
