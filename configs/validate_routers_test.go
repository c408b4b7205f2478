package configs

import (
	"testing"
)

// l3 is a topology for router tests: lines 1-18; networks come last so
// that cases can add some.
var l3 = []string{
	"version: 1",
	"uplinks: [{name: physnet1, tap: ext0}]",
	"ports:",
	"  - {name: vm-a, network: a, fixed_ips: [10.0.1.10]}",
	"  - {name: vm-b, network: b, fixed_ips: [10.0.2.10, 10.0.3.10]}",
	"  - {name: vm-6, network: a, fixed_ips: ['2001:db8:1::10']}",
	"  - {name: vm-d, network: d, fixed_ips: [10.0.9.9]}",
	"  - {name: vm-none, network: a}",
	"networks:",
	"  - name: ext",
	"    type: flat",
	"    physical: physnet1",
	"    external: true",
	"    subnets: [{name: ext-sub, cidr: 192.168.1.0/24, enable_dhcp: false}]",
	"  - {name: a, type: local, subnets: [{name: sa, cidr: 10.0.1.0/24}, {name: sa6, cidr: '2001:db8:1::/64'}]}",
	"  - {name: b, type: local, subnets: [{name: sb, cidr: 10.0.2.0/24}, {name: sb2, cidr: 10.0.3.0/24}]}",
	"  - {name: c, type: local, subnets: [{name: sc, cidr: 10.0.4.0/24, gateway: none}]}",
	"  - {name: d, type: local, subnets: [{name: sd, cidr: 10.0.9.0/24}]}",
}

func withL3(lines ...string) string { return doc(append(append([]string{}, l3...), lines...)...) }

