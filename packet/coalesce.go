package packet

import (
	"encoding/binary"

	"neutrino/packet/header"
)

// Coalescing of TCP segments into a super-frame (software GRO), for an
// ingress whose frames go on to an egress that takes GSO: consecutive
// segments of one TCP/IPv4 flow become one frame with Meta.GSO set, as a
// TAP device reads them from a guest that sent them with TSO.
//
// The rules follow Linux's GRO (inet_gro_receive, tcp_gro_receive), only
// stricter where that is simpler:
//
//   - Every segment: Ethernet II without a tag, IPv4 without options and
//     not a fragment, with a valid header checksum and a total length
//     that ends exactly at the frame's end; TCP with flags ACK or ACK|PSH
//     only, no reserved bits, some payload and a valid checksum (the
//     super-frame's partial checksum would hide a bad one), or one left
//     partial by its sender's offload (see LeftPartial), taken on trust
//     as the kernel takes it. The payload is summed as it is copied into
//     the super-frame, in one pass.
//   - A segment follows the previous one when the Ethernet header, the
//     IPv4 TOS, DF, TTL and addresses, the ports, ACK number, window,
//     urgent pointer, data offset and options (timestamps included) are
//     equal; its sequence number continues the previous payload; its IPv4
//     id is the previous one's plus one, or the same with DF (a sender
//     that numbers DF packets with a fixed id); its payload is at most
//     the first segment's (the MSS). A segment shorter than the MSS or
//     with PSH ends the super-frame.
//   - The super-frame fits the buffer and an IPv4 datagram (64 KB).

// TCPSegment is what ParseTCPSegment found in a frame that may be
// coalesced.
type TCPSegment struct {
	HdrLen  int    // Ethernet, IPv4 and TCP headers
	Payload int    // TCP payload bytes
	Seq     uint32 // sequence number
	ID      uint16 // IPv4 id
	Flags   uint8  // TCP flags
	// hsum is the ones' complement sum of the pseudo-header and the TCP
	// header (its checksum field included): with the payload's, 0xffff
	// for a right checksum.
	hsum uint16
	// partial: the checksum field holds the pseudo-header sum, as a
	// sender's checksum offload leaves it.
	partial bool
}

const (
	tcpACK     = 0x10
	groL4      = header.EthernetLen + header.IPv4MinLen // where the TCP header starts
	maxIPv4Len = 65535
)

// ParseTCPSegment reports whether the Ethernet frame f is a TCP/IPv4
// segment that may be coalesced with others (see the rules above), and
// where its parts are. It verifies the IPv4 header checksum; the TCP
// checksum is verified by Coalescer.Start and Append, which sum the
// payload as they copy it.
func ParseTCPSegment(f []byte) (TCPSegment, bool) {
	var s TCPSegment
	if len(f) < groL4+header.TCPMinLen || len(f) > header.EthernetLen+maxIPv4Len {
		return s, false
	}
	if binary.BigEndian.Uint16(f[12:14]) != header.EtherTypeIPv4 || f[14] != 0x45 || f[23] != header.ProtoTCP {
		return s, false
	}
	if int(binary.BigEndian.Uint16(f[16:18])) != len(f)-header.EthernetLen ||
		binary.BigEndian.Uint16(f[20:22])&0x3fff != 0 { // MF or a fragment offset
		return s, false
	}
	t := f[groL4:]
	doff := int(t[12]>>4) * 4
	if t[12]&0x0f != 0 || doff < header.TCPMinLen || doff >= len(t) {
		return s, false
	}
	if fl := t[13]; fl != tcpACK && fl != tcpACK|tcpPSH {
		return s, false
	}
	if !header.IPv4(f[header.EthernetLen:groL4]).ChecksumValid() {
		return s, false
	}
	ps := header.PseudoHeaderChecksum(header.ProtoTCP, [4]byte(f[26:30]), [4]byte(f[30:34]), uint16(len(t)))
	s.hsum = sum32(t[:doff], ps)
	s.partial = binary.BigEndian.Uint16(t[16:18]) == ps
	s.HdrLen = groL4 + doff
	s.Payload = len(f) - s.HdrLen
	s.Seq = binary.BigEndian.Uint32(t[4:8])
	s.ID = binary.BigEndian.Uint16(f[18:20])
	s.Flags = t[13]
	return s, true
}

