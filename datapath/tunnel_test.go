package datapath

import (
	"net"
	"net/netip"
	"testing"

	"github.com/gopacket/gopacket/layers"

	"neutrino/packet/header"
)

const twoNode = "../configs/examples/two-node-vxlan.yaml"

func TestTunnelL2pop(t *testing.T) {
	l := newTunnelLab(t, twoNode, "network01", "compute01")
	vm1, vm2, probe := l.mac("network01", "vm1"), l.mac("compute01", "vm2"), l.mac("compute01", "probe")
	ip1, ip2 := v4("10.10.0.11"), v4("10.10.0.12")

	// ARP for vm2 is answered on network01 (table 21): nothing crosses.
	sent := len(l.fabric.Sent())
	l.send("network01", "vm1", arpWhoHas(t, vm1, ip1, ip2))
	out := l.out("network01")
	if len(out["vm1"]) != 1 {
		t.Fatalf("vm1 got %d frames, want the responder's reply", len(out["vm1"]))
	}
	p := checked(t, out["vm1"][0])
	a, ok := p.Layer(layers.LayerTypeARP).(*layers.ARP)
	if !ok || a.Operation != layers.ARPReply || net16(a.SourceHwAddress) != net16(vm2) || netip.AddrFrom4([4]byte(a.SourceProtAddress)) != netip.MustParseAddr("10.10.0.12") {
		t.Fatalf("reply %v, want 10.10.0.12 is-at %s", p, vm2)
	}
	if got := len(l.fabric.Sent()) - sent; got != 0 {
		t.Errorf("%d datagrams for an ARP the responder knows", got)
	}

	// vm1 -> vm2: one datagram to compute01 (table 20), VNI 100.
	l.send("network01", "vm1", echo(t, vm1, vm2, ip1, ip2, 64, 1, 1, false))
	ds := l.fabric.Sent()[sent:]
	if len(ds) != 1 || ds[0].To.Addr() != netip.MustParseAddr("10.168.7.17") || ds[0].To.Port() != 4789 {
		t.Fatalf("datagrams %+v, want one to 10.168.7.17:4789", ds)
	}
	v := header.VXLAN(ds[0].Payload)
	if !v.HasVNI() || v.VNI() != 100 {
		t.Errorf("VXLAN header %x, want the I flag and VNI 100", ds[0].Payload[:8])
	}
	got := l.out("compute01")
	if len(got["vm2"]) != 1 {
		t.Fatalf("compute01 out %v, want the echo at vm2", ports(got))
	}
	wantAddrs(t, checked(t, got["vm2"][0]), ip1, ip2, vm1, vm2)
	// And back.
	l.send("compute01", "vm2", echo(t, vm2, vm1, ip2, ip1, 64, 1, 1, true))
	if back := l.out("network01"); len(back["vm1"]) != 1 {
		t.Fatalf("network01 out %v, want the reply at vm1", ports(back))
	}

	// A broadcast floods to the other node (table 22), where probe (no
	// port security) takes it.
	sent = len(l.fabric.Sent())
	l.send("network01", "vm1", arpWhoHas(t, vm1, ip1, v4("10.10.0.99")))
	if ds := l.fabric.Sent()[sent:]; len(ds) != 1 {
		t.Fatalf("%d datagrams for a broadcast, want 1 (one other node)", len(ds))
	}
	if got := l.out("compute01"); len(got["probe"]) != 1 {
		t.Errorf("compute01 out %v, want the broadcast at probe", ports(got))
	}

	// show tunnels and fdb: one VTEP, its frames each way; vm2's MAC on
	// br-tun, placed by l2pop.
	ti, ok := l.nodes["network01"].Tunnels()
	if !ok || len(ti.VTEPs) != 1 || ti.VTEPs[0].Address != "10.168.7.17" || ti.VTEPs[0].Port != "vxlan-0aa80711" ||
		ti.VTEPs[0].TxFrames != 2 || ti.VTEPs[0].RxFrames != 1 || ti.ARPAnswered != 1 {
		t.Errorf("tunnels %+v", ti)
	}
	if len(ti.Networks) != 1 || ti.Networks[0].VNI != 100 || len(ti.Networks[0].Flood) != 1 || ti.Networks[0].FDB != 2 {
		t.Errorf("tunnel networks %+v, want VNI 100 flooding to compute01 with 2 l2pop entries (vm2, probe)", ti.Networks)
	}
	found := false
	for _, e := range l.nodes["network01"].FDB() {
		if e.MAC == vm2.String() {
			found = true
			if e.Port != "br-tun" || e.VTEP != "10.168.7.17" || e.Source != "l2pop" {
				t.Errorf("fdb entry of vm2: %+v", e)
			}
		}
	}
	if !found {
		t.Errorf("vm2's MAC not in network01's fdb: %+v", l.nodes["network01"].FDB())
	}
	_ = probe
}

