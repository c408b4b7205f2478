package configs

import (
	"cmp"
	"net/netip"
	"slices"
)

// claim is an address or MAC that one object holds on a network.
type claim[K comparable] struct {
	key   K
	src   *Source
	field string
	who   string // "port vm1", "the gateway of subnet demo-subnet", ...
}

func (cl claim[K]) pos() Pos { return cl.src.At(cl.field) }

// sortClaims puts claims in file order, so that the later of two is blamed.
func sortClaims[K comparable](cs []claim[K]) {
	slices.SortStableFunc(cs, func(a, b claim[K]) int {
		pa, pb := a.pos(), b.pos()
		return cmp.Or(cmp.Compare(pa.Line, pb.Line), cmp.Compare(pa.Col, pb.Col))
	})
}

// ipClaims collects, per network, every address written in the file:
// gateways (given or default), dhcp_ip, fixed IPs, router gateway IPs and
// floating IPs. Allowed address pairs are not claims: they may be shared.
func (c *checker) ipClaims() map[*Network][]claim[netip.Addr] {
	out := map[*Network][]claim[netip.Addr]{}
	add := func(n *Network, a netip.Addr, s *Source, field, who string) {
		if n != nil && a.IsValid() {
			out[n] = append(out[n], claim[netip.Addr]{a, s, field, who})
		}
	}
	for _, n := range c.t.Networks {
		for _, sn := range n.Subnets {
			add(n, sn.Gateway, &sn.Source, "gateway", "the gateway of subnet "+sn.Name)
			add(n, sn.DHCPIP, &sn.Source, "dhcp_ip", "the DHCP server of subnet "+sn.Name)
		}
	}
	for _, p := range c.t.Ports {
		for i, f := range p.FixedIPs {
			add(p.Network, f.Address, &p.Source, item("fixed_ips", i), "port "+p.Name)
		}
	}
	for _, r := range c.t.Routers {
		if g := r.ExternalGateway; g != nil {
			add(g.Network, g.IP, &g.Source, "ip", "the external gateway of router "+r.Name)
		}
	}
	for _, f := range c.t.FloatingIPs {
		add(f.Network, f.Address, &f.Source, "floating_ip_address", "a floating IP")
	}
	return out
}

// checkAddresses reports an address used twice on a network, and addresses
// inside an allocation pool (which serves unknown MACs: it must be free).
func (c *checker) checkAddresses() {
	all := c.ipClaims()
	for _, n := range c.t.Networks {
		claims := all[n]
		sortClaims(claims)
		first := map[netip.Addr]claim[netip.Addr]{}
		for _, cl := range claims {
			if f, dup := first[cl.key]; dup {
				c.at(cl.src, cl.field, "%s is already used by %s (line %d)", cl.key, f.who, f.pos().Line)
				continue
			}
			first[cl.key] = cl
			for _, sn := range n.Subnets {
				if p := sn.AllocationPool; p.Contains(cl.key) {
					c.at(cl.src, cl.field, "%s is inside the allocation pool %s-%s of subnet %s, which is kept for unknown MACs", cl.key, p.Start, p.End, sn.Name)
				}
			}
		}
	}
}

// assignAddresses gives the addresses left to defaults, each the lowest
// free one: first each DHCP-enabled subnet's dhcp_ip (after the gateway),
// then each router's gateway ip, then each floating IP, in file order. Free
// means: not claimed on the network, not in an allocation pool.
func (c *checker) assignAddresses() {
	all := c.ipClaims()
	used := map[*Network]map[netip.Addr]bool{}
	usedOn := func(n *Network) map[netip.Addr]bool {
		if used[n] == nil {
			used[n] = map[netip.Addr]bool{}
			for _, cl := range all[n] {
				used[n][cl.key] = true
			}
		}
		return used[n]
	}
	for _, n := range c.t.Networks {
		for _, sn := range n.Subnets {
			if !sn.EnableDHCP || sn.Has("dhcp_ip") || !sn.CIDR.IsValid() {
				continue
			}
			if sn.DHCPIP = lowestFree(sn, usedOn(n), sn.Gateway); !sn.DHCPIP.IsValid() {
				c.on(&sn.Source, "no free address left for the DHCP server (set dhcp_ip, or enable_dhcp: false)")
				continue
			}
			usedOn(n)[sn.DHCPIP] = true
		}
	}
	for _, r := range c.t.Routers {
		g := r.ExternalGateway
		if g == nil || g.Has("ip") || g.Network == nil || !g.Network.External {
			continue
		}
		g.Subnet, g.IP = c.allocate(&g.Source, g.Network, usedOn(g.Network), "the gateway of router "+r.Name)
	}
	for _, f := range c.t.FloatingIPs {
		if f.Has("floating_ip_address") || f.Network == nil {
			continue
		}
		_, f.Address = c.allocate(&f.Source, f.Network, usedOn(f.Network), "the floating IP")
	}
}

