package configs

import (
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestUnimplementedExamples(t *testing.T) {
	seed := filepath.Join("examples", "seed002-router.yaml")
	top, err := Load(seed)
	if err != nil {
		t.Fatal(err)
	}
	var want []string // everything it uses is built
	if diff := cmp.Diff(want, top.Unimplemented()); diff != "" {
		t.Errorf("%s: Unimplemented (-want +got):\n%s", seed, diff)
	}
	v, err := top.Node("")
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, v.Unimplemented()); diff != "" {
		t.Errorf("%s: node view (-want +got):\n%s", seed, diff)
	}

	// The default topology never mentions what is missing: nothing to say.
	if got := Default().Unimplemented(); got != nil {
		t.Errorf("default topology: Unimplemented = %q, want nil", got)
	}
}

// A node's view lists only what is on that node.
func TestUnimplementedPerNode(t *testing.T) {
	top := mustParse(t, doc(
		"version: 1",
		"nodes: [{name: a, underlay_ip: 192.0.2.1}, {name: b, underlay_ip: 192.0.2.2}]",
		"networks:",
		"  - {name: v6, type: vxlan, segment: 7, subnets: [{name: s6, cidr: 'fd00::/64'}]}",
		"  - {name: v4, type: vxlan, segment: 8, subnets: [{name: s4, cidr: 10.0.0.0/24}]}",
		"ports:",
		"  - {name: p1, node: a, network: v6, port_security: false}",
		"  - {name: p2, node: b, network: v4}",
	))
	dhcp6 := "t.yaml:4:51: networks[0] (v6): subnets[0] (s6): DHCPv6 and router advertisements are not implemented yet; nothing hands out addresses on this IPv6 subnet (DHCP serves IPv4 subnets only)"
	for node, want := range map[string][]string{"a": {dhcp6}, "b": nil} {
		v, err := top.Node(node)
		if err != nil {
			t.Fatal(err)
		}
		if diff := cmp.Diff(want, v.Unimplemented()); diff != "" {
			t.Errorf("node %s (-want +got):\n%s", node, diff)
		}
	}
	// vxlan networks are built: the examples list nothing.
	top, err := Load(filepath.Join("examples", "two-node-vxlan.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if got := top.Unimplemented(); got != nil {
		t.Errorf("two-node-vxlan.yaml: %q", got)
	}
}

func TestUnimplemented(t *testing.T) {
	for _, tc := range []errCase{{
		name: "nothing missing",
		yaml: doc(
			"version: 1",
			"networks:",
			"  - {name: n, type: local, subnets: [{name: s, cidr: 10.0.0.0/24}]}",
			"ports:",
			"  - {name: a, network: n, fixed_ips: [10.0.0.5], extra_dhcp_opts: [{opt_name: mtu, opt_value: 1400}]}",
			"  - {name: b, network: n, port_security: false}",
		),
	}, {
		name: "IPv6 on ports with port security",
		yaml: doc(
			"version: 1",
			"networks:",
			"  - {name: n, type: local, subnets: [{name: s, cidr: 10.0.0.0/24}, {name: s6, cidr: 'fd00::/64', enable_dhcp: false}]}",
			"  - {name: m, type: local, subnets: [{name: s4, cidr: 10.1.0.0/24}]}",
			"ports:",
			"  - {name: a, network: n}",
			"  - {name: b, network: n, port_security: false}",
			"  - {name: c, network: m, allowed_address_pairs: [{ip_address: 'fd00::5'}]}",
			"  - {name: d, network: m}",
		),
		want: []string{
			"t.yaml:6:5: ports a, c: IPv6 is not filtered yet: a port with port security drops every IPv6 frame (its security groups filter IPv4)",
		},
	}, {
		name: "router without gateway, unassociated floating IP: all routed",
		yaml: doc(
			"version: 1",
			"networks:",
			"  - {name: ext, type: local, external: true, subnets: [{name: es, cidr: 192.0.2.0/24, enable_dhcp: false}]}",
			"  - {name: n, type: local, subnets: [{name: s, cidr: 10.0.0.0/24}]}",
			"routers:",
			"  - name: r",
			"    interfaces: [s]",
			"    routes: [{destination: 10.9.0.0/16, nexthop: 10.0.0.254}]",
			"floating_ips:",
			"  - {floating_ip_address: 192.0.2.7, floating_network: ext}",
		),
	}, {
		name: "router on an IPv6 subnet",
		yaml: doc(
			"version: 1",
			"networks:",
			"  - name: n",
			"    type: local",
			"    subnets:",
			"      - {name: s4, cidr: 10.0.0.0/24}",
			"      - {name: s6, cidr: '2001:db8::/64', enable_dhcp: false}",
			"routers:",
			"  - name: r",
			"    interfaces: [s4, s6]",
		),
		want: []string{
			"t.yaml:10:22: routers[0] (r): interfaces[1] (s6): IPv6 routing is not implemented yet; router r has no qr- port on IPv6 subnet s6 (its IPv4 subnets are routed)",
		},
	}, {
		name: "IPv6 DHCP",
		yaml: doc(
			"version: 1",
			"networks:",
			"  - name: n",
			"    type: local",
			"    subnets:",
			"      - {name: s6, cidr: '2001:db8::/64'}",
			"      - {name: s6off, cidr: '2001:db8:1::/64', enable_dhcp: false}",
			"      - {name: s4, cidr: 10.0.0.0/24}",
			"ports:",
			"  - name: p",
			"    network: n",
			"    port_security: false",
			"    extra_dhcp_opts:",
			"      - {opt_name: dns-server, opt_value: '2001:db8::1', ip_version: 6}",
			"      - {opt_name: mtu, opt_value: 1400, ip_version: 4}",
		),
		want: []string{
			"t.yaml:6:9: networks[0] (n): subnets[0] (s6): DHCPv6 and router advertisements are not implemented yet; nothing hands out addresses on this IPv6 subnet (DHCP serves IPv4 subnets only)",
			"t.yaml:14:9: ports[0] (p): extra_dhcp_opts[0] (dns-server): IPv6 DHCP options are not implemented yet (no DHCPv6 server); the option is not served",
		},
	}} {
		t.Run(tc.name, func(t *testing.T) {
			top, err := Parse("t.yaml", []byte(tc.yaml))
			if err != nil {
				t.Fatalf("Parse: %v\n%s", err, numbered(tc.yaml))
			}
			if diff := cmp.Diff(tc.want, top.Unimplemented()); diff != "" {
				t.Errorf("Unimplemented (-want +got):\n%s\n%s", diff, numbered(tc.yaml))
			}
		})
	}
}