func net16(b []byte) string { return string(b) }

func TestTunnelBadInput(t *testing.T) {
	l := newTunnelLab(t, twoNode, "network01", "compute01")
	n := l.nodes["compute01"]
	vm1, vm2 := l.mac("network01", "vm1"), l.mac("compute01", "vm2")
	inner := echo(t, vm1, vm2, v4("10.10.0.11"), v4("10.10.0.12"), 64, 1, 1, false)
	vx := func(flags uint8, vni uint32, f []byte) []byte {
		h := make([]byte, 8)
		header.VXLAN(h).Encode(vni)
		h[0] = flags
		return append(h, f...)
	}
	net01 := netip.AddrPortFrom(netip.MustParseAddr("10.168.7.16"), 40000)
	stranger := netip.AddrPortFrom(netip.MustParseAddr("10.168.7.99"), 40000)
	to := netip.AddrPortFrom(netip.MustParseAddr("10.168.7.17"), 4789)
	before := n.Counters()
	l.fabric.Inject(net01, to, vx(header.VXLANFlagI, 101, inner))      // a VNI of no network here
	l.fabric.Inject(stranger, to, vx(header.VXLANFlagI, 100, inner))   // no VTEP of the topology
	l.fabric.Inject(net01, to, vx(0, 100, inner))                      // I flag unset
	l.fabric.Inject(net01, to, vx(header.VXLANFlagI, 100, inner)[:12]) // truncated
	l.pump()
	after := n.Counters()
	for _, r := range []Reason{ReasonUnknownVNI, ReasonUnknownVTEP} {
		if got := after.Drops[r.String()] - before.Drops[r.String()]; got != 1 {
			t.Errorf("drop %s grew by %d, want 1", r, got)
		}
	}
	if got := l.out("compute01"); len(got) != 0 {
		t.Errorf("frames delivered: %v", ports(got))
	}
	lc := l.tuns["compute01"].LinkCounters()
	if lc["vxlan_rx_no_vni"] != 1 || lc["vxlan_rx_short"] != 1 {
		t.Errorf("link counters %v, want one datagram without the I flag and one short", lc)
	}
	// Nothing was learned from the stranger: a frame to vm1's MAC from
	// vm2 still goes to network01 only by l2pop, and an unknown MAC...
	other := hw("52:54:00:12:34:56")
	l.fabric.Inject(stranger, to, vx(header.VXLANFlagI, 100, udpDgram(t, other, hw("ff:ff:ff:ff:ff:ff"), v4("10.10.0.77"), v4("10.10.0.255"), 1, 2, 64, 10)))
	l.pump()
	sent := len(l.fabric.Sent())
	l.send("compute01", "probe", udpDgram(t, l.mac("compute01", "probe"), other, v4("10.10.0.13"), v4("10.10.0.77"), 1, 2, 64, 10))
	ds := l.fabric.Sent()[sent:]
	if len(ds) != 1 || ds[0].To.Addr() != net01.Addr() {
		t.Errorf("to an unknown MAC: %d datagrams (want 1, flooded to network01 only, nothing learned from the stranger)", len(ds))
	}
}

