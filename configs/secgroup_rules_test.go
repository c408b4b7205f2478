package configs

import (
	"net/netip"
	"testing"

	"github.com/google/go-cmp/cmp"

	"neutrino/firewall"
)

func TestFirewallRules(t *testing.T) {
	top := mustParse(t, withNet1(
		"ports:",
		"  - {name: a, network: n1, fixed_ips: [10.0.0.10], security_groups: [web, default]}",
		"  - name: b",
		"    network: n1",
		"    fixed_ips: [10.0.0.11]",
		"    allowed_address_pairs: [{ip_address: 10.0.0.100}, {ip_address: 10.0.5.0/24}]",
		"  - {name: c, network: n1, fixed_ips: [10.0.0.12], security_groups: [web]}",
		"  - {name: d, network: n1, fixed_ips: [10.0.0.13], port_security: false}",
		"security_groups:",
		"  - name: web",
		"    rules:",
		"      - {direction: ingress, protocol: tcp, port_range_min: 80, remote_ip_prefix: 0.0.0.0/0}",
		"      - {direction: ingress, protocol: icmp, port_range_min: 8, remote_group: web}",
		"      - {direction: egress, ethertype: IPv6}",
	))
	ports := map[string]*Port{}
	for _, p := range top.Ports {
		ports[p.Name] = p
	}
	members := GroupMembers(top)
	v4any := []netip.Prefix{netip.MustParsePrefix("0.0.0.0/0")}
	got := FirewallRules(ports["a"], members)
	want := []firewall.Rule{
		{Group: "web", Index: 0, Ingress: true, Protocol: 6, PortMin: 80, PortMax: 80, Remote: v4any},
		{Group: "web", Index: 1, Ingress: true, Protocol: 1, PortMin: 8, PortMax: -1, RemoteGroup: "web",
			Remote: []netip.Prefix{netip.MustParsePrefix("10.0.0.12/32")}},
		{Group: "web", Index: 2, IPv6: true, Protocol: -1, PortMin: -1, PortMax: -1, Remote: []netip.Prefix{netip.MustParsePrefix("::/0")}},
		{Group: "default", Index: 0, Protocol: -1, PortMin: -1, PortMax: -1, Remote: v4any},
		{Group: "default", Index: 1, IPv6: true, Protocol: -1, PortMin: -1, PortMax: -1, Remote: []netip.Prefix{netip.MustParsePrefix("::/0")}},
		// default's members other than a: b with its address pairs (c is
		// in web only, d has no port security).
		{Group: "default", Index: 2, Ingress: true, Protocol: -1, PortMin: -1, PortMax: -1, RemoteGroup: "default",
			Remote: []netip.Prefix{netip.MustParsePrefix("10.0.0.11/32"), netip.MustParsePrefix("10.0.0.100/32"), netip.MustParsePrefix("10.0.5.0/24")}},
		{Group: "default", Index: 3, Ingress: true, IPv6: true, Protocol: -1, PortMin: -1, PortMax: -1, RemoteGroup: "default", Remote: []netip.Prefix{}},
	}
	if d := cmp.Diff(want, got, cmp.Comparer(func(a, b netip.Prefix) bool { return a == b })); d != "" {
		t.Errorf("rules of a (-want +got):\n%s", d)
	}
	if got := FirewallRules(ports["d"], members); len(got) != 0 {
		t.Errorf("a port without port security has rules: %v", got)
	}
	// b's group is default alone; the remote group default holds a only.
	got = FirewallRules(ports["b"], members)
	if len(got) != 4 || len(got[2].Remote) != 1 || got[2].Remote[0] != netip.MustParsePrefix("10.0.0.10/32") {
		t.Errorf("rules of b: %+v", got)
	}
}
