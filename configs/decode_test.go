package configs

import (
	"strings"
	"testing"
)

func TestDecodeErrors(t *testing.T) {
	runErrCases(t, []errCase{
		{
			name: "unknown field, did you mean",
			yaml: doc(
				"version: 1",
				"networks:",
				"  - name: n1",
				"    type: local",
				"    mtuu: 1400",
			),
			want: []string{`t.yaml:5:5: networks[0] (n1): unknown field "mtuu" (did you mean mtu?)`},
		},
		{
			name: "unknown field, transposition",
			yaml: doc(
				"version: 1",
				"networks:",
				"  - name: n1",
				"    type: local",
				"ports:",
				"  - name: p1",
				"    network: n1",
				"    secuirty_groups: [default]",
			),
			want: []string{`t.yaml:8:5: ports[0] (p1): unknown field "secuirty_groups" (did you mean security_groups?)`},
		},
		{
			name: "unknown field, nothing close",
			yaml: doc(
				"version: 1",
				"nodes:",
				"  - name: a",
				"    colour: blue",
			),
			want: []string{`t.yaml:4:5: nodes[0] (a): unknown field "colour" (known fields: name, underlay_ip, conntrack_max)`},
		},
		{
			name: "unknown section",
			yaml: doc(
				"version: 1",
				"network:",
				"  - name: n1",
			),
			want: []string{`t.yaml:2:1: unknown field "network" (did you mean networks?)`},
		},
		{
			name: "integer expected, got string",
			yaml: doc(
				"version: 1",
				"networks:",
				"  - name: n1",
				"    type: vxlan",
				"    segment: abc",
			),
			want: []string{`t.yaml:5:14: networks[0] (n1): segment: expected an integer, got string "abc"`},
		},
		{
			name: "integer expected, got quoted number",
			yaml: doc(
				"version: 1",
				"networks:",
				"  - name: n1",
				"    type: local",
				`    mtu: "1400"`,
			),
			want: []string{`t.yaml:5:10: networks[0] (n1): mtu: expected an integer, got string "1400"`},
		},
		{
			name: "boolean expected",
			yaml: doc(
				"version: 1",
				"networks:",
				"  - name: n1",
				"    type: local",
				"    external: yes",
			),
			want: []string{`t.yaml:5:15: networks[0] (n1): external: expected a boolean (true or false), got string "yes"`},
		},
		{
			name: "string expected, got list",
			yaml: doc(
				"version: 1",
				"networks:",
				"  - name: [n1]",
				"    type: local",
			),
			want: []string{`t.yaml:3:11: networks[0]: name: expected a string, got a list`},
		},
		{
			name: "list expected",
			yaml: doc(
				"version: 1",
				"networks:",
				"  - name: n1",
				"    type: local",
				"    subnets:",
				"      - name: s1",
				"        cidr: 10.0.0.0/24",
				"ports:",
				"  - name: p1",
				"    network: n1",
				"    fixed_ips: 10.0.0.5",
			),
			want: []string{`t.yaml:11:16: ports[0] (p1): fixed_ips: expected a list, got string "10.0.0.5"`},
		},
		{
			name: "list item of the wrong type",
			yaml: doc(
				"version: 1",
				"networks:",
				"  - name: n1",
				"    type: local",
				"    subnets: [{name: s1, cidr: 10.0.0.0/24}]",
				"ports:",
				"  - name: p1",
				"    network: n1",
				"    security_groups: [default, {x: 1}]",
			),
			want: []string{`t.yaml:9:32: ports[0] (p1): security_groups[1]: expected a string, got a mapping`},
		},
		{
			name: "mapping expected in a list",
			yaml: doc(
				"version: 1",
				"ports: [vm1]",
			),
			want: []string{`t.yaml:2:9: ports[0]: expected a mapping with fields name, network, node, device, attach, netns, ifname, addressing, netns_reuse, mac, fixed_ips, security_groups, port_security, allowed_address_pairs, extra_dhcp_opts, got string "vm1"`},
		},
		{
			name: "section is not a list",
			yaml: doc(
				"version: 1",
				"networks:",
				"  name: n1",
			),
			want: []string{`t.yaml:3:3: networks: expected a list, got a mapping`},
		},
		{
			name: "duplicate key",
			yaml: doc(
				"version: 1",
				"networks:",
				"  - name: n1",
				"    type: local",
				"    type: flat",
			),
			want: []string{`t.yaml:5:5: networks[0] (n1): duplicate field "type" (first at line 4)`},
		},
		{
			name: "duplicate top-level key",
			yaml: doc(
				"version: 1",
				"version: 1",
			),
			want: []string{`t.yaml:2:1: duplicate field "version" (first at line 1)`},
		},
		{
			name: "missing required field",
			yaml: doc(
				"version: 1",
				"networks:",
				"  - name: n1",
			),
			want: []string{`t.yaml:3:5: networks[0] (n1): missing required field "type"`},
		},
		{
			name: "missing name",
			yaml: doc(
				"version: 1",
				"networks:",
				"  - type: local",
			),
			want: []string{`t.yaml:3:5: networks[0]: missing required field "name"`},
		},
		{
			name: "empty name",
			yaml: doc(
				"version: 1",
				"networks:",
				`  - name: ""`,
				"    type: local",
			),
			want: []string{`t.yaml:3:11: networks[0]: name: must not be empty`},
		},
		{
			name: "version missing",
			yaml: doc(
				"networks: []",
			),
			want: []string{`t.yaml:1:1: missing required field "version" (write version: 1 at the top)`},
		},
		{
			name: "version 2",
			yaml: doc(
				"version: 2",
			),
			want: []string{`t.yaml:1:10: version: unsupported version 2: this neutrino reads version 1`},
		},
		{
			name: "version as a string",
			yaml: doc(
				`version: "1"`,
			),
			want: []string{`t.yaml:1:10: version: expected an integer, got string "1"`},
		},
		{
			name: "network type unknown",
			yaml: doc(
				"version: 1",
				"networks:",
				"  - name: n1",
				"    type: vxaln",
			),
			want: []string{`t.yaml:4:11: networks[0] (n1): type: "vxaln" is not one of local, flat, vlan, vxlan (did you mean vxlan?)`},
		},
		{
			name: "mtu out of range",
			yaml: doc(
				"version: 1",
				"networks:",
				"  - name: n1",
				"    type: local",
				"    mtu: 9001",
				"  - name: n2",
				"    type: local",
				"    mtu: 67",
			),
			want: []string{
				`t.yaml:5:10: networks[0] (n1): mtu: 9001 is out of range 68-9000`,
				`t.yaml:8:10: networks[1] (n2): mtu: 67 is out of range 68-9000`,
			},
		},
		{
			name: "lease_time",
			yaml: doc(
				"version: 1",
				"networks:",
				"  - name: n1",
				"    type: local",
				"    subnets:",
				"      - name: s1",
				"        cidr: 10.0.1.0/24",
				"        lease_time: 0",
				"      - name: s2",
				"        cidr: 10.0.2.0/24",
				"        lease_time: 60",
				"      - name: s3",
				"        cidr: 10.0.3.0/24",
				"        lease_time: -2",
				"      - name: s4",
				"        cidr: 10.0.4.0/24",
				"        lease_time: -1",
			),
			want: []string{
				`t.yaml:8:21: networks[0] (n1): subnets[0] (s1): lease_time: 0 is not a lease time: give seconds (at least 120, Neutron's and dnsmasq's minimum) or -1 for infinite`,
				`t.yaml:11:21: networks[0] (n1): subnets[1] (s2): lease_time: 60 seconds is too short: the minimum is 120 (Neutron's and dnsmasq's), or -1 for infinite`,
				`t.yaml:14:21: networks[0] (n1): subnets[2] (s3): lease_time: -2 is not a lease time: give seconds (at least 120, Neutron's and dnsmasq's minimum) or -1 for infinite`,
			},
		},
		{
			name: "bad CIDRs",
			yaml: doc(
				"version: 1",
				"networks:",
				"  - name: n1",
				"    type: local",
				"    subnets:",
				"      - name: s1",
				"        cidr: 10.0.0.1/24",
				"      - name: s2",
				"        cidr: 10.0.300.0/24",
				"      - name: s3",
				"        cidr: 10.0.3.0",
				"      - name: s4",
				"        cidr: 10.0.4.0/31",
			),
			want: []string{
				`t.yaml:7:15: networks[0] (n1): subnets[0] (s1): cidr: 10.0.0.1/24 has host bits set (did you mean 10.0.0.0/24?)`,
				`t.yaml:9:15: networks[0] (n1): subnets[1] (s2): cidr: "10.0.300.0/24" is not a valid CIDR`,
				`t.yaml:11:15: networks[0] (n1): subnets[2] (s3): cidr: "10.0.3.0" is not a valid CIDR (missing /prefix-length, as in 10.0.0.0/24)`,
				`t.yaml:13:15: networks[0] (n1): subnets[3] (s4): cidr: 10.0.4.0/31 is not a usable subnet: the prefix length must be 1 to 30`,
			},
		},
		{
			name: "bad IP, MAC, domain",
			yaml: doc(
				"version: 1",
				"networks:",
				"  - name: n1",
				"    type: local",
				"    subnets:",
				"      - name: s1",
				"        cidr: 10.0.0.0/24",
				"        dns_nameservers: [8.8.8.8, 8.8.8]",
				"        domain: bad_domain",
				"ports:",
				"  - name: p1",
				"    network: n1",
				"    mac: fa:16:3e:00:00",
				"    fixed_ips: [10.0.0.5/24]",
				"  - name: p2",
				"    network: n1",
				"    mac: 01:00:5e:00:00:01",
				"  - name: p3",
				"    network: n1",
				"    mac: 00:00:00:00:00:00",
			),
			want: []string{
				`t.yaml:8:36: networks[0] (n1): subnets[0] (s1): dns_nameservers[1]: "8.8.8" is not a valid IP address`,
				`t.yaml:9:17: networks[0] (n1): subnets[0] (s1): domain: "bad_domain" is not a valid domain name (character "_")`,
				`t.yaml:13:10: ports[0] (p1): mac: "fa:16:3e:00:00" is not a valid MAC address (want six bytes like fa:16:3e:00:00:01)`,
				`t.yaml:14:17: ports[0] (p1): fixed_ips[0]: "10.0.0.5/24" is not a valid IP address (an address here, not a CIDR)`,
				`t.yaml:17:10: ports[1] (p2): mac: 01:00:5e:00:00:01 is a multicast MAC address (the low bit of the first byte is set)`,
				`t.yaml:20:10: ports[2] (p3): mac: 00:00:00:00:00:00 is the all-zero MAC address`,
			},
		},
		{
			name: "device names",
			yaml: doc(
				"version: 1",
				"networks:",
				"  - name: n1",
				"    type: local",
				"ports:",
				"  - name: p1",
				"    network: n1",
				"    device: tap-much-too-long",
				"  - name: p2",
				"    network: n1",
				"    device: tap/2",
				"  - name: p3",
				"    network: n1",
				"    device: 'tap:3'",
				"  - name: p4",
				"    network: n1",
				"    device: 'tap 4'",
				"  - name: p5",
				"    network: n1",
				"    device: ..",
				"  - name: p6",
				"    network: n1",
				`    device: ""`,
			),
			want: []string{
				`t.yaml:8:13: ports[0] (p1): device: interface name "tap-much-too-long" is 17 characters long: the kernel allows at most 15`,
				`t.yaml:11:13: ports[1] (p2): device: interface name "tap/2" contains "/", which the kernel refuses`,
				`t.yaml:14:13: ports[2] (p3): device: interface name "tap:3" contains ":", which the kernel refuses`,
				`t.yaml:17:13: ports[3] (p4): device: interface name "tap 4" contains whitespace, which the kernel refuses`,
				`t.yaml:20:13: ports[4] (p5): device: ".." is not a valid interface name`,
				`t.yaml:23:13: ports[5] (p6): device: an interface name must not be empty`,
			},
		},
		{
			name: "enumerations",
			yaml: doc(
				"version: 1",
				"networks:",
				"  - name: n1",
				"    type: local",
				"ports:",
				"  - name: p1",
				"    network: n1",
				"    attach: veth",
				"    extra_dhcp_opts:",
				"      - {opt_name: mtu, opt_value: 1400, ip_version: 5}",
				"security_groups:",
				"  - name: g",
				"    rules:",
				"      - {direction: inbound}",
				"      - {direction: ingress, ethertype: ipv4}",
				"      - {direction: ingress, protocol: tpc}",
				"      - {direction: ingress, protocol: 256}",
			),
			want: []string{
				`t.yaml:8:13: ports[0] (p1): attach: "veth" is not one of tap, existing, netns`,
				`t.yaml:10:54: ports[0] (p1): extra_dhcp_opts[0] (mtu): ip_version: 5 is not an IP version: 4 or 6`,
				`t.yaml:14:21: security_groups[0] (g): rules[0]: direction: "inbound" is not one of ingress, egress`,
				`t.yaml:15:41: security_groups[0] (g): rules[1]: ethertype: "ipv4" is not one of IPv4, IPv6 (did you mean IPv4?)`,
				`t.yaml:16:40: security_groups[0] (g): rules[2]: protocol: unknown protocol "tpc" (did you mean tcp?): use a name (tcp, udp, icmp, ...), any, or a number 0-255`,
				`t.yaml:17:40: security_groups[0] (g): rules[3]: protocol: protocol number 256 is out of range 0-255`,
			},
		},
		{
			name: "uplink interface and tap",
			yaml: doc(
				"version: 1",
				"uplinks:",
				"  - name: u1",
				"    interface: eth1",
				"    tap: ext0",
				"  - name: u2",
			),
			want: []string{
				`t.yaml:5:10: uplinks[0] (u1): give one of interface and tap, not both`,
				`t.yaml:6:5: uplinks[1] (u2): missing interface (an existing interface, bound with AF_PACKET) or tap (a TAP device neutrino creates)`,
			},
		},
		{
			name: "floating IP must be IPv4",
			yaml: doc(
				"version: 1",
				"floating_ips:",
				"  - floating_ip_address: 2001:db8::5",
			),
			want: []string{
				`t.yaml:3:5: floating_ips[0] (2001:db8::5): missing required field "floating_network"`,
				`t.yaml:3:26: floating_ips[0] (2001:db8::5): floating_ip_address: 2001:db8::5: floating IPs are IPv4 only`,
			},
		},
		{
			name: "negative port",
			yaml: doc(
				"version: 1",
				"security_groups:",
				"  - name: g",
				"    rules:",
				"      - {direction: ingress, protocol: tcp, port_range_min: -1}",
			),
			want: []string{`t.yaml:5:61: security_groups[0] (g): rules[0]: port_range_min: -1 is negative`},
		},
		{
			name: "bad merge",
			yaml: doc(
				"version: 1",
				"nodes:",
				"  - name: a",
				"    <<: 5",
			),
			want: []string{`t.yaml:4:9: nodes[0] (a): << must merge a mapping or a list of mappings, got integer 5`},
		},
		{
			name: "unknown field from a merge",
			yaml: doc(
				"version: 1",
				"x-common: &common",
				"  colour: blue",
				"nodes:",
				"  - name: a",
				"    <<: *common",
			),
			want: []string{
				`t.yaml:2:1: unknown field "x-common" (known fields: version, nodes, uplinks, networks, ports, routers, floating_ips, security_groups)`,
				`t.yaml:6:9: nodes[0] (a): unknown field "colour" (known fields: name, underlay_ip, conntrack_max)`,
			},
		},
	})
}