// sum32 returns the ones' complement sum of b, whose length is a multiple
// of 4 (a TCP header), added to initial: Checksum without its loops, for
// the header of every segment coalesced.
func sum32(b []byte, initial uint16) uint16 {
	s := uint64(initial)
	for ; len(b) >= 4; b = b[4:] {
		s += uint64(binary.BigEndian.Uint32(b))
	}
	s = s&0xffffffff + s>>32
	s = s&0xffff + s>>16
	s = s&0xffff + s>>16
	s = s&0xffff + s>>16
	return uint16(s)
}

// Coalescer builds one super-frame at a time in a Buffer: Start with a
// segment, Append the ones that follow while it says yes, then Finish.
// The zero value is ready; it allocates nothing.
type Coalescer struct {
	b       *Buffer
	head    TCPSegment
	n       int    // segments so far
	next    uint32 // sequence number the next segment must have
	id      uint16 // IPv4 id of the last segment
	fixedID bool   // the ids do not increase (DF packets)
	partial bool   // the first segment's checksum was left partial
	closed  bool   // the last segment was short or had PSH
	flags   uint8  // flags of the last segment
	limit   int    // largest frame
	mtu     int    // see SetMTU; kept across Start
	// Sums of the head's header words that a following segment shares
	// (sameFlowHeaders), not folded, for AppendFrame: the IPv4 header but
	// its total length, id and checksum; the pseudo-header but its length;
	// the TCP header but its sequence number, offset-and-flags word and
	// checksum.
	ipBase, psBase, tcpBase uint64
}

// SetMTU makes Finish treat a frame whose IPv4 datagram is longer than mtu
// bytes as a super-frame of segments that fit mtu: a sender's TSO frame
// handed over whole, as a kernel VXLAN device over a veth does (the veth
// keeps the UDP tunnel GSO frame whole, and a UDP socket takes it as one
// datagram). 0, the zero value's, leaves every frame's size alone.
func (c *Coalescer) SetMTU(mtu int) { c.mtu = mtu }

// Start puts the frame f, a segment ParseTCPSegment accepted as s, into b
// (reset first, Meta cleared). It reports false, leaving b empty, when b
// is too small for it or its TCP checksum is wrong (not left partial).
func (c *Coalescer) Start(b *Buffer, f []byte, s TCPSegment) bool {
	b.Reset()
	if len(f) > b.Cap() || len(f) < s.HdrLen {
		c.b = nil
		return false
	}
	sp := b.Space()
	copy(sp, f[:s.HdrLen])
	if header.CopyChecksum(sp[s.HdrLen:], f[s.HdrLen:], s.hsum) != 0xffff && !s.partial {
		c.b = nil
		return false
	}
	b.SetLen(len(f))
	*c = Coalescer{b: b, head: s, n: 1, next: s.Seq + uint32(s.Payload), id: s.ID, flags: s.Flags,
		limit: min(b.Cap(), header.EthernetLen+maxIPv4Len), partial: s.partial, mtu: c.mtu}
	c.closed = s.Flags&tcpPSH != 0
	c.bases(f[:s.HdrLen])
	return true
}

// bases sums the head's shared header words, h its headers (Ethernet,
// IPv4 without options, TCP).
func (c *Coalescer) bases(h []byte) {
	be := binary.BigEndian
	ip, t := h[header.EthernetLen:groL4], h[groL4:]
	c.ipBase = uint64(be.Uint16(ip[0:])) + uint64(be.Uint16(ip[6:])) + uint64(be.Uint16(ip[8:])) +
		uint64(be.Uint16(ip[12:])) + uint64(be.Uint16(ip[14:])) + uint64(be.Uint16(ip[16:])) + uint64(be.Uint16(ip[18:]))
	c.psBase = uint64(be.Uint16(ip[12:])) + uint64(be.Uint16(ip[14:])) + uint64(be.Uint16(ip[16:])) +
		uint64(be.Uint16(ip[18:])) + uint64(header.ProtoTCP)
	c.tcpBase = uint64(be.Uint32(t[0:])) + uint64(be.Uint32(t[8:])) + uint64(be.Uint16(t[14:])) + uint64(be.Uint16(t[18:]))
	for o := header.TCPMinLen; o+4 <= len(t); o += 4 {
		c.tcpBase += uint64(be.Uint32(t[o:]))
	}
}

