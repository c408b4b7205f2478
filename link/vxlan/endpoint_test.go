package vxlan

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"neutrino/link"
	"neutrino/link/udp"
	"neutrino/packet"
	"neutrino/packet/header"
)

var (
	addrA = netip.MustParseAddr("192.0.2.1")
	addrB = netip.MustParseAddr("192.0.2.2")
)

// tcpFrame serializes a TCP/IPv4 frame with gopacket: payload bytes from
// seq, IPv4 id, flags.
func tcpFrame(t testing.TB, sport uint16, seq uint32, id uint16, payload int, psh bool) []byte {
	t.Helper()
	p := make([]byte, payload)
	for i := range p {
		p[i] = byte(seq + uint32(i))
	}
	eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{0xfa, 0x16, 0x3e, 0, 0x10, 1}, DstMAC: net.HardwareAddr{0xfa, 0x16, 0x3e, 0, 0x10, 2},
		EthernetType: layers.EthernetTypeIPv4}
	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolTCP, Id: id, Flags: layers.IPv4DontFragment,
		SrcIP: net.IPv4(10, 10, 0, 11), DstIP: net.IPv4(10, 10, 0, 12)}
	tcp := &layers.TCP{SrcPort: layers.TCPPort(sport), DstPort: 5201, Seq: seq, Ack: 777, ACK: true, PSH: psh, Window: 1000,
		Options: []layers.TCPOption{
			{OptionType: layers.TCPOptionKindNop, OptionLength: 1},
			{OptionType: layers.TCPOptionKindNop, OptionLength: 1},
			{OptionType: layers.TCPOptionKindTimestamps, OptionLength: 10, OptionData: []byte{1, 2, 3, 4, 5, 6, 7, 8}},
		}}
	if err := tcp.SetNetworkLayerForChecksum(ip); err != nil {
		t.Fatal(err)
	}
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, eth, ip, tcp, gopacket.Payload(p)); err != nil {
		t.Fatal(err)
	}
	return bytes.Clone(buf.Bytes())
}

// udpFrame serializes a small UDP/IPv4 frame.
func udpFrame(t testing.TB, n int) []byte {
	t.Helper()
	eth := &layers.Ethernet{SrcMAC: net.HardwareAddr{0xfa, 0x16, 0x3e, 0, 0x10, 1}, DstMAC: net.HardwareAddr{0xfa, 0x16, 0x3e, 0, 0x10, 2},
		EthernetType: layers.EthernetTypeIPv4}
	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP, SrcIP: net.IPv4(10, 10, 0, 11), DstIP: net.IPv4(10, 10, 0, 12)}
	u := &layers.UDP{SrcPort: 41000, DstPort: layers.UDPPort(41000 + n)}
	if err := u.SetNetworkLayerForChecksum(ip); err != nil {
		t.Fatal(err)
	}
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, eth, ip, u, gopacket.Payload(make([]byte, 18))); err != nil {
		t.Fatal(err)
	}
	return bytes.Clone(buf.Bytes())
}

// superFrame makes a TCP super-frame of payload bytes with MSS mss, as a
// TAP device reads it: partial checksum (the pseudo-header sum).
func superFrame(t testing.TB, payload, mss int) *packet.Buffer {
	t.Helper()
	f := tcpFrame(t, 40000, 0xfffff000, 0xfffe, payload, true)
	b := packet.NewBuffer(packet.MaxFrame)
	b.SetData(f)
	ps := header.PseudoHeaderChecksum(header.ProtoTCP, [4]byte(f[26:30]), [4]byte(f[30:34]), uint16(len(f)-34))
	binary.BigEndian.PutUint16(b.Data()[50:], ps)
	b.Meta.GSO = packet.GSO{Type: packet.GSOTCPv4, NeedsCsum: true, HdrLen: 66, Size: uint16(mss), CsumStart: 34, CsumOffset: 16}
	b.Meta.Tunnel = packet.Tunnel{VNI: 100, VTEP: 1}
	return b
}

