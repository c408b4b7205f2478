// ICMP for IPv4 (RFC 792). Every message starts with type, code and
// checksum; the next 4 bytes depend on the type (identifier and sequence
// number for echo, unused/next-hop MTU for destination unreachable, RFC 1191):
//
//	 0                   1                   2                   3
//	 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|     Type      |     Code      |          Checksum             |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|           Identifier          |        Sequence Number        |
//	+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+-+
//	|     Data ...
//	+-+-+-+-+-

package header

import "encoding/binary"

// ICMPv4Len is the length of the fixed part of an ICMPv4 message.
const ICMPv4Len = 8

// ICMPv4 types.
const (
	ICMPv4EchoReply      uint8 = 0
	ICMPv4DestUnreach    uint8 = 3
	ICMPv4Redirect       uint8 = 5
	ICMPv4Echo           uint8 = 8
	ICMPv4TimeExceeded   uint8 = 11
	ICMPv4ParamProblem   uint8 = 12
	ICMPv4TimestampReq   uint8 = 13
	ICMPv4TimestampReply uint8 = 14
)

// ICMPv4 codes of ICMPv4DestUnreach and ICMPv4TimeExceeded.
const (
	ICMPv4NetUnreach     uint8 = 0 // destination unreachable: network
	ICMPv4HostUnreach    uint8 = 1 // destination unreachable: host
	ICMPv4ProtoUnreach   uint8 = 2 // destination unreachable: protocol
	ICMPv4PortUnreach    uint8 = 3 // destination unreachable: port
	ICMPv4FragNeeded     uint8 = 4 // destination unreachable: fragmentation needed and DF set
	ICMPv4AdminProhibit  uint8 = 13
	ICMPv4TTLExceeded    uint8 = 0 // time exceeded: TTL exceeded in transit
	ICMPv4ReassemblyTime uint8 = 1 // time exceeded: fragment reassembly time exceeded
)

// ICMPv4 is a view of an ICMPv4 message. Check Valid once before using the
// accessors.
type ICMPv4 []byte

// Valid reports whether b holds the 8-byte fixed part.
func (b ICMPv4) Valid() bool { return len(b) >= ICMPv4Len }

// Type returns the message type.
func (b ICMPv4) Type() uint8 { return b[0] }

// Code returns the message code.
func (b ICMPv4) Code() uint8 { return b[1] }

// Checksum returns the checksum field.
func (b ICMPv4) Checksum() uint16 { return binary.BigEndian.Uint16(b[2:4]) }

// ID returns the identifier of an echo or timestamp message.
func (b ICMPv4) ID() uint16 { return binary.BigEndian.Uint16(b[4:6]) }

// Seq returns the sequence number of an echo or timestamp message.
func (b ICMPv4) Seq() uint16 { return binary.BigEndian.Uint16(b[6:8]) }

// MTU returns the next-hop MTU of a "fragmentation needed" message
// (RFC 1191); it shares its place with Seq.
func (b ICMPv4) MTU() uint16 { return binary.BigEndian.Uint16(b[6:8]) }

// Payload returns the bytes after the fixed part: echo data, or the
// offending datagram's header for error messages.
func (b ICMPv4) Payload() []byte { return b[ICMPv4Len:] }

// SetType sets the message type.
func (b ICMPv4) SetType(t uint8) { b[0] = t }

// SetCode sets the message code.
func (b ICMPv4) SetCode(c uint8) { b[1] = c }

// SetChecksum sets the checksum field.
func (b ICMPv4) SetChecksum(c uint16) { binary.BigEndian.PutUint16(b[2:4], c) }

// SetID sets the identifier.
func (b ICMPv4) SetID(id uint16) { binary.BigEndian.PutUint16(b[4:6], id) }

// SetSeq sets the sequence number.
func (b ICMPv4) SetSeq(seq uint16) { binary.BigEndian.PutUint16(b[6:8], seq) }

// SetMTU sets the next-hop MTU (and clears the unused half of the word).
func (b ICMPv4) SetMTU(mtu uint16) {
	binary.BigEndian.PutUint32(b[4:8], uint32(mtu))
}
