package configs

import (
	"testing"
)

func TestValidateSecurityGroups(t *testing.T) {
	runErrCases(t, []errCase{
		{
			name: "port ranges",
			yaml: doc(
				"version: 1",
				"security_groups:",
				"  - name: g",
				"    rules:",
				"      - {direction: ingress, protocol: gre, port_range_min: 1}",
				"      - {direction: ingress, port_range_min: 22}",
				"      - {direction: ingress, protocol: tcp, port_range_min: 100, port_range_max: 20}",
				"      - {direction: ingress, protocol: udp, port_range_max: 53}",
				"      - {direction: ingress, protocol: tcp, port_range_min: 0}",
				"      - {direction: ingress, protocol: sctp, port_range_min: 1, port_range_max: 70000}",
				"      - {direction: ingress, protocol: icmp, port_range_max: 0}",
				"      - {direction: ingress, protocol: icmp, port_range_min: 256, port_range_max: 300}",
				"      - {direction: ingress, protocol: any, port_range_min: 1}",
			),
			want: []string{
				"t.yaml:5:61: security_groups[0] (g): rules[0]: port_range_min: protocol gre has no ports: port ranges are for tcp, udp, sctp, dccp and udplite, and type/code for icmp",
				"t.yaml:6:46: security_groups[0] (g): rules[1]: port_range_min: a port range needs a protocol: tcp, udp, sctp, dccp or udplite (or icmp, for a type and code)",
				"t.yaml:7:61: security_groups[0] (g): rules[2]: port_range_min: port_range_min 100 is greater than port_range_max 20",
				"t.yaml:8:61: security_groups[0] (g): rules[3]: port_range_max: port_range_max needs port_range_min",
				"t.yaml:9:61: security_groups[0] (g): rules[4]: port_range_min: port 0 is out of range 1-65535",
				"t.yaml:10:81: security_groups[0] (g): rules[5]: port_range_max: port 70000 is out of range 1-65535",
				"t.yaml:11:62: security_groups[0] (g): rules[6]: port_range_max: an ICMP code (port_range_max) needs an ICMP type (port_range_min)",
				"t.yaml:12:62: security_groups[0] (g): rules[7]: port_range_min: ICMP type 256 is out of range 0-255",
				"t.yaml:12:83: security_groups[0] (g): rules[7]: port_range_max: ICMP code 300 is out of range 0-255",
				"t.yaml:13:61: security_groups[0] (g): rules[8]: port_range_min: a port range needs a protocol: tcp, udp, sctp, dccp or udplite (or icmp, for a type and code)",
			},
		},
		{
			name: "remotes and ethertypes",
			yaml: doc(
				"version: 1",
				"security_groups:",
				"  - name: g",
				"    rules:",
				"      - {direction: ingress, remote_ip_prefix: 10.0.0.0/8, remote_group: g}",
				"      - {direction: ingress, remote_ip_prefix: '2001:db8::/32'}",
				"      - {direction: ingress, ethertype: IPv6, remote_ip_prefix: 10.0.0.0/8}",
				"      - {direction: ingress, protocol: ipv6-icmp}",
				"      - {direction: ingress, protocol: 58}",
				"      - {direction: ingress, remote_ip_prefix: 10.0.0.1/8}",
				"      - {direction: ingress, ethertype: IPv6, protocol: icmpv6}",
				"      - {direction: ingress, remote_ip_prefix: 10.1.2.3}",
			),
			want: []string{
				"t.yaml:5:74: security_groups[0] (g): rules[0]: remote_group: give remote_ip_prefix or remote_group, not both",
				"t.yaml:6:48: security_groups[0] (g): rules[1]: remote_ip_prefix: 2001:db8::/32 is an IPv6 prefix, but the rule's ethertype is IPv4",
				"t.yaml:7:65: security_groups[0] (g): rules[2]: remote_ip_prefix: 10.0.0.0/8 is an IPv4 prefix, but the rule's ethertype is IPv6",
				"t.yaml:8:40: security_groups[0] (g): rules[3]: protocol: protocol ipv6-icmp is IPv6 only, but the rule's ethertype is IPv4",
				"t.yaml:9:40: security_groups[0] (g): rules[4]: protocol: protocol 58 is IPv6 only, but the rule's ethertype is IPv4",
				"t.yaml:10:48: security_groups[0] (g): rules[5]: remote_ip_prefix: 10.0.0.1/8 has host bits set (did you mean 10.0.0.0/8?)",
			},
		},
		{
			name: "duplicate rules",
			yaml: doc(
				"version: 1",
				"security_groups:",
				"  - name: g",
				"    rules:",
				"      - {direction: ingress, protocol: tcp, port_range_min: 22}",
				"      - {direction: ingress, protocol: TCP, port_range_min: 22, port_range_max: 22}",
				"      - {direction: ingress, protocol: 6, port_range_min: 22, ethertype: IPv6}",
			),
			want: []string{
				"t.yaml:6:9: security_groups[0] (g): rules[1]: duplicate rule: the same as rules[0] (line 5)",
			},
		},
		{
			name: "a group must have a name, a rule a direction",
			yaml: doc(
				"version: 1",
				"security_groups:",
				"  - rules: [{protocol: tcp}]",
			),
			want: []string{
				`t.yaml:3:5: security_groups[0]: missing required field "name"`,
				`t.yaml:3:13: security_groups[0]: rules[0]: missing required field "direction"`,
			},
		},
	})
}
