// ARP packet for Ethernet and IPv4 (RFC 826), the only kind the datapath
// answers:
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|      Hardware type (1)        |     Protocol type (0x0800)    |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|  HW len (6)   | Proto len (4) |          Operation            |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                Sender hardware address (SHA)                  |
//	+                               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                               | Sender protocol address (SPA) |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+                               +
//	|                               |                               |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+                               +
//	|                Target hardware address (THA)                  |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                Target protocol address (TPA)                  |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+

package header

import (
	"encoding/binary"
	"net/netip"
)

// ARPLen is the length of an Ethernet/IPv4 ARP packet.
const ARPLen = 28

// ARP field values.
const (
	ARPHardwareEthernet uint16 = 1 // hardware type for Ethernet
	ARPRequest          uint16 = 1 // operation: who has TPA?
	ARPReply            uint16 = 2 // operation: SPA is at SHA
)

// ARP is a view of an Ethernet/IPv4 ARP packet. Valid checks the length
// only; IsEthernetIPv4 tells whether the addresses really have the sizes the
// accessors assume.
type ARP []byte

// Valid reports whether b is long enough for an Ethernet/IPv4 ARP packet.
func (b ARP) Valid() bool { return len(b) >= ARPLen }

// IsEthernetIPv4 reports whether the fixed fields say Ethernet (type 1, 6-byte
// addresses) and IPv4 (type 0x0800, 4-byte addresses).
func (b ARP) IsEthernetIPv4() bool {
	return binary.BigEndian.Uint32(b[0:4]) == uint32(ARPHardwareEthernet)<<16|uint32(EtherTypeIPv4) &&
		binary.BigEndian.Uint16(b[4:6]) == 6<<8|4
}

// HardwareType returns the hardware type (htype).
func (b ARP) HardwareType() uint16 { return binary.BigEndian.Uint16(b[0:2]) }

// ProtocolType returns the protocol type (ptype), an EtherType.
func (b ARP) ProtocolType() uint16 { return binary.BigEndian.Uint16(b[2:4]) }

// HardwareLen returns the hardware address length (hlen).
func (b ARP) HardwareLen() uint8 { return b[4] }

// ProtocolLen returns the protocol address length (plen).
func (b ARP) ProtocolLen() uint8 { return b[5] }

// Op returns the operation (ARPRequest, ARPReply, ...).
func (b ARP) Op() uint16 { return binary.BigEndian.Uint16(b[6:8]) }

// SHA returns the sender hardware address.
func (b ARP) SHA() [6]byte { return [6]byte(b[8:14]) }

// SPA returns the sender protocol address.
func (b ARP) SPA() [4]byte { return [4]byte(b[14:18]) }

// THA returns the target hardware address.
func (b ARP) THA() [6]byte { return [6]byte(b[18:24]) }

// TPA returns the target protocol address.
func (b ARP) TPA() [4]byte { return [4]byte(b[24:28]) }

// SenderAddr returns SPA as a netip.Addr.
func (b ARP) SenderAddr() netip.Addr { return netip.AddrFrom4(b.SPA()) }

// TargetAddr returns TPA as a netip.Addr.
func (b ARP) TargetAddr() netip.Addr { return netip.AddrFrom4(b.TPA()) }

// SetEthernetIPv4 writes the fixed fields of an Ethernet/IPv4 packet: htype
// 1, ptype 0x0800, hlen 6, plen 4.
func (b ARP) SetEthernetIPv4() {
	binary.BigEndian.PutUint32(b[0:4], uint32(ARPHardwareEthernet)<<16|uint32(EtherTypeIPv4))
	b[4], b[5] = 6, 4
}

// SetOp sets the operation.
func (b ARP) SetOp(op uint16) { binary.BigEndian.PutUint16(b[6:8], op) }

// SetSHA sets the sender hardware address.
func (b ARP) SetSHA(mac [6]byte) { copy(b[8:14], mac[:]) }

// SetSPA sets the sender protocol address.
func (b ARP) SetSPA(ip [4]byte) { copy(b[14:18], ip[:]) }

// SetTHA sets the target hardware address.
func (b ARP) SetTHA(mac [6]byte) { copy(b[18:24], mac[:]) }

// SetTPA sets the target protocol address.
func (b ARP) SetTPA(ip [4]byte) { copy(b[24:28], ip[:]) }
