package nat

import (
	"testing"

	"neutrino/packet/header"
)

// fragment returns the fragment of the IP datagram of frame that holds
// the n bytes after the IP header from offset off (a multiple of 8), with
// MF set unless it is the last, and its header checksum computed.
func fragment(t testing.TB, frame []byte, off, n int) []byte {
	ip := header.IPv4(frame[header.EthernetLen:])
	hl := ip.HeaderLen()
	data := ip.Payload()
	last := off+n >= len(data)
	if last {
		n = len(data) - off
	}
	f := make([]byte, 0, header.EthernetLen+hl+n)
	f = append(f, frame[:header.EthernetLen+hl]...)
	f = append(f, data[off:off+n]...)
	fi := header.IPv4(f[header.EthernetLen:])
	fi.SetTotalLength(uint16(hl + n))
	ff := uint16(off / 8)
	if !last {
		ff |= header.IPv4FlagMF
	}
	fi.SetFlagsFragment(ff)
	fi.SetChecksum(fi.CalculateChecksum())
	return f
}

// reassemble puts the rewritten first fragment first back in front of the
// rest of the datagram of whole, with the header of first (addresses
// included) as the datagram's.
func reassemble(first, whole []byte) []byte {
	fi := header.IPv4(first[header.EthernetLen:])
	got := len(fi) - fi.HeaderLen()
	rest := header.IPv4(whole[header.EthernetLen:]).Payload()[got:]
	r := append(clone(first), rest...)
	ri := header.IPv4(r[header.EthernetLen:])
	ri.SetTotalLength(uint16(len(ri)))
	ri.SetFlagsFragment(header.IPv4FlagDF)
	ri.SetChecksum(ri.CalculateChecksum())
	return r
}

// TestRewriteFirstFragment: the ports and L4 checksum of a first fragment
// are patched although most of the data is elsewhere; put back together,
// the datagram's checksum is right.
func TestRewriteFirstFragment(t *testing.T) {
	for _, whole := range [][]byte{
		udpFrame(t, vmIP, extIP, 40000, 9000, 3000),
		tcpFrame(t, vmIP, extIP, 40000, 5201, 3001),
	} {
		to := Addrs{Src: gwIP, Dst: extIP, SPort: 31000, DPort: carried(whole, parse(t, whole)).DPort}
		first := fragment(t, whole, 0, 1480)
		l := parse(t, first)
		if l.Flags&header.HasL4 == 0 {
			t.Fatal("first fragment without L4 header")
		}
		Rewrite(first, l, to, false)
		if !header.IPv4(first[l.L3:]).ChecksumValid() {
			t.Error("fragment's IPv4 checksum invalid")
		}
		if c := carried(first, l); c != to {
			t.Errorf("carries %+v, want %+v", c, to)
		}
		verifyChecksums(t, reassemble(first, whole))
	}
}

// TestRewriteLaterFragment: a fragment other than the first has no ports:
// only its addresses and header checksum change.
func TestRewriteLaterFragment(t *testing.T) {
	whole := udpFrame(t, vmIP, extIP, 40000, 9000, 3000)
	f := fragment(t, whole, 1480, 1480)
	l := parse(t, f)
	if l.Flags&header.Fragment == 0 {
		t.Fatal("not parsed as a later fragment")
	}
	before := clone(f)
	Rewrite(f, l, Addrs{Src: gwIP, Dst: extIP, SPort: 31000, DPort: 1}, false)
	ip := header.IPv4(f[l.L3:])
	if ip.Src() != gwIP || ip.Dst() != extIP || !ip.ChecksumValid() {
		t.Errorf("header %v -> %v, checksum valid %v", ip.Src(), ip.Dst(), ip.ChecksumValid())
	}
	if err := untouched(before, f, rewritable(f, l)); err != nil {
		t.Error(err)
	}
}
