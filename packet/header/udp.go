// UDP header (RFC 768):
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|          Source Port          |       Destination Port        |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|            Length             |           Checksum            |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|     data octets ...
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// Length counts the header and the data. A checksum of 0 means "none"; a
// computed checksum of 0 is sent as 0xffff.

package header

import "encoding/binary"

// UDPLen is the length of a UDP header.
const UDPLen = 8

// UDP is a view of a UDP datagram, header first. Check Valid (or Check) once
// before using the accessors.
type UDP []byte

// Check reports TruncatedUDP unless b holds the header and a Length field
// of at least 8 that fits in b. Bytes after Length are allowed.
func (b UDP) Check() Malformed {
	if len(b) < UDPLen {
		return TruncatedUDP
	}
	if n := int(binary.BigEndian.Uint16(b[4:6])); n < UDPLen || n > len(b) {
		return TruncatedUDP
	}
	return OK
}

// Valid reports whether Check finds nothing wrong.
func (b UDP) Valid() bool { return b.Check() == OK }

// SrcPort returns the source port.
func (b UDP) SrcPort() uint16 { return binary.BigEndian.Uint16(b[0:2]) }

// DstPort returns the destination port.
func (b UDP) DstPort() uint16 { return binary.BigEndian.Uint16(b[2:4]) }

// Length returns the Length field: header plus data.
func (b UDP) Length() uint16 { return binary.BigEndian.Uint16(b[4:6]) }

// Checksum returns the checksum field.
func (b UDP) Checksum() uint16 { return binary.BigEndian.Uint16(b[6:8]) }

// Payload returns the data, up to Length.
func (b UDP) Payload() []byte { return b[UDPLen:b.Length()] }

// SetSrcPort sets the source port.
func (b UDP) SetSrcPort(p uint16) { binary.BigEndian.PutUint16(b[0:2], p) }

// SetDstPort sets the destination port.
func (b UDP) SetDstPort(p uint16) { binary.BigEndian.PutUint16(b[2:4], p) }

// SetLength sets the Length field.
func (b UDP) SetLength(n uint16) { binary.BigEndian.PutUint16(b[4:6], n) }

// SetChecksum sets the checksum field.
func (b UDP) SetChecksum(c uint16) { binary.BigEndian.PutUint16(b[6:8], c) }
