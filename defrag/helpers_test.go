package defrag

import (
	"bytes"
	"fmt"
	"net"
	"testing"
	"time"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"neutrino/packet/header"
)

var (
	srcIP = net.IP{10, 0, 0, 1}
	dstIP = net.IP{192, 168, 7, 200}
	t0    = int64(1000 * time.Second)
)

// Options for the first fragment: Record Route is not copied into later
// fragments (copy bit clear); Router Alert is (copy bit set).
var (
	recordRoute = layers.IPv4Option{OptionType: 7, OptionLength: 11, OptionData: []byte{4, 0, 0, 0, 0, 0, 0, 0, 0}}
	routerAlert = layers.IPv4Option{OptionType: 148, OptionLength: 4, OptionData: []byte{0, 0}}
	endOfList   = layers.IPv4Option{OptionType: 0}
)

// pattern returns byte i of a datagram's payload for seed: what Add must
// put back at i whatever the order the fragments came in.
func pattern(seed uint16, i int) byte { return byte(i*31 + i>>8 + int(seed)*7) }

// serialize writes the layers with gopacket, lengths and checksums
// computed.
func serialize(t testing.TB, ls ...gopacket.SerializableLayer) []byte {
	t.Helper()
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
		t.Fatal(err)
	}
	return bytes.Clone(buf.Bytes())
}

// ipLayer returns the IPv4 header of the datagrams the tests build.
func ipLayer(id uint16, opts []layers.IPv4Option) *layers.IPv4 {
	return &layers.IPv4{Version: 4, TOS: 0x10, TTL: 64, Id: id, Protocol: layers.IPProtocolUDP,
		SrcIP: srcIP, DstIP: dstIP, Options: opts}
}

// udpDatagram builds a whole UDP datagram of n payload bytes, the payload
// being pattern(id, ...) past the UDP header.
func udpDatagram(t testing.TB, id uint16, opts []layers.IPv4Option, n int) []byte {
	t.Helper()
	ip := ipLayer(id, opts)
	udp := &layers.UDP{SrcPort: 40000, DstPort: 50000}
	if err := udp.SetNetworkLayerForChecksum(ip); err != nil {
		t.Fatal(err)
	}
	data := make([]byte, n)
	for i := range data {
		data[i] = pattern(id, i)
	}
	return serialize(t, ip, udp, gopacket.Payload(data))
}

// split cuts the whole datagram into fragments of step payload bytes (a
// multiple of 8), each written by gopacket: the first with the whole
// datagram's header and options, the others with later (the options that
// are copied).
func split(t testing.TB, whole []byte, step int, later []layers.IPv4Option) [][]byte {
	t.Helper()
	p := gopacket.NewPacket(whole, layers.LayerTypeIPv4, gopacket.Default)
	ip, ok := p.NetworkLayer().(*layers.IPv4)
	if !ok {
		t.Fatalf("not IPv4: %v", p)
	}
	payload := ip.LayerPayload()
	var out [][]byte
	for off := 0; off < len(payload); off += step {
		end := min(off+step, len(payload))
		h := *ip
		h.FragOffset = uint16(off / 8)
		h.Flags = ip.Flags
		if end < len(payload) {
			h.Flags |= layers.IPv4MoreFragments
		}
		if off > 0 {
			h.Options = later
		}
		h.Padding = nil
		out = append(out, serialize(t, &h, gopacket.Payload(payload[off:end])))
	}
	return out
}

// frag builds one fragment of datagram id by hand: n payload bytes at off
// from pattern(seed, ...), MF as more.
func frag(t testing.TB, id, seed uint16, off, n int, more bool) []byte {
	t.Helper()
	ip := ipLayer(id, nil)
	ip.FragOffset = uint16(off / 8)
	if more {
		ip.Flags = layers.IPv4MoreFragments
	}
	data := make([]byte, n)
	for i := range data {
		data[i] = pattern(seed, off+i)
	}
	return serialize(t, ip, gopacket.Payload(data))
}

// edit returns a copy of the fragment b changed by f, its header checksum
// fixed when the header length still fits in b.
func edit(b []byte, f func(ip header.IPv4)) []byte {
	c := bytes.Clone(b)
	ip := header.IPv4(c)
	f(ip)
	if hl := ip.HeaderLen(); hl <= len(c) {
		ip.SetChecksum(0)
		ip.SetChecksum(^header.Checksum(c[:hl], 0))
	}
	return c
}