// segmentsOf cuts b with packet.Segment.
func segmentsOf(t testing.TB, b *packet.Buffer) [][]byte {
	t.Helper()
	out := make([]*packet.Buffer, 64)
	for i := range out {
		out[i] = packet.NewBuffer(2048)
	}
	k, err := packet.Segment(b, out)
	if err != nil {
		t.Fatal(err)
	}
	var segs [][]byte
	for _, o := range out[:k] {
		segs = append(segs, bytes.Clone(o.Data()))
	}
	return segs
}

// verify checks an inner frame's IPv4 header and TCP or UDP checksums
// with gopacket.
func verify(t testing.TB, f []byte) {
	t.Helper()
	p := gopacket.NewPacket(f, layers.LayerTypeEthernet, gopacket.Default)
	if el := p.ErrorLayer(); el != nil {
		t.Fatalf("frame does not parse: %v", el.Error())
	}
	ip, ok := p.NetworkLayer().(*layers.IPv4)
	if !ok {
		t.Fatalf("no IPv4: %v", p)
	}
	if _, r := ip.VerifyChecksum(); !r.Valid {
		t.Fatalf("IPv4 checksum %#04x, want %#04x", r.Actual, r.Correct)
	}
	if int(ip.Length) != len(f)-14 {
		t.Fatalf("IPv4 length %d for %d bytes", ip.Length, len(f)-14)
	}
	switch l := p.TransportLayer().(type) {
	case *layers.TCP:
		_ = l.SetNetworkLayerForChecksum(ip)
		if err, r := l.VerifyChecksum(); err != nil || !r.Valid {
			t.Fatalf("TCP checksum %#04x, want %#04x", r.Actual, r.Correct)
		}
	case *layers.UDP:
		_ = l.SetNetworkLayerForChecksum(ip)
		if err, r := l.VerifyChecksum(); err != nil || !r.Valid {
			t.Fatalf("UDP checksum %#04x, want %#04x", r.Actual, r.Correct)
		}
	default:
		t.Fatalf("no TCP or UDP: %v", p)
	}
}

// recorder is a Transport that keeps what is written (a copy of each
// datagram) and reads from a queue.
type recorder struct {
	sent  []udp.Datagram
	queue []udp.Datagram
	err   error // returned by ReadBatch once the queue is empty
}

func (r *recorder) WriteBatch(ds []udp.Datagram) (int, error) {
	for _, d := range ds {
		c := packet.NewBuffer(d.Buf.Len())
		c.SetData(d.Buf.Data())
		d.Buf = c
		r.sent = append(r.sent, d)
	}
	return len(ds), nil
}

func (r *recorder) ReadBatch(ds []udp.Datagram) (int, error) {
	if len(r.queue) == 0 {
		if r.err == nil {
			return 0, link.ErrClosed
		}
		return 0, r.err
	}
	n := 0
	for n < len(ds) && len(r.queue) > 0 {
		q := r.queue[0]
		r.queue = r.queue[1:]
		ds[n].Buf.Reset()
		ds[n].Buf.SetData(q.Buf.Data())
		ds[n].Peer, ds[n].SegSize = q.Peer, q.SegSize
		n++
	}
	return n, nil
}

func (r *recorder) Close() error { return nil }

// push queues payload (a train when seg > 0) from peer.
func (r *recorder) push(peer netip.Addr, payload []byte, seg int) {
	b := packet.NewBuffer(len(payload))
	b.SetData(payload)
	r.queue = append(r.queue, udp.Datagram{Buf: b, Peer: netip.AddrPortFrom(peer, 40000), SegSize: seg})
}

// vx returns f behind a VXLAN header with vni.
func vx(vni uint32, f []byte) []byte {
	h := make([]byte, 8, 8+len(f))
	header.VXLAN(h).Encode(vni)
	return append(h, f...)
}

func bufs(n int) []*packet.Buffer {
	b := make([]*packet.Buffer, n)
	for i := range b {
		b[i] = packet.NewBuffer(packet.MaxFrame)
	}
	return b
}

