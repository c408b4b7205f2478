package packet

import (
	"bytes"
	"encoding/binary"
	"errors"
	"net"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"neutrino/packet/header"
)

// superFrameSpec describes a TCP super-frame built with gopacket.
type superFrameSpec struct {
	v6      bool
	vlan    bool
	payload int
	fin     bool
	cwr     bool
}

// buildSuperFrame serializes the super-frame s with a deterministic payload
// and returns the frame and its payload.
func buildSuperFrame(t testing.TB, s superFrameSpec) (frame, payload []byte) {
	t.Helper()
	payload = make([]byte, s.payload)
	for i := range payload {
		payload[i] = byte(i*7 + i>>8)
	}
	eth := &layers.Ethernet{
		SrcMAC: net.HardwareAddr{0x02, 0, 0, 0, 0, 1},
		DstMAC: net.HardwareAddr{0x02, 0, 0, 0, 0, 2},
	}
	var ls []gopacket.SerializableLayer
	ls = append(ls, eth)
	next := layers.EthernetTypeIPv4
	if s.v6 {
		next = layers.EthernetTypeIPv6
	}
	if s.vlan {
		eth.EthernetType = layers.EthernetTypeDot1Q
		ls = append(ls, &layers.Dot1Q{VLANIdentifier: 100, Priority: 3, Type: next})
	} else {
		eth.EthernetType = next
	}
	tcp := &layers.TCP{
		SrcPort: 40000, DstPort: 5201,
		Seq: 0xfffff000, // wraps during the frame
		Ack: 12345, ACK: true, PSH: true, FIN: s.fin, CWR: s.cwr, ECE: s.cwr,
		Window: 512,
		Options: []layers.TCPOption{
			{OptionType: layers.TCPOptionKindNop, OptionLength: 1},
			{OptionType: layers.TCPOptionKindNop, OptionLength: 1},
			{OptionType: layers.TCPOptionKindTimestamps, OptionLength: 10, OptionData: []byte{1, 2, 3, 4, 5, 6, 7, 8}},
		},
	}
	if s.v6 {
		ip := &layers.IPv6{
			Version: 6, NextHeader: layers.IPProtocolTCP, HopLimit: 64,
			SrcIP: net.ParseIP("fd00::1"), DstIP: net.ParseIP("fd00::2"),
		}
		if err := tcp.SetNetworkLayerForChecksum(ip); err != nil {
			t.Fatal(err)
		}
		ls = append(ls, ip)
	} else {
		ip := &layers.IPv4{
			Version: 4, TTL: 64, Protocol: layers.IPProtocolTCP, Id: 0xfffe,
			Flags: layers.IPv4DontFragment,
			SrcIP: net.IPv4(10, 99, 0, 1), DstIP: net.IPv4(10, 99, 0, 2),
		}
		if err := tcp.SetNetworkLayerForChecksum(ip); err != nil {
			t.Fatal(err)
		}
		ls = append(ls, ip)
	}
	ls = append(ls, tcp, gopacket.Payload(payload))
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes(), payload
}

// superBuffer puts frame into a Buffer with the GSO metadata a TAP device
// would give it.
func superBuffer(frame []byte, v6 bool, mss int) *Buffer {
	b := NewBuffer(MaxFrame)
	b.SetData(frame)
	l4 := header.EthernetLen + 20
	if v6 {
		l4 = header.EthernetLen + 40
	}
	if binary.BigEndian.Uint16(frame[12:]) == header.EtherTypeVLAN {
		l4 += header.VLANTagLen
	}
	typ := GSOTCPv4
	if v6 {
		typ = GSOTCPv6
	}
	b.Meta.GSO = GSO{Type: typ, NeedsCsum: true, Size: uint16(mss), HdrLen: uint16(l4 + 32), CsumStart: uint16(l4), CsumOffset: 16}
	b.Meta.InPort = 7
	return b
}

func newBuffers(n, size int) []*Buffer {
	out := make([]*Buffer, n)
	for i := range out {
		out[i] = NewBuffer(size)
	}
	return out
}

// checkSegment decodes one segment with gopacket and checks it as
// checkFrame does; it must be TCP.
func checkSegment(t testing.TB, data []byte, strict bool) (gopacket.NetworkLayer, *layers.TCP) {
	t.Helper()
	nl, tl := checkFrame(t, data, strict)
	tcp, ok := tl.(*layers.TCP)
	if !ok {
		t.Fatalf("segment is not TCP: %T", tl)
	}
	return nl, tcp
}

