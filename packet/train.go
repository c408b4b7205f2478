package packet

import (
	"encoding/binary"

	"neutrino/packet/header"
)

// SegmentTrain cuts the TCP super-frame src as Segment does (same checks,
// same headers in every segment: IPv4 length, id and header checksum or
// IPv6 payload length, sequence number, flags and a full TCP checksum),
// but into one flat buffer, a train: segment i is written at
// i*stride+gap in dst, after gap bytes left for the caller (a tunnel
// header), every slot but the last stride bytes long. It returns the
// number of segments n, the stride (gap + headers + MSS) and the length
// of the train ((n-1)*stride + gap + the last segment's length). A frame
// without payload yields one segment.
//
// It returns ErrSegmentGSOType or ErrSegmentMalformed for a frame Segment
// refuses, and ErrSegmentShort when the train does not fit in dst (see
// TrainLen), writing nothing then. It never panics and allocates nothing.
func SegmentTrain(src *Buffer, dst []byte, gap int) (n, stride, length int, err error) {
	sf, mss, nseg, err := trainShape(src)
	if err != nil {
		return 0, 0, 0, err
	}
	f := src.Data()
	payload := f[sf.hdrLen:sf.end]
	stride = gap + sf.hdrLen + mss
	length = (nseg-1)*stride + gap + sf.hdrLen + (len(payload) - (nseg-1)*mss)
	if gap < 0 || length > len(dst) {
		return 0, 0, 0, ErrSegmentShort
	}

	var (
		seq0   = binary.BigEndian.Uint32(f[sf.l4+4:])
		flags  = f[sf.l4+13]
		tcpHdr = sf.hdrLen - sf.l4
		id0    uint16
		addrs  uint16
	)
	if sf.v6 {
		addrs = header.Checksum(f[sf.l3+8:sf.l3+40], uint16(header.ProtoTCP))
	} else {
		id0 = binary.BigEndian.Uint16(f[sf.l3+4:])
		addrs = header.Checksum(f[sf.l3+12:sf.l3+20], uint16(header.ProtoTCP))
	}
	// The TCP header's sum without its sequence number, flags and
	// checksum, which change per segment: summed once.
	tmpl := f[sf.l4:sf.hdrLen]
	hsum := header.Checksum(tmpl[0:4], 0) // ports
	hsum = header.Checksum(tmpl[8:12], hsum)
	hsum = header.ChecksumCombine(hsum, uint16(tmpl[12])<<8) // data offset, flags added per segment
	hsum = header.ChecksumCombine(hsum, binary.BigEndian.Uint16(tmpl[14:16]))
	hsum = header.Checksum(tmpl[18:], hsum)
	hsum = header.ChecksumCombine(hsum, addrs)

	for i := 0; i < nseg; i++ {
		seg := payload[i*mss : min((i+1)*mss, len(payload))]
		d := dst[i*stride+gap : i*stride+gap+sf.hdrLen+len(seg)]
		copy(d, f[:sf.hdrLen])
		copy(d[sf.hdrLen:], seg)

		tcpLen := tcpHdr + len(seg)
		if sf.v6 {
			binary.BigEndian.PutUint16(d[sf.l3+4:], uint16(tcpLen))
		} else {
			ip := d[sf.l3:sf.l4]
			binary.BigEndian.PutUint16(ip[2:], uint16(len(ip)+tcpLen))
			binary.BigEndian.PutUint16(ip[4:], id0+uint16(i))
			ip[10], ip[11] = 0, 0
			binary.BigEndian.PutUint16(ip[10:], ^header.Checksum(ip, 0))
		}

		t := d[sf.l4:]
		seq := seq0 + uint32(i*mss)
		binary.BigEndian.PutUint32(t[4:], seq)
		fl := flags
		if i != nseg-1 {
			fl &^= tcpFIN | tcpPSH
		}
		if i != 0 {
			fl &^= tcpCWR
		}
		t[13] = fl
		s := header.ChecksumCombine(hsum, uint16(tcpLen))
		s = header.ChecksumCombine(s, uint16(seq>>16))
		s = header.ChecksumCombine(s, uint16(seq))
		s = header.ChecksumCombine(s, uint16(fl))
		s = header.Checksum(seg, s)
		binary.BigEndian.PutUint16(t[16:], ^s)
	}
	return nseg, stride, length, nil
}

// TrainLen returns the length of the train SegmentTrain makes of src with
// gap bytes in front of each segment, and the number of segments; it
// returns the error SegmentTrain would for a frame it refuses.
func TrainLen(src *Buffer, gap int) (length, n int, err error) {
	sf, _, nseg, err := trainShape(src)
	if err != nil {
		return 0, 0, err
	}
	payload := sf.end - sf.hdrLen
	return nseg*(gap+sf.hdrLen) + payload, nseg, nil
}

// trainShape checks src as Segment does and returns its headers, MSS and
// segment count.
func trainShape(src *Buffer) (superFrame, int, int, error) {
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