func TestFileErrors(t *testing.T) {
	runErrCases(t, []errCase{
		{name: "empty", yaml: "", want: []string{`t.yaml:1:1: the file is empty: a topology needs at least "version: 1"`}},
		{name: "comments only", yaml: "# nothing\n", want: []string{`t.yaml:1:1: the file is empty: a topology needs at least "version: 1"`}},
		{name: "null document", yaml: "---\n~\n", want: []string{`t.yaml:1:1: the file is empty: a topology needs at least "version: 1"`}},
		{
			name: "list",
			yaml: doc("- version: 1"),
			want: []string{`t.yaml:1:1: a topology is a mapping of sections (version, nodes, uplinks, networks, ports, routers, floating_ips, security_groups), got a list`},
		},
		{
			name: "not YAML at all",
			yaml: "this is not a topology\n",
			want: []string{`t.yaml:1:1: a topology is a mapping of sections (version, nodes, uplinks, networks, ports, routers, floating_ips, security_groups), got string "this is not a topology"`},
		},
		{
			name: "syntax error",
			yaml: doc(
				"version: 1",
				"networks:",
				"  - name: n1",
				"   type: local",
			),
			want: []string{`t.yaml:2:1: invalid YAML: did not find expected '-' indicator`},
		},
		{
			name: "tab indentation",
			yaml: "version: 1\nnetworks:\n\t- name: n1\n",
			want: []string{`t.yaml:3:1: invalid YAML: found character that cannot start any token`},
		},
		{
			name: "two documents",
			yaml: doc("version: 1", "---", "version: 1"),
			want: []string{`t.yaml:2:1: the file holds more than one YAML document: a topology is one document`},
		},
		{
			name: "unknown anchor",
			yaml: doc("version: 1", "nodes: *n"),
			want: []string{`t.yaml:1:1: invalid YAML: unknown anchor 'n' referenced`},
		},
	})
}

