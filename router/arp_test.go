package router

import (
	"bytes"
	"net"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"neutrino/packet/header"
)

// The seed 002 router: qg- (0) with the gateway IP and two floating IPs,
// qr- (1) with the tenant subnet's gateway.
var (
	qgMAC  = [6]byte{0xfa, 0x16, 0x3e, 0x2e, 0x5b, 0x23}
	qrMAC  = [6]byte{0xfa, 0x16, 0x3e, 0x11, 0x22, 0x33}
	vmMAC  = [6]byte{0xfa, 0x16, 0x3e, 0xaa, 0xbb, 0xcc}
	outMAC = [6]byte{0x52, 0x54, 0x00, 0x12, 0x34, 0x56}
)

func seedResponder(t testing.TB) *Responder {
	t.Helper()
	r, err := NewResponder([]ARPInterface{
		{Index: 0, MAC: qgMAC, Addrs: []netip.Addr{ma("172.24.4.104")}, Proxy: []netip.Addr{ma("172.24.4.110"), ma("172.24.4.111")}},
		{Index: 1, MAC: qrMAC, Addrs: []netip.Addr{ma("10.0.0.1")}},
	})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// arpFrame serializes an ARP frame with gopacket, tagged when vlan > 0.
func arpFrame(t testing.TB, dst, src [6]byte, op uint16, sha [6]byte, spa string, tha [6]byte, tpa string, vlan uint16) []byte {
	t.Helper()
	eth := &layers.Ethernet{DstMAC: dst[:], SrcMAC: src[:], EthernetType: layers.EthernetTypeARP}
	ls := []gopacket.SerializableLayer{eth}
	if vlan > 0 {
		eth.EthernetType = layers.EthernetTypeDot1Q
		ls = append(ls, &layers.Dot1Q{VLANIdentifier: vlan, Type: layers.EthernetTypeARP})
	}
	s, tp := ma(spa).As4(), ma(tpa).As4()
	ls = append(ls, &layers.ARP{AddrType: layers.LinkTypeEthernet, Protocol: layers.EthernetTypeIPv4,
		HwAddressSize: 6, ProtAddressSize: 4, Operation: op,
		SourceHwAddress: sha[:], SourceProtAddress: s[:], DstHwAddress: tha[:], DstProtAddress: tp[:]})
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{}, ls...); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// decodeARP decodes frame with gopacket: the oracle.
func decodeARP(t *testing.T, frame []byte) (*layers.Ethernet, *layers.ARP, *layers.Dot1Q) {
	t.Helper()
	p := gopacket.NewPacket(frame, layers.LayerTypeEthernet, gopacket.Default)
	eth, _ := p.Layer(layers.LayerTypeEthernet).(*layers.Ethernet)
	arp, _ := p.Layer(layers.LayerTypeARP).(*layers.ARP)
	tag, _ := p.Layer(layers.LayerTypeDot1Q).(*layers.Dot1Q)
	if eth == nil || arp == nil {
		t.Fatalf("gopacket cannot decode %x: %v", frame, p.ErrorLayer())
	}
	return eth, arp, tag
}

var bcast = [6]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}

