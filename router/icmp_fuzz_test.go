package router

// Fuzz targets of the ICMP builders, the reset builder and Fragment, with
// gopacket as the oracle for what comes out. Run one at a time, e.g.
//
//	go test ./router -run '^$' -fuzz '^FuzzFragment$' -fuzztime 45s -fuzzminimizetime 200x
//
// A small -fuzzminimizetime keeps the fuzzer from spending a short run
// minimizing each new input it finds (seconds each for datagrams of a few
// hundred bytes).

import (
	"bytes"
	"encoding/binary"
	"net"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"neutrino/packet/header"
)

// FuzzEchoReply feeds arbitrary frames, parsed by header.Parse, to
// EchoReply: it never panics; a refused frame is untouched; a reply has
// every checksum right and is the request's answer; and every well-formed
// echo request gopacket sees is answered.
func FuzzEchoReply(f *testing.F) {
	withRR := echoReq(56)
	withRR.opts = recordRoute
	tagged := echoReq(20)
	tagged.vlan = 7
	for _, e := range []echoFrame{echoReq(0), echoReq(56), echoReq(57), withRR, tagged, {src: vmIP, dst: gwIP, typ: 8}} {
		f.Add(e.build(f))
	}
	f.Add(withEthernet(qrMAC, vmMAC, udpDatagram(f, ip4Hdr(vmIP, gwIP, layers.IPProtocolUDP), 8)))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, frame []byte) {
		var l header.Layout
		parsed := header.Parse(frame, &l) == header.OK
		in := bytes.Clone(frame)
		n, ok := EchoReply(frame, &l, qrMAC)
		if want, known := echoWanted(in, parsed); known && want != ok {
			t.Fatalf("EchoReply = %v, gopacket says %v for %x", ok, want, in)
		}
		if !ok {
			if n != 0 || !bytes.Equal(in, frame) {
				t.Fatalf("refused, but n = %d and the frame changed", n)
			}
			return
		}
		if n > len(in) {
			t.Fatalf("reply of %d bytes from a %d-byte frame", n, len(in))
		}
		// The request as the bytes say, options and all.
		rip := in[l.L3:]
		req := in[l.L4 : int(l.L3)+int(binary.BigEndian.Uint16(rip[2:4]))]
		d := decodeFrame(t, frame[:n])
		if d.icmp == nil || d.icmp.TypeCode != layers.CreateICMPv4TypeCode(0, req[1]) ||
			d.icmp.Id != binary.BigEndian.Uint16(req[4:6]) || d.icmp.Seq != binary.BigEndian.Uint16(req[6:8]) ||
			!bytes.Equal(d.icmp.Payload, req[8:]) {
			t.Fatalf("reply %+v to %x", d.icmp, req)
		}
		if d.ip.IHL != 5 || d.ip.TTL != 64 || !d.ip.SrcIP.Equal(net.IP(rip[16:20])) || !d.ip.DstIP.Equal(net.IP(rip[12:16])) ||
			!bytes.Equal(frame[0:6], in[6:12]) || !bytes.Equal(frame[6:12], qrMAC[:]) || n != int(l.L3)+20+len(req) {
			t.Fatalf("reply %x to %x", frame[:n], in)
		}
	})
}

// echoWanted says from gopacket's decoding whether frame is an echo
// request EchoReply must answer (none that header.Parse rejects); known is
// false when gopacket sees the frame differently enough that it cannot
// tell.
func echoWanted(frame []byte, parsed bool) (want, known bool) {
	if !parsed {
		return false, true
	}
	p := gopacket.NewPacket(frame, layers.LayerTypeEthernet, gopacket.Default)
	eth, _ := p.Layer(layers.LayerTypeEthernet).(*layers.Ethernet)
	ip, _ := p.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
	tags, etherType := 0, layers.EthernetType(0)
	if eth != nil {
		etherType = eth.EthernetType
	}
	for _, l := range p.Layers() {
		if tag, ok := l.(*layers.Dot1Q); ok {
			tags++
			etherType = tag.Type
		}
	}
	if eth == nil || ip == nil || p.ErrorLayer() != nil || tags > 1 { // header.Parse reads one tag
		return false, false
	}
	if etherType != layers.EthernetTypeIPv4 || ip.Version != 4 {
		return false, true // gopacket also reads IPv4 after EtherType 0xffff ("raw"), any version
	}
	if ip.Protocol != layers.IPProtocolICMPv4 || ip.Flags&layers.IPv4MoreFragments != 0 || ip.FragOffset != 0 {
		return false, true
	}
	m, _ := p.Layer(layers.LayerTypeICMPv4).(*layers.ICMPv4)
	if m == nil {
		return false, false
	}
	_, sum := m.VerifyChecksum()
	src, dst := ip.SrcIP.To4(), ip.DstIP.To4()
	return m.TypeCode.Type() == 8 && sum.Valid && eth.SrcMAC[0]&1 == 0 &&
		src[0] != 0 && !src.IsLoopback() && !src.IsMulticast() && src[0] < 240 &&
		!dst.IsMulticast() && !dst.Equal(net.IPv4bcast), true
}