// allocate takes the lowest free address of a network's first IPv4 subnet
// (or first subnet, when it has no IPv4 one).
func (c *checker) allocate(s *Source, n *Network, used map[netip.Addr]bool, what string) (*Subnet, netip.Addr) {
	var sn *Subnet
	for _, x := range n.Subnets {
		if x.CIDR.IsValid() && (sn == nil || x.CIDR.Addr().Is4() && !sn.CIDR.Addr().Is4()) {
			sn = x
		}
	}
	if sn == nil {
		return nil, netip.Addr{} // no usable subnet: reported elsewhere
	}
	a := lowestFree(sn, used, netip.Addr{})
	if !a.IsValid() {
		c.on(s, "no free address left in subnet %s for %s", sn.Name, what)
		return nil, a
	}
	used[a] = true
	return sn, a
}

// lowestFree returns the lowest host address of sn above after (or from the
// first host address when after is zero) that is neither used nor in the
// allocation pool, wrapping around once. The zero Addr when there is none.
func lowestFree(sn *Subnet, used map[netip.Addr]bool, after netip.Addr) netip.Addr {
	first, last := hostRange(sn.CIDR)
	start := first
	if after.IsValid() && sn.CIDR.Contains(after) && after.Compare(last) < 0 {
		start = after.Next()
	}
	scan := func(from, to netip.Addr) netip.Addr {
		for a := from; a.IsValid() && a.Compare(to) <= 0; a = a.Next() {
			if p := sn.AllocationPool; p.Contains(a) {
				a = p.End // continue after the pool
				continue
			}
			if !used[a] {
				return a
			}
		}
		return netip.Addr{}
	}
	if a := scan(start, last); a.IsValid() {
		return a
	}
	if start != first {
		return scan(first, start.Prev())
	}
	return netip.Addr{}
}

// checkMACs reports a MAC used twice on a network: ports, router interfaces
// and gateways, and the network's DHCP port.
func (c *checker) checkMACs() {
	macs := map[*Network][]claim[MAC]{}
	add := func(n *Network, m MAC, s *Source, field, who string) {
		if n != nil && !m.IsZero() {
			macs[n] = append(macs[n], claim[MAC]{m, s, field, who})
		}
	}
	for _, n := range c.t.Networks {
		add(n, n.DHCPMAC, &n.Source, "", "the DHCP port of network "+n.Name)
	}
	for _, p := range c.t.Ports {
		add(p.Network, p.MAC, &p.Source, "mac", "port "+p.Name)
	}
	for _, r := range c.t.Routers {
		if g := r.ExternalGateway; g != nil {
			add(g.Network, g.MAC, &g.Source, "mac", "the external gateway of router "+r.Name)
		}
		for _, ri := range r.Interfaces {
			if ri.Subnet != nil && ri.Subnet.Interface == ri {
				add(ri.Subnet.Network, ri.MAC, &ri.Source, "mac", "router "+r.Name+"'s interface on "+ri.Subnet.Name)
			}
		}
	}
	for _, n := range c.t.Networks {
		claims := macs[n]
		sortClaims(claims)
		first := map[MAC]claim[MAC]{}
		for _, cl := range claims {
			if f, dup := first[cl.key]; dup {
				hint := ""
				if cl.field == "mac" && !cl.src.Has(cl.field) {
					hint = " (derived from the name: set mac)"
				}
				c.at(cl.src, cl.field, "MAC %s is already used on network %s by %s (line %d)%s", cl.key, n.Name, f.who, f.pos().Line, hint)
				continue
			}
			first[cl.key] = cl
		}
	}
}