func TestARPAnswer(t *testing.T) {
	tests := []struct {
		name    string
		iface   int
		frame   []byte
		want    ARPVerdict
		replyIP string // the address answered for
		mac     [6]byte
	}{
		{"gateway of qr", 1, arpFrame(t, bcast, vmMAC, 1, vmMAC, "10.0.0.5", [6]byte{}, "10.0.0.1", 0), ARPAnswered, "10.0.0.1", qrMAC},
		{"gateway of qr, tagged", 1, arpFrame(t, bcast, vmMAC, 1, vmMAC, "10.0.0.5", [6]byte{}, "10.0.0.1", 7), ARPAnswered, "10.0.0.1", qrMAC},
		{"unicast probe", 1, arpFrame(t, qrMAC, vmMAC, 1, vmMAC, "10.0.0.5", [6]byte{}, "10.0.0.1", 0), ARPAnswered, "10.0.0.1", qrMAC},
		{"gateway IP on qg", 0, arpFrame(t, bcast, outMAC, 1, outMAC, "172.24.4.1", [6]byte{}, "172.24.4.104", 0), ARPAnswered, "172.24.4.104", qgMAC},
		{"floating IP", 0, arpFrame(t, bcast, outMAC, 1, outMAC, "172.24.4.1", [6]byte{}, "172.24.4.110", 0), ARPProxied, "172.24.4.110", qgMAC},
		{"other floating IP", 0, arpFrame(t, bcast, outMAC, 1, outMAC, "172.24.4.1", [6]byte{}, "172.24.4.111", 0), ARPProxied, "172.24.4.111", qgMAC},
		{"DAD probe", 1, arpFrame(t, bcast, vmMAC, 1, vmMAC, "0.0.0.0", [6]byte{}, "10.0.0.1", 0), ARPAnswered, "10.0.0.1", qrMAC},
		{"floating IP asked on qr", 1, arpFrame(t, bcast, vmMAC, 1, vmMAC, "10.0.0.5", [6]byte{}, "172.24.4.110", 0), ARPOther, "", [6]byte{}},
		{"another host", 1, arpFrame(t, bcast, vmMAC, 1, vmMAC, "10.0.0.5", [6]byte{}, "10.0.0.6", 0), ARPOther, "", [6]byte{}},
		{"gratuitous of a VM", 1, arpFrame(t, bcast, vmMAC, 1, vmMAC, "10.0.0.5", bcast, "10.0.0.5", 0), ARPOther, "", [6]byte{}},
		{"reply to us", 1, arpFrame(t, qrMAC, vmMAC, 2, vmMAC, "10.0.0.5", qrMAC, "10.0.0.1", 0), ARPReplyToUs, "", [6]byte{}},
		{"reply to a floating IP", 0, arpFrame(t, qgMAC, outMAC, 2, outMAC, "172.24.4.1", qgMAC, "172.24.4.110", 0), ARPOther, "", [6]byte{}},
		{"unicast to another MAC", 1, arpFrame(t, vmMAC, outMAC, 1, outMAC, "10.0.0.9", [6]byte{}, "10.0.0.1", 0), ARPOtherHost, "", [6]byte{}},
		{"claims our address", 1, arpFrame(t, bcast, vmMAC, 1, vmMAC, "10.0.0.1", [6]byte{}, "10.0.0.1", 0), ARPConflict, "", [6]byte{}},
		{"group sender MAC", 1, arpFrame(t, bcast, vmMAC, 1, [6]byte{1, 0, 0x5e, 0, 0, 1}, "10.0.0.5", [6]byte{}, "10.0.0.1", 0), ARPInvalid, "", [6]byte{}},
		{"unknown op", 1, arpFrame(t, bcast, vmMAC, 9, vmMAC, "10.0.0.5", [6]byte{}, "10.0.0.1", 0), ARPInvalid, "", [6]byte{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := seedResponder(t)
			var l header.Layout
			if m := header.Parse(tt.frame, &l); m != header.OK {
				t.Fatalf("Parse: %v", m)
			}
			in := bytes.Clone(tt.frame)
			res := r.Answer(tt.iface, tt.frame, &l)
			if res.Verdict != tt.want {
				t.Fatalf("verdict = %v, want %v", res.Verdict, tt.want)
			}
			ie, ia, itag := decodeARP(t, in)
			if tt.want != ARPAnswered && tt.want != ARPProxied {
				if !bytes.Equal(in, tt.frame) {
					t.Errorf("frame changed without an answer")
				}
				return
			}
			if res.SenderIP != [4]byte(ia.SourceProtAddress) || res.SenderMAC != [6]byte(ia.SourceHwAddress) {
				t.Errorf("sender = %v %v, want the request's", res.SenderIP, res.SenderMAC)
			}
			oe, oa, otag := decodeARP(t, tt.frame)
			want := layers.ARP{AddrType: layers.LinkTypeEthernet, Protocol: layers.EthernetTypeIPv4,
				HwAddressSize: 6, ProtAddressSize: 4, Operation: layers.ARPReply,
				SourceHwAddress: tt.mac[:], SourceProtAddress: ma(tt.replyIP).AsSlice(),
				DstHwAddress: ia.SourceHwAddress, DstProtAddress: ia.SourceProtAddress}
			ign := cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".BaseLayer" }, cmp.Ignore())
			if diff := cmp.Diff(want, *oa, ign); diff != "" {
				t.Errorf("ARP reply (-want +got):\n%s", diff)
			}
			if !bytes.Equal(oe.DstMAC, ie.SrcMAC) || !bytes.Equal(oe.SrcMAC, tt.mac[:]) {
				t.Errorf("Ethernet %v -> %v, want %v -> %v", oe.SrcMAC, oe.DstMAC, net.HardwareAddr(tt.mac[:]), ie.SrcMAC)
			}
			if (itag == nil) != (otag == nil) || itag != nil && itag.VLANIdentifier != otag.VLANIdentifier {
				t.Errorf("VLAN tag changed: %v -> %v", itag, otag)
			}
			if len(tt.frame) != len(in) {
				t.Errorf("length changed")
			}
		})
	}
}