// readAll reads e until its transport is drained, k buffers at a time.
func readAll(t testing.TB, e *Endpoint, k int) []*packet.Buffer {
	t.Helper()
	var out []*packet.Buffer
	bs := bufs(k)
	for {
		n, err := e.ReadBatch(bs)
		for _, b := range bs[:n] {
			c := packet.NewBuffer(b.Len())
			c.SetData(b.Data())
			c.Meta = b.Meta
			out = append(out, c)
		}
		if err != nil {
			if !errors.Is(err, link.ErrClosed) {
				t.Fatal(err)
			}
			return out
		}
	}
}

func TestWriteSuperFrameOneTrain(t *testing.T) {
	r := &recorder{}
	e := New("br-tun", r, []netip.Addr{addrB}, 0, 1450)
	if c := e.Caps(); !c.Has(link.CapGSO | link.CapCsumPartial) {
		t.Fatalf("caps %v", c)
	}
	sf := superFrame(t, 40000, 1398)
	want := segmentsOf(t, sf)
	before := bytes.Clone(sf.Data())
	if n, err := e.WriteBatch([]*packet.Buffer{sf}); n != 1 || err != nil {
		t.Fatalf("WriteBatch: %d, %v", n, err)
	}
	if !bytes.Equal(sf.Data(), before) {
		t.Fatal("the super-frame was changed")
	}
	if len(r.sent) != 1 {
		t.Fatalf("%d datagrams, want one train", len(r.sent))
	}
	d := r.sent[0]
	if d.SegSize != 8+66+1398 || d.Peer != netip.AddrPortFrom(addrB, 4789) || d.Flow != FlowHash(before) {
		t.Fatalf("train: SegSize %d, peer %v, flow %d", d.SegSize, d.Peer, d.Flow)
	}
	data := d.Buf.Data()
	var got [][]byte
	for off := 0; off < len(data); off += d.SegSize {
		p := header.VXLAN(data[off:min(off+d.SegSize, len(data))])
		if !p.HasVNI() || p.VNI() != 100 {
			t.Fatalf("datagram %d: VXLAN header %x", len(got), p[:8])
		}
		verify(t, p.Payload())
		got = append(got, p.Payload())
	}
	if len(got) != len(want) {
		t.Fatalf("%d datagrams in the train, want %d", len(got), len(want))
	}
	for i := range got {
		if !bytes.Equal(got[i], want[i]) {
			t.Fatalf("segment %d differs from packet.Segment's", i)
		}
	}
	if lc := e.LinkCounters(); lc["vxlan_tx_datagrams"] != uint64(len(want)) || lc["vxlan_tx_super_frames"] != 1 {
		t.Errorf("counters %v", lc)
	}
}

// TestTrainSegments checks that a super-frame of TrainSegments(mtu)
// full segments goes out as one UDP GSO send, and one more segment does
// not fit.
func TestTrainSegments(t *testing.T) {
	for _, c := range []struct{ mtu, want int }{{1450, 44}, {1500, 43}, {8950, 7}, {576, 64}, {0, 0}, {65500, 0}} {
		n := TrainSegments(c.mtu)
		if n != c.want {
			t.Errorf("TrainSegments(%d) = %d, want %d", c.mtu, n, c.want)
		}
		if n == 0 {
			continue
		}
		per := c.mtu + header.EthernetLen + header.VXLANLen
		if n*per > udp.MaxPayload || n > udp.MaxSegments || (n < udp.MaxSegments && (n+1)*per <= udp.MaxPayload) {
			t.Errorf("mtu %d: %d segments of %d bytes", c.mtu, n, per)
		}
	}
	// The segments of a 1450-byte MTU: 1398 bytes of payload behind
	// Ethernet, IPv4 and TCP with timestamps (66 bytes).
	sf := superFrame(t, 44*1398, 1398)
	r := &recorder{}
	e := New("br-tun", r, []netip.Addr{addrB}, 0, 1450)
	if n, err := e.WriteBatch([]*packet.Buffer{sf}); n != 1 || err != nil {
		t.Fatalf("WriteBatch: %d, %v", n, err)
	}
	if d := r.sent[0]; d.Buf.Len() > udp.MaxPayload || d.Buf.Len()/d.SegSize != 44 {
		t.Fatalf("train of %d bytes, SegSize %d", d.Buf.Len(), d.SegSize)
	}
}