// checkFrame decodes an Ethernet frame carrying TCP or UDP over IPv4 or
// IPv6 with gopacket, checks that it parses, that its IP lengths match the
// bytes, and that gopacket finds its checksums valid. When strict, the IP
// and L4 layers serialized again by gopacket with ComputeChecksums must
// also come out byte for byte the same (gopacket normalizes fields such as
// the TCP reserved bits, so fuzzed frames are not strict).
func checkFrame(t testing.TB, data []byte, strict bool) (gopacket.NetworkLayer, gopacket.TransportLayer) {
	t.Helper()
	p := gopacket.NewPacket(data, layers.LayerTypeEthernet, gopacket.Default)
	if el := p.ErrorLayer(); el != nil {
		t.Fatalf("frame does not parse: %v", el.Error())
	}
	nl, tl := p.NetworkLayer(), p.TransportLayer()
	if nl == nil || tl == nil {
		t.Fatalf("frame has no IP or no TCP/UDP layer: %v", p)
	}
	var ipBytes []byte
	var ipLayer gopacket.SerializableLayer
	var nlCopy gopacket.NetworkLayer
	switch ip := nl.(type) {
	case *layers.IPv4:
		ipBytes = append(bytes.Clone(ip.Contents), ip.Payload...)
		if int(ip.Length) != len(ipBytes) {
			t.Fatalf("IPv4 total length %d, datagram has %d bytes", ip.Length, len(ipBytes))
		}
		if _, r := ip.VerifyChecksum(); !r.Valid {
			t.Fatalf("IPv4 header checksum %#04x, want %#04x", r.Actual, r.Correct)
		}
		c := *ip
		ipLayer, nlCopy = &c, &c
	case *layers.IPv6:
		ipBytes = append(bytes.Clone(ip.Contents), ip.Payload...)
		if int(ip.Length) != len(ip.Payload) {
			t.Fatalf("IPv6 payload length %d, payload has %d bytes", ip.Length, len(ip.Payload))
		}
		c := *ip
		ipLayer, nlCopy = &c, &c
	default:
		t.Fatalf("network layer %T", nl)
	}
	var l4 gopacket.SerializableLayer
	var verify func() (error, gopacket.ChecksumVerificationResult)
	switch l := tl.(type) {
	case *layers.TCP:
		l.SetNetworkLayerForChecksum(nl)
		verify = l.VerifyChecksum
		c := *l
		c.SetNetworkLayerForChecksum(nlCopy)
		l4 = &c
	case *layers.UDP:
		l.SetNetworkLayerForChecksum(nl)
		verify = l.VerifyChecksum
		c := *l
		c.SetNetworkLayerForChecksum(nlCopy)
		l4 = &c
	default:
		t.Fatalf("transport layer %T", tl)
	}
	if err, r := verify(); err != nil || !r.Valid {
		t.Fatalf("%v checksum %#04x, want %#04x (%v)", tl.LayerType(), r.Actual, r.Correct, err)
	}
	if !strict {
		return nl, tl
	}
	again := gopacket.NewSerializeBuffer()
	err := gopacket.SerializeLayers(again, gopacket.SerializeOptions{ComputeChecksums: true},
		ipLayer, l4, gopacket.Payload(tl.LayerPayload()))
	if err != nil {
		t.Fatalf("serializing the frame again: %v", err)
	}
	if !bytes.Equal(again.Bytes(), ipBytes) {
		t.Fatalf("checksums differ from gopacket's:\n got  %x\n want %x", head(ipBytes), head(again.Bytes()))
	}
	return nl, tl
}

func head(b []byte) []byte { return b[:min(len(b), 80)] }

