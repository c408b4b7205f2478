package header

import "encoding/binary"

// Parse walks frame once and fills l with where each header starts, and
// returns OK or why the frame is malformed. It allocates nothing and never
// panics. The steps:
//
//  1. Ethernet: at least 14 bytes, else Runt.
//  2. One 802.1Q (0x8100) or 802.1ad (0x88a8) tag: Tagged, TCI and the
//     EtherType after it; TruncatedVLAN if cut short. A second (inner) tag
//     is not parsed: EtherType is then 0x8100 and L3 points at that tag.
//  3. L3 is set for every EtherType. ARP needs 28 bytes (TruncatedARP) and
//     sets IsARP only for Ethernet/IPv4 ARP; other EtherTypes (IPv6, ...)
//     stop here without error.
//  4. IPv4 is checked as IPv4.Check does (version, header length, total
//     length within the frame; Ethernet padding after it is fine) and sets
//     IsIPv4 and Proto. A fragment with a non-zero offset sets Fragment and
//     stops.
//  5. TCP, UDP and ICMPv4 set HasL4, L4 and Payload (after the TCP data
//     offset, after 8 bytes for UDP and ICMPv4), checked against the end of
//     the IP datagram. In a first fragment (MF set) the UDP length counts
//     the whole datagram and may exceed the bytes present. Other protocols
//     stop without error.
//
// When the result is not OK, l keeps what was found before the problem
// (EtherType and L3 for an L3 error; IsIPv4 and Proto too for an L4 error),
// enough to attribute the drop; the rest is zero.
func Parse(frame []byte, l *Layout) Malformed {
	*l = Layout{}
	if len(frame) < EthernetLen {
		return Runt
	}
	et := binary.BigEndian.Uint16(frame[12:14])
	off := EthernetLen
	if et == EtherTypeVLAN || et == EtherTypeQinQ {
		if len(frame) < EthernetLen+VLANTagLen {
			return TruncatedVLAN
		}
		l.Flags = Tagged
		l.TCI = binary.BigEndian.Uint16(frame[14:16])
		et = binary.BigEndian.Uint16(frame[16:18])
		off = EthernetLen + VLANTagLen
	}
	l.EtherType = et
	l.L3 = uint16(off)
	switch et {
	case EtherTypeIPv4:
		return parseIPv4(frame[off:], off, l)
	case EtherTypeARP:
		a := ARP(frame[off:])
		if !a.Valid() {
			return TruncatedARP
		}
		if a.IsEthernetIPv4() {
			l.Flags |= IsARP
		}
	}
	return OK
}

// parseIPv4 is step 4 and 5 of Parse for the datagram ip at offset off.
func parseIPv4(ip []byte, off int, l *Layout) Malformed {
	if m := IPv4(ip).Check(); m != OK {
		return m
	}
	hl := int(ip[0]&0x0f) * 4
	ip = ip[:binary.BigEndian.Uint16(ip[2:4])]
	proto := ip[9]
	l.Proto = proto
	ff := binary.BigEndian.Uint16(ip[6:8])
	if ff&IPv4FragOffsetMask != 0 {
		l.Flags |= IsIPv4 | Fragment
		return OK
	}
	l.Flags |= IsIPv4
	seg := ip[hl:]
	var n int // length of the L4 header
	switch proto {
	case ProtoTCP:
		if m := TCP(seg).Check(); m != OK {
			return m
		}
		n = int(seg[12]>>4) * 4
	case ProtoUDP:
		if len(seg) < UDPLen {
			return TruncatedUDP
		}
		if ul := int(binary.BigEndian.Uint16(seg[4:6])); ul < UDPLen || (ul > len(seg) && ff&IPv4FlagMF == 0) {
			return TruncatedUDP
		}
		n = UDPLen
	case ProtoICMP:
		if len(seg) < ICMPv4Len {
			return TruncatedICMP
		}
		n = ICMPv4Len
	default:
		return OK
	}
	l.L4 = uint16(off + hl)
	l.Payload = uint16(off + hl + n)
	l.Flags |= HasL4
	return OK
}
