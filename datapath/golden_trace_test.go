package datapath

import (
	"path/filepath"
	"testing"
)

// Trace golden outputs: what `neutrino trace` prints for the seed 002
// node (SNAT, a floating IP, hairpin, a drop by a security group) and
// for the two-node lab's network node (a frame crossing the tunnel),
// each compared with testdata/golden-trace/NAME.txt (-update rewrites
// them); with reply, what `neutrino trace --reply` prints: the answer
// traced back through the connections the frame made (un-SNAT, un-DNAT,
// ESTABLISHED in the security groups), or why there is none. Each runs
// on a fresh node; a trace changes nothing, so the same node could run
// them all.
func TestTraceGolden(t *testing.T) {
	seed := "../configs/examples/seed002-router.yaml"
	lab := "../configs/examples/two-node-vxlan.yaml"
	for _, tc := range []struct {
		name, topology, node, port, flow string
		reply                            bool
	}{
		{"snat", seed, "", "vm-81-12", "icmp,nw_dst=192.168.1.15", false},
		{"floating-ip", seed, "", "physnet1", "tcp,dl_src=52:54:00:00:00:01,dl_dst=fa:16:3e:2e:5b:23,nw_src=192.168.1.15,nw_dst=192.168.1.104,tp_dst=22", false},
		{"floating-ip-dropped", seed, "", "physnet1", "tcp,dl_src=52:54:00:00:00:01,dl_dst=fa:16:3e:2e:5b:23,nw_src=192.168.1.15,nw_dst=192.168.1.104,tp_dst=80", false},
		{"hairpin", seed, "", "vm-81-12", "udp,nw_dst=192.168.1.104,tp_dst=7000", false},
		{"east-west", seed, "", "vm-81-12", "tcp,nw_dst=91.1.180.14,tp_dst=22", false},
		{"spoofed", seed, "", "vm-81-12", "icmp,nw_src=81.1.180.99,nw_dst=192.168.1.15", false},
		{"vxlan", lab, "network01", "vm1", "icmp,nw_dst=10.10.0.12", false},
		{"vxlan-arp", lab, "network01", "vm1", "arp,arp_tpa=10.10.0.12", false},
		{"snat-reply", seed, "", "vm-81-12", "icmp,nw_dst=192.168.1.15", true},
		{"floating-ip-reply", seed, "", "physnet1", "tcp,dl_src=52:54:00:00:00:01,dl_dst=fa:16:3e:2e:5b:23,nw_src=192.168.1.15,nw_dst=192.168.1.104,tp_dst=22", true},
		{"floating-ip-dropped-reply", seed, "", "physnet1", "tcp,dl_src=52:54:00:00:00:01,dl_dst=fa:16:3e:2e:5b:23,nw_src=192.168.1.15,nw_dst=192.168.1.104,tp_dst=80", true},
		{"east-west-reply", seed, "", "vm-81-12", "tcp,nw_dst=91.1.180.14,tp_dst=22", true},
		{"router-reply", seed, "", "vm-81-12", "icmp,nw_dst=81.1.180.1", true},
		{"vxlan-reply", lab, "network01", "vm1", "icmp,nw_dst=10.10.0.12", true},
		{"vxlan-arp-reply", lab, "network01", "vm1", "arp,arp_tpa=10.10.0.12", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n, _ := memNode(t, loadTestSpec(t, tc.topology, tc.node), Options{})
			trace := n.Trace
			if tc.reply {
				trace = n.TraceReply
			}
			out, err := trace(tc.port, tc.flow)
			if err != nil {
				t.Fatal(err)
			}
			checkGolden(t, "testdata/golden-trace", map[string][]byte{filepath.Join(tc.name + ".txt"): []byte(out)}, "TestTraceGolden")
		})
	}
}