func TestSegment(t *testing.T) {
	tests := []struct {
		name string
		spec superFrameSpec
		mss  int
		want int // segments
	}{
		{"v4 64K", superFrameSpec{payload: 65535 - 20 - 32}, 1448, 46},
		{"v4 vlan fin cwr", superFrameSpec{vlan: true, payload: 10000, fin: true, cwr: true}, 1448, 7},
		{"v4 exact multiple", superFrameSpec{payload: 4 * 1000}, 1000, 4},
		{"v4 odd mss", superFrameSpec{payload: 3001, fin: true}, 1001, 3},
		{"v4 one segment", superFrameSpec{payload: 100}, 1448, 1},
		{"v4 no payload", superFrameSpec{payload: 0}, 1448, 1},
		{"v6 64K", superFrameSpec{v6: true, payload: MaxFrame - 18 - 40 - 32}, 1428, 46},
		{"v6 vlan fin cwr", superFrameSpec{v6: true, vlan: true, payload: 5000, fin: true, cwr: true}, 1428, 4},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			frame, payload := buildSuperFrame(t, tt.spec)
			src := superBuffer(frame, tt.spec.v6, tt.mss)
			if tt.spec.cwr {
				src.Meta.GSO.Type |= GSOECN
			}
			orig := bytes.Clone(src.Data())
			out := newBuffers(64, 2048)
			n, err := Segment(src, out)
			if err != nil {
				t.Fatal(err)
			}
			if n != tt.want {
				t.Fatalf("got %d segments, want %d", n, tt.want)
			}
			if !bytes.Equal(src.Data(), orig) {
				t.Fatal("Segment modified the source frame")
			}
			var got []byte
			var seq uint32
			var id uint16
			for i := 0; i < n; i++ {
				o := out[i]
				if o.Headroom() != Headroom {
					t.Errorf("segment %d: headroom %d", i, o.Headroom())
				}
				if o.Meta.GSO != (GSO{DataValid: true}) || o.Meta.InPort != 7 {
					t.Errorf("segment %d: meta %+v", i, o.Meta)
				}
				nl, tcp := checkSegment(t, o.Data(), true)
				if len(tcp.Payload) > tt.mss || (i < n-1 && len(tcp.Payload) != tt.mss) {
					t.Errorf("segment %d: %d bytes of payload, mss %d", i, len(tcp.Payload), tt.mss)
				}
				if i == 0 {
					seq = tcp.Seq
				} else if want := seq + uint32(i*tt.mss); tcp.Seq != want {
					t.Errorf("segment %d: seq %#x, want %#x", i, tcp.Seq, want)
				}
				if ip, ok := nl.(*layers.IPv4); ok {
					if i == 0 {
						id = ip.Id
					} else if ip.Id != id+uint16(i) {
						t.Errorf("segment %d: IPv4 id %#x, want %#x", i, ip.Id, id+uint16(i))
					}
				}
				last := i == n-1
				if tcp.FIN != (last && tt.spec.fin) || tcp.PSH != last {
					t.Errorf("segment %d: FIN %v PSH %v", i, tcp.FIN, tcp.PSH)
				}
				if tcp.CWR != (i == 0 && tt.spec.cwr) || tcp.ECE != tt.spec.cwr || !tcp.ACK {
					t.Errorf("segment %d: CWR %v ECE %v ACK %v", i, tcp.CWR, tcp.ECE, tcp.ACK)
				}
				got = append(got, tcp.Payload...)
			}
			if !bytes.Equal(got, payload) {
				t.Fatalf("concatenated payload (%d bytes) differs from the original (%d bytes)", len(got), len(payload))
			}
		})
	}
}

func TestSegmentErrors(t *testing.T) {
	frame, _ := buildSuperFrame(t, superFrameSpec{payload: 5000})
	good := func() *Buffer { return superBuffer(frame, false, 1000) }
	tests := []struct {
		name   string
		mutate func(b *Buffer) *Buffer
		out    []*Buffer
		want   error
	}{
		{"nil source", func(*Buffer) *Buffer { return nil }, newBuffers(8, 2048), ErrSegmentMalformed},
		{"not GSO", func(b *Buffer) *Buffer { b.Meta.GSO.Type = GSONone; return b }, newBuffers(8, 2048), ErrSegmentGSOType},
		{"UDP GSO", func(b *Buffer) *Buffer { b.Meta.GSO.Type = GSOUDP; return b }, newBuffers(8, 2048), ErrSegmentGSOType},
		{"type v6 on v4", func(b *Buffer) *Buffer { b.Meta.GSO.Type = GSOTCPv6; return b }, newBuffers(8, 2048), ErrSegmentMalformed},
		{"zero mss", func(b *Buffer) *Buffer { b.Meta.GSO.Size = 0; return b }, newBuffers(8, 2048), ErrSegmentMalformed},
		{"csum start", func(b *Buffer) *Buffer { b.Meta.GSO.CsumStart = 30; return b }, newBuffers(8, 2048), ErrSegmentMalformed},
		{"truncated", func(b *Buffer) *Buffer { b.Truncate(b.Len() - 1); return b }, newBuffers(8, 2048), ErrSegmentMalformed},
		{"fragment", func(b *Buffer) *Buffer { b.Data()[14+6] |= 0x20; return b }, newBuffers(8, 2048), ErrSegmentMalformed},
		{"udp", func(b *Buffer) *Buffer { b.Data()[14+9] = 17; return b }, newBuffers(8, 2048), ErrSegmentMalformed},
		{"data offset", func(b *Buffer) *Buffer { b.Data()[34+12] = 0x40; return b }, newBuffers(8, 2048), ErrSegmentMalformed},
		{"too few buffers", func(b *Buffer) *Buffer { return b }, newBuffers(4, 2048), ErrSegmentShort},
		{"small buffers", func(b *Buffer) *Buffer { return b }, newBuffers(8, 1000), ErrSegmentShort},
		{"nil buffer", func(b *Buffer) *Buffer { return b }, append(newBuffers(4, 2048), nil), ErrSegmentShort},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			src := tt.mutate(good())
			n, err := Segment(src, tt.out)
			if !errors.Is(err, tt.want) || n != 0 {
				t.Fatalf("Segment = %d, %v; want 0, %v", n, err, tt.want)
			}
		})
	}
	t.Run("source in out", func(t *testing.T) {
		src := good()
		out := newBuffers(8, 2048)
		out[3] = src
		if _, err := Segment(src, out); !errors.Is(err, ErrSegmentShort) {
			t.Fatalf("got %v, want %v", err, ErrSegmentShort)
		}
	})
	t.Run("padding ignored", func(t *testing.T) {
		padded := append(bytes.Clone(frame), 0, 0, 0, 0)
		src := superBuffer(padded, false, 1000)
		n, err := Segment(src, newBuffers(8, 2048))
		if err != nil || n != 5 {
			t.Fatalf("Segment = %d, %v; want 5, nil", n, err)
		}
	})
}

