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
	sf, mss, nseg, err := shapeOf(src)
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

	base := baseOf(f, sf)
	// The TCP header's sum without its sequence number, flags and
	// checksum, which change per segment: summed once.
	tmpl := f[sf.l4:sf.hdrLen]
	hsum := header.Checksum(tmpl[0:4], 0) // ports
	hsum = header.Checksum(tmpl[8:12], hsum)
	hsum = header.ChecksumCombine(hsum, uint16(tmpl[12])<<8) // data offset, flags added per segment
	hsum = header.ChecksumCombine(hsum, binary.BigEndian.Uint16(tmpl[14:16]))
	hsum = header.Checksum(tmpl[18:], hsum)
	hsum = header.ChecksumCombine(hsum, base.addrs)

	for i := 0; i < nseg; i++ {
		seg := payload[i*mss : min((i+1)*mss, len(payload))]
		d := dst[i*stride+gap : i*stride+gap+sf.hdrLen+len(seg)]
		copy(d, f[:sf.hdrLen])
		tcpLen, seq, fl := base.fix(d, sf, i, nseg, mss, len(seg))
		s := header.ChecksumCombine(hsum, uint16(tcpLen))
		s = header.ChecksumCombine(s, uint16(seq>>16))
		s = header.ChecksumCombine(s, uint16(seq))
		s = header.ChecksumCombine(s, uint16(fl))
		// The payload is copied and summed in one pass.
		s = header.CopyChecksum(d[sf.hdrLen:], seg, s)
		binary.BigEndian.PutUint16(d[sf.l4+16:], ^s)
	}
	return nseg, stride, length, nil
}

// TrainLen returns the length of the train SegmentTrain makes of src with
// gap bytes in front of each segment, and the number of segments; it
// returns the error SegmentTrain would for a frame it refuses.
func TrainLen(src *Buffer, gap int) (length, n int, err error) {
	sf, _, nseg, err := shapeOf(src)
	if err != nil {
		return 0, 0, err
	}
	payload := sf.end - sf.hdrLen
	return nseg*(gap+sf.hdrLen) + payload, nseg, nil
}
