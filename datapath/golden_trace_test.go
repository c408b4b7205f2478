package datapath

import (
	"path/filepath"
	"testing"
)

// Trace golden outputs: what `neutrino trace` prints for the seed 002
// node (SNAT, a floating IP, hairpin, a drop by a security group) and
// for the two-node lab's network node (a frame crossing the tunnel),
// each compared with testdata/golden-trace/NAME.txt (-update rewrites
// them). Each runs on a fresh node; a trace changes nothing, so the same
// node could run them all.
func TestTraceGolden(t *testing.T) {
	seed := "../configs/examples/seed002-router.yaml"
	lab := "../configs/examples/two-node-vxlan.yaml"
	for _, tc := range []struct {
		name, topology, node, port, flow string
	}{
		{"snat", seed, "", "vm-81-12", "icmp,nw_dst=192.168.1.15"},
		{"floating-ip", seed, "", "physnet1", "tcp,dl_src=52:54:00:00:00:01,dl_dst=fa:16:3e:2e:5b:23,nw_src=192.168.1.15,nw_dst=192.168.1.104,tp_dst=22"},
		{"floating-ip-dropped", seed, "", "physnet1", "tcp,dl_src=52:54:00:00:00:01,dl_dst=fa:16:3e:2e:5b:23,nw_src=192.168.1.15,nw_dst=192.168.1.104,tp_dst=80"},
		{"hairpin", seed, "", "vm-81-12", "udp,nw_dst=192.168.1.104,tp_dst=7000"},
		{"east-west", seed, "", "vm-81-12", "tcp,nw_dst=91.1.180.14,tp_dst=22"},
		{"spoofed", seed, "", "vm-81-12", "icmp,nw_src=81.1.180.99,nw_dst=192.168.1.15"},
		{"vxlan", lab, "network01", "vm1", "icmp,nw_dst=10.10.0.12"},
		{"vxlan-arp", lab, "network01", "vm1", "arp,arp_tpa=10.10.0.12"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n, _ := memNode(t, loadTestSpec(t, tc.topology, tc.node), Options{})
			out, err := n.Trace(tc.port, tc.flow)
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, "testdata/golden-trace", map[string][]byte{filepath.Join(tc.name + ".txt"): []byte(out)}, "TestTraceGolden")
		})
	}
}