func TestWriteCompletesChecksum(t *testing.T) {
	r := &recorder{}
	e := New("br-tun", r, []netip.Addr{addrB}, 0, 1450)
	f := tcpFrame(t, 40000, 1, 1, 100, true)
	b := packet.NewBuffer(packet.MaxFrame)
	b.SetData(f)
	ps := header.PseudoHeaderChecksum(header.ProtoTCP, [4]byte(f[26:30]), [4]byte(f[30:34]), uint16(len(f)-34))
	binary.BigEndian.PutUint16(b.Data()[50:], ps)
	b.Meta.GSO = packet.GSO{NeedsCsum: true, CsumStart: 34, CsumOffset: 16}
	b.Meta.Tunnel = packet.Tunnel{VNI: 7, VTEP: 1}
	if n, err := e.WriteBatch([]*packet.Buffer{b}); n != 1 || err != nil {
		t.Fatalf("WriteBatch: %d, %v", n, err)
	}
	if len(r.sent) != 1 || r.sent[0].SegSize != 0 {
		t.Fatalf("%+v", r.sent)
	}
	p := header.VXLAN(r.sent[0].Buf.Data())
	verify(t, p.Payload())
	if !bytes.Equal(p.Payload(), f) || !bytes.Equal(b.Data(), f) {
		t.Fatal("frame differs from the original with its checksum")
	}
}

func TestWriteRefuses(t *testing.T) {
	r := &recorder{}
	e := New("br-tun", r, []netip.Addr{addrB}, 0, 1450)
	ok := superFrame(t, 3000, 1398)
	big := superFrame(t, 3000, 1500) // segments of 1552 bytes of L3
	if n, err := e.WriteBatch([]*packet.Buffer{ok, big, ok}); n != 1 || !errors.Is(err, link.ErrFrameTooBig) {
		t.Fatalf("WriteBatch: %d, %v", n, err)
	}
	noVTEP := superFrame(t, 3000, 1398)
	noVTEP.Meta.Tunnel.VTEP = 2
	if n, err := e.WriteBatch([]*packet.Buffer{noVTEP}); n != 0 || !errors.Is(err, link.ErrFrameTooBig) {
		t.Fatalf("WriteBatch: %d, %v", n, err)
	}
}

func TestReadTrainCoalesces(t *testing.T) {
	for _, gro := range []bool{true, false} {
		f := NewFabric()
		f.SetGRO(gro)
		a := New("a", f.Transport(addrA, 40000), []netip.Addr{addrB}, 0, 1450)
		b := New("b", f.Transport(addrB, 40000), []netip.Addr{addrA}, 0, 1450)
		sf := superFrame(t, 50000, 1398)
		want := segmentsOf(t, sf)
		if _, err := a.WriteBatch([]*packet.Buffer{sf}); err != nil {
			t.Fatal(err)
		}
		if s := f.Sent(); len(s) != len(want) || s[0].Train != 1 || s[len(s)-1].Train != 1 {
			t.Fatalf("%d datagrams on the wire, want %d of one train", len(s), len(want))
		}
		out := bufs(64)
		n, err := b.ReadBatch(out)
		if err != nil || n != 1 {
			t.Fatalf("GRO %v: ReadBatch: %d frames, %v; want one super-frame", gro, n, err)
		}
		g := out[0].Meta.GSO
		if g.Type != packet.GSOTCPv4 || g.Size != 1398 || !g.NeedsCsum || out[0].Meta.Tunnel != (packet.Tunnel{VNI: 100, VTEP: 1}) {
			t.Fatalf("meta %+v", out[0].Meta)
		}
		got := segmentsOf(t, out[0])
		if len(got) != len(want) {
			t.Fatalf("%d segments, want %d", len(got), len(want))
		}
		for i := range got {
			if !bytes.Equal(got[i], want[i]) {
				t.Fatalf("segment %d differs", i)
			}
		}
		lc := b.LinkCounters()
		if lc["vxlan_rx_datagrams"] != uint64(len(want)) || lc["vxlan_rx_super_frames"] != 1 || lc["vxlan_rx_coalesced"] != uint64(len(want)) {
			t.Errorf("counters %v", lc)
		}
		a.Close()
		b.Close()
	}
}