// An alias bomb (many aliases of one large list) must end in one clear
// error, quickly.
func TestAliasBomb(t *testing.T) {
	var b []byte
	b = append(b, "version: 1\nsecurity_groups:\n  - name: g0\n    rules: &rules\n"...)
	for i := 0; i < 2000; i++ {
		b = append(b, "      - {direction: ingress, protocol: tcp, port_range_min: 1}\n"...)
	}
	for i := 1; i < 1000; i++ {
		b = append(b, "  - {name: g"...)
		b = append(b, itoa(i)...)
		b = append(b, ", rules: *rules}\n"...)
	}
	_, err := Parse("t.yaml", b)
	got := errLines(t, err)
	want := ": the document is too large: with its aliases expanded it has more than 1000000 values"
	if len(got) != 1 || !strings.HasSuffix(got[0], want) {
		t.Errorf("got %d errors, first %q", len(got), first(got))
	}
}

func itoa(i int) string { return string(appendInt(nil, i)) }

func appendInt(b []byte, i int) []byte {
	if i >= 10 {
		b = appendInt(b, i/10)
	}
	return append(b, byte('0'+i%10))
}

func first(s []string) string {
	if len(s) == 0 {
		return ""
	}
	return s[0]
}

func TestMergeKeys(t *testing.T) {
	top := mustParse(t, doc(
		"version: 1",
		"networks:",
		"  - &base",
		"    name: n1",
		"    type: vxlan",
		"    segment: 5",
		"    mtu: 1400",
		"  - <<: *base",
		"    name: n2",
		"    segment: 6",
		"nodes:",
		"  - {name: a, underlay_ip: 10.0.0.1}",
	))
	n2 := top.NetworkByName("n2")
	if n2 == nil || n2.Type != VXLAN || n2.Segment != 6 || n2.MTU != 1400 {
		t.Errorf("n2 = %+v", n2)
	}
}