func TestARPStats(t *testing.T) {
	r := seedResponder(t)
	for _, c := range []struct {
		iface int
		f     []byte
	}{
		{1, arpFrame(t, bcast, vmMAC, 1, vmMAC, "10.0.0.5", [6]byte{}, "10.0.0.1", 0)},
		{0, arpFrame(t, bcast, outMAC, 1, outMAC, "172.24.4.1", [6]byte{}, "172.24.4.110", 0)},
		{1, arpFrame(t, bcast, vmMAC, 1, vmMAC, "10.0.0.5", [6]byte{}, "10.0.0.9", 0)},
	} {
		var l header.Layout
		header.Parse(c.f, &l)
		r.Answer(c.iface, c.f, &l)
	}
	var l header.Layout
	r.Answer(1, make([]byte, 14), &l)
	want := ARPStats{Answered: 1, Proxied: 1, Other: 1, Invalid: 1}
	if diff := cmp.Diff(want, r.Stats()); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
}

func TestNewResponderErrors(t *testing.T) {
	if _, err := NewResponder([]ARPInterface{{Addrs: []netip.Addr{ma("fe80::1")}}}); err == nil {
		t.Error("IPv6 address accepted")
	}
	if _, err := NewResponder([]ARPInterface{{Addrs: []netip.Addr{ma("10.0.0.1")}, Proxy: []netip.Addr{ma("10.0.0.1")}}}); err == nil {
		t.Error("duplicate address accepted")
	}
}

func TestARPAnswerAllocs(t *testing.T) {
	r := seedResponder(t)
	req := arpFrame(t, bcast, vmMAC, 1, vmMAC, "10.0.0.5", [6]byte{}, "10.0.0.1", 0)
	f := make([]byte, len(req))
	var l header.Layout
	n := testing.AllocsPerRun(1000, func() {
		copy(f, req)
		header.Parse(f, &l)
		r.Answer(1, f, &l)
	})
	if n != 0 {
		t.Errorf("Answer allocates %v times", n)
	}
}

func TestBuildGratuitous(t *testing.T) {
	ip := ma("172.24.4.110").As4()
	for _, reply := range []bool{false, true} {
		buf := make([]byte, 64)
		n := BuildGratuitous(buf, qgMAC, ip, reply)
		if n != ARPFrameLen {
			t.Fatalf("n = %d", n)
		}
		eth, a, _ := decodeARP(t, buf[:n])
		op, tha := uint16(layers.ARPRequest), bcast[:] // arping -U
		if reply {
			op, tha = layers.ARPReply, qgMAC[:] // arping -A
		}
		want := layers.ARP{AddrType: layers.LinkTypeEthernet, Protocol: layers.EthernetTypeIPv4,
			HwAddressSize: 6, ProtAddressSize: 4, Operation: op,
			SourceHwAddress: qgMAC[:], SourceProtAddress: ip[:], DstHwAddress: tha, DstProtAddress: ip[:]}
		ign := cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".BaseLayer" }, cmp.Ignore())
		if diff := cmp.Diff(want, *a, ign); diff != "" {
			t.Errorf("reply=%v (-want +got):\n%s", reply, diff)
		}
		if !bytes.Equal(eth.DstMAC, bcast[:]) || !bytes.Equal(eth.SrcMAC, qgMAC[:]) {
			t.Errorf("Ethernet %v -> %v", eth.SrcMAC, eth.DstMAC)
		}
	}
	if BuildGratuitous(make([]byte, 41), qgMAC, ip, false) != 0 {
		t.Error("short buffer written")
	}
}