func TestSegmentAllocs(t *testing.T) {
	frame, _ := buildSuperFrame(t, superFrameSpec{payload: 65000})
	src := superBuffer(frame, false, 1448)
	out := newBuffers(64, 2048)
	allocs := testing.AllocsPerRun(100, func() {
		if _, err := Segment(src, out); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("Segment allocates %v times per call", allocs)
	}
}

func BenchmarkSegment(b *testing.B) {
	for _, v6 := range []bool{false, true} {
		name := "v4"
		mss := 1448
		if v6 {
			name, mss = "v6", 1428
		}
		b.Run(name, func(b *testing.B) {
			// The largest frame a TAP hands over: 14 + 65535 bytes.
			payload := 65535 - 20 - 32
			if v6 {
				payload -= 20
			}
			frame, _ := buildSuperFrame(b, superFrameSpec{v6: v6, payload: payload})
			src := superBuffer(frame, v6, mss)
			out := newBuffers(64, 2048)
			b.SetBytes(int64(len(frame)))
			b.ReportAllocs()
			var n int
			for b.Loop() {
				var err error
				if n, err = Segment(src, out); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(n), "ns/segment")
		})
	}
}

func FuzzSegment(f *testing.F) {
	for _, s := range []superFrameSpec{
		{payload: 3000}, {vlan: true, payload: 2000, fin: true}, {v6: true, payload: 2500, cwr: true}, {payload: 0},
	} {
		frame, _ := buildSuperFrame(f, s)
		typ := uint8(GSOTCPv4)
		if s.v6 {
			typ = uint8(GSOTCPv6)
		}
		f.Add(frame, typ, uint16(1000), uint16(0))
		f.Add(frame, typ, uint16(536), uint16(34))
	}
	out := newBuffers(32, 4096)
	src := NewBuffer(MaxFrame)
	f.Fuzz(func(t *testing.T, frame []byte, typ uint8, mss, csumStart uint16) {
		if len(frame) > MaxFrame {
			return
		}
		src.Reset()
		src.SetData(frame)
		src.Meta.GSO = GSO{Type: GSOType(typ), Size: mss, CsumStart: csumStart, NeedsCsum: true}
		n, err := Segment(src, out)
		if err != nil {
			if n != 0 {
				t.Fatalf("Segment returned %d segments with error %v", n, err)
			}
			return
		}
		var got []byte
		var hdrLen int
		for i := 0; i < n; i++ {
			_, tcp := checkSegment(t, out[i].Data(), false)
			if len(tcp.Payload) > int(mss) {
				t.Fatalf("segment %d has %d bytes of payload, mss %d", i, len(tcp.Payload), mss)
			}
			hdrLen = out[i].Len() - len(tcp.Payload)
			got = append(got, tcp.Payload...)
		}
		if want := frame[hdrLen:min(len(frame), hdrLen+len(got))]; !bytes.Equal(got, want) {
			t.Fatalf("concatenated payload differs from the source's")
		}
	})
}

func TestCompleteChecksum(t *testing.T) {
	src, dst := net.IPv4(10, 99, 0, 1), net.IPv4(10, 99, 0, 2)
	build := func(l4 gopacket.SerializableLayer, proto layers.IPProtocol, n int) []byte {
		ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: proto, SrcIP: src, DstIP: dst}
		switch l := l4.(type) {
		case *layers.TCP:
			l.SetNetworkLayerForChecksum(ip)
		case *layers.UDP:
			l.SetNetworkLayerForChecksum(ip)
		}
		payload := make([]byte, n)
		for i := range payload {
			payload[i] = byte(i * 13)
		}
		buf := gopacket.NewSerializeBuffer()
		err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true},
			&layers.Ethernet{SrcMAC: net.HardwareAddr{2, 0, 0, 0, 0, 1}, DstMAC: net.HardwareAddr{2, 0, 0, 0, 0, 2}, EthernetType: layers.EthernetTypeIPv4},
			ip, l4, gopacket.Payload(payload))
		if err != nil {
			t.Fatal(err)
		}
		return buf.Bytes()
	}
	tests := []struct {
		name       string
		frame      []byte
		proto      uint8
		csumOffset uint16
	}{
		{"tcp even", build(&layers.TCP{SrcPort: 1, DstPort: 2, ACK: true, Window: 9}, layers.IPProtocolTCP, 1000), header.ProtoTCP, 16},
		{"tcp odd", build(&layers.TCP{SrcPort: 1, DstPort: 2, ACK: true, Window: 9}, layers.IPProtocolTCP, 999), header.ProtoTCP, 16},
		{"udp", build(&layers.UDP{SrcPort: 40001, DstPort: 40002}, layers.IPProtocolUDP, 333), header.ProtoUDP, 6},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			const l4 = 34
			b := NewBuffer(2048)
			b.SetData(tt.frame)
			d := b.Data()
			want := binary.BigEndian.Uint16(d[l4+tt.csumOffset:])
			// Leave the field as the kernel does for CHECKSUM_PARTIAL: the
			// folded pseudo-header sum, not complemented.
			partial := header.PseudoHeaderChecksum(tt.proto, [4]byte(d[26:30]), [4]byte(d[30:34]), uint16(len(d)-l4))
			binary.BigEndian.PutUint16(d[l4+tt.csumOffset:], partial)
			b.Meta.GSO = GSO{NeedsCsum: true, CsumStart: l4, CsumOffset: tt.csumOffset}
			if err := CompleteChecksum(b); err != nil {
				t.Fatal(err)
			}
			if got := binary.BigEndian.Uint16(d[l4+tt.csumOffset:]); got != want {
				t.Fatalf("checksum %#04x, want %#04x", got, want)
			}
			if b.Meta.GSO.NeedsCsum || !b.Meta.GSO.DataValid {
				t.Fatalf("GSO after: %+v", b.Meta.GSO)
			}
			checkFrame(t, d, true)
			allocs := testing.AllocsPerRun(100, func() {
				b.Meta.GSO.NeedsCsum = true
				_ = CompleteChecksum(b)
			})
			if allocs != 0 {
				t.Fatalf("CompleteChecksum allocates %v times per call", allocs)
			}
		})
	}
}

func TestCompleteChecksumErrors(t *testing.T) {
	b := NewBuffer(2048)
	b.SetData(make([]byte, 60))
	if err := CompleteChecksum(b); err != nil {
		t.Fatalf("no NeedsCsum: %v", err)
	}
	b.Meta.GSO = GSO{NeedsCsum: true, CsumStart: 34, CsumOffset: 25}
	if err := CompleteChecksum(b); !errors.Is(err, ErrChecksumOffset) {
		t.Fatalf("field past the end: %v", err)
	}
	b.Meta.GSO = GSO{NeedsCsum: true, CsumStart: 61, CsumOffset: 0}
	if err := CompleteChecksum(b); !errors.Is(err, ErrChecksumOffset) {
		t.Fatalf("start past the end: %v", err)
	}
	b.Meta.GSO = GSO{Type: GSOTCPv4, NeedsCsum: true, CsumStart: 34, CsumOffset: 16}
	if err := CompleteChecksum(b); !errors.Is(err, ErrSegmentGSOType) {
		t.Fatalf("super-frame: %v", err)
	}
	if err := CompleteChecksum(nil); err == nil {
		t.Fatal("nil buffer: no error")
	}
}
