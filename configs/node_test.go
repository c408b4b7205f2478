package configs

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// viewSummary is a NodeView by names.
type viewSummary struct {
	Ports, Uplinks, Routers []string
	Networks                []string // name/lvid/uplink device/peers
}

func summarizeView(v *NodeView) viewSummary {
	var s viewSummary
	for _, p := range v.Ports {
		s.Ports = append(s.Ports, p.Name)
	}
	for _, u := range v.Uplinks {
		s.Uplinks = append(s.Uplinks, u.Name+"="+u.Device())
	}
	for _, r := range v.Routers {
		s.Routers = append(s.Routers, r.Name)
	}
	for _, n := range v.Networks {
		d := n.Name + "/" + itoa(int(n.LVID))
		if n.Uplink != nil {
			d += "/" + n.Uplink.Device()
		}
		for _, p := range n.Peers {
			d += "/peer:" + p.Name
		}
		s.Networks = append(s.Networks, d)
	}
	return s
}

const twoNodes = `version: 1
nodes:
  - {name: net01, underlay_ip: 10.1.0.1}
  - {name: cmp01, underlay_ip: 10.1.0.2}
  - {name: cmp02, underlay_ip: 10.1.0.3}
uplinks:
  - {name: physnet1, node: net01, tap: ext0}
  - {name: physnet1, node: cmp01, interface: eth1}
networks:
  - {name: unused, type: vxlan, segment: 1}
  - {name: ext, type: flat, physical: physnet1, external: true, subnets: [{name: ext-s, cidr: 192.168.1.0/24}]}
  - {name: red, type: vxlan, segment: 2, subnets: [{name: red-s, cidr: 10.0.0.0/24}]}
  - {name: blue, type: vxlan, segment: 3, subnets: [{name: blue-s, cidr: 10.0.1.0/24}]}
  - {name: green, type: local}
ports:
  - {name: b1, network: blue, node: cmp01}
  - {name: r1, network: red, node: cmp01}
  - {name: g1, network: green, node: cmp01}
  - {name: r2, network: red, node: cmp02}
routers:
  - {name: rt, node: net01, external_gateway: {network: ext}, interfaces: [red-s]}
`

func TestNodeView(t *testing.T) {
	top := mustParse(t, twoNodes)
	for _, tc := range []struct {
		node string
		want viewSummary
	}{
		{"net01", viewSummary{
			Uplinks:  []string{"physnet1=ext0"},
			Routers:  []string{"rt"},
			Networks: []string{"ext/1/ext0/peer:cmp01", "red/2/peer:cmp01/peer:cmp02"},
		}},
		{"cmp01", viewSummary{
			Ports:    []string{"b1", "r1", "g1"},
			Uplinks:  []string{"physnet1=eth1"},
			Networks: []string{"ext/1/eth1/peer:net01", "red/2/peer:net01/peer:cmp02", "blue/3", "green/4"},
		}},
		{"cmp02", viewSummary{
			Ports:    []string{"r2"},
			Networks: []string{"red/1/peer:net01/peer:cmp01"},
		}},
	} {
		t.Run(tc.node, func(t *testing.T) {
			v, err := top.Node(tc.node)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, summarizeView(v)); diff != "" {
				t.Errorf("view (-want +got):\n%s", diff)
			}
			for _, p := range v.Ports {
				if v.LVID(p.Network) == 0 || v.Network(p.Network) == nil {
					t.Errorf("port %s: network %s not present", p.Name, p.Network.Name)
				}
			}
		})
	}
	if v, _ := top.Node("cmp02"); v.LVID(top.NetworkByName("blue")) != 0 {
		t.Errorf("blue has an LVID on cmp02")
	}
	if got := len(top.NodesOf(top.NetworkByName("unused"))); got != 0 {
		t.Errorf("unused network is on %d nodes", got)
	}
}

func TestNodeErrors(t *testing.T) {
	top := mustParse(t, twoNodes)
	for _, tc := range []struct{ name, want string }{
		{"", "topology has 3 nodes (net01, cmp01, cmp02): choose one with --node"},
		{"cmp03", `topology has no node "cmp03" (did you mean cmp01?) (nodes: net01, cmp01, cmp02)`},
	} {
		_, err := top.Node(tc.name)
		if err == nil || err.Error() != tc.want {
			t.Errorf("Node(%q) = %v, want %q", tc.name, err, tc.want)
		}
	}
	single := Default()
	v, err := single.Node("")
	if err != nil || v.Node.Name != "local" {
		t.Errorf("Node(\"\") on one node = %v, %v", v, err)
	}
}