// AppendFrame is ParseTCPSegment and Append in one, quicker for a segment
// that follows: its headers are first compared with the head's, and what
// ParseTCPSegment would check and sum is then taken from the words that
// differ (total length, id and IPv4 checksum; sequence number, flags and
// TCP checksum) and the head's sums of the others. It reports what
// Append(f, s) would for s, ok := ParseTCPSegment(f), and leaves the same
// super-frame; false when !ok.
func (c *Coalescer) AppendFrame(f []byte) bool {
	hl := c.head.HdrLen
	if c.b == nil || c.closed || len(f) <= hl || len(f) > header.EthernetLen+maxIPv4Len {
		return false
	}
	be := binary.BigEndian
	t := f[groL4:]
	ipLen := be.Uint16(f[16:18])
	if int(ipLen) != len(f)-header.EthernetLen {
		return false
	}
	if fl := t[13]; fl != tcpACK && fl != tcpACK|tcpPSH {
		return false
	}
	if !sameFlowHeaders(c.b.Data(), f, hl) {
		return false
	}
	// The same Ethertype, version and header length, protocol, fragment
	// field, data offset and reserved bits as the head, which passed
	// ParseTCPSegment: only the words that differ are left to check.
	id := be.Uint16(f[18:20])
	if header.Fold(c.ipBase+uint64(ipLen)+uint64(id)+uint64(be.Uint16(f[24:26]))) != 0xffff {
		return false
	}
	ps := header.Fold(c.psBase + uint64(ipLen) - header.IPv4MinLen)
	csum := be.Uint16(t[16:18])
	s := TCPSegment{
		HdrLen:  hl,
		Payload: len(f) - hl,
		Seq:     be.Uint32(t[4:8]),
		ID:      id,
		Flags:   t[13],
		hsum:    header.Fold(uint64(ps) + c.tcpBase + uint64(be.Uint32(t[4:8])) + uint64(be.Uint16(t[12:14])) + uint64(csum)),
		partial: csum == ps,
	}
	return c.appendSegment(f, s, false)
}

// Segments returns how many segments the super-frame holds.
func (c *Coalescer) Segments() int { return c.n }

// Append adds the payload of frame f, a segment ParseTCPSegment accepted
// as s, if it follows the super-frame and its TCP checksum is right (or
// left partial), and reports whether it did.
func (c *Coalescer) Append(f []byte, s TCPSegment) bool { return c.appendSegment(f, s, true) }

// appendSegment is Append; with compare false, for a segment whose
// headers sameFlowHeaders found equal to the head's already.
func (c *Coalescer) appendSegment(f []byte, s TCPSegment, compare bool) bool {
	if c.b == nil || c.closed || s.HdrLen != c.head.HdrLen || s.Payload > c.head.Payload ||
		s.Seq != c.next || c.b.Len()+s.Payload > c.limit {
		return false
	}
	fixed := false
	switch s.ID {
	case c.id + 1:
		if c.fixedID {
			return false
		}
	case c.id:
		if f[20]&0x40 == 0 || (c.n > 1 && !c.fixedID) {
			return false
		}
		fixed = true
	default:
		return false
	}
	if compare && !sameFlowHeaders(c.b.Data(), f, s.HdrLen) {
		return false
	}
	// Linux lets the last segment carry PSH: the head has none here (or
	// it would be closed), nor have those in between.
	l := c.b.Len()
	if header.CopyChecksum(c.b.Space()[l:], f[s.HdrLen:], s.hsum) != 0xffff && !s.partial {
		return false // copied past the frame's end, which stays where it was
	}
	c.b.SetLen(l + s.Payload)
	c.n++
	c.next += uint32(s.Payload)
	c.id = s.ID
	c.fixedID = fixed
	c.flags = s.Flags
	c.closed = s.Payload < c.head.Payload || s.Flags&tcpPSH != 0
	return true
}

