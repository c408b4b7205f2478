// virtio-net header (struct virtio_net_hdr, Virtual I/O Device (VIRTIO)
// Version 1.2, section 5.1.6), the 10 bytes a TAP device opened with
// IFF_VNET_HDR puts in front of every frame:
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|     flags     |   gso_type    |       hdr_len (le16)          |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|       gso_size (le16)         |      csum_start (le16)        |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|      csum_offset (le16)       |   Ethernet frame ...
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// Unlike every other header here, the 16-bit fields are little-endian: that
// is the byte order of virtio 1.x and of legacy virtio (guest-native) on
// the little-endian hosts neutrino runs on. With NEEDS_CSUM the checksum
// from csum_start to the end of the frame is still to be computed and
// stored at csum_start+csum_offset; the field there already holds the
// pseudo-header sum. With a gso_type other than NONE the frame is a
// super-frame to be cut into gso_size segments after hdr_len header bytes.

package header

import "encoding/binary"

// VirtioNetLen is the length of struct virtio_net_hdr (without the
// num_buffers field of VIRTIO_NET_F_MRG_RXBUF).
const VirtioNetLen = 10

// Flags of a virtio-net header.
const (
	VirtioNetFlagNeedsCsum uint8 = 1 // VIRTIO_NET_HDR_F_NEEDS_CSUM
	VirtioNetFlagDataValid uint8 = 2 // VIRTIO_NET_HDR_F_DATA_VALID
)

// GSO types of a virtio-net header.
const (
	VirtioNetGSONone  uint8 = 0    // VIRTIO_NET_HDR_GSO_NONE
	VirtioNetGSOTCPv4 uint8 = 1    // VIRTIO_NET_HDR_GSO_TCPV4
	VirtioNetGSOUDP   uint8 = 3    // VIRTIO_NET_HDR_GSO_UDP (UFO)
	VirtioNetGSOTCPv6 uint8 = 4    // VIRTIO_NET_HDR_GSO_TCPV6
	VirtioNetGSOECN   uint8 = 0x80 // VIRTIO_NET_HDR_GSO_ECN, or'ed into the type
)

// VirtioNet is a view of a virtio-net header and the frame after it. Check
// Valid once before using the accessors.
type VirtioNet []byte

// Valid reports whether b holds a whole header.
func (b VirtioNet) Valid() bool { return len(b) >= VirtioNetLen }

// Flags returns the flags (VirtioNetFlagNeedsCsum, VirtioNetFlagDataValid).
func (b VirtioNet) Flags() uint8 { return b[0] }

// GSOType returns the GSO type, ECN bit included.
func (b VirtioNet) GSOType() uint8 { return b[1] }

// HdrLen returns the length of the headers before the GSO payload.
func (b VirtioNet) HdrLen() uint16 { return binary.LittleEndian.Uint16(b[2:4]) }

// GSOSize returns the payload size of each segment.
func (b VirtioNet) GSOSize() uint16 { return binary.LittleEndian.Uint16(b[4:6]) }

// CsumStart returns where the checksum to be completed starts, counted from
// the start of the frame.
func (b VirtioNet) CsumStart() uint16 { return binary.LittleEndian.Uint16(b[6:8]) }

// CsumOffset returns where the checksum field is, counted from CsumStart.
func (b VirtioNet) CsumOffset() uint16 { return binary.LittleEndian.Uint16(b[8:10]) }

// Payload returns the frame after the header.
func (b VirtioNet) Payload() []byte { return b[VirtioNetLen:] }

// SetFlags sets the flags.
func (b VirtioNet) SetFlags(f uint8) { b[0] = f }

// SetGSOType sets the GSO type.
func (b VirtioNet) SetGSOType(t uint8) { b[1] = t }

// SetHdrLen sets hdr_len.
func (b VirtioNet) SetHdrLen(n uint16) { binary.LittleEndian.PutUint16(b[2:4], n) }

// SetGSOSize sets gso_size.
func (b VirtioNet) SetGSOSize(n uint16) { binary.LittleEndian.PutUint16(b[4:6], n) }

// SetCsumStart sets csum_start.
func (b VirtioNet) SetCsumStart(n uint16) { binary.LittleEndian.PutUint16(b[6:8], n) }

// SetCsumOffset sets csum_offset.
func (b VirtioNet) SetCsumOffset(n uint16) { binary.LittleEndian.PutUint16(b[8:10], n) }
