package configs

import "testing"

func TestNetnsPortDefaults(t *testing.T) {
	top := mustParse(t, withNet1(
		"ports:",
		"  - {name: vm1, network: n1, attach: netns, fixed_ips: [10.0.0.11]}",
		"  - {name: vm2, network: n1, attach: netns, netns: lab-b, ifname: ens3, addressing: dhcp, netns_reuse: true}",
		"  - {name: vm3, network: n1, device: tapvm3}",
	))
	p1, p2, p3 := top.Ports[0], top.Ports[1], top.Ports[2]
	if p1.Netns != "vm1" || p1.IfName != "eth0" || p1.Device != "eth0" || p1.Addressing != AddressingStatic || p1.NetnsReuse {
		t.Errorf("vm1: netns %q ifname %q device %q addressing %q reuse %v", p1.Netns, p1.IfName, p1.Device, p1.Addressing, p1.NetnsReuse)
	}
	if p2.Netns != "lab-b" || p2.IfName != "ens3" || p2.Addressing != AddressingDHCP || !p2.NetnsReuse {
		t.Errorf("vm2: netns %q ifname %q addressing %q reuse %v", p2.Netns, p2.IfName, p2.Addressing, p2.NetnsReuse)
	}
	if p3.Attach != AttachTap || p3.Netns != "" {
		t.Errorf("vm3: attach %q netns %q", p3.Attach, p3.Netns)
	}
}

func TestValidateNetnsPorts(t *testing.T) {
	runErrCases(t, []errCase{
		{
			name: "netns fields on other ports",
			yaml: withNet1(
				"ports:",
				"  - {name: p1, network: n1, netns: x, ifname: eth0}",
				"  - {name: p2, network: n1, attach: existing, device: eth9, addressing: dhcp}",
			),
			want: []string{
				`t.yaml:8:36: ports[0] (p1): netns: netns is for attach: netns ports only (this port attaches as tap)`,
				`t.yaml:8:47: ports[0] (p1): ifname: ifname is for attach: netns ports only (this port attaches as tap)`,
				`t.yaml:9:73: ports[1] (p2): addressing: addressing is for attach: netns ports only (this port attaches as existing)`,
			},
		},
		{
			name: "bad names",
			yaml: withNet1(
				"ports:",
				"  - {name: p1, network: n1, attach: netns, netns: 'a/b'}",
				"  - {name: p2, network: n1, attach: netns, netns: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa}",
				"  - {name: p3, network: n1, attach: netns, ifname: averyveryverylongname}",
				"  - {name: p4, network: n1, attach: netns, device: tapp4}",
				"  - {name: '-p5', network: n1, attach: netns}",
			),
			want: []string{
				`t.yaml:8:51: ports[0] (p1): netns: namespace name "a/b" contains "/": use letters, digits, '-', '_' and '.'`,
				`t.yaml:9:51: ports[1] (p2): netns: namespace name "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" is 70 characters long: at most 64`,
				`t.yaml:10:52: ports[2] (p3): ifname: interface name "averyveryverylongname" is 21 characters long: the kernel allows at most 15`,
				`t.yaml:11:52: ports[3] (p4): device: an attach: netns port has no device on the host: name the interface inside its namespace with ifname`,
				`t.yaml:12:12: ports[4] (-p5): name: the default namespace (the port name) is not usable: namespace name "-p5" starts with '-': commands would take it for an option; set netns`,
			},
		},
		{
			name: "one namespace, two ports",
			yaml: withNet1(
				"ports:",
				"  - {name: p1, network: n1, attach: netns, netns: lab}",
				"  - {name: p2, network: n1, attach: netns, netns: lab}",
				"  - {name: lab, network: n1, attach: netns}",
				"  - {name: p4, network: n1, attach: netns}",
				"  - {name: p5, network: n1, attach: netns}",
			),
			want: []string{
				`t.yaml:9:51: ports[1] (p2): netns: namespace lab is already used on node local by port p1 (line 8)`,
				`t.yaml:10:12: ports[2] (lab): name: namespace lab is already used on node local by port p1 (line 8)`,
			},
		},
		{
			name: "addressing dhcp without DHCP",
			yaml: doc(
				"version: 1",
				"networks:",
				"  - {name: n1, type: local, subnets: [{name: s1, cidr: 10.0.0.0/24, enable_dhcp: false}]}",
				"ports:",
				"  - {name: p1, network: n1, attach: netns, addressing: dhcp}",
			),
			want: []string{
				`t.yaml:5:56: ports[0] (p1): addressing: dhcp needs a subnet with enable_dhcp on network n1 (or use addressing: static)`,
			},
		},
	})
}
