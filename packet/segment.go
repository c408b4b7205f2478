package packet

import (
	"encoding/binary"
	"errors"

	"neutrino/packet/header"
)

// Segmentation of TCP super-frames, for an egress that cannot take GSO.
//
//  1. Check the GSO type (TCPv4 or TCPv6, ECN bit allowed) and the MSS.
//  2. Walk the frame: Ethernet, at most one 802.1Q/802.1ad tag, IPv4
//     (no fragment, protocol TCP) or IPv6 (next header TCP, no extension
//     headers), the TCP header. The real header length comes from the TCP
//     data offset: the virtio-net hdr_len is only a hint (Linux reports
//     skb_headlen there) and is not used. CsumStart, when set, must be the
//     TCP offset.
//  3. Check that out has one buffer per segment, each big enough, before
//     writing anything.
//  4. For each segment copy the headers and its share of the payload, then
//     fix IPv4 total length, id (+1 per segment) and header checksum or the
//     IPv6 payload length, the TCP sequence number and flags (FIN and PSH
//     only on the last segment, CWR only on the first) and the full TCP
//     checksum.

// Errors of Segment and CompleteChecksum. They are values, not wrapped, so
// that the data path can count them per reason without allocating.
var (
	// ErrSegmentGSOType: Segment was given a frame that is not a TCP
	// super-frame (or CompleteChecksum one that is).
	ErrSegmentGSOType = errors.New("packet: not a TCP super-frame")
	// ErrSegmentMalformed: the headers of the frame are cut short or
	// disagree with each other or with the GSO metadata.
	ErrSegmentMalformed = errors.New("packet: malformed super-frame")
	// ErrSegmentShort: out has too few buffers, a nil buffer, the source
	// itself, or a buffer too small for its segment.
	ErrSegmentShort = errors.New("packet: not enough room for the segments")
	// ErrChecksumOffset: CsumStart or CsumOffset point outside the frame.
	ErrChecksumOffset = errors.New("packet: checksum offsets outside the frame")
)

// TCP flags Segment rewrites.
const (
	tcpFIN = 0x01
	tcpPSH = 0x08
	tcpCWR = 0x80
)

// superFrame is where the headers of a TCP super-frame are.
type superFrame struct {
	v6     bool
	l3, l4 int // offsets of the IP and TCP headers
	hdrLen int // offset of the TCP payload
	end    int // end of the IP datagram (Ethernet padding excluded)
}

// Segment cuts the TCP super-frame src (src.Meta.GSO.Type GSOTCPv4 or
// GSOTCPv6, Size the MSS) into segments of at most Size bytes of payload,
// written into out[0:n], and returns n. Each out buffer is reset and gets
// a copy of src.Meta with GSO cleared and DataValid set: every segment
// carries full IPv4 header and TCP checksums. src is not modified. A frame
// without payload yields one segment.
//
// Segment returns ErrSegmentGSOType, ErrSegmentMalformed or ErrSegmentShort
// and writes nothing when src cannot be segmented into out. It never
// panics and allocates nothing.
func Segment(src *Buffer, out []*Buffer) (int, error) {
	sf, mss, nseg, err := shapeOf(src)
	if err != nil {
		return 0, err
	}
	f := src.Data()
	payload := f[sf.hdrLen:sf.end]
	if nseg > len(out) {
		return 0, ErrSegmentShort
	}
	for i := 0; i < nseg; i++ {
		o := out[i]
		if o == nil || o == src || o.Cap() < sf.hdrLen+min(mss, len(payload)-i*mss) {
			return 0, ErrSegmentShort
		}
	}

	base := baseOf(f, sf)
	for i := 0; i < nseg; i++ {
		seg := payload[min(i*mss, len(payload)):min((i+1)*mss, len(payload))]
		o := out[i]
		o.Reset()
		o.Meta = src.Meta
		o.Meta.GSO = GSO{DataValid: true}
		sp := o.Space()
		copy(sp, f[:sf.hdrLen])
		o.SetLen(sf.hdrLen + len(seg))
		d := o.Data()
		tcpLen, _, _ := base.fix(d, sf, i, nseg, mss, len(seg))
		t := d[sf.l4:]
		t[16], t[17] = 0, 0
		s := header.ChecksumCombine(base.addrs, uint16(tcpLen))
		s = header.Checksum(d[sf.l4:sf.hdrLen], s) // an even length: a multiple of 4
		// The payload is copied and summed in one pass.
		binary.BigEndian.PutUint16(t[16:], ^header.CopyChecksum(d[sf.hdrLen:], seg, s))
	}
	return nseg, nil
}

// shapeOf checks that src is a TCP super-frame that can be cut and
// returns its headers, its MSS and how many segments it makes (one for a
// frame without payload).
func shapeOf(src *Buffer) (superFrame, int, int, error) {
	var sf superFrame
	if src == nil {
		return sf, 0, 0, ErrSegmentMalformed
	}
	var v6 bool
	switch src.Meta.GSO.Type &^ GSOECN {
	case GSOTCPv4:
	case GSOTCPv6:
		v6 = true
	default:
		return sf, 0, 0, ErrSegmentGSOType
	}
	mss := int(src.Meta.GSO.Size)
	if mss == 0 {
		return sf, 0, 0, ErrSegmentMalformed
	}
	sf, ok := walkSuperFrame(src.Data(), v6)
	if !ok {
		return sf, 0, 0, ErrSegmentMalformed
	}
	if cs := int(src.Meta.GSO.CsumStart); cs != 0 && cs != sf.l4 {
		return sf, 0, 0, ErrSegmentMalformed
	}
	nseg := (sf.end - sf.hdrLen + mss - 1) / mss
	if nseg == 0 {
		nseg = 1
	}
	return sf, mss, nseg, nil
}

