package router

import (
	"bytes"
	"net"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"neutrino/packet/header"
)

func TestBuildICMPError(t *testing.T) {
	withOpts := ip4Hdr(vmIP, farIP, layers.IPProtocolUDP)
	withOpts.Options = []layers.IPv4Option{{OptionType: 7, OptionLength: 11, OptionData: make([]byte, 9)}} // record route
	dscpEF := ip4Hdr(vmIP, farIP, layers.IPProtocolUDP)
	dscpEF.TOS = 0xb8
	ce := ip4Hdr(vmIP, farIP, layers.IPProtocolUDP)
	ce.TOS = 0x03
	df := ip4Hdr(vmIP, farIP, layers.IPProtocolTCP)
	df.Flags = layers.IPv4DontFragment
	padded := append(udpDatagram(t, ip4Hdr(vmIP, farIP, layers.IPProtocolUDP), 4), make([]byte, 14)...)

	tests := []struct {
		name       string
		orig       []byte
		typ, code  uint8
		mtu        uint16
		wantTOS    uint8
		wantQuote  int
		wantSecond uint32 // the ICMP header's second word
	}{
		{"port unreachable, whole datagram quoted", udpDatagram(t, ip4Hdr(vmIP, gwIP, layers.IPProtocolUDP), 100), 3, 3, 0, 0xc0, 128, 0},
		{"TTL exceeded, long datagram cut at 548", udpDatagram(t, ip4Hdr(vmIP, farIP, layers.IPProtocolUDP), 1400), 11, 0, 1400, 0xc0, 548, 0},
		{"exactly 548 bytes", udpDatagram(t, ip4Hdr(vmIP, farIP, layers.IPProtocolUDP), 548-28), 3, 1, 0, 0xc0, 548, 0},
		{"549 bytes", udpDatagram(t, ip4Hdr(vmIP, farIP, layers.IPProtocolUDP), 549-28), 3, 1, 0, 0xc0, 548, 0},
		{"fragmentation needed carries the MTU", udpDatagram(t, df, 1472), 3, 4, 1400, 0xc0, 548, 1400},
		{"MTU only for code 4", udpDatagram(t, ip4Hdr(vmIP, farIP, layers.IPProtocolUDP), 8), 3, 1, 1400, 0xc0, 36, 0},
		{"options are quoted", udpDatagram(t, withOpts, 8), 3, 0, 0, 0xc0, 48, 0},
		{"DSCP EF: TOS bits kept, precedence set", udpDatagram(t, dscpEF, 8), 3, 1, 0, 0xd8, 36, 0},
		{"ECN CE: low ECN bit cleared", udpDatagram(t, ce, 8), 3, 1, 0, 0xc2, 36, 0},
		{"Ethernet padding is not quoted", padded, 3, 3, 0, 0xc0, 32, 0},
		{"parameter problem", udpDatagram(t, ip4Hdr(vmIP, farIP, layers.IPProtocolUDP), 8), 12, 0, 0, 0xc0, 36, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			buf := make([]byte, ICMPErrorFrameMax)
			n := BuildICMPError(buf, vmMAC, qrMAC, gwIP, tt.typ, tt.code, tt.mtu, tt.orig)
			if want := 14 + 20 + 8 + tt.wantQuote; n != want {
				t.Fatalf("n = %d, want %d", n, want)
			}
			d := decodeFrame(t, buf[:n])
			if !bytes.Equal(d.eth.DstMAC, vmMAC[:]) || !bytes.Equal(d.eth.SrcMAC, qrMAC[:]) {
				t.Errorf("Ethernet %v -> %v", d.eth.SrcMAC, d.eth.DstMAC)
			}
			ip := d.ip
			if ip.IHL != 5 || ip.TOS != tt.wantTOS || int(ip.Length) != n-14 || ip.Flags != 0 || ip.FragOffset != 0 ||
				ip.TTL != 64 || ip.Protocol != layers.IPProtocolICMPv4 ||
				!ip.SrcIP.Equal(net.IP(gwIP[:])) || !ip.DstIP.Equal(net.IP(vmIP[:])) {
				t.Errorf("IPv4 header %+v", ip)
			}
			if d.icmp == nil || d.icmp.TypeCode != layers.CreateICMPv4TypeCode(tt.typ, tt.code) {
				t.Fatalf("ICMP %+v", d.icmp)
			}
			if got := uint32(d.icmp.Id)<<16 | uint32(d.icmp.Seq); got != tt.wantSecond {
				t.Errorf("second word %#x, want %#x", got, tt.wantSecond)
			}
			if !bytes.Equal(d.icmp.Payload, tt.orig[:tt.wantQuote]) {
				t.Errorf("quote\n got %x\nwant %x", d.icmp.Payload, tt.orig[:tt.wantQuote])
			}
			// The quote decodes as the offending datagram's header.
			q := gopacket.NewPacket(d.icmp.Payload, layers.LayerTypeIPv4, gopacket.Default)
			qip, _ := q.Layer(layers.LayerTypeIPv4).(*layers.IPv4)
			if qip == nil || qip.Id != 0x4242 || !qip.SrcIP.Equal(net.IP(vmIP[:])) {
				t.Errorf("quoted header %+v", qip)
			}
			if BuildICMPError(make([]byte, n-1), vmMAC, qrMAC, gwIP, tt.typ, tt.code, tt.mtu, tt.orig) != 0 {
				t.Error("wrote into a buffer one byte short")
			}
		})
	}
}