func TestBuildRequest(t *testing.T) {
	buf := make([]byte, ARPFrameLen)
	for _, to := range [][6]byte{{}, vmMAC} {
		n := BuildRequest(buf, qrMAC, ma("10.0.0.1").As4(), ma("10.0.0.5").As4(), to)
		eth, a, _ := decodeARP(t, buf[:n])
		wantDst := bcast
		if to != ([6]byte{}) {
			wantDst = to
		}
		if !bytes.Equal(eth.DstMAC, wantDst[:]) || a.Operation != layers.ARPRequest ||
			!bytes.Equal(a.SourceHwAddress, qrMAC[:]) || !bytes.Equal(a.DstHwAddress, make([]byte, 6)) ||
			netip.AddrFrom4([4]byte(a.SourceProtAddress)) != ma("10.0.0.1") || netip.AddrFrom4([4]byte(a.DstProtAddress)) != ma("10.0.0.5") {
			t.Errorf("request to %v: eth %v, arp %+v", to, eth.DstMAC, a)
		}
		// The router's own request is not answered by the router.
		var l header.Layout
		header.Parse(buf[:n], &l)
		if v := seedResponder(t).Answer(1, buf[:n], &l).Verdict; v != ARPConflict && v != ARPOtherHost {
			t.Errorf("own request: %v", v)
		}
	}
}

// FuzzARPAnswer feeds arbitrary frames to Answer on either interface: it
// never panics, changes a frame only when it answers, and an answer is what
// gopacket decodes as the reply to the request.
func FuzzARPAnswer(f *testing.F) {
	f.Add(arpFrame(f, bcast, vmMAC, 1, vmMAC, "10.0.0.5", [6]byte{}, "10.0.0.1", 0), uint8(1))
	f.Add(arpFrame(f, bcast, outMAC, 1, outMAC, "172.24.4.1", [6]byte{}, "172.24.4.110", 7), uint8(0))
	f.Add(arpFrame(f, qrMAC, vmMAC, 2, vmMAC, "10.0.0.5", qrMAC, "10.0.0.1", 0), uint8(1))
	f.Add([]byte{}, uint8(0))
	r := seedResponder(f)
	f.Fuzz(func(t *testing.T, frame []byte, iface uint8) {
		var l header.Layout
		header.Parse(frame, &l)
		in := bytes.Clone(frame)
		res := r.Answer(int(iface%3), frame, &l)
		if res.Verdict != ARPAnswered && res.Verdict != ARPProxied {
			if !bytes.Equal(in, frame) {
				t.Fatalf("verdict %v changed the frame", res.Verdict)
			}
			return
		}
		ie, ia, _ := decodeARP(t, in)
		oe, oa, _ := decodeARP(t, frame)
		if ia.Operation != layers.ARPRequest || oa.Operation != layers.ARPReply {
			t.Fatalf("op %d -> %d", ia.Operation, oa.Operation)
		}
		if !bytes.Equal(oa.DstHwAddress, ia.SourceHwAddress) || !bytes.Equal(oa.DstProtAddress, ia.SourceProtAddress) ||
			!bytes.Equal(oa.SourceProtAddress, ia.DstProtAddress) || !bytes.Equal(oe.DstMAC, ie.SrcMAC) ||
			!bytes.Equal(oe.SrcMAC, oa.SourceHwAddress) {
			t.Fatalf("reply not swapped:\n in  %x\n out %x", in, frame)
		}
		if !bytes.Equal(in[l.L3+header.ARPLen:], frame[l.L3+header.ARPLen:]) || !bytes.Equal(in[12:l.L3], frame[12:l.L3]) {
			t.Fatalf("bytes outside the addresses changed")
		}
	})
}