// Table 10: a MAC the topology does not place is learned from the
// tunnel it came out of; frames to it then go to that VTEP alone.
func TestTunnelLearning(t *testing.T) {
	l := newTunnelLab(t, "testdata/tunnels/topology.yaml", "n1", "n2", "n3")
	behind := hw("52:54:00:00:aa:01") // a host behind the unfiltered port on n2
	l.send("n2", "open2", udpDgram(t, behind, hw("ff:ff:ff:ff:ff:ff"), v4("10.20.0.50"), v4("10.20.0.255"), 1, 2, 64, 10))
	sent := len(l.fabric.Sent())
	l.send("n1", "open1", udpDgram(t, l.mac("n1", "open1"), behind, v4("10.20.0.11"), v4("10.20.0.50"), 1, 2, 64, 10))
	ds := l.fabric.Sent()[sent:]
	if len(ds) != 1 || ds[0].To.Addr() != netip.MustParseAddr("192.0.2.2") {
		t.Fatalf("to a learned MAC: %+v, want one datagram to n2 (192.0.2.2)", ds)
	}
	if got := l.out("n2"); len(got["open2"]) != 1 {
		t.Errorf("n2 out %v", ports(got))
	}
	// Unknown: flooded to both other nodes.
	sent = len(l.fabric.Sent())
	l.send("n1", "open1", udpDgram(t, l.mac("n1", "open1"), hw("52:54:00:00:aa:02"), v4("10.20.0.11"), v4("10.20.0.51"), 1, 2, 64, 10))
	if ds := l.fabric.Sent()[sent:]; len(ds) != 2 {
		t.Errorf("to an unknown MAC: %d datagrams, want 2 (n2 and n3)", len(ds))
	}
}

// A VM on the compute node reaches the outside through its router on the
// network node: ARP for the gateway answered on the compute node, the
// packet tunnelled, routed and SNATed there.
func TestTunnelToRouter(t *testing.T) {
	l := newTunnelLab(t, "testdata/tunnels/router.yaml", "network", "compute")
	vm := l.mac("compute", "vm")
	var qr net.HardwareAddr
	for _, r := range l.nodes["network"].Spec().Routers {
		for _, p := range r.Ports {
			if p.Network == "tenant" {
				qr = p.MAC
			}
		}
	}
	l.send("compute", "vm", arpWhoHas(t, vm, v4("10.30.0.5"), v4("10.30.0.1")))
	out := l.out("compute")
	if len(out["vm"]) != 1 {
		t.Fatalf("no ARP reply for the gateway: %v", ports(out))
	}
	if a := checked(t, out["vm"][0]).Layer(layers.LayerTypeARP).(*layers.ARP); string(a.SourceHwAddress) != string(qr) {
		t.Fatalf("gateway is-at %s, want the qr- port's %s", net.HardwareAddr(a.SourceHwAddress), qr)
	}
	internet := v4("203.0.113.9")
	l.send("compute", "vm", udpDgram(t, vm, qr, v4("10.30.0.5"), internet, 5000, 53, 64, 10))
	// The router resolves its default gateway on the external network.
	out = l.out("network")
	if len(out["physnet1"]) != 1 {
		t.Fatalf("network node out %v, want the router's ARP request on physnet1", ports(out))
	}
	upMAC := hw("52:54:00:0a:0b:0c")
	qg := checked(t, out["physnet1"][0]).Layer(layers.LayerTypeARP).(*layers.ARP)
	l.send("network", "physnet1", arpIsAt(t, upMAC, v4("192.168.1.1"), net.HardwareAddr(qg.SourceHwAddress), v4("192.168.1.110")))
	out = l.out("network")
	if len(out["physnet1"]) != 1 {
		t.Fatalf("network node out %v, want the SNATed datagram", ports(out))
	}
	wantAddrs(t, checked(t, out["physnet1"][0]), v4("192.168.1.110"), internet, net.HardwareAddr(qg.SourceHwAddress), upMAC)
}