// segBase is what every segment of a super-frame starts from: the first
// sequence number, the flags, the TCP header's length, the first IPv4
// id and the ones' complement sum of the pseudo-header's addresses and
// protocol.
type segBase struct {
	seq0   uint32
	flags  uint8
	tcpHdr int
	id0    uint16
	addrs  uint16
	// ipFixed is the sum of the IPv4 header's words but its total length,
	// id and checksum, which each segment's header adds to it.
	ipFixed uint32
}

func baseOf(f []byte, sf superFrame) segBase {
	b := segBase{seq0: binary.BigEndian.Uint32(f[sf.l4+4:]), flags: f[sf.l4+13], tcpHdr: sf.hdrLen - sf.l4}
	if sf.v6 {
		b.addrs = header.Checksum(f[sf.l3+8:sf.l3+40], uint16(header.ProtoTCP))
	} else {
		b.id0 = binary.BigEndian.Uint16(f[sf.l3+4:])
		b.addrs = header.Checksum(f[sf.l3+12:sf.l3+20], uint16(header.ProtoTCP))
		ip := f[sf.l3:sf.l4]
		for w := 0; w+1 < len(ip); w += 2 {
			if w != 2 && w != 4 && w != 10 {
				b.ipFixed += uint32(binary.BigEndian.Uint16(ip[w:]))
			}
		}
	}
	return b
}

// fix writes the headers of segment i of nseg, d (headers then segLen
// bytes of payload): the IPv4 length, id and header checksum or the IPv6
// payload length, the sequence number and the flags (FIN and PSH on the
// last segment only, CWR on the first only). It returns the TCP length,
// the sequence number and the flags; the TCP checksum is the caller's.
func (b *segBase) fix(d []byte, sf superFrame, i, nseg, mss, segLen int) (tcpLen int, seq uint32, fl uint8) {
	tcpLen = b.tcpHdr + segLen
	if sf.v6 {
		binary.BigEndian.PutUint16(d[sf.l3+4:], uint16(tcpLen))
	} else {
		ip := d[sf.l3:sf.l4]
		total, id := uint16(len(ip)+tcpLen), b.id0+uint16(i)
		binary.BigEndian.PutUint16(ip[2:], total)
		binary.BigEndian.PutUint16(ip[4:], id)
		// The header's sum is the fixed words' and these two: no pass
		// over the header per segment.
		sum := b.ipFixed + uint32(total) + uint32(id)
		sum = sum&0xffff + sum>>16
		sum = sum&0xffff + sum>>16
		binary.BigEndian.PutUint16(ip[10:], ^uint16(sum))
	}
	t := d[sf.l4:]
	seq = b.seq0 + uint32(i*mss)
	binary.BigEndian.PutUint32(t[4:], seq)
	fl = b.flags
	if i != nseg-1 {
		fl &^= tcpFIN | tcpPSH
	}
	if i != 0 {
		fl &^= tcpCWR
	}
	t[13] = fl
	return tcpLen, seq, fl
}

// walkSuperFrame finds the headers of a TCP over IPv4 (or IPv6 when v6)
// frame with at most one VLAN tag, and checks that they fit.
func walkSuperFrame(f []byte, v6 bool) (superFrame, bool) {
	sf := superFrame{v6: v6, l3: header.EthernetLen}
	if len(f) < header.EthernetLen {
		return sf, false
	}
	et := binary.BigEndian.Uint16(f[12:])
	if et == header.EtherTypeVLAN || et == header.EtherTypeQinQ {
		if len(f) < header.EthernetLen+header.VLANTagLen {
			return sf, false
		}
		et = binary.BigEndian.Uint16(f[16:])
		sf.l3 += header.VLANTagLen
	}
	ip := f[sf.l3:]
	if v6 {
		const ipv6Len = 40
		if et != header.EtherTypeIPv6 || len(ip) < ipv6Len || ip[0]>>4 != 6 || ip[6] != header.ProtoTCP {
			return sf, false
		}
		pl := int(binary.BigEndian.Uint16(ip[4:]))
		if ipv6Len+pl > len(ip) {
			return sf, false
		}
		sf.l4 = sf.l3 + ipv6Len
		sf.end = sf.l4 + pl
	} else {
		if et != header.EtherTypeIPv4 || len(ip) < 20 || ip[0]>>4 != 4 || ip[9] != header.ProtoTCP {
			return sf, false
		}
		ihl := int(ip[0]&0x0f) * 4
		tot := int(binary.BigEndian.Uint16(ip[2:]))
		if ihl < 20 || tot < ihl || tot > len(ip) {
			return sf, false
		}
		if binary.BigEndian.Uint16(ip[6:])&0x3fff != 0 { // MF or a fragment offset
			return sf, false
		}
		sf.l4 = sf.l3 + ihl
		sf.end = sf.l3 + tot
	}
	if sf.end-sf.l4 < header.TCPMinLen {
		return sf, false
	}
	doff := int(f[sf.l4+12]>>4) * 4
	if doff < header.TCPMinLen || sf.l4+doff > sf.end {
		return sf, false
	}
	sf.hdrLen = sf.l4 + doff
	return sf, true
}
