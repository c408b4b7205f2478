package header

import (
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"
)

// arpFields is everything the ARP view reports.
type arpFields struct {
	EthernetIPv4             bool
	HardwareType, ProtoType  uint16
	HardwareLen, ProtocolLen uint8
	Op                       uint16
	SHA, THA                 [6]byte
	SPA, TPA                 [4]byte
	Sender, Target           netip.Addr
}

func arpFieldsOf(b ARP) arpFields {
	return arpFields{EthernetIPv4: b.IsEthernetIPv4(), HardwareType: b.HardwareType(), ProtoType: b.ProtocolType(),
		HardwareLen: b.HardwareLen(), ProtocolLen: b.ProtocolLen(), Op: b.Op(),
		SHA: b.SHA(), THA: b.THA(), SPA: b.SPA(), TPA: b.TPA(), Sender: b.SenderAddr(), Target: b.TargetAddr()}
}

func TestARP(t *testing.T) {
	req := arpFrame(t)[EthernetLen:]
	reply := serialize(t, &layers.ARP{AddrType: layers.LinkTypeEthernet, Protocol: layers.EthernetTypeIPv4,
		HwAddressSize: 6, ProtAddressSize: 4, Operation: layers.ARPReply,
		SourceHwAddress: macB, SourceProtAddress: ipB, DstHwAddress: macA, DstProtAddress: ipA})
	ieee802 := clone(req)
	ieee802[1] = 6 // htype IEEE 802
	tests := []struct {
		name  string
		pkt   []byte
		valid bool
		want  arpFields
	}{
		{"request", req, true, arpFields{EthernetIPv4: true, HardwareType: 1, ProtoType: 0x0800, HardwareLen: 6,
			ProtocolLen: 4, Op: ARPRequest, SHA: [6]byte(macA), SPA: [4]byte(ipA), TPA: [4]byte(ipB),
			Sender: netip.MustParseAddr("10.0.0.1"), Target: netip.MustParseAddr("192.168.7.200")}},
		{"reply", reply, true, arpFields{EthernetIPv4: true, HardwareType: 1, ProtoType: 0x0800, HardwareLen: 6,
			ProtocolLen: 4, Op: ARPReply, SHA: [6]byte(macB), THA: [6]byte(macA), SPA: [4]byte(ipB), TPA: [4]byte(ipA),
			Sender: netip.MustParseAddr("192.168.7.200"), Target: netip.MustParseAddr("10.0.0.1")}},
		{"ieee 802 hardware", ieee802, true, arpFields{EthernetIPv4: false, HardwareType: 6, ProtoType: 0x0800,
			HardwareLen: 6, ProtocolLen: 4, Op: ARPRequest, SHA: [6]byte(macA), SPA: [4]byte(ipA), TPA: [4]byte(ipB),
			Sender: netip.MustParseAddr("10.0.0.1"), Target: netip.MustParseAddr("192.168.7.200")}},
		{"27 bytes", req[:27], false, arpFields{}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := ARP(tt.pkt)
			if got := b.Valid(); got != tt.valid {
				t.Fatalf("Valid() = %v, want %v", got, tt.valid)
			}
			if !tt.valid {
				return
			}
			if diff := cmp.Diff(tt.want, arpFieldsOf(b), addrComparer); diff != "" {
				t.Errorf("fields (-want +got):\n%s", diff)
			}
		})
	}
}

func TestARPSetters(t *testing.T) {
	want := serialize(t, &layers.ARP{AddrType: layers.LinkTypeEthernet, Protocol: layers.EthernetTypeIPv4,
		HwAddressSize: 6, ProtAddressSize: 4, Operation: layers.ARPReply,
		SourceHwAddress: macB, SourceProtAddress: ipB, DstHwAddress: macA, DstProtAddress: ipA})
	got := make(ARP, ARPLen)
	got.SetEthernetIPv4()
	got.SetOp(ARPReply)
	got.SetSHA([6]byte(macB))
	got.SetSPA([4]byte(ipB))
	got.SetTHA([6]byte(macA))
	got.SetTPA([4]byte(ipA))
	if diff := cmp.Diff(want, []byte(got)); diff != "" {
		t.Errorf("bytes (-want +got):\n%s", diff)
	}
}

// arpFieldsFromGopacket is what gopacket decoded, in our terms; only
// meaningful when gopacket saw 6-byte and 4-byte addresses.
func arpFieldsFromGopacket(a *layers.ARP) arpFields {
	f := arpFields{HardwareType: uint16(a.AddrType), ProtoType: uint16(a.Protocol),
		HardwareLen: a.HwAddressSize, ProtocolLen: a.ProtAddressSize, Op: a.Operation,
		SHA: [6]byte(a.SourceHwAddress), THA: [6]byte(a.DstHwAddress),
		SPA: [4]byte(a.SourceProtAddress), TPA: [4]byte(a.DstProtAddress)}
	f.EthernetIPv4 = f.HardwareType == 1 && f.ProtoType == 0x0800
	f.Sender, f.Target = netip.AddrFrom4(f.SPA), netip.AddrFrom4(f.TPA)
	return f
}

// decodeARP decodes b with gopacket.
func decodeARP(b []byte) (*layers.ARP, error) {
	var a layers.ARP
	return &a, a.DecodeFromBytes(b, gopacket.NilDecodeFeedback)
}
