package configs

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// A file with many mistakes reports all of them, sorted by line and column,
// whatever stage found them.
func TestAllErrorsSorted(t *testing.T) {
	yaml := doc(
		"version: 1",
		"nodes:",
		"  - name: network01",
		"    underlay_ip: 10.168.7.16",
		"  - name: compute01",
		"ports:",
		"  - name: vm1",
		"    network: demo-net",
		"    node: compute01",
		"    fixed_ips: [91.1.181.14]",
		"    mac: fa:16:3e:f3:1e:c0",
		"  - name: vm2",
		"    network: demo-net",
		"    node: compute02",
		"    mac: fa:16:3e:f3:1e:c0",
		"networks:",
		"  - name: demo-net",
		"    type: vxlan",
		"    segment: 100",
		"    mtu: 1450",
		"    subnets:",
		"      - name: demo-subnet",
		"        cidr: 91.1.180.0/24",
		"        enable_dhcp: maybe",
		"security_groups:",
		"  - name: default",
		"    rules:",
		"      - {direction: ingress, protocol: icmp, port_range_max: 0}",
		"    stateful: true",
		"    statefull: false",
	)
	want := []string{
		"t.yaml:9:11: ports[0] (vm1): node: port vm1 is on vxlan network demo-net, but node compute01 has no underlay_ip",
		"t.yaml:10:17: ports[0] (vm1): fixed_ips[0]: 91.1.181.14 is not inside any subnet of network demo-net",
		`t.yaml:14:11: ports[1] (vm2): node: no node named "compute02" (did you mean compute01?)`,
		"t.yaml:15:10: ports[1] (vm2): mac: MAC fa:16:3e:f3:1e:c0 is already used on network demo-net by port vm1 (line 11)",
		`t.yaml:24:22: networks[0] (demo-net): subnets[0] (demo-subnet): enable_dhcp: expected a boolean (true or false), got string "maybe"`,
		"t.yaml:28:62: security_groups[0] (default): rules[0]: port_range_max: an ICMP code (port_range_max) needs an ICMP type (port_range_min)",
		`t.yaml:30:5: security_groups[0] (default): unknown field "statefull" (did you mean stateful?)`,
	}
	_, err := Parse("t.yaml", []byte(yaml))
	if diff := cmp.Diff(want, errLines(t, err)); diff != "" {
		t.Errorf("errors (-want +got):\n%s\nwhere:\n%s", diff, pointed(err, yaml))
	}
}
