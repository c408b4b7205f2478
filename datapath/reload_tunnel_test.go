package datapath

import (
	"slices"
	"strings"
	"testing"
)

// A reload that changes the nodes of a vxlan network makes each node's
// tunnel endpoint anew (it numbers the remote VTEPs) and traffic across
// the tunnel goes on; one that leaves them keeps the endpoint.
func TestReloadTunnel(t *testing.T) {
	const path = "testdata/tunnels/topology.yaml"
	text := readText(t, path)
	l := newTunnelLab(t, path, "n1", "n2")
	m1, m2 := l.mac("n1", "open1"), l.mac("n2", "open2")
	ip1, ip2 := v4("10.20.0.11"), v4("10.20.0.12")
	cross := func(what string) {
		t.Helper()
		l.send("n1", "open1", echo(t, m1, m2, ip1, ip2, 64, 1, 1, false))
		if got := l.out("n2"); len(got["open2"]) != 1 {
			t.Fatalf("%s: n2 out %v, want the echo at open2", what, ports(got))
		}
		l.send("n2", "open2", echo(t, m2, m1, ip2, ip1, 64, 1, 1, true))
		if got := l.out("n1"); len(got["open1"]) != 1 {
			t.Fatalf("%s: n1 out %v, want the reply at open1", what, ports(got))
		}
	}
	cross("before")
	tun := l.tuns["n1"]

	same := reloadText(t, l.nodes["n1"], text)
	if same.Changed() || l.tuns["n1"] != tun {
		t.Fatalf("the same file: %+v, endpoint made anew %v", same, l.tuns["n1"] != tun)
	}

	without := edit(t, text, "  - {name: n3, underlay_ip: 192.0.2.3}\n", "")
	without = edit(t, without, "  - {name: open3, node: n3, network: t, fixed_ips: [10.20.0.13], port_security: false}\n", "")
	for _, node := range []string{"n1", "n2"} {
		res := reloadText(t, l.nodes[node], without)
		if !slices.ContainsFunc(res.PortsChanged, func(s string) bool { return strings.HasPrefix(s, "br-tun (") }) {
			t.Errorf("%s: reload %+v, want br-tun changed", node, res)
		}
	}
	if l.tuns["n1"] == tun {
		t.Fatal("n1's tunnel endpoint was kept with another VTEP list")
	}
	if vteps := l.nodes["n1"].Spec().Ports; !slices.ContainsFunc(vteps, func(p PortSpec) bool { return p.Tunnel != nil && len(p.Tunnel.VTEPs) == 1 }) {
		t.Errorf("n1's tunnel has not one remote VTEP")
	}
	cross("after n3 left")
}
