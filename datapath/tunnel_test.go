package datapath

import (
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
	_ = probe
}

func net16(b []byte) string { return string(b) }
