// IPv4 header (RFC 791, section 3.1):
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|Version|  IHL  |Type of Service|          Total Length         |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|         Identification        |Flags|      Fragment Offset    |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|  Time to Live |    Protocol   |         Header Checksum       |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                       Source Address                          |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                    Destination Address                        |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                    Options                    |    Padding    |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// Flags: bit 0 reserved, bit 1 DF (don't fragment), bit 2 MF (more
// fragments). The fragment offset counts 8-byte units.

package header

import (
	"encoding/binary"
	"net/netip"
)

// Sizes of an IPv4 header.
const (
	IPv4MinLen = 20 // header without options (IHL 5)
	IPv4MaxLen = 60 // header with the most options (IHL 15)
)

// Bits of the 16-bit flags and fragment offset field.
const (
	IPv4FlagDF         uint16 = 0x4000 // don't fragment
	IPv4FlagMF         uint16 = 0x2000 // more fragments
	IPv4FragOffsetMask uint16 = 0x1fff // fragment offset in 8-byte units
)

// IP protocol numbers the datapath knows.
const (
	ProtoICMP uint8 = 1  // ICMP for IPv4
	ProtoTCP  uint8 = 6  // Transmission Control Protocol
	ProtoUDP  uint8 = 17 // User Datagram Protocol
)

// IPv4 is a view of an IPv4 datagram, header first. Check Valid (or Check)
// once; after that every accessor is safe. The setters only need the 20
// bytes of a minimal header, so a datagram can be written field by field.
type IPv4 []byte

// Check reports whether b is a well-formed IPv4 datagram: at least 20 bytes
// (TruncatedIPv4), version 4 (BadIPv4Version), a header length of at least 20
// bytes that fits in b (BadIPv4HeaderLength), and a total length that covers
// the header and fits in b (BadIPv4TotalLength). Bytes after the total length
// (Ethernet padding) are allowed. Options are not looked at.
func (b IPv4) Check() Malformed {
	if len(b) < IPv4MinLen {
		return TruncatedIPv4
	}
	if b[0]>>4 != 4 {
		return BadIPv4Version
	}
	hl := int(b[0]&0x0f) * 4
	if hl < IPv4MinLen || hl > len(b) {
		return BadIPv4HeaderLength
	}
	if tl := int(binary.BigEndian.Uint16(b[2:4])); tl < hl || tl > len(b) {
		return BadIPv4TotalLength
	}
	return OK
}

// Valid reports whether Check finds nothing wrong.
func (b IPv4) Valid() bool { return b.Check() == OK }

// Version returns the IP version (4 for a valid view).
func (b IPv4) Version() uint8 { return b[0] >> 4 }

// IHL returns the header length in 32-bit words.
func (b IPv4) IHL() uint8 { return b[0] & 0x0f }

// HeaderLen returns the header length in bytes, options included.
func (b IPv4) HeaderLen() int { return int(b[0]&0x0f) * 4 }

// TOS returns the type of service byte (DSCP and ECN).
func (b IPv4) TOS() uint8 { return b[1] }

// TotalLength returns the length of the datagram, header included.
func (b IPv4) TotalLength() uint16 { return binary.BigEndian.Uint16(b[2:4]) }

// ID returns the identification field.
func (b IPv4) ID() uint16 { return binary.BigEndian.Uint16(b[4:6]) }

// FlagsFragment returns the raw 16-bit flags and fragment offset field; see
// IPv4FlagDF, IPv4FlagMF and IPv4FragOffsetMask.
func (b IPv4) FlagsFragment() uint16 { return binary.BigEndian.Uint16(b[6:8]) }

// Flags returns the 3 flag bits (reserved, DF, MF) as a number 0-7.
func (b IPv4) Flags() uint8 { return b[6] >> 5 }

// DontFragment reports whether DF is set.
func (b IPv4) DontFragment() bool { return b[6]&0x40 != 0 }

// MoreFragments reports whether MF is set.
func (b IPv4) MoreFragments() bool { return b[6]&0x20 != 0 }

// FragmentOffset returns the fragment offset in bytes (the field times 8).
func (b IPv4) FragmentOffset() uint16 { return b.FlagsFragment() << 3 }

// IsFragment reports whether the datagram is a fragment: MF set or a
// non-zero offset.
func (b IPv4) IsFragment() bool { return b.FlagsFragment()&(IPv4FlagMF|IPv4FragOffsetMask) != 0 }

// TTL returns the time to live.
func (b IPv4) TTL() uint8 { return b[8] }

// Protocol returns the protocol number of the payload (ProtoTCP, ...).
func (b IPv4) Protocol() uint8 { return b[9] }

// Checksum returns the header checksum field.
func (b IPv4) Checksum() uint16 { return binary.BigEndian.Uint16(b[10:12]) }

// Src returns the source address.
func (b IPv4) Src() [4]byte { return [4]byte(b[12:16]) }

// Dst returns the destination address.
func (b IPv4) Dst() [4]byte { return [4]byte(b[16:20]) }

// SrcAddr returns the source address as a netip.Addr.
func (b IPv4) SrcAddr() netip.Addr { return netip.AddrFrom4(b.Src()) }

// DstAddr returns the destination address as a netip.Addr.
func (b IPv4) DstAddr() netip.Addr { return netip.AddrFrom4(b.Dst()) }

// Options returns the option bytes (empty for IHL 5), not parsed.
func (b IPv4) Options() []byte { return b[IPv4MinLen:b.HeaderLen()] }

// Payload returns the bytes between the header and the total length.
func (b IPv4) Payload() []byte { return b[b.HeaderLen():b.TotalLength()] }

// SetHeaderLen sets the version to 4 and the IHL to n/4; n must be a
// multiple of 4 between 20 and 60.
func (b IPv4) SetHeaderLen(n int) { b[0] = 0x40 | uint8(n/4)&0x0f }

// SetTOS sets the type of service byte.
func (b IPv4) SetTOS(tos uint8) { b[1] = tos }

// SetTotalLength sets the total length.
func (b IPv4) SetTotalLength(n uint16) { binary.BigEndian.PutUint16(b[2:4], n) }

// SetID sets the identification field.
func (b IPv4) SetID(id uint16) { binary.BigEndian.PutUint16(b[4:6], id) }

// SetFlagsFragment sets the raw flags and fragment offset field.
func (b IPv4) SetFlagsFragment(v uint16) { binary.BigEndian.PutUint16(b[6:8], v) }

// SetTTL sets the time to live.
func (b IPv4) SetTTL(ttl uint8) { b[8] = ttl }

// SetProtocol sets the protocol number.
func (b IPv4) SetProtocol(p uint8) { b[9] = p }

// SetChecksum sets the header checksum field.
func (b IPv4) SetChecksum(c uint16) { binary.BigEndian.PutUint16(b[10:12], c) }

// SetSrc sets the source address.
func (b IPv4) SetSrc(ip [4]byte) { copy(b[12:16], ip[:]) }

// SetDst sets the destination address.
func (b IPv4) SetDst(ip [4]byte) { copy(b[16:20], ip[:]) }

// DecrementTTL lowers the TTL by one and updates the header checksum
// incrementally (RFC 1624). The caller checks for TTL 0 or 1 first.
func (b IPv4) DecrementTTL() {
	old := binary.BigEndian.Uint16(b[8:10])
	b[8]--
	b.SetChecksum(ChecksumUpdate16(b.Checksum(), old, binary.BigEndian.Uint16(b[8:10])))
}