func TestReadDoesNotMerge(t *testing.T) {
	r := &recorder{}
	e := New("b", r, []netip.Addr{addrA}, 0, 1450)
	seg := func(sport uint16, seq uint32, id uint16, psh bool) []byte {
		return tcpFrame(t, sport, seq, id, 1000, psh)
	}
	fin := seg(1, 5000, 9, false)
	fin[47] |= 0x01
	fixTCP(fin)
	syn := seg(1, 6000, 10, false)
	syn[47] |= 0x02
	fixTCP(syn)
	rst := seg(1, 7000, 11, false)
	rst[47] = 0x04
	fixTCP(rst)
	frames := [][]byte{
		udpFrame(t, 1), udpFrame(t, 2), // not TCP
		seg(1, 1000, 1, false), seg(2, 2000, 2, false), seg(1, 2000, 3, false), // two flows interleaved
		seg(1, 4000, 5, false), seg(1, 3000, 4, false), // out of order
		fin, syn, rst,
	}
	for _, f := range frames {
		r.push(addrA, vx(100, f), 0)
	}
	out := readAll(t, e, 64)
	if len(out) != len(frames) {
		t.Fatalf("%d frames, want %d, none merged", len(out), len(frames))
	}
	for i, b := range out {
		if !bytes.Equal(b.Data(), frames[i]) || b.Meta.GSO.IsGSO() || b.Meta.Tunnel.VTEP != 1 {
			t.Fatalf("frame %d differs or is a super-frame (%+v)", i, b.Meta)
		}
	}
	// Another VNI, another VTEP: not merged either.
	r.push(addrA, vx(100, seg(1, 1000, 1, false)), 0)
	r.push(addrA, vx(101, seg(1, 2000, 2, false)), 0)
	r.push(addrB, vx(101, seg(1, 3000, 3, false)), 0)
	if out := readAll(t, e, 64); len(out) != 3 || out[2].Meta.Tunnel.VTEP != 0 || out[1].Meta.Tunnel.VNI != 101 {
		t.Fatalf("%d frames, want 3", len(out))
	}
}

func fixTCP(f []byte) {
	f[50], f[51] = 0, 0
	ps := header.PseudoHeaderChecksum(header.ProtoTCP, [4]byte(f[26:30]), [4]byte(f[30:34]), uint16(len(f)-34))
	binary.BigEndian.PutUint16(f[50:], ^header.Checksum(f[34:], ps))
}

func TestReadKeepsWhatDoesNotFit(t *testing.T) {
	r := &recorder{}
	e := New("b", r, []netip.Addr{addrA}, 0, 1450)
	var train []byte
	var frames [][]byte
	for i := range 10 {
		f := udpFrame(t, i)
		frames = append(frames, f)
		train = append(train, vx(100, f)...)
	}
	r.push(addrA, train, len(train)/10) // one train of 10
	r.push(addrA, vx(100, udpFrame(t, 10)), 0)
	frames = append(frames, udpFrame(t, 10))
	out := readAll(t, e, 3)
	if len(out) != len(frames) {
		t.Fatalf("%d frames, want %d", len(out), len(frames))
	}
	for i, b := range out {
		if !bytes.Equal(b.Data(), frames[i]) {
			t.Fatalf("frame %d differs", i)
		}
		verify(t, b.Data())
	}
}

func TestReadDrops(t *testing.T) {
	r := &recorder{}
	e := New("b", r, []netip.Addr{addrA}, 0, 1450)
	good := vx(100, udpFrame(t, 1))
	noVNI := bytes.Clone(good)
	noVNI[0] = 0
	r.push(addrA, good[:20], 0)
	r.push(addrA, noVNI, 0)
	r.push(addrA, nil, 0)
	r.push(addrA, good, 0)
	out := readAll(t, e, 2)
	lc := e.LinkCounters()
	if len(out) != 1 || lc["vxlan_rx_short"] != 2 || lc["vxlan_rx_no_vni"] != 1 || lc["vxlan_rx_datagrams"] != 4 {
		t.Fatalf("%d frames, counters %v", len(out), lc)
	}
}