func TestValidateRouters(t *testing.T) {
	runErrCases(t, []errCase{
		{
			name: "the base topology is valid",
			yaml: withL3(
				"routers:",
				"  - {name: r1, external_gateway: {network: ext}, interfaces: [sa, sa6, sb]}",
			),
		},
		{
			name: "interfaces",
			yaml: withL3(
				"routers:",
				"  - {name: r1, interfaces: [sa, sa]}",
				"  - {name: r2, interfaces: [sa, sc, sb, sb2]}",
			),
			want: []string{
				"t.yaml:20:33: routers[0] (r1): interfaces[1] (sa): subnet: subnet sa is listed twice on this router (first at line 20)",
				"t.yaml:21:29: routers[1] (r2): interfaces[0] (sa): subnet: subnet sa is already attached to router r1 (line 20)",
				"t.yaml:21:33: routers[1] (r2): interfaces[1] (sc): subnet: subnet sc has no gateway: a router interface takes the subnet's gateway IP",
				"t.yaml:21:41: routers[1] (r2): interfaces[3] (sb2): subnet: router r2 already has an interface on network b (subnet sb, line 21): one IPv4 subnet per network and router",
			},
		},
		{
			name: "overlapping interfaces",
			yaml: withL3(
				"  - {name: d2, type: local, subnets: [{name: sd2, cidr: 10.0.0.0/16}]}",
				"  - {name: e, type: local, subnets: [{name: se, cidr: 192.168.0.0/16}]}",
				"routers:",
				"  - {name: r1, interfaces: [sa, sd2]}",
				"  - {name: r2, external_gateway: {network: ext}, interfaces: [se]}",
			),
			want: []string{
				"t.yaml:22:33: routers[0] (r1): interfaces[1] (sd2): subnet: 10.0.0.0/16 of subnet sd2 overlaps 10.0.1.0/24 of subnet sa, also on router r1 (line 22)",
				"t.yaml:23:63: routers[1] (r2): interfaces[0] (se): subnet: 192.168.0.0/16 of subnet se overlaps 192.168.1.0/24 of subnet ext-sub, on the external network of router r2",
			},
		},
		{
			name: "external gateway",
			yaml: withL3(
				"  - {name: ext2, type: local, external: true}",
				"routers:",
				"  - {name: r1, external_gateway: {network: a}}",
				"  - {name: r2, external_gateway: {network: ext, ip: 192.168.2.1}}",
				"  - {name: r3, external_gateway: {network: ext, ip: 192.168.1.1}}",
				"  - {name: r4, external_gateway: {network: ext2}}",
				"  - {name: r5, external_gateway: {network: ext, ip: 192.168.1.255}}",
			),
			want: []string{
				"t.yaml:21:44: routers[0] (r1): external_gateway: network: network a is not external (set external: true on it to hold router gateways)",
				"t.yaml:22:53: routers[1] (r2): external_gateway: ip: 192.168.2.1 is not inside any subnet of network ext",
				"t.yaml:23:53: routers[2] (r3): external_gateway: ip: 192.168.1.1 is already used by the gateway of subnet ext-sub (line 14)",
				"t.yaml:24:44: routers[3] (r4): external_gateway: network: network ext2 has no subnet to take the gateway's address from",
				"t.yaml:25:53: routers[4] (r5): external_gateway: ip: 192.168.1.255 is the broadcast address of subnet ext-sub",
			},
		},
		{
			name: "extra routes",
			yaml: withL3(
				"routers:",
				"  - name: r1",
				"    external_gateway: {network: ext, ip: 192.168.1.2}",
				"    interfaces: [sa]",
				"    routes:",
				"      - {destination: 10.9.0.0/16, nexthop: 10.0.1.254}",
				"      - {destination: 10.9.0.0/16, nexthop: 10.0.1.254}",
				"      - {destination: 10.8.0.0/16, nexthop: 192.168.1.254}",
				"      - {destination: 10.7.0.0/16, nexthop: 10.0.2.254}",
				"      - {destination: 10.6.0.0/16, nexthop: 10.0.1.1}",
				"      - {destination: 10.5.0.0/16, nexthop: 192.168.1.2}",
				"      - {destination: '2001:db8:9::/48', nexthop: 10.0.1.254}",
			),
			want: []string{
				"t.yaml:25:9: routers[0] (r1): routes[1]: duplicate route (first at line 24)",
				"t.yaml:27:45: routers[0] (r1): routes[3]: nexthop: 10.0.2.254 is not on a subnet connected to router r1",
				"t.yaml:28:45: routers[0] (r1): routes[4]: nexthop: 10.0.1.1 is an address of router r1 itself",
				"t.yaml:29:45: routers[0] (r1): routes[5]: nexthop: 192.168.1.2 is an address of router r1 itself",
				"t.yaml:30:23: routers[0] (r1): routes[6]: destination: 2001:db8:9::/48 is IPv6, but the nexthop 10.0.1.254 is IPv4",
			},
		},
		{
			name: "router on a node without the uplink or the underlay",
			yaml: doc(
				"version: 1",
				"nodes: [{name: a}, {name: b}]",
				"uplinks: [{name: physnet1, node: a, tap: ext0}]",
				"networks:",
				"  - {name: ext, type: flat, physical: physnet1, external: true, subnets: [{name: es, cidr: 192.168.1.0/24}]}",
				"  - {name: x, type: vxlan, segment: 5, subnets: [{name: xs, cidr: 10.0.0.0/24}]}",
				"routers:",
				"  - {name: r1, node: b, external_gateway: {network: ext}, interfaces: [xs]}",
			),
			want: []string{
				"t.yaml:8:53: routers[0] (r1): external_gateway: network: the external gateway of router r1 is on flat network ext, which leaves by uplink physnet1, but node b has no uplink physnet1",
				"t.yaml:8:72: routers[0] (r1): interfaces[0] (xs): subnet: router r1 is on vxlan network x, but node b has no underlay_ip",
			},
		},
	})
}