// FuzzICMPError builds an error about arbitrary bytes: never a panic; a
// frame exactly when the bytes are a well-formed datagram, with every
// checksum right and the datagram quoted; and ShouldSendError only says
// yes to what Linux answers.
func FuzzICMPError(f *testing.F) {
	f.Add(udpDatagram(f, ip4Hdr(vmIP, farIP, layers.IPProtocolUDP), 1400), uint8(11), uint8(0), uint16(0))
	f.Add(icmpDatagram(f, ip4Hdr(vmIP, farIP, 0), 8, 0, 56), uint8(3), uint8(4), uint16(1400))
	f.Add(icmpDatagram(f, ip4Hdr(vmIP, farIP, 0), 3, 1, 28), uint8(3), uint8(1), uint16(0))
	f.Add(datagram(f, 100, []layers.IPv4Option{optLSRR, optRR}, 10, layers.IPv4MoreFragments), uint8(12), uint8(0), uint16(0))
	f.Add([]byte{}, uint8(3), uint8(3), uint16(0))
	f.Fuzz(func(t *testing.T, orig []byte, typ, code uint8, mtu uint16) {
		in := bytes.Clone(orig)
		should := ShouldSendError(orig)
		if want, known := errorWanted(orig); known && should != want {
			t.Fatalf("ShouldSendError = %v, want %v for %x", should, want, orig)
		}
		buf := make([]byte, ICMPErrorFrameMax)
		n := BuildICMPError(buf, vmMAC, qrMAC, gwIP, typ, code, mtu, orig)
		if !bytes.Equal(in, orig) {
			t.Fatal("the datagram changed")
		}
		valid := header.IPv4(orig).Check() == header.OK
		if (n > 0) != valid || should && !valid {
			t.Fatalf("n = %d, ShouldSendError %v for a datagram valid=%v", n, should, valid)
		}
		if n == 0 {
			return
		}
		quote := min(int(binary.BigEndian.Uint16(orig[2:4])), ICMPQuoteMax)
		d := decodeFrame(t, buf[:n])
		if n != 42+quote || d.icmp == nil || !bytes.Equal(d.icmp.Payload, orig[:quote]) ||
			!d.ip.DstIP.Equal(net.IP(orig[12:16])) || !d.ip.SrcIP.Equal(net.IP(gwIP[:])) {
			t.Fatalf("error %x about %x", buf[:n], orig)
		}
		if d.icmp.TypeCode != layers.CreateICMPv4TypeCode(typ, code) {
			t.Fatalf("type and code %v", d.icmp.TypeCode)
		}
		wantMTU := uint16(0)
		if typ == 3 && code == 4 {
			wantMTU = mtu
		}
		if d.icmp.Id != 0 || d.icmp.Seq != wantMTU {
			t.Fatalf("second word %#x %#x", d.icmp.Id, d.icmp.Seq)
		}
	})
}

// errorWanted is ShouldSendError written from RFC 1122 and Linux's rules
// over the raw bytes; known is false for bytes that are not a datagram.
func errorWanted(b []byte) (want, known bool) {
	if len(b) < 20 || b[0]>>4 != 4 || b[0]&15 < 5 || int(b[0]&15)*4 > len(b) {
		return false, false
	}
	hl, tl := int(b[0]&15)*4, int(binary.BigEndian.Uint16(b[2:4]))
	if tl < hl || tl > len(b) {
		return false, false
	}
	src, dst := net.IP(b[12:16]), net.IP(b[16:20])
	switch {
	case binary.BigEndian.Uint16(b[6:8])&0x1fff != 0:
		return false, true
	case src[0] == 0 || src.IsLoopback() || src.IsMulticast() || src[0] >= 240:
		return false, true
	case dst.IsMulticast() || dst.Equal(net.IPv4bcast):
		return false, true
	case b[9] == 1:
		if tl == hl {
			return false, true
		}
		t := b[hl]
		return t == 0 || t == 8 || t >= 13 && t <= 18, true
	}
	return true, true
}