// FuzzReadBatch feeds arbitrary trains to ReadBatch: it must not panic,
// and every VXLAN packet must come out as a frame (a super-frame counting
// its segments) or be counted as dropped.
func FuzzReadBatch(f *testing.F) {
	var train []byte
	for i := range 5 {
		train = append(train, vx(100, tcpFrame(f, 1, uint32(1000+i*500), uint16(i), 500, i == 4))...)
	}
	f.Add(train, uint16(len(train)/5), uint8(2))
	f.Add(train, uint16(0), uint8(1))
	f.Add(train, uint16(100), uint8(64))
	f.Add(vx(100, udpFrame(f, 1)), uint16(0), uint8(3))
	// What a kernel VXLAN device sends over a veth: checksums left
	// partial, a TSO frame whole.
	f.Add(vx(100, partialOf(tcpFrame(f, 1, 1000, 1, 1398*5, true), 50)), uint16(0), uint8(2))
	var partialTrain []byte
	for i := range 3 {
		partialTrain = append(partialTrain, vx(100, partialOf(tcpFrame(f, 1, uint32(1000+i*500), uint16(i), 500, i == 2), 50))...)
	}
	f.Add(partialTrain, uint16(len(partialTrain)/3), uint8(4))
	f.Add(vx(100, partialOf(emptyUDP(f), 40)), uint16(0), uint8(1))
	f.Fuzz(func(t *testing.T, payload []byte, seg uint16, nbufs uint8) {
		if len(payload) > udp.MaxTrain {
			return
		}
		r := &recorder{}
		e := New("b", r, []netip.Addr{addrA}, 0, 1450)
		r.push(addrA, payload, int(seg))
		r.push(addrA, payload, 0)
		out := readAll(t, e, int(nbufs%16)+1)
		packets := 1 // the second copy, sent alone
		if seg == 0 || int(seg) >= len(payload) {
			packets++
		} else {
			packets += (len(payload) + int(seg) - 1) / int(seg)
		}
		lc := e.LinkCounters()
		// Every packet comes out alone, in a super-frame of several, or
		// as a super-frame itself (a whole TSO frame), or is dropped.
		alone, supers := 0, 0
		for _, b := range out {
			if !b.Meta.GSO.IsGSO() {
				alone++
				continue
			}
			supers++
			for _, s := range segmentsOf(t, b) {
				verify(t, s)
			}
		}
		whole := uint64(supers) - lc["vxlan_rx_super_frames"]
		if lc["vxlan_rx_datagrams"] != uint64(packets) ||
			uint64(alone)+lc["vxlan_rx_coalesced"]+whole+lc["vxlan_rx_short"]+lc["vxlan_rx_no_vni"]+lc["vxlan_rx_too_big"] != uint64(packets) {
			t.Fatalf("%d packets in, %d alone and %d super-frames out, counters %v", packets, alone, supers, lc)
		}
	})
}

// loop is a Transport that hands what is written back to the reader, a
// ring of datagrams; it cuts trains longer than udp.MaxPayload as the
// underlay does.
type loop struct {
	q          []udp.Datagram
	head, size int
}

func newLoop(n int) *loop {
	l := &loop{q: make([]udp.Datagram, n)}
	for i := range l.q {
		l.q[i].Buf = packet.NewBuffer(udp.MaxTrain)
	}
	return l
}

func (l *loop) WriteBatch(ds []udp.Datagram) (int, error) {
	for _, d := range ds {
		data := d.Buf.Data()
		step := len(data)
		if d.SegSize > 0 {
			step = udp.MaxPayload / d.SegSize * d.SegSize
		}
		for off := 0; off < len(data); off += step {
			q := &l.q[(l.head+l.size)%len(l.q)]
			q.Buf.SetData(data[off:min(off+step, len(data))])
			q.Peer, q.SegSize = d.Peer, d.SegSize
			l.size++
		}
	}
	return len(ds), nil
}

