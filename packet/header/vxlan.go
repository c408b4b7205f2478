// VXLAN header (RFC 7348, section 5), carried in UDP to port 4789:
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|R|R|R|R|I|R|R|R|            Reserved                           |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                VXLAN Network Identifier (VNI) |   Reserved    |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|     inner Ethernet frame ...
//
// The I flag must be set for a valid VNI; the reserved bits are sent as zero
// and ignored on receipt.

package header

import "encoding/binary"

// VXLAN constants.
const (
	VXLANLen   = 8    // length of the VXLAN header
	VXLANPort  = 4789 // IANA UDP destination port
	VXLANFlagI = 0x08 // the I flag: the VNI is valid
	MaxVNI     = 1<<24 - 1
)

// VXLAN is a view of a VXLAN header and the inner frame after it. Check
// Valid once before using the accessors.
type VXLAN []byte

// Valid reports whether b holds a whole VXLAN header.
func (b VXLAN) Valid() bool { return len(b) >= VXLANLen }

// Flags returns the flag byte.
func (b VXLAN) Flags() uint8 { return b[0] }

// HasVNI reports whether the I flag is set.
func (b VXLAN) HasVNI() bool { return b[0]&VXLANFlagI != 0 }

// VNI returns the 24-bit VXLAN network identifier.
func (b VXLAN) VNI() uint32 { return binary.BigEndian.Uint32(b[4:8]) >> 8 }

// Payload returns the inner Ethernet frame.
func (b VXLAN) Payload() []byte { return b[VXLANLen:] }

// SetFlags sets the flag byte.
func (b VXLAN) SetFlags(f uint8) { b[0] = f }

// SetVNI sets the VNI (its low 24 bits) and keeps the reserved byte after it.
func (b VXLAN) SetVNI(vni uint32) {
	binary.BigEndian.PutUint32(b[4:8], vni<<8|uint32(b[7]))
}

// Encode writes a whole header: the I flag, the VNI, and zero reserved bits.
func (b VXLAN) Encode(vni uint32) {
	binary.BigEndian.PutUint64(b[0:8], uint64(VXLANFlagI)<<56|uint64(vni&MaxVNI)<<8)
}