// Bytes 0 to 53 of two segments' headers (Ethernet, IPv4 without
// options, TCP up to its options) that must be equal, eight at a time as
// little-endian words: all but the IPv4 total length, id and checksum,
// the TCP sequence number, flags and checksum.
const (
	keep16 = 0xffffffff_00000000 // bytes 16-23: DF and fragment, TTL, protocol
	keep24 = 0xffffffff_ffff0000 // bytes 24-31: addresses
	keep32 = 0x0000ffff_ffffffff // bytes 32-39: addresses, ports
	keep40 = 0x00ffffff_ffff0000 // bytes 40-47: ACK number, data offset
	keep48 = 0x0000ffff          // bytes 48-51: window
)

// sameFlowHeaders reports whether the segments h and f, both with TCP
// headers ending at hdrLen (at least 54), have the same Ethernet header,
// IPv4 TOS, DF, TTL, protocol and addresses, TCP ports, ACK number, data
// offset, window, urgent pointer and options.
func sameFlowHeaders(h, f []byte, hdrLen int) bool {
	le := binary.LittleEndian
	h, f = h[:hdrLen], f[:hdrLen]
	// ^ and | bind alike, left to right: every xor is in parentheses.
	return (le.Uint64(h[0:])^le.Uint64(f[0:]))|
		(le.Uint64(h[8:])^le.Uint64(f[8:]))|
		(le.Uint64(h[16:])^le.Uint64(f[16:]))&keep16|
		(le.Uint64(h[24:])^le.Uint64(f[24:]))&keep24|
		(le.Uint64(h[32:])^le.Uint64(f[32:]))&keep32|
		(le.Uint64(h[40:])^le.Uint64(f[40:]))&keep40|
		uint64((le.Uint32(h[48:])^le.Uint32(f[48:]))&keep48)|
		uint64(le.Uint16(h[52:])^le.Uint16(f[52:])) == 0 &&
		string(h[54:]) == string(f[54:])
}

// Finish completes the frame: a single segment is left as it came, with
// Meta.GSO.DataValid (its checksums were verified) or, if its checksum
// was left partial, NeedsCsum with the TCP checksum's place; several (or
// one longer than SetMTU's mtu) become a super-frame whose IPv4 total
// length and header checksum are rewritten, whose TCP flags are the last
// segment's, whose TCP checksum field holds the pseudo-header sum, and
// whose Meta.GSO says GSOTCPv4 with the first segment's payload as MSS
// (at most what the mtu leaves) and a partial checksum (as a virtio-net
// header describes a TSO frame). It returns the buffer.
func (c *Coalescer) Finish() *Buffer {
	b := c.b
	c.b = nil
	if b == nil {
		return nil
	}
	mss := c.head.Payload
	if m := c.mtu - (c.head.HdrLen - header.EthernetLen); c.mtu > 0 && m > 0 && mss > m {
		mss = m
	}
	if c.n == 1 && mss == c.head.Payload {
		b.Meta.GSO = GSO{DataValid: true}
		if c.partial {
			b.Meta.GSO = GSO{NeedsCsum: true, CsumStart: groL4, CsumOffset: 16}
		}
		return b
	}
	d := b.Data()
	ip := d[header.EthernetLen:groL4]
	binary.BigEndian.PutUint16(ip[2:4], uint16(len(d)-header.EthernetLen))
	ip[10], ip[11] = 0, 0
	binary.BigEndian.PutUint16(ip[10:12], ^header.Checksum(ip, 0))
	t := d[groL4:]
	t[13] = c.flags
	ps := header.PseudoHeaderChecksum(header.ProtoTCP, [4]byte(ip[12:16]), [4]byte(ip[16:20]), uint16(len(t)))
	binary.BigEndian.PutUint16(t[16:18], ps)
	b.Meta.GSO = GSO{
		Type:       GSOTCPv4,
		NeedsCsum:  true,
		HdrLen:     uint16(c.head.HdrLen),
		Size:       uint16(mss),
		CsumStart:  groL4,
		CsumOffset: 16,
	}
	return b
}
