// Ethernet II frame header (IEEE 802.3, RFC 894):
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                    Destination MAC address                    |
//	+                               +-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                               |                               |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+                               +
//	|                      Source MAC address                       |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|           EtherType           |   payload ...
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+

package header

import "encoding/binary"

// EthernetLen is the length of an Ethernet II header without tags.
const EthernetLen = 14

// EtherType values the datapath knows.
const (
	EtherTypeIPv4 uint16 = 0x0800 // Internet Protocol version 4
	EtherTypeARP  uint16 = 0x0806 // Address Resolution Protocol
	EtherTypeVLAN uint16 = 0x8100 // IEEE 802.1Q customer VLAN tag
	EtherTypeQinQ uint16 = 0x88a8 // IEEE 802.1ad service VLAN tag
	EtherTypeIPv6 uint16 = 0x86dd // Internet Protocol version 6
)

// Ethernet is a view of an Ethernet II header and what follows it. Check
// Valid once before using the accessors.
type Ethernet []byte

// Valid reports whether b holds a whole Ethernet header.
func (b Ethernet) Valid() bool { return len(b) >= EthernetLen }

// Dst returns the destination MAC address.
func (b Ethernet) Dst() [6]byte { return [6]byte(b[0:6]) }

// Src returns the source MAC address.
func (b Ethernet) Src() [6]byte { return [6]byte(b[6:12]) }

// Type returns the EtherType field. Values below 0x0600 are an IEEE 802.3
// length, not a type; they are returned as they are.
func (b Ethernet) Type() uint16 { return binary.BigEndian.Uint16(b[12:14]) }

// Payload returns the bytes after the header (a VLAN tag when Type is
// EtherTypeVLAN or EtherTypeQinQ).
func (b Ethernet) Payload() []byte { return b[EthernetLen:] }

// SetDst sets the destination MAC address.
func (b Ethernet) SetDst(mac [6]byte) { copy(b[0:6], mac[:]) }

// SetSrc sets the source MAC address.
func (b Ethernet) SetSrc(mac [6]byte) { copy(b[6:12], mac[:]) }

// SetType sets the EtherType field.
func (b Ethernet) SetType(t uint16) { binary.BigEndian.PutUint16(b[12:14], t) }

// IsBroadcast reports whether the destination is ff:ff:ff:ff:ff:ff.
func (b Ethernet) IsBroadcast() bool {
	return binary.BigEndian.Uint32(b[0:4]) == 0xffffffff && binary.BigEndian.Uint16(b[4:6]) == 0xffff
}

// IsMulticast reports whether the destination is a group address (broadcast
// included): the least significant bit of its first octet is set.
func (b Ethernet) IsMulticast() bool { return b[0]&1 != 0 }
