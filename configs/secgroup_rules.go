package configs

import (
	"net/netip"
	"strings"

	"neutrino/firewall"
)

// GroupMembers returns the ports of each security group, in file order:
// what its remote_group rules stand for.
func GroupMembers(t *Topology) map[*SecurityGroup][]*Port {
	m := map[*SecurityGroup][]*Port{}
	for _, p := range t.Ports {
		for _, g := range p.SecurityGroups {
			if g != nil {
				m[g] = append(m[g], p)
			}
		}
	}
	return m
}

// PortAddresses returns the addresses a port may send from and that stand
// for it in remote groups: its fixed IPs as host prefixes, then the
// prefixes of its allowed address pairs.
func PortAddresses(p *Port) []netip.Prefix {
	out := make([]netip.Prefix, 0, len(p.FixedIPs)+len(p.AllowedAddressPairs))
	for _, f := range p.FixedIPs {
		if f.Address.IsValid() {
			out = append(out, netip.PrefixFrom(f.Address, f.Address.BitLen()))
		}
	}
	for _, ap := range p.AllowedAddressPairs {
		if ap.IPAddress.IsValid() {
			out = append(out, ap.IPAddress.Masked())
		}
	}
	return out
}

// FirewallRules returns the rules of p's security groups resolved for
// firewall.Compile, group after group in the port's order, each group's
// rules in file order. A remote_group becomes the addresses of the
// group's members (members from the GroupMembers of the same topology),
// p's own left out, as Neutron's drivers build their address sets; a rule
// with neither remote becomes one with the whole address family.
func FirewallRules(p *Port, members map[*SecurityGroup][]*Port) []firewall.Rule {
	var out []firewall.Rule
	for _, g := range p.SecurityGroups {
		if g == nil {
			continue
		}
		for i, r := range g.Rules {
			fr := firewall.Rule{
				Group: g.Name, Index: i, Ingress: r.Direction == Ingress, IPv6: r.EtherType == IPv6,
				Protocol: r.Protocol, PortMin: r.PortRangeMin, PortMax: r.PortRangeMax,
			}
			switch {
			case r.RemoteGroup != nil:
				fr.RemoteGroup = r.RemoteGroup.Name
				fr.Remote = remoteAddresses(p, members[r.RemoteGroup], fr.IPv6)
			case r.RemoteIPPrefix.IsValid():
				fr.Remote = []netip.Prefix{r.RemoteIPPrefix.Masked()}
			case fr.IPv6:
				fr.Remote = []netip.Prefix{netip.PrefixFrom(netip.IPv6Unspecified(), 0)}
			default:
				fr.Remote = []netip.Prefix{netip.PrefixFrom(netip.IPv4Unspecified(), 0)}
			}
			out = append(out, fr)
		}
	}
	return out
}

// remoteAddresses returns the addresses of one family of the ports in
// a remote group, self left out, each prefix once.
func remoteAddresses(self *Port, ports []*Port, v6 bool) []netip.Prefix {
	// Sized for one address a member: this runs for every port with a
	// remote group in its rules, over all the group's members.
	out := make([]netip.Prefix, 0, len(ports)) // empty, not nil: no other member matches nothing
	seen := make(map[netip.Prefix]bool, len(ports))
	for _, m := range ports {
		if m == self {
			continue
		}
		for _, a := range PortAddresses(m) {
			if a.Addr().Is6() != v6 || seen[a] {
				continue
			}
			seen[a] = true
			out = append(out, a)
		}
	}
	return out
}

// checkFirewalls compiles the rules of every port with port security, so
// that a rule set the datapath could not load is an error of the file.
func (c *checker) checkFirewalls() {
	members := GroupMembers(c.t)
	c.t.firewalls = new(firewall.Memo)
	for _, p := range c.t.Ports {
		if !p.PortSecurity || len(p.SecurityGroups) == 0 {
			continue
		}
		if _, err := c.t.firewalls.Compile(FirewallRules(p, members)); err != nil {
			c.at(&p.Source, "security_groups", "the rules of security groups %s can't be compiled for this port: %v", groupList(p), err)
		}
	}
}

// CompileFirewall compiles rules, the FirewallRules of a port of t, as
// the check of t did: a list compiled then, or by an earlier call, is not
// compiled again (ports with equal lists share the Set).
func (t *Topology) CompileFirewall(rules []firewall.Rule) (*firewall.Set, error) {
	if t.firewalls == nil {
		return firewall.Compile(rules) // a Topology not checked
	}
	return t.firewalls.Compile(rules)
}

func groupList(p *Port) string {
	names := make([]string, len(p.SecurityGroups))
	for i, g := range p.SecurityGroups {
		names[i] = g.Name
	}
	return strings.Join(names, ", ")
}
