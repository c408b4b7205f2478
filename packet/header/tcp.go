// TCP header (RFC 9293, section 3.1):
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|          Source Port          |       Destination Port        |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                        Sequence Number                        |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                    Acknowledgment Number                      |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|  Data |       |C|E|U|A|P|R|S|F|                               |
//	| Offset| Rsrvd |W|C|R|C|S|S|Y|I|            Window             |
//	|       |       |R|E|G|K|H|T|N|N|                               |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|           Checksum            |         Urgent Pointer        |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                           [Options]                           |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|                             data                              |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//
// The data offset counts 32-bit words.

package header

import "encoding/binary"

// Sizes of a TCP header.
const (
	TCPMinLen = 20 // header without options (data offset 5)
	TCPMaxLen = 60 // header with the most options (data offset 15)
)

// TCP flag bits, as returned by Flags.
const (
	TCPFlagFIN uint8 = 1 << iota
	TCPFlagSYN
	TCPFlagRST
	TCPFlagPSH
	TCPFlagACK
	TCPFlagURG
	TCPFlagECE
	TCPFlagCWR
)

// TCP is a view of a TCP segment, header first. Check Valid (or Check) once
// before using the accessors.
type TCP []byte

// Check reports TruncatedTCP unless b holds a 20-byte header whose data
// offset is at least 5 words and fits in b.
func (b TCP) Check() Malformed {
	if len(b) < TCPMinLen {
		return TruncatedTCP
	}
	if hl := int(b[12]>>4) * 4; hl < TCPMinLen || hl > len(b) {
		return TruncatedTCP
	}
	return OK
}

// Valid reports whether Check finds nothing wrong.
func (b TCP) Valid() bool { return b.Check() == OK }

// SrcPort returns the source port.
func (b TCP) SrcPort() uint16 { return binary.BigEndian.Uint16(b[0:2]) }

// DstPort returns the destination port.
func (b TCP) DstPort() uint16 { return binary.BigEndian.Uint16(b[2:4]) }

// Seq returns the sequence number.
func (b TCP) Seq() uint32 { return binary.BigEndian.Uint32(b[4:8]) }

// Ack returns the acknowledgment number.
func (b TCP) Ack() uint32 { return binary.BigEndian.Uint32(b[8:12]) }

// DataOffset returns the data offset in 32-bit words.
func (b TCP) DataOffset() uint8 { return b[12] >> 4 }

// HeaderLen returns the header length in bytes, options included.
func (b TCP) HeaderLen() int { return int(b[12]>>4) * 4 }

// Flags returns the flag byte (TCPFlagFIN ... TCPFlagCWR). The AE bit
// (formerly NS) in the byte before it is not included.
func (b TCP) Flags() uint8 { return b[13] }

// Window returns the window field.
func (b TCP) Window() uint16 { return binary.BigEndian.Uint16(b[14:16]) }

// Checksum returns the checksum field.
func (b TCP) Checksum() uint16 { return binary.BigEndian.Uint16(b[16:18]) }

// Urgent returns the urgent pointer.
func (b TCP) Urgent() uint16 { return binary.BigEndian.Uint16(b[18:20]) }

// Options returns the option bytes (empty for data offset 5), not parsed.
func (b TCP) Options() []byte { return b[TCPMinLen:b.HeaderLen()] }

// Payload returns the bytes after the header.
func (b TCP) Payload() []byte { return b[b.HeaderLen():] }

// SetSrcPort sets the source port.
func (b TCP) SetSrcPort(p uint16) { binary.BigEndian.PutUint16(b[0:2], p) }

// SetDstPort sets the destination port.
func (b TCP) SetDstPort(p uint16) { binary.BigEndian.PutUint16(b[2:4], p) }

// SetSeq sets the sequence number.
func (b TCP) SetSeq(n uint32) { binary.BigEndian.PutUint32(b[4:8], n) }

// SetAck sets the acknowledgment number.
func (b TCP) SetAck(n uint32) { binary.BigEndian.PutUint32(b[8:12], n) }

// SetDataOffset sets the data offset (in words, low 4 bits) and keeps the
// reserved bits.
func (b TCP) SetDataOffset(words uint8) { b[12] = b[12]&0x0f | words<<4 }

// SetFlags sets the flag byte.
func (b TCP) SetFlags(f uint8) { b[13] = f }

// SetWindow sets the window field.
func (b TCP) SetWindow(w uint16) { binary.BigEndian.PutUint16(b[14:16], w) }

// SetChecksum sets the checksum field.
func (b TCP) SetChecksum(c uint16) { binary.BigEndian.PutUint16(b[16:18], c) }

// SetUrgent sets the urgent pointer.
func (b TCP) SetUrgent(u uint16) { binary.BigEndian.PutUint16(b[18:20], u) }