// verify decodes a reassembled datagram with gopacket and checks that it is
// whole: not a fragment, total length n, header and UDP checksums right
// (UDP only when udp is set: a datagram of hand-made fragments has no UDP
// header).
func verify(t testing.TB, out []byte, udp bool) {
	t.Helper()
	p := gopacket.NewPacket(out, layers.LayerTypeIPv4, gopacket.Default)
	if err := p.ErrorLayer(); err != nil {
		t.Fatalf("decode: %v", err.Error())
	}
	ip, ok := p.NetworkLayer().(*layers.IPv4)
	if !ok {
		t.Fatal("no IPv4 layer")
	}
	if int(ip.Length) != len(out) {
		t.Errorf("total length %d, datagram %d bytes", ip.Length, len(out))
	}
	if ip.Flags&layers.IPv4MoreFragments != 0 || ip.FragOffset != 0 {
		t.Errorf("flags %v offset %d: still a fragment", ip.Flags, ip.FragOffset)
	}
	if _, r := ip.VerifyChecksum(); !r.Valid {
		t.Errorf("IPv4 checksum %#04x, want %#04x", r.Actual, r.Correct)
	}
	if !udp {
		return
	}
	u, ok := p.TransportLayer().(*layers.UDP)
	if !ok {
		t.Fatal("no UDP layer")
	}
	if err := u.SetNetworkLayerForChecksum(ip); err != nil {
		t.Fatal(err)
	}
	if err, r := u.VerifyChecksum(); err != nil || !r.Valid {
		t.Errorf("UDP checksum %#04x, want %#04x (%v)", r.Actual, r.Correct, err)
	}
}

// feed adds the fragments in order at now and returns the last verdict
// and output; every verdict before the last must be Held.
func feed(t testing.TB, tab *Table, zone uint16, now int64, frags ...[]byte) ([]byte, Verdict) {
	t.Helper()
	dst := make([]byte, 0, maxDatagram)
	for i, f := range frags {
		n, v := tab.Add(f, zone, now, dst)
		if i == len(frags)-1 {
			return dst[:n], v
		}
		if v.Outcome != Held || n != 0 {
			t.Fatalf("fragment %d: %v, n %d; want held", i, v.Outcome, n)
		}
	}
	return nil, Verdict{}
}

// invariants checks the table's internal consistency: the age list and
// the map hold the same datagrams, each datagram's fragments are sorted
// and disjoint and its sums are right, and the byte and count bounds hold.
func invariants(t testing.TB, tab *Table) {
	t.Helper()
	if err := tab.consistent(); err != nil {
		t.Fatal(err)
	}
}

func (t *Table) consistent() error {
	t.mu.Lock()
	defer t.mu.Unlock()
	held, frags, n := 0, 0, 0
	var prev *datagram
	for d := t.oldest; d != nil; prev, d = d, d.newer {
		n++
		if d.older != prev {
			return fmt.Errorf("datagram %d: broken age list", n)
		}
		if t.byKey[d.key] != d {
			return fmt.Errorf("datagram %d: not in the map", n)
		}
		if len(d.frags) == 0 || len(d.frags) > t.cfg.MaxFragments {
			return fmt.Errorf("datagram %d: %d fragments", n, len(d.frags))
		}
		size, bytes, end := 0, 0, 0
		for i, f := range d.frags {
			if i > 0 && d.frags[i-1].end > f.off {
				return fmt.Errorf("datagram %d: fragments %d and %d overlap", n, i-1, i)
			}
			if len(f.buf) != f.end-f.off || cap(f.buf) != classSize(classOf(len(f.buf))) {
				return fmt.Errorf("datagram %d: fragment %d has a %d/%d buffer for %d bytes", n, i, len(f.buf), cap(f.buf), f.end-f.off)
			}
			size += len(f.buf)
			bytes += cap(f.buf)
			end = max(end, f.end)
		}
		if size != d.size || bytes != d.bytes || end != d.end || d.complete() {
			return fmt.Errorf("datagram %d: size %d/%d bytes %d/%d end %d/%d complete %v", n, size, d.size, bytes, d.bytes, end, d.end, d.complete())
		}
		held += bytes
		frags += len(d.frags)
	}
	if prev != t.newest {
		return fmt.Errorf("newest is not the end of the age list")
	}
	if n != len(t.byKey) || n > t.cfg.MaxDatagrams {
		return fmt.Errorf("%d datagrams listed, %d in the map, max %d", n, len(t.byKey), t.cfg.MaxDatagrams)
	}
	idle := 0
	for c := range t.pool.free {
		for _, b := range t.pool.free[c] {
			if cap(b) != classSize(c) {
				return fmt.Errorf("a %d-byte buffer on the %d-byte free list", cap(b), classSize(c))
			}
			idle += cap(b)
		}
	}
	if held != t.pool.held || idle != t.pool.idle || frags != t.frags {
		return fmt.Errorf("held %d/%d idle %d/%d fragments %d/%d", held, t.pool.held, idle, t.pool.idle, frags, t.frags)
	}
	if held+idle > t.cfg.MaxBytes {
		return fmt.Errorf("held %d + idle %d bytes > MaxBytes %d", held, idle, t.cfg.MaxBytes)
	}
	return nil
}
