package afpacket

import (
	"encoding/binary"

	"golang.org/x/sys/unix"

	"neutrino/packet"
	"neutrino/packet/header"
)

// describePlain fills b.Meta.GSO for a frame read without a virtio-net
// header (Config.NoOffload), from the tpacket_auxdata status and the
// frame's headers:
//
//   - TP_STATUS_CSUMNOTREADY (the sender's checksum is still partial, as
//     on a veth): NeedsCsum, with CsumStart/CsumOffset of the TCP or UDP
//     checksum, so packet.CompleteChecksum can finish it.
//   - TP_STATUS_CSUM_VALID: DataValid.
//   - A TCP frame whose IP datagram exceeds the MTU (GSO from a local
//     sender, GRO on a NIC): a super-frame of Size MTU minus the IP and TCP
//     headers, which is the sender's MSS when its segments carry the same
//     options; packet.Segment recomputes every checksum.
func describePlain(b *packet.Buffer, status uint32, mtu int) {
	f := b.Data()
	g := &b.Meta.GSO
	*g = packet.GSO{DataValid: status&unix.TP_STATUS_CSUM_VALID != 0}
	if len(f) < header.EthernetLen {
		return
	}
	l3 := header.EthernetLen
	et := binary.BigEndian.Uint16(f[12:])
	if et == header.EtherTypeVLAN || et == header.EtherTypeQinQ {
		if len(f) < l3+header.VLANTagLen {
			return
		}
		et = binary.BigEndian.Uint16(f[16:])
		l3 += header.VLANTagLen
	}
	var l4 int
	var proto uint8
	var gsoType packet.GSOType
	ip := f[l3:]
	switch et {
	case header.EtherTypeIPv4:
		if len(ip) < 20 || ip[0]>>4 != 4 || binary.BigEndian.Uint16(ip[6:])&0x3fff != 0 {
			return
		}
		l4, proto, gsoType = l3+int(ip[0]&0x0f)*4, ip[9], packet.GSOTCPv4
	case header.EtherTypeIPv6:
		if len(ip) < 40 || ip[0]>>4 != 6 {
			return
		}
		l4, proto, gsoType = l3+40, ip[6], packet.GSOTCPv6
	default:
		return
	}
	var csumOffset int
	switch proto {
	case header.ProtoTCP:
		csumOffset = 16
	case header.ProtoUDP:
		csumOffset = 6
	default:
		return
	}
	if l4+csumOffset+2 > len(f) {
		return
	}
	if status&unix.TP_STATUS_CSUMNOTREADY != 0 {
		g.NeedsCsum, g.CsumStart, g.CsumOffset = true, uint16(l4), uint16(csumOffset)
	}
	if proto != header.ProtoTCP || len(f)-l3 <= mtu {
		return
	}
	doff := int(f[l4+12]>>4) * 4
	mss := mtu - (l4 - l3) - doff
	if doff < header.TCPMinLen || l4+doff > len(f) || mss <= 0 {
		return
	}
	g.Type, g.Size, g.HdrLen = gsoType, uint16(mss), uint16(l4+doff)
	g.CsumStart, g.CsumOffset = uint16(l4), uint16(csumOffset)
}
