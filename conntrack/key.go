package conntrack

import (
	"encoding/binary"
	"math/bits"
)

// Key is one direction of a connection: the tuple a packet carries, in the
// zone it was seen in. It is a packed comparable value without pointers
// (16 bytes), hashed as two machine words.
//
// For TCP and UDP the ports are the packet's ports; for ICMP echo both hold
// the echo identifier, and EchoRequest tells the requests' tuple from the
// replies' (as the ICMP type does in Linux's tuple), so that a host that
// pings a peer and is pinged by it with the same identifier (a VM pinging
// its own floating IP, seen in its port's zone both ways) has two
// connections, not one seen backwards; for other protocols both ports are
// zero. Addresses are IPv4; IPv6 will get its own, wider key type and
// table.
type Key struct {
	Src, Dst     [4]byte
	SPort, DPort uint16
	Zone         uint16 // a zone per port (security groups) or per router
	Proto        uint8  // IP protocol number
	// EchoRequest is 1 on the tuple of ICMP echo requests, 0 on that of
	// echo replies and for every other protocol.
	EchoRequest uint8
}

// Invert returns the tuple of a reply to a packet with tuple k, as a
// connection without NAT sees it (an echo request's is an echo reply's).
func (k Key) Invert() Key {
	return Key{Src: k.Dst, Dst: k.Src, SPort: k.DPort, DPort: k.SPort, Zone: k.Zone, Proto: k.Proto, EchoRequest: k.EchoRequest ^ b2u(k.Proto == 1)}
}

func b2u(b bool) uint8 {
	if b {
		return 1
	}
	return 0
}

// echoRequestBit is EchoRequest in a packed key's second word.
const echoRequestBit = 1 << 57

// usedBit marks an occupied slot: every packed key has it in its second
// word, so a zero word means an empty slot.
const usedBit = 1 << 56

// pack returns k as two words; the second is never zero.
func (k *Key) pack() (w0, w1 uint64) {
	w0 = uint64(binary.LittleEndian.Uint32(k.Src[:])) | uint64(binary.LittleEndian.Uint32(k.Dst[:]))<<32
	w1 = uint64(k.SPort) | uint64(k.DPort)<<16 | uint64(k.Zone)<<32 | uint64(k.Proto)<<48 | usedBit | uint64(k.EchoRequest&1)<<57
	return w0, w1
}

// unpack is the inverse of pack.
func unpack(w0, w1 uint64) Key {
	var k Key
	binary.LittleEndian.PutUint32(k.Src[:], uint32(w0))
	binary.LittleEndian.PutUint32(k.Dst[:], uint32(w0>>32))
	k.SPort = uint16(w1)
	k.DPort = uint16(w1 >> 16)
	k.Zone = uint16(w1 >> 32)
	k.Proto = uint8(w1 >> 48)
	k.EchoRequest = uint8(w1>>57) & 1
	return k
}

// seed is a table's secret hash key, so that a sender who picks tuples
// cannot pile them into one probe run (Linux keys its hash the same way).
type seed [4]uint64

// hash mixes a packed key with two rounds of a 64x64->128 multiply folded
// (wyhash's mum). The top shardBits pick the shard; the bits below, the
// slot. A zero operand in the first round leaves the second round with the
// other word, so no input word is ever lost.
func (s *seed) hash(w0, w1 uint64) uint64 {
	hi, lo := bits.Mul64(w0^s[0], w1^s[1])
	hi, lo = bits.Mul64(hi^lo^s[2], (w0+w1)^s[3])
	return hi ^ lo
}