func (l *loop) ReadBatch(ds []udp.Datagram) (int, error) {
	n := min(len(ds), l.size)
	for i := range n {
		q := &l.q[(l.head+i)%len(l.q)]
		ds[i].Buf.SetData(q.Buf.Data())
		ds[i].Peer, ds[i].SegSize = q.Peer, q.SegSize
	}
	l.head = (l.head + n) % len(l.q)
	l.size -= n
	return n, nil
}

func (l *loop) Close() error { return nil }

// BenchmarkEncapDecap writes batches of 64 small frames and reads them
// back: frames/s through both directions of the endpoint.
func BenchmarkEncapDecap(b *testing.B) {
	l := newLoop(64)
	e := New("t", l, []netip.Addr{addrA}, 0, 1450)
	in := bufs(64)
	for i, x := range in {
		x.SetData(udpFrame(b, i))
		x.Meta.Tunnel = packet.Tunnel{VNI: 100, VTEP: 1}
	}
	out := bufs(64)
	roundTrip(b, e, in, out) // buffers made on first use are not counted
	b.ReportAllocs()
	frames := 0
	for b.Loop() {
		roundTrip(b, e, in, out)
		frames += len(in)
	}
	b.ReportMetric(float64(frames)/b.Elapsed().Seconds(), "frames/s")
	b.ReportMetric(0, "ns/op")
}

// BenchmarkEncapDecapTCP sends a 64 KB TCP super-frame as one train and
// reads it back as one super-frame.
func BenchmarkEncapDecapTCP(b *testing.B) {
	l := newLoop(4)
	e := New("t", l, []netip.Addr{addrA}, 0, 1450)
	sf := superFrame(b, 64000, 1398)
	in := []*packet.Buffer{sf}
	out := bufs(8)
	roundTrip(b, e, in, out) // buffers made on first use are not counted
	b.SetBytes(int64(sf.Len()))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.WriteBatch(in); err != nil {
			b.Fatal(err)
		}
		n, err := e.ReadBatch(out)
		if err != nil || n != 1 || !out[0].Meta.GSO.IsGSO() {
			b.Fatalf("%d frames, %v", n, err)
		}
	}
}

// emptyUDP returns a UDP/IPv4 frame without payload: 42 bytes, shorter
// than a TCP header would need.
func emptyUDP(t testing.TB) []byte {
	f := bytes.Clone(udpFrame(t, 1)[:42])
	binary.BigEndian.PutUint16(f[16:], 28)
	f[24], f[25] = 0, 0
	binary.BigEndian.PutUint16(f[24:], ^header.Checksum(f[14:34], 0))
	binary.BigEndian.PutUint16(f[38:], 8)
	return f
}

// partialOf returns f with its L4 checksum (field at fieldAt) left
// partial, as a kernel VXLAN device sends it over a veth: the field holds
// the pseudo-header sum.
func partialOf(f []byte, fieldAt int) []byte {
	f = bytes.Clone(f)
	l4 := int(binary.BigEndian.Uint16(f[16:18])) - 20
	binary.BigEndian.PutUint16(f[fieldAt:], header.PseudoHeaderChecksum(f[23], [4]byte(f[26:30]), [4]byte(f[30:34]), uint16(l4)))
	return f
}