func TestValidateFloatingIPs(t *testing.T) {
	runErrCases(t, []errCase{
		{
			name: "floating IPs",
			yaml: withL3(
				"  - {name: ext2, type: local, external: true, subnets: [{name: ext2-sub, cidr: 172.16.0.0/24}]}",
				"routers:",
				"  - {name: r1, external_gateway: {network: ext}, interfaces: [sa, sb, sa6]}",
				"  - {name: r2, interfaces: [sd]}",
				"floating_ips:",
				"  - {floating_ip_address: 192.168.1.100, floating_network: ext, port: vm-a}",
				"  - {floating_ip_address: 192.168.1.100, floating_network: ext}",
				"  - {floating_ip_address: 192.168.2.100, floating_network: ext}",
				"  - {floating_network: ext, port: vm-a}",
				"  - {floating_network: ext, port: vm-b}",
				"  - {floating_network: ext, port: vm-b, fixed_ip_address: 10.0.2.11}",
				"  - {floating_network: ext, port: vm-6}",
				"  - {floating_network: ext, port: vm-6, fixed_ip_address: '2001:db8:1::10'}",
				"  - {floating_network: ext, port: vm-none}",
				"  - {floating_network: ext, port: vm-d}",
				"  - {floating_network: ext, port: vm-b, fixed_ip_address: 10.0.3.10}",
				"  - {floating_network: ext2, port: vm-b, fixed_ip_address: 10.0.2.10}",
				"  - {floating_network: ext, fixed_ip_address: 10.0.2.10}",
				"  - {floating_network: ext, port: vm-b, fixed_ip_address: 10.0.2.10}",
				"  - {floating_network: ext, port: vm-b, fixed_ip_address: 10.0.2.10}",
				"  - {floating_ip_address: 192.168.1.1, floating_network: ext}",
				"  - {floating_network: a, port: vm-a}",
			),
			want: []string{
				"t.yaml:25:27: floating_ips[1] (192.168.1.100): floating_ip_address: 192.168.1.100 is already used by a floating IP (line 24)",
				"t.yaml:26:27: floating_ips[2] (192.168.2.100): floating_ip_address: 192.168.2.100 is not inside any subnet of network ext",
				"t.yaml:27:35: floating_ips[3]: port: 10.0.1.10 of port vm-a already has a floating IP on ext (line 24)",
				"t.yaml:28:35: floating_ips[4]: port: port vm-b has several IPv4 addresses (its addresses: 10.0.2.10, 10.0.3.10): choose one with fixed_ip_address",
				"t.yaml:29:59: floating_ips[5]: fixed_ip_address: 10.0.2.11 is not an address of port vm-b (its addresses: 10.0.2.10, 10.0.3.10)",
				"t.yaml:30:35: floating_ips[6]: port: port vm-6 has no IPv4 address to map the floating IP to",
				"t.yaml:31:59: floating_ips[7]: fixed_ip_address: 2001:db8:1::10: floating IPs map to IPv4 addresses",
				"t.yaml:32:35: floating_ips[8]: port: port vm-none has no IPv4 address to map the floating IP to",
				"t.yaml:33:35: floating_ips[9]: port: port vm-d can't be reached from ext: its subnet sd is on router r2, which has no external gateway on ext",
				"t.yaml:34:35: floating_ips[10]: port: port vm-b can't be reached from ext: its subnet sb2 is not attached to any router",
				"t.yaml:35:36: floating_ips[11]: port: port vm-b can't be reached from ext2: its subnet sb is on router r1, which has no external gateway on ext2",
				"t.yaml:36:47: floating_ips[12]: fixed_ip_address: fixed_ip_address needs port",
				"t.yaml:38:35: floating_ips[14]: port: 10.0.2.10 of port vm-b already has a floating IP on ext (line 37)",
				"t.yaml:39:27: floating_ips[15] (192.168.1.1): floating_ip_address: 192.168.1.1 is already used by the gateway of subnet ext-sub (line 14)",
				"t.yaml:40:24: floating_ips[16]: floating_network: network a is not external (set external: true on it to hold floating IPs)",
			},
		},
	})
}
