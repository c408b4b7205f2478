package router

import (
	"bytes"
	"net"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"neutrino/packet/header"
)

// tcpSegment is an IPv4/TCP datagram from vmIP:40000 to the router's port
// 22 with the given flags, numbers and n bytes of data.
type tcpSegment struct {
	syn, ack, fin, rst, psh bool
	seq, ackNum             uint32
	n                       int
	tos                     uint8
	src, dst                [4]byte
	flags                   layers.IPv4Flag
}

func (s tcpSegment) build(t testing.TB) []byte {
	t.Helper()
	if s.src == ([4]byte{}) {
		s.src = vmIP
	}
	if s.dst == ([4]byte{}) {
		s.dst = gwIP
	}
	ip := ip4Hdr(s.src, s.dst, layers.IPProtocolTCP)
	ip.TOS, ip.Flags = s.tos, s.flags
	tcp := &layers.TCP{SrcPort: 40000, DstPort: 22, Seq: s.seq, Ack: s.ackNum, Window: 64240,
		SYN: s.syn, ACK: s.ack, FIN: s.fin, RST: s.rst, PSH: s.psh}
	if s.syn {
		tcp.Options = []layers.TCPOption{{OptionType: layers.TCPOptionKindMSS, OptionLength: 4, OptionData: []byte{0x05, 0xb4}}}
	}
	if err := tcp.SetNetworkLayerForChecksum(ip); err != nil {
		t.Fatal(err)
	}
	return serializeLayers(t, ip, tcp, gopacket.Payload(pattern(s.n)))
}

func TestBuildTCPReset(t *testing.T) {
	tests := []struct {
		name     string
		seg      tcpSegment
		seq, ack uint32
		ackFlag  bool
		tos      uint8
	}{
		{"SYN", tcpSegment{syn: true, seq: 1000}, 0, 1001, true, 0},
		{"SYN with data", tcpSegment{syn: true, seq: 1000, n: 10}, 0, 1011, true, 0},
		{"SYN at the end of the sequence space", tcpSegment{syn: true, seq: 0xffffffff}, 0, 0, true, 0},
		{"ACK with data", tcpSegment{ack: true, psh: true, seq: 77, ackNum: 5000, n: 100}, 5000, 0, false, 0},
		{"SYN-ACK", tcpSegment{syn: true, ack: true, seq: 9, ackNum: 0xfffffff0}, 0xfffffff0, 0, false, 0},
		{"FIN with data", tcpSegment{fin: true, seq: 7, n: 10}, 0, 18, true, 0},
		{"SYN and FIN", tcpSegment{syn: true, fin: true, seq: 7}, 0, 9, true, 0},
		{"no flags, data", tcpSegment{seq: 100, n: 1}, 0, 101, true, 0},
		{"TOS kept, ECN cleared", tcpSegment{syn: true, seq: 1, tos: 0xbb}, 0, 2, true, 0xb8},
		{"DF segment", tcpSegment{syn: true, seq: 1, flags: layers.IPv4DontFragment}, 0, 2, true, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			orig := tt.seg.build(t)
			buf := make([]byte, 64)
			n := BuildTCPReset(buf, vmMAC, qrMAC, orig)
			if n != TCPResetFrameLen {
				t.Fatalf("n = %d", n)
			}
			d := decodeFrame(t, buf[:n])
			if !bytes.Equal(d.eth.DstMAC, vmMAC[:]) || !bytes.Equal(d.eth.SrcMAC, qrMAC[:]) {
				t.Errorf("Ethernet %v -> %v", d.eth.SrcMAC, d.eth.DstMAC)
			}
			ip := d.ip
			if ip.IHL != 5 || ip.TOS != tt.tos || ip.Length != 40 || ip.Flags != layers.IPv4DontFragment ||
				ip.Id != 0 || ip.TTL != 64 || ip.Protocol != layers.IPProtocolTCP ||
				!ip.SrcIP.Equal(net.IP(gwIP[:])) || !ip.DstIP.Equal(net.IP(vmIP[:])) {
				t.Errorf("IPv4 %+v", ip)
			}
			r := d.tcp
			if r == nil {
				t.Fatal("no TCP")
			}
			if r.SrcPort != 22 || r.DstPort != 40000 || r.DataOffset != 5 || len(r.Options) != 0 || len(r.Payload) != 0 ||
				!r.RST || r.ACK != tt.ackFlag || r.SYN || r.FIN || r.PSH || r.URG || r.ECE || r.CWR || r.NS ||
				r.Window != 0 || r.Urgent != 0 || r.Seq != tt.seq || r.Ack != tt.ack {
				t.Errorf("TCP %+v", r)
			}
		})
	}
}

