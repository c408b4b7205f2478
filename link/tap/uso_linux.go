package tap

import (
	"encoding/binary"
	"sync/atomic"

	"neutrino/packet"
	"neutrino/packet/header"
)

// UDP segmentation offload on write: consecutive small UDP/IPv4 datagrams
// of one flow, each with a partial checksum, are written as one
// VIRTIO_NET_HDR_GSO_UDP_L4 super-frame, which the kernel cuts back into
// the same datagrams (one write instead of one per datagram).

const (
	gsoUDPL4   = 5  // VIRTIO_NET_HDR_GSO_UDP_L4
	usoHdr     = 42 // Ethernet 14 + IPv4 20 (no options) + UDP 8
	usoMaxSegs = 64
	usoMaxLen  = 65000
)

var usoOff atomic.Bool // set when the kernel refused a coalesced write

// usoCandidate returns the UDP payload length of b if it may be coalesced.
func usoCandidate(b *packet.Buffer) (int, bool) {
	g := &b.Meta.GSO
	if g.IsGSO() || !g.NeedsCsum || g.CsumStart != 34 || g.CsumOffset != 6 {
		return 0, false
	}
	d := b.Data()
	if len(d) < usoHdr || d[12] != 0x08 || d[13] != 0x00 || d[14] != 0x45 || d[23] != 17 {
		return 0, false
	}
	if binary.BigEndian.Uint16(d[20:22])&0x3fff != 0 { // MF or fragment offset
		return 0, false
	}
	if int(binary.BigEndian.Uint16(d[16:18])) != len(d)-14 || int(binary.BigEndian.Uint16(d[38:40])) != len(d)-34 {
		return 0, false
	}
	return len(d) - usoHdr, true
}

// sameFlow reports whether a and b have the headers that stay equal in the
// segments of one super-frame.
func sameFlow(a, b []byte) bool {
	return string(a[0:16]) == string(b[0:16]) && // MACs, EtherType, version/IHL, TOS
		string(a[20:24]) == string(b[20:24]) && // flags/fragment, TTL, protocol
		string(a[26:38]) == string(b[26:38]) // addresses, ports
}

// usoRun returns how many frames from bufs[0] can be written as one UDP
// super-frame (0 or 1: write it alone) and the segment size.
func usoRun(bufs []*packet.Buffer) (int, int) {
	if len(bufs) < 2 || usoOff.Load() {
		return 0, 0
	}
	size, ok := usoCandidate(bufs[0])
	if !ok || size == 0 {
		return 0, 0
	}
	first := bufs[0].Data()
	id := binary.BigEndian.Uint16(first[18:20])
	total := size
	k := 1
	for k < len(bufs) && k < usoMaxSegs {
		s, ok := usoCandidate(bufs[k])
		if !ok || s > size || s == 0 || total+s > usoMaxLen {
			break
		}
		// The kernel numbers the segments id, id+1, ...: coalesce only
		// datagrams numbered so, so that what arrives is what was sent.
		d := bufs[k].Data()
		if !sameFlow(first, d) || binary.BigEndian.Uint16(d[18:20]) != id+uint16(k) {
			break
		}
		total += s
		k++
		if s < size { // only the last segment may be shorter
			break
		}
	}
	return k, size
}

// buildUSO writes the virtio-net header and the super-frame of bufs into
// out and returns its length.
func buildUSO(out []byte, bufs []*packet.Buffer, size int) int {
	first := bufs[0].Data()
	f := out[vnetLen:]
	copy(f, first[:usoHdr])
	n := usoHdr
	for _, b := range bufs {
		n += copy(f[n:], b.Data()[usoHdr:])
	}
	ip := f[14:34]
	binary.BigEndian.PutUint16(ip[2:4], uint16(n-14))
	ip[10], ip[11] = 0, 0
	binary.BigEndian.PutUint16(ip[10:12], ^header.Checksum(ip, 0))
	udpLen := uint16(n - 34)
	binary.BigEndian.PutUint16(f[38:40], udpLen)
	// Partial checksum: the pseudo-header sum, not complemented.
	var ph [12]byte
	copy(ph[0:8], ip[12:20])
	ph[9] = 17
	binary.BigEndian.PutUint16(ph[10:12], udpLen)
	binary.BigEndian.PutUint16(f[40:42], header.Checksum(ph[:], 0))
	g := packet.GSO{Type: gsoUDPL4, NeedsCsum: true, HdrLen: usoHdr, Size: uint16(size), CsumStart: 34, CsumOffset: 6}
	g.EncodeVirtioNet(out[:vnetLen])
	return vnetLen + n
}
