package datapath

import (
	"log/slog"
	"net"
	"testing"

	"github.com/gopacket/gopacket"
	"github.com/gopacket/gopacket/layers"

	"neutrino/configs"
	"neutrino/link"
	"neutrino/link/mem"
)

// memNode builds a node whose ports are in-memory endpoints, returned by
// port name.
func memNode(t testing.TB, spec *Spec, opts Options, epOpts ...mem.Option) (*Node, map[string]*mem.Endpoint) {
	t.Helper()
	eps := map[string]*mem.Endpoint{}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	opts.Open = func(ps PortSpec) (link.Endpoint, error) {
		o := []mem.Option{mem.WithMTU(ps.MTU)}
		if ps.Kind == PortVM {
			// VM ports take offloads, as TAP devices do; uplinks
			// take none, as AF_PACKET sockets.
			o = append(o, mem.WithCaps(link.CapCsumPartial|link.CapGSO))
		}
		o = append(o, epOpts...)
		e := mem.New(ps.Name, o...)
		eps[ps.Name] = e
		return e, nil
	}
	n, err := New(spec, opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.Close() })
	return n, eps
}

// twoNetSpec is a node with networks red (lvid 1, vlan 101) and blue
// (lvid 2, vlan 102) and ext (lvid 3, flat) on uplink physnet1, ports r1,
// r2 on red, b1 on blue, e1 on ext.
func twoNetSpec() *Spec {
	return &Spec{
		Node: "test",
		Networks: []NetworkSpec{
			{Name: "red", Type: "vlan", Segment: 101, Physical: "physnet1", MTU: 1500, LVID: 1},
			{Name: "blue", Type: "vlan", Segment: 102, Physical: "physnet1", MTU: 1500, LVID: 2},
			{Name: "ext", Type: "flat", Physical: "physnet1", MTU: 1500, LVID: 3},
		},
		Ports: []PortSpec{
			{Name: "r1", Device: "tapr1", MAC: mac(0x11), MTU: 1500, Network: "red", LVID: 1},
			{Name: "r2", Device: "tapr2", MAC: mac(0x12), MTU: 1500, Network: "red", LVID: 1},
			{Name: "b1", Device: "tapb1", MAC: mac(0x21), MTU: 1500, Network: "blue", LVID: 2},
			{Name: "e1", Device: "tape1", MAC: mac(0x31), MTU: 1500, Network: "ext", LVID: 3},
			{Name: "physnet1", Kind: PortUplink, Attach: AttachExisting, Device: "eth1", MTU: 1500,
				Untagged: 3, Tags: map[uint16]uint16{101: 1, 102: 2}},
		},
	}
}

func mac(last byte) net.HardwareAddr { return net.HardwareAddr{0xfa, 0x16, 0x3e, 0, 0, last} }

var broadcast = net.HardwareAddr{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}

// udpFrame builds an Ethernet/IPv4/UDP frame, tagged when vid != 0.
func udpFrame(t testing.TB, src, dst net.HardwareAddr, vid uint16, payload int) []byte {
	t.Helper()
	eth := &layers.Ethernet{SrcMAC: src, DstMAC: dst, EthernetType: layers.EthernetTypeIPv4}
	ip := &layers.IPv4{Version: 4, TTL: 64, Protocol: layers.IPProtocolUDP,
		SrcIP: net.IP{10, 0, 0, src[5]}, DstIP: net.IP{10, 0, 0, dst[5]}}
	udp := &layers.UDP{SrcPort: 4000, DstPort: 5000}
	udp.SetNetworkLayerForChecksum(ip)
	ls := []gopacket.SerializableLayer{eth}
	if vid != 0 {
		eth.EthernetType = layers.EthernetTypeDot1Q
		ls = append(ls, &layers.Dot1Q{VLANIdentifier: vid, Type: layers.EthernetTypeIPv4})
	}
	ls = append(ls, ip, udp, gopacket.Payload(make([]byte, payload)))
	buf := gopacket.NewSerializeBuffer()
	if err := gopacket.SerializeLayers(buf, gopacket.SerializeOptions{FixLengths: true, ComputeChecksums: true}, ls...); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// loadTestSpec loads a topology file and resolves a node of it.
func loadTestSpec(t testing.TB, path, node string) *Spec {
	t.Helper()
	topo, err := configs.Load(path)
	if err != nil {
		t.Fatal(err)
	}
	v, err := topo.Node(node)
	if err != nil {
		t.Fatal(err)
	}
	spec, err := SpecFromView(v)
	if err != nil {
		t.Fatal(err)
	}
	return spec
}