func TestBuildICMPErrorRejects(t *testing.T) {
	good := udpDatagram(t, ip4Hdr(vmIP, farIP, layers.IPProtocolUDP), 8)
	v6 := bytes.Clone(good)
	v6[0] = 0x65
	longTL := bytes.Clone(good)
	longTL[3]++
	shortIHL := bytes.Clone(good)
	shortIHL[0] = 0x44
	for name, orig := range map[string][]byte{
		"empty": nil, "19 bytes": good[:19], "version 6": v6,
		"total length past the slice": longTL, "IHL 4": shortIHL,
	} {
		if n := BuildICMPError(make([]byte, ICMPErrorFrameMax), vmMAC, qrMAC, gwIP, 3, 1, 0, orig); n != 0 {
			t.Errorf("%s: n = %d", name, n)
		}
	}
}

// TestBuildICMPErrorInPlace builds the error in the buffer the offending
// frame lies in.
func TestBuildICMPErrorInPlace(t *testing.T) {
	orig := udpDatagram(t, ip4Hdr(vmIP, farIP, layers.IPProtocolUDP), 1000)
	want := make([]byte, ICMPErrorFrameMax)
	n := BuildICMPError(want, vmMAC, qrMAC, gwIP, 11, 0, 0, orig)

	buf := make([]byte, 2048)
	copy(buf[14:], orig)
	m := BuildICMPError(buf, vmMAC, qrMAC, gwIP, 11, 0, 0, buf[14:14+len(orig)])
	if m != n {
		t.Fatalf("n = %d, want %d", m, n)
	}
	// Only the identification (and so the header checksum) differs.
	ignoreID := func(f []byte) []byte {
		c := bytes.Clone(f)
		copy(c[18:20], []byte{0, 0})
		copy(c[24:26], []byte{0, 0})
		return c
	}
	if !bytes.Equal(ignoreID(buf[:m]), ignoreID(want[:n])) {
		t.Errorf("in place\n got %x\nwant %x", buf[:m], want[:n])
	}
	decodeFrame(t, buf[:m])
}

func TestICMPErrorIDs(t *testing.T) {
	orig := udpDatagram(t, ip4Hdr(vmIP, farIP, layers.IPProtocolUDP), 8)
	buf := make([]byte, ICMPErrorFrameMax)
	BuildICMPError(buf, vmMAC, qrMAC, gwIP, 3, 1, 0, orig)
	first := header.IPv4(buf[14:]).ID()
	BuildICMPError(buf, vmMAC, qrMAC, gwIP, 3, 1, 0, orig)
	if second := header.IPv4(buf[14:]).ID(); second != first+1 {
		t.Errorf("IDs %d then %d", first, second)
	}
}

func TestBuildICMPErrorAllocs(t *testing.T) {
	orig := udpDatagram(t, ip4Hdr(vmIP, farIP, layers.IPProtocolUDP), 1400)
	buf := make([]byte, ICMPErrorFrameMax)
	n := testing.AllocsPerRun(1000, func() {
		if ShouldSendError(orig) {
			BuildICMPError(buf, vmMAC, qrMAC, gwIP, 11, 0, 0, orig)
		}
	})
	if n != 0 {
		t.Errorf("ShouldSendError and BuildICMPError allocate %v times", n)
	}
}

func BenchmarkBuildICMPError(b *testing.B) {
	orig := udpDatagram(b, ip4Hdr(vmIP, farIP, layers.IPProtocolUDP), 1400)
	buf := make([]byte, ICMPErrorFrameMax)
	b.ReportAllocs()
	for b.Loop() {
		BuildICMPError(buf, vmMAC, qrMAC, gwIP, 11, 0, 0, orig)
	}
}
