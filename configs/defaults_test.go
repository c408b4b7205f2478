package configs

import (
	"crypto/sha256"
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDeriveMAC(t *testing.T) {
	sum := sha256.Sum256([]byte("vm1"))
	want := MAC{0xfa, 0x16, 0x3e, sum[0], sum[1], sum[2]}
	if got := DeriveMAC("vm1"); got != want {
		t.Errorf("DeriveMAC(vm1) = %s, want %s", got, want)
	}
	if got := DeriveMAC("vm1").String(); got != "fa:16:3e:7b:11:e3" {
		t.Errorf("DeriveMAC(vm1) = %s, want fa:16:3e:7b:11:e3 (the derivation must never change)", got)
	}
}

func TestDefaultDevice(t *testing.T) {
	for _, tc := range []struct{ name, want string }{
		{"vm1", "tapvm1"},
		{"abcdefghijk", "tapabcdefghijk"},
		{"abcdefghijklmnop", "tapabcdefghijk"},
		{"abcdefghijé", "tapabcdefghij"}, // é would be cut in half
	} {
		if got := defaultDevice(tc.name); got != tc.want {
			t.Errorf("defaultDevice(%q) = %q, want %q", tc.name, got, tc.want)
		}
	}
}

// portSummary is what defaults decide about a port.
type portSummary struct {
	Node, Device string
	Attach       Attach
	MAC          string
	Groups       []string
	Security     bool
}

func summarizePort(p *Port) portSummary {
	s := portSummary{Node: p.NodeName, Device: p.Device, Attach: p.Attach, MAC: p.MAC.String(), Security: p.PortSecurity}
	for _, g := range p.SecurityGroups {
		s.Groups = append(s.Groups, g.Name)
	}
	return s
}

func TestPortDefaults(t *testing.T) {
	top := mustParse(t, doc(
		"version: 1",
		"networks:",
		"  - {name: n1, type: local, subnets: [{name: s1, cidr: 10.0.0.0/24}]}",
		"  - {name: bare, type: local}",
		"ports:",
		"  - {name: vm1, network: n1}",
		"  - {name: a-long-port-name, network: n1, port_security: false}",
		"  - {name: vm3, network: bare}",
		"  - {name: vm4, network: n1, attach: existing, device: eth9, mac: '02:00:00:00:00:09', security_groups: []}",
	))
	if n := top.Nodes; len(n) != 1 || n[0].Name != "local" || !n[0].Implicit {
		t.Fatalf("nodes = %+v, want one implicit node local", n)
	}
	want := []portSummary{
		{Node: "local", Device: "tapvm1", Attach: AttachTap, MAC: DeriveMAC("vm1").String(), Groups: []string{"default"}, Security: true},
		{Node: "local", Device: "tapa-long-port", Attach: AttachTap, MAC: DeriveMAC("a-long-port-name").String()},
		{Node: "local", Device: "tapvm3", Attach: AttachTap, MAC: DeriveMAC("vm3").String(), Security: true},
		{Node: "local", Device: "eth9", Attach: AttachExisting, MAC: "02:00:00:00:00:09", Security: true},
	}
	var got []portSummary
	for _, p := range top.Ports {
		got = append(got, summarizePort(p))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ports (-want +got):\n%s", diff)
	}
}

// subnetSummary is what defaults decide about a subnet.
type subnetSummary struct {
	Gateway, DHCPIP string
	DHCP            bool
	Lease           int
	Domain          string
}

func TestSubnetDefaults(t *testing.T) {
	top := mustParse(t, doc(
		"version: 1",
		"networks:",
		"  - name: n1",
		"    type: vxlan",
		"    segment: 7",
		"    subnets:",
		"      - {name: plain, cidr: 10.0.0.0/24}",
		"      - {name: busy, cidr: 10.0.1.0/24, gateway: 10.0.1.1, allocation_pool: {start: 10.0.1.3, end: 10.0.1.9}}",
		"      - {name: nogw, cidr: 10.0.2.0/24, gateway: none}",
		"      - {name: nullgw, cidr: 10.0.3.0/24, gateway: null}",
		"      - {name: lastgw, cidr: 10.0.4.0/24, gateway: 10.0.4.254}",
		"      - {name: off, cidr: 10.0.5.0/24, enable_dhcp: false}",
		"      - {name: v6, cidr: '2001:db8::/64', lease_time: -1, domain: example.org}",
		"  - {name: n2, type: local}",
		"nodes: [{name: a, underlay_ip: 192.0.2.1}]",
		"ports:",
		"  - {name: p1, network: n1, fixed_ips: [10.0.1.2, 10.0.1.10, 10.0.4.1]}",
	))
	n1, n2 := top.NetworkByName("n1"), top.NetworkByName("n2")
	if n1.MTU != 1450 || n2.MTU != 1500 {
		t.Errorf("MTU: vxlan %d, local %d; want 1450, 1500", n1.MTU, n2.MTU)
	}
	if n1.DHCPMAC != DeriveMAC("dhcp/n1") || !n2.DHCPMAC.IsZero() {
		t.Errorf("DHCP MACs: %s, %s", n1.DHCPMAC, n2.DHCPMAC)
	}
	want := []subnetSummary{
		{"10.0.0.1", "10.0.0.2", true, 86400, "openstacklocal"},
		{"10.0.1.1", "10.0.1.11", true, 86400, "openstacklocal"}, // .2 is a port's, .3-.9 the pool's, .10 a port's
		{"invalid IP", "10.0.2.1", true, 86400, "openstacklocal"},
		{"invalid IP", "10.0.3.1", true, 86400, "openstacklocal"},
		{"10.0.4.254", "10.0.4.2", true, 86400, "openstacklocal"}, // wraps around, .1 is a port's
		{"10.0.5.1", "invalid IP", false, 86400, "openstacklocal"},
		{"2001:db8::1", "2001:db8::2", true, -1, "example.org"},
	}
	var got []subnetSummary
	for _, s := range n1.Subnets {
		got = append(got, subnetSummary{s.Gateway.String(), s.DHCPIP.String(), s.EnableDHCP, s.LeaseTime, s.Domain})
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("subnets (-want +got):\n%s", diff)
	}
	p := top.PortByName("p1")
	for i, f := range p.FixedIPs {
		if f.Subnet == nil {
			t.Errorf("fixed_ips[%d] has no subnet", i)
		}
	}
	if p.FixedIPs[2].Subnet.Name != "lastgw" {
		t.Errorf("subnet of 10.0.4.1 = %s", p.FixedIPs[2].Subnet.Name)
	}
}

// ruleSummary is a rule's resolved values.
type ruleSummary struct {
	Dir      Direction
	Eth      EtherType
	Proto    int
	Min, Max int
	Prefix   string
	Group    string
}

func summarizeRules(g *SecurityGroup) []ruleSummary {
	var out []ruleSummary
	for _, r := range g.Rules {
		p := ""
		if r.RemoteIPPrefix.IsValid() {
			p = r.RemoteIPPrefix.String()
		}
		grp := ""
		if r.RemoteGroup != nil {
			grp = r.RemoteGroup.Name
		}
		out = append(out, ruleSummary{r.Direction, r.EtherType, r.Protocol, r.PortRangeMin, r.PortRangeMax, p, grp})
	}
	return out
}

func TestSecurityGroupDefaults(t *testing.T) {
	top := mustParse(t, doc(
		"version: 1",
		"security_groups:",
		"  - name: web",
		"    rules:",
		"      - {direction: ingress, protocol: tcp, port_range_min: 80}",
		"      - {direction: ingress, ethertype: IPv6, protocol: icmp, port_range_min: 128}",
		"      - {direction: egress, protocol: '17', remote_ip_prefix: 10.1.2.3}",
		"      - {direction: ingress, protocol: any, remote_group: default}",
	))
	def := top.SecurityGroupByName("default")
	if def == nil || !def.Implicit || !def.Stateful {
		t.Fatalf("default group = %+v, want an implicit stateful group", def)
	}
	wantDefault := []ruleSummary{
		{Egress, IPv4, AnyProtocol, Unset, Unset, "", ""},
		{Egress, IPv6, AnyProtocol, Unset, Unset, "", ""},
		{Ingress, IPv4, AnyProtocol, Unset, Unset, "", "default"},
		{Ingress, IPv6, AnyProtocol, Unset, Unset, "", "default"},
	}
	if diff := cmp.Diff(wantDefault, summarizeRules(def)); diff != "" {
		t.Errorf("default rules (-want +got):\n%s", diff)
	}
	wantWeb := []ruleSummary{
		{Ingress, IPv4, 6, 80, 80, "", ""},
		{Ingress, IPv6, 58, 128, Unset, "", ""},
		{Egress, IPv4, 17, Unset, Unset, "10.1.2.3/32", ""},
		{Ingress, IPv4, AnyProtocol, Unset, Unset, "", "default"},
	}
	if diff := cmp.Diff(wantWeb, summarizeRules(top.SecurityGroupByName("web"))); diff != "" {
		t.Errorf("web rules (-want +got):\n%s", diff)
	}
}

func TestExplicitDefaultGroupReplacesTheImplicitOne(t *testing.T) {
	top := mustParse(t, doc(
		"version: 1",
		"security_groups: [{name: default, stateful: false, rules: []}]",
	))
	g := top.SecurityGroupByName("default")
	if g.Implicit || g.Stateful || len(g.Rules) != 0 || len(top.SecurityGroups) != 1 {
		t.Errorf("default group = %+v", g)
	}
}

func TestRouterDefaults(t *testing.T) {
	top := mustParse(t, doc(
		"version: 1",
		"uplinks: [{name: physnet1, interface: eth1}]",
		"networks:",
		"  - name: ext",
		"    type: flat",
		"    physical: physnet1",
		"    external: true",
		"    subnets:",
		"      - {name: ext6, cidr: '2001:db8:e::/64', enable_dhcp: false}",
		"      - {name: ext4, cidr: 192.168.1.0/24, allocation_pool: {start: 192.168.1.2, end: 192.168.1.9}}",
		"  - {name: n1, type: local, subnets: [{name: s1, cidr: 10.0.0.0/24}]}",
		"ports:",
		"  - {name: vm1, network: n1, fixed_ips: [10.0.0.10]}",
		"  - {name: out, network: ext, fixed_ips: [192.168.1.10], port_security: false}",
		"routers:",
		"  - {name: r1, external_gateway: {network: ext}, interfaces: [s1]}",
		"floating_ips:",
		"  - {floating_network: ext, port: vm1}",
		"  - {floating_network: ext}",
	))
	r := top.RouterByName("r1")
	g := r.ExternalGateway
	if r.NodeName != "local" || r.Node != top.Nodes[0] {
		t.Errorf("router node = %q", r.NodeName)
	}
	// .1 is the gateway, .2-.9 the pool, .10 a port's, .11 the DHCP server's.
	if top.SubnetByName("ext4").DHCPIP != netip.MustParseAddr("192.168.1.11") {
		t.Errorf("dhcp_ip = %s", top.SubnetByName("ext4").DHCPIP)
	}
	if g.IP != netip.MustParseAddr("192.168.1.12") || g.Subnet.Name != "ext4" || !g.EnableSNAT {
		t.Errorf("gateway = %s on %v, snat %v", g.IP, g.Subnet, g.EnableSNAT)
	}
	if g.MAC != DeriveMAC("r1/ext") {
		t.Errorf("gateway MAC = %s", g.MAC)
	}
	ri := r.Interfaces[0]
	if ri.IP != netip.MustParseAddr("10.0.0.1") || ri.MAC != DeriveMAC("r1/s1") || ri.Subnet.Interface != ri {
		t.Errorf("interface = %s %s", ri.IP, ri.MAC)
	}
	f0, f1 := top.FloatingIPs[0], top.FloatingIPs[1]
	if f0.Address != netip.MustParseAddr("192.168.1.13") || f0.FixedIP != netip.MustParseAddr("10.0.0.10") || f0.Router != r {
		t.Errorf("floating IP 0 = %s -> %s via %v", f0.Address, f0.FixedIP, f0.Router)
	}
	if f1.Address != netip.MustParseAddr("192.168.1.14") || f1.Port != nil || f1.Router != nil {
		t.Errorf("floating IP 1 = %s", f1.Address)
	}
	if len(r.FloatingIPs) != 1 || r.FloatingIPs[0] != f0 {
		t.Errorf("router floating IPs = %v", r.FloatingIPs)
	}
}
