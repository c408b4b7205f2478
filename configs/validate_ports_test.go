package configs

import (
	"testing"
)

// net1 is a network with one subnet for port tests: lines 1-6.
var net1 = []string{
	"version: 1",
	"networks:",
	"  - name: n1",
	"    type: local",
	"    subnets: [{name: s1, cidr: 10.0.0.0/24, dhcp_ip: 10.0.0.2}]",
	"  - {name: n2, type: local, subnets: [{name: s2, cidr: 10.0.1.0/24}]}",
}

func withNet1(lines ...string) string { return doc(append(append([]string{}, net1...), lines...)...) }

func TestValidatePorts(t *testing.T) {
	runErrCases(t, []errCase{
		{
			name: "same IP twice on a network",
			yaml: withNet1(
				"ports:",
				"  - {name: p1, network: n1, fixed_ips: [10.0.0.10]}",
				"  - {name: p2, network: n1, fixed_ips: [10.0.0.10]}",
				"  - {name: p3, network: n1, fixed_ips: [10.0.0.1]}",
				"  - {name: p4, network: n1, fixed_ips: [10.0.0.2]}",
				"  - {name: p5, network: n2, fixed_ips: [10.0.1.10]}",
			),
			want: []string{
				`t.yaml:9:41: ports[1] (p2): fixed_ips[0]: 10.0.0.10 is already used by port p1 (line 8)`,
				`t.yaml:10:41: ports[2] (p3): fixed_ips[0]: 10.0.0.1 is already used by the gateway of subnet s1 (line 5)`,
				`t.yaml:11:41: ports[3] (p4): fixed_ips[0]: 10.0.0.2 is already used by the DHCP server of subnet s1 (line 5)`,
			},
		},
		{
			name: "same MAC twice on a network",
			yaml: withNet1(
				"ports:",
				"  - {name: p1, network: n1, mac: 'fa:16:3e:00:00:01'}",
				"  - {name: p2, network: n1, mac: 'fa:16:3e:00:00:01'}",
				"  - {name: p3, network: n2, mac: 'fa:16:3e:00:00:01'}",
			),
			want: []string{
				`t.yaml:9:34: ports[1] (p2): mac: MAC fa:16:3e:00:00:01 is already used on network n1 by port p1 (line 8)`,
			},
		},
		{
			name: "fixed IPs outside the network",
			yaml: withNet1(
				"  - {name: n3, type: local}",
				"ports:",
				"  - {name: p1, network: n1, fixed_ips: [10.0.1.5]}",
				"  - {name: p2, network: n1, fixed_ips: [10.0.0.0, 10.0.0.255]}",
				"  - {name: p3, network: n3, fixed_ips: [10.0.1.5], port_security: false}",
			),
			want: []string{
				`t.yaml:9:41: ports[0] (p1): fixed_ips[0]: 10.0.1.5 is not inside any subnet of network n1`,
				`t.yaml:10:41: ports[1] (p2): fixed_ips[0]: 10.0.0.0 is the network address of subnet s1`,
				`t.yaml:10:51: ports[1] (p2): fixed_ips[1]: 10.0.0.255 is the broadcast address of subnet s1`,
				`t.yaml:11:41: ports[2] (p3): fixed_ips[0]: 10.0.1.5 is not inside any subnet of network n3: it has no subnets`,
			},
		},
		{
			name: "port security off",
			yaml: withNet1(
				"ports:",
				"  - name: p1",
				"    network: n1",
				"    port_security: false",
				"    security_groups: [default]",
				"    allowed_address_pairs: [{ip_address: 10.0.0.99}]",
				"  - {name: p2, network: n1, port_security: false, security_groups: []}",
			),
			want: []string{
				`t.yaml:11:22: ports[0] (p1): security_groups: port_security is false: a port without port security can't have security groups`,
				`t.yaml:12:28: ports[0] (p1): allowed_address_pairs: port_security is false: a port without port security can't have allowed address pairs`,
			},
		},
		{
			name: "stateful and stateless groups on one port",
			yaml: withNet1(
				"ports:",
				"  - {name: p1, network: n1, security_groups: [default, loose]}",
				"  - {name: p2, network: n1, security_groups: [loose]}",
				"security_groups:",
				"  - {name: loose, stateful: false}",
			),
			want: []string{
				`t.yaml:8:46: ports[0] (p1): security_groups: security groups default (stateful: true) and loose (stateful: false) can't be on one port: Neutron applies stateful and stateless groups to a port only alone`,
			},
		},
		{
			name: "security groups on a network without subnets",
			yaml: withNet1(
				"  - {name: n3, type: local}",
				"ports:",
				"  - {name: p1, network: n3, security_groups: [default]}",
				"  - {name: p2, network: n3}",
			),
			want: []string{
				`t.yaml:9:46: ports[0] (p1): security_groups: network n3 has no subnet: a port without IP addresses can't have security groups (Neutron's rule)`,
			},
		},
		{
			name: "a group listed twice",
			yaml: withNet1(
				"ports:",
				"  - {name: p1, network: n1, security_groups: [default, default]}",
			),
			want: []string{
				`t.yaml:8:56: ports[0] (p1): security_groups[1]: security group default is listed twice (also security_groups[0])`,
			},
		},
		{
			name: "address pairs and DHCP options twice",
			yaml: withNet1(
				"ports:",
				"  - name: p1",
				"    network: n1",
				"    mac: 'fa:16:3e:00:00:01'",
				"    allowed_address_pairs:",
				"      - {ip_address: 10.0.0.99}",
				"      - {ip_address: 10.0.0.99/32, mac_address: 'fa:16:3e:00:00:01'}",
				"      - {ip_address: 10.0.0.99, mac_address: 'fa:16:3e:00:00:02'}",
				"    extra_dhcp_opts:",
				"      - {opt_name: mtu, opt_value: 1400}",
				"      - {opt_name: mtu, opt_value: 1300}",
				"      - {opt_name: mtu, opt_value: 1300, ip_version: 6}",
			),
			want: []string{
				`t.yaml:13:9: ports[0] (p1): allowed_address_pairs[1]: duplicate address pair (first at line 12)`,
				`t.yaml:17:20: ports[0] (p1): extra_dhcp_opts[1] (mtu): opt_name: option mtu (IPv4) is set twice (first at line 16)`,
			},
		},
		{
			name: "devices reused on a node",
			yaml: doc(
				"version: 1",
				"nodes: [{name: a}, {name: b}]",
				"uplinks:",
				"  - {name: u1, node: a, tap: ext0}",
				"  - {name: u2, node: a, interface: eth1}",
				"  - {name: u1, node: b, tap: ext0}",
				"networks: [{name: n1, type: local}]",
				"ports:",
				"  - {name: p1, network: n1, node: a, device: tapx}",
				"  - {name: p2, network: n1, node: a, device: tapx}",
				"  - {name: p3, network: n1, node: b, device: tapx}",
				"  - {name: p4, network: n1, node: a, device: ext0}",
				"  - {name: p5, network: n1, node: a, device: eth1, attach: existing}",
				"  - {name: p6-abcdefghij1, network: n1, node: a}",
				"  - {name: p6-abcdefghij2, network: n1, node: a}",
			),
			want: []string{
				`t.yaml:10:46: ports[1] (p2): device: device tapx is already used on node a by port p1 (line 9)`,
				`t.yaml:12:46: ports[3] (p4): device: device ext0 is already used on node a by uplink u1 (line 4)`,
				`t.yaml:13:46: ports[4] (p5): device: device eth1 is already used on node a by uplink u2 (line 5)`,
				`t.yaml:15:12: ports[6] (p6-abcdefghij2): name: device tapp6-abcdefgh is already used on node a by port p6-abcdefghij1 (line 14)`,
			},
		},
		{
			name: "default device not usable, existing without device",
			yaml: withNet1(
				"ports:",
				"  - {name: 'vm:1', network: n1}",
				"  - {name: vm2, network: n1, attach: existing}",
				"  - {name: 'vm 3', network: n1}",
			),
			want: []string{
				`t.yaml:8:12: ports[0] (vm:1): name: the default device ("tap" + the port name) is not usable: interface name "tapvm:1" contains ":", which the kernel refuses; set device`,
				`t.yaml:9:38: ports[1] (vm2): attach: attach: existing needs device, the name of the existing interface`,
				// A name refused as an identifier gives no second error about its default device.
				`t.yaml:10:12: ports[2] (vm 3): name: "vm 3" may not contain whitespace or '/': port and uplink names are used as file and device-like identifiers`,
			},
		},
		{
			name: "vxlan port on a node without underlay_ip",
			yaml: doc(
				"version: 1",
				"nodes: [{name: a, underlay_ip: 10.9.0.1}, {name: b}]",
				"networks: [{name: x, type: vxlan, segment: 9}]",
				"ports:",
				"  - {name: p1, network: x, node: a}",
				"  - {name: p2, network: x, node: b}",
			),
			want: []string{
				`t.yaml:6:34: ports[1] (p2): node: port p2 is on vxlan network x, but node b has no underlay_ip`,
			},
		},
		{
			name: "vxlan port on the only node, without underlay_ip",
			yaml: doc(
				"version: 1",
				"networks: [{name: x, type: vxlan, segment: 9}]",
				"ports:",
				"  - {name: p1, network: x}",
			),
			want: []string{
				`t.yaml:4:5: ports[0] (p1): port p1 is on vxlan network x, but node local has no underlay_ip`,
			},
		},
	})
}