// FuzzFragment cuts arbitrary bytes for an arbitrary MTU: never a panic;
// fragments exactly when Fragment's rules say so, each valid to gopacket
// with a right checksum, together the original payload.
func FuzzFragment(f *testing.F) {
	f.Add(datagram(f, 1400, nil, 0, 0), uint16(576))
	f.Add(datagram(f, 700, []layers.IPv4Option{optLSRR, optRR, optRA, optNOP}, 0, 0), uint16(300))
	f.Add(datagram(f, 300, []layers.IPv4Option{optTS, optRA}, 0, 0), uint16(68))
	f.Add(datagram(f, 600, nil, 185, layers.IPv4MoreFragments), uint16(576))
	f.Add(datagram(f, 600, nil, 0, layers.IPv4DontFragment), uint16(576))
	f.Add([]byte{}, uint16(0))
	f.Fuzz(func(t *testing.T, ip []byte, mtu16 uint16) {
		mtu := int(mtu16)
		in := bytes.Clone(ip)
		var c collector
		n, ok := Fragment(ip, mtu, c.next)
		if !bytes.Equal(in, ip) {
			t.Fatal("the datagram changed")
		}
		if want := fragmentWanted(ip, mtu); ok != want {
			t.Fatalf("Fragment = %d, %v, want ok %v for %x at MTU %d", n, ok, want, ip, mtu)
		}
		if !ok {
			if n != 0 || len(c.frags) != 0 {
				t.Fatalf("refused after writing %d fragments", len(c.frags))
			}
			return
		}
		if n != len(c.frags) {
			t.Fatalf("n = %d for %d fragments", n, len(c.frags))
		}
		tl := int(binary.BigEndian.Uint16(ip[2:4]))
		if tl <= mtu {
			if n != 1 || !bytes.Equal(c.frags[0], ip[:tl]) {
				t.Fatalf("a datagram that fits was changed: %x", c.frags)
			}
			return
		}
		checkFragments(t, ip, mtu, c.frags)
	})
}

// fragmentWanted says whether Fragment must succeed for ip and mtu, with
// gopacket's decoding as the judge of the options.
func fragmentWanted(ip []byte, mtu int) bool {
	if header.IPv4(ip).Check() != header.OK {
		return false
	}
	hl, tl := int(ip[0]&15)*4, int(binary.BigEndian.Uint16(ip[2:4]))
	if tl <= mtu {
		return true
	}
	var o layers.IPv4
	ff := binary.BigEndian.Uint16(ip[6:8])
	return o.DecodeFromBytes(ip, gopacket.NilDecodeFeedback) == nil && ff&0x4000 == 0 &&
		mtu-hl >= 8 && int(ff&0x1fff)*8+tl-hl <= 65535
}

// FuzzTCPReset answers arbitrary bytes with a reset: never a panic; when
// there is one, every checksum is right and its numbers follow the
// segment's.
func FuzzTCPReset(f *testing.F) {
	f.Add(tcpSegment{syn: true, seq: 1000}.build(f))
	f.Add(tcpSegment{ack: true, seq: 1, ackNum: 99, n: 30}.build(f))
	f.Add(tcpSegment{fin: true, syn: true, seq: 0xffffffff, n: 3}.build(f))
	f.Add(tcpSegment{rst: true}.build(f))
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, orig []byte) {
		buf := make([]byte, TCPResetFrameLen)
		n := BuildTCPReset(buf, vmMAC, qrMAC, orig)
		if n == 0 {
			if !bytes.Equal(buf, make([]byte, TCPResetFrameLen)) {
				t.Fatal("no reset, but the buffer was written")
			}
			return
		}
		d := decodeFrame(t, buf[:n])
		o := header.IPv4(orig)
		seg := header.TCP(o.Payload())
		if d.tcp == nil || !d.tcp.RST || d.tcp.SrcPort != layers.TCPPort(seg.DstPort()) || d.tcp.DstPort != layers.TCPPort(seg.SrcPort()) {
			t.Fatalf("reset %x to %x", buf[:n], orig)
		}
		if seg.Flags()&header.TCPFlagRST != 0 || !seg.ChecksumValid(o.Src(), o.Dst()) {
			t.Fatalf("reset answers a reset or a bad checksum: %x", orig)
		}
		if seg.Flags()&header.TCPFlagACK != 0 {
			if d.tcp.ACK || d.tcp.Seq != seg.Ack() {
				t.Fatalf("reset %+v to an ACK %d", d.tcp, seg.Ack())
			}
		} else {
			want := seg.Seq() + uint32(len(seg.Payload()))
			if seg.Flags()&header.TCPFlagSYN != 0 {
				want++
			}
			if seg.Flags()&header.TCPFlagFIN != 0 {
				want++
			}
			if !d.tcp.ACK || d.tcp.Seq != 0 || d.tcp.Ack != want {
				t.Fatalf("reset %+v, want ack %d", d.tcp, want)
			}
		}
	})
}