// Frames whose checksums the sender left to its NIC (a kernel VXLAN device
// over a veth) come out partial, as a TAP would hand them over, instead
// of being taken for corrupt: TCP segments coalesced, a lone segment or a
// UDP datagram marked NeedsCsum, and counted. Finished, they are the
// frames the sender meant.
func TestReadPartial(t *testing.T) {
	r := &recorder{}
	e := New("b", r, []netip.Addr{addrA}, 0, 1450)
	var segs, right [][]byte
	for i := range 3 {
		f := tcpFrame(t, 1, 1000+uint32(i)*1000, uint16(i+1), 1000, i == 2)
		right = append(right, f)
		segs = append(segs, partialOf(f, 50))
	}
	lone := tcpFrame(t, 2, 9000, 9, 500, true)
	u := udpFrame(t, 1)
	empty := emptyUDP(t)
	for _, f := range append(segs, partialOf(lone, 50), partialOf(u, 40), u, partialOf(empty, 40)) {
		r.push(addrA, vx(100, f), 0)
	}
	out := readAll(t, e, 64)
	if len(out) != 5 {
		t.Fatalf("%d frames, want a super-frame, the lone segment and three datagrams", len(out))
	}
	if g := out[4].Meta.GSO; !g.NeedsCsum || g.IsGSO() || g.CsumStart != 34 || g.CsumOffset != 6 {
		t.Fatalf("an empty partial datagram: GSO %+v", g)
	}
	if g := out[0].Meta.GSO; g.Type != packet.GSOTCPv4 || !g.NeedsCsum {
		t.Fatalf("the partial segments: GSO %+v, want a super-frame", g)
	}
	got := segmentsOf(t, out[0])
	for i := range right {
		if !bytes.Equal(got[i], right[i]) {
			t.Fatalf("segment %d cut again differs from what was meant", i)
		}
	}
	for i, want := range [][]byte{lone, u} {
		b := out[1+i]
		if g := b.Meta.GSO; g.IsGSO() || !g.NeedsCsum || g.CsumStart != 34 {
			t.Fatalf("frame %d: GSO %+v, want a partial checksum from offset 34", 1+i, g)
		}
		if err := packet.CompleteChecksum(b); err != nil || !bytes.Equal(b.Data(), want) {
			t.Fatalf("frame %d finished (%v) differs from what was meant", 1+i, err)
		}
	}
	if g := out[3].Meta.GSO; g.NeedsCsum || g.IsGSO() {
		t.Fatalf("a datagram with a right checksum: GSO %+v, want none", g)
	}
	if c := e.LinkCounters()["vxlan_rx_csum_partial"]; c != 3 {
		t.Fatalf("vxlan_rx_csum_partial %d, want 3", c)
	}
}

// A kernel VXLAN device over a veth hands a TSO frame to the socket whole,
// one datagram of many segments' payload with its checksum partial: it
// comes out a super-frame of segments that fit the MTU.
func TestReadWholeTSOFrame(t *testing.T) {
	r := &recorder{}
	e := New("b", r, []netip.Addr{addrA}, 0, 1450)
	f := tcpFrame(t, 1, 1000, 1, 1398*5, true)
	r.push(addrA, vx(100, partialOf(f, 50)), 0)
	out := readAll(t, e, 8)
	if len(out) != 1 {
		t.Fatalf("%d frames, want 1", len(out))
	}
	g := out[0].Meta.GSO
	if g.Type != packet.GSOTCPv4 || g.Size != 1398 || !g.NeedsCsum {
		t.Fatalf("GSO %+v, want a TCPv4 super-frame of 1398-byte segments", g)
	}
	if got := segmentsOf(t, out[0]); len(got) != 5 {
		t.Fatalf("%d segments, want 5", len(got))
	}
}

// A whole TSO frame the coalescer does not take (the last of a transfer,
// with FIN) also comes out a super-frame of segments that fit the MTU,
// FIN on the last one only.
func TestReadWholeTSOFrameFIN(t *testing.T) {
	r := &recorder{}
	e := New("b", r, []netip.Addr{addrA}, 0, 1450)
	f := tcpFrame(t, 1, 1000, 1, 1398*5, true)
	f[47] |= 0x01 // FIN
	fixTCP(f)
	r.push(addrA, vx(100, partialOf(f, 50)), 0)
	out := readAll(t, e, 8)
	if len(out) != 1 {
		t.Fatalf("%d frames, want 1", len(out))
	}
	g := out[0].Meta.GSO
	if g.Type != packet.GSOTCPv4 || g.Size != 1398 || !g.NeedsCsum || g.CsumStart != 34 || g.CsumOffset != 16 {
		t.Fatalf("GSO %+v, want a TCPv4 super-frame of 1398-byte segments", g)
	}
	segs := segmentsOf(t, out[0])
	if len(segs) != 5 {
		t.Fatalf("%d segments, want 5", len(segs))
	}
	for i, s := range segs {
		if fin := s[47]&0x01 != 0; fin != (i == 4) {
			t.Fatalf("segment %d: FIN %v", i, fin)
		}
	}
}
