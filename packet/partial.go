package packet

import (
	"encoding/binary"

	"neutrino/packet/header"
)

// A sender whose stack offloads checksums to its NIC leaves a TCP or UDP
// checksum field holding only the pseudo-header sum (Linux's
// CHECKSUM_PARTIAL), for the NIC to finish. Between network namespaces no
// NIC does: a veth passes the frame on as it is, and the kernel on the
// other side trusts it by its flag. A frame that reaches the node through a
// UDP socket (a VXLAN underlay) loses that flag, so LeftPartial recognizes
// such a frame by its checksum field instead, and the reader marks it
// NeedsCsum as a TAP device would: whoever delivers it finishes the sum,
// or hands it on partial.
//
// A frame whose checksum is right has the pseudo-header sum in its field
// only when its data sum to zero (about one frame in 65536): taking it for
// partial then is harmless, finishing it gives the same field.

// LeftPartial reports whether the Ethernet frame f, untagged IPv4 (no
// fragment, no Ethernet padding after the datagram) carrying a whole TCP
// header or a UDP datagram (its length field the datagram's rest), has
// in its L4 checksum field exactly the pseudo-header sum, as a sender's
// checksum offload leaves it; if so it returns where the checksum starts
// (the L4 header) and the field's offset from there, as a virtio-net
// header describes a partial checksum. A UDP checksum of zero ("none") is
// not partial.
func LeftPartial(f []byte) (start, offset int, ok bool) {
	const l3 = header.EthernetLen
	if len(f) < l3+header.IPv4MinLen || binary.BigEndian.Uint16(f[12:14]) != header.EtherTypeIPv4 ||
		f[l3]>>4 != 4 {
		return 0, 0, false
	}
	ihl := int(f[l3]&0x0f) * 4
	total := int(binary.BigEndian.Uint16(f[l3+2:]))
	if ihl < header.IPv4MinLen || total < ihl || l3+total != len(f) ||
		binary.BigEndian.Uint16(f[l3+6:])&0x3fff != 0 { // MF or a fragment offset
		return 0, 0, false
	}
	start = l3 + ihl
	switch f[l3+9] {
	case header.ProtoTCP:
		offset = 16
		if total-ihl < header.TCPMinLen {
			return 0, 0, false
		}
	case header.ProtoUDP:
		offset = 6
		if total-ihl < header.UDPLen || int(binary.BigEndian.Uint16(f[start+4:])) != total-ihl {
			return 0, 0, false
		}
	default:
		return 0, 0, false
	}
	field := binary.BigEndian.Uint16(f[start+offset:])
	ps := header.PseudoHeaderChecksum(f[l3+9], [4]byte(f[l3+12:l3+16]), [4]byte(f[l3+16:l3+20]), uint16(total-ihl))
	if field == 0 || field != ps {
		return 0, 0, false
	}
	return start, offset, true
}