func TestBuildTCPResetRefuses(t *testing.T) {
	badSum := tcpSegment{syn: true, seq: 5}.build(t)
	badSum[20+16] ^= 1
	udp := udpDatagram(t, ip4Hdr(vmIP, gwIP, layers.IPProtocolUDP), 20)
	shortHdr := tcpSegment{ack: true}.build(t)
	shortHdr[20+12] = 0x40 // data offset 4
	tests := []struct {
		name string
		orig []byte
		buf  int
	}{
		{"RST", tcpSegment{rst: true, seq: 5}.build(t), 64},
		{"RST-ACK", tcpSegment{rst: true, ack: true, seq: 5}.build(t), 64},
		{"bad checksum", badSum, 64},
		{"first fragment", tcpSegment{syn: true, flags: layers.IPv4MoreFragments}.build(t), 64},
		{"UDP", udp, 64},
		{"data offset 4", shortHdr, 64},
		{"header cut short", tcpSegment{ack: true}.build(t)[:30], 64},
		{"from a multicast address", tcpSegment{syn: true, src: mcastIP}.build(t), 64},
		{"from loopback", tcpSegment{syn: true, src: [4]byte{127, 0, 0, 2}}.build(t), 64},
		{"to the limited broadcast", tcpSegment{syn: true, dst: limBcst}.build(t), 64},
		{"buffer one byte short", tcpSegment{syn: true}.build(t), TCPResetFrameLen - 1},
		{"empty", nil, 64},
	}
	for _, tt := range tests {
		buf := make([]byte, tt.buf)
		if n := BuildTCPReset(buf, vmMAC, qrMAC, tt.orig); n != 0 {
			t.Errorf("%s: n = %d", tt.name, n)
		}
		if !bytes.Equal(buf, make([]byte, tt.buf)) {
			t.Errorf("%s: buffer written", tt.name)
		}
	}
}

// TestBuildTCPResetInPlace answers in the buffer of the segment's frame.
func TestBuildTCPResetInPlace(t *testing.T) {
	orig := tcpSegment{ack: true, seq: 1, ackNum: 99, n: 300}.build(t)
	want := make([]byte, TCPResetFrameLen)
	BuildTCPReset(want, vmMAC, qrMAC, orig)
	f := withEthernet(qrMAC, vmMAC, orig)
	if n := BuildTCPReset(f, vmMAC, qrMAC, f[14:]); n != TCPResetFrameLen || !bytes.Equal(f[:n], want) {
		t.Errorf("in place\n got %x\nwant %x", f[:TCPResetFrameLen], want)
	}
	if r := header.TCP(f[34:TCPResetFrameLen]); r.Seq() != 99 {
		t.Errorf("seq %d", r.Seq())
	}
}

func TestBuildTCPResetAllocs(t *testing.T) {
	orig := tcpSegment{syn: true, seq: 1}.build(t)
	buf := make([]byte, TCPResetFrameLen)
	if n := testing.AllocsPerRun(1000, func() { BuildTCPReset(buf, vmMAC, qrMAC, orig) }); n != 0 {
		t.Errorf("BuildTCPReset allocates %v times", n)
	}
}

func BenchmarkBuildTCPReset(b *testing.B) {
	orig := tcpSegment{syn: true, seq: 1}.build(b)
	buf := make([]byte, TCPResetFrameLen)
	b.ReportAllocs()
	for b.Loop() {
		BuildTCPReset(buf, vmMAC, qrMAC, orig)
	}
}
