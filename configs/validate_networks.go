package configs

import (
	"net/netip"
)

func (c *checker) checkNetworks() {
	type segKey struct {
		typ      NetworkType
		physical string // VLAN ids are per physical network; VNIs are global
		id       int
	}
	segments := map[segKey]*Network{}
	flatOn := map[string]*Network{} // uplink name -> its flat network
	for _, n := range c.t.Networks {
		if n.Name != "" {
			if first := c.ix.networks[n.Name]; first != nil {
				c.at(&n.Source, "name", "duplicate network name %q (first at line %d)", n.Name, firstLine(&first.Source))
			} else {
				c.ix.networks[n.Name] = n
			}
		}
		if !n.Has("mtu") {
			n.MTU = defaultMTU(n.Type)
		}
		c.checkSegment(n, func(id int) {
			k := segKey{n.Type, "", id}
			if n.Type == VLAN {
				k.physical = n.Physical
			}
			if first := segments[k]; first != nil {
				on := ""
				if n.Type == VLAN {
					on = " on uplink " + n.Physical
				}
				c.at(&n.Source, "segment", "segment %d is already used by %s network %s%s (line %d)", id, n.Type, first.Name, on, firstLine(&first.Source))
			} else {
				segments[k] = n
			}
		})
		c.checkPhysical(n)
		if n.Type == Flat && n.Physical != "" {
			if first := flatOn[n.Physical]; first != nil {
				c.at(&n.Source, "physical", "uplink %s already carries flat network %s (line %d): one flat network per uplink", n.Physical, first.Name, firstLine(&first.Source))
			} else {
				flatOn[n.Physical] = n
			}
		}
		for i, s := range n.Subnets {
			c.checkSubnet(s, n.Subnets[:i])
		}
		for _, s := range n.Subnets {
			if s.EnableDHCP {
				n.DHCPMAC = DeriveMAC("dhcp/" + n.Name)
				break
			}
		}
	}
}

// checkSegment checks the segment against the type; valid calls back with
// a segment id to check for reuse.
func (c *checker) checkSegment(n *Network, valid func(id int)) {
	s := &n.Source
	switch n.Type {
	case VLAN, VXLAN:
		what, limit := "VLAN id", MaxVLAN
		if n.Type == VXLAN {
			what, limit = "VNI", MaxVNI
		}
		switch {
		case !s.Has("segment"):
			c.on(s, "missing required field \"segment\" (the %s of a %s network)", what, n.Type)
		case n.Segment == badInt:
			// not an integer: reported when decoding
		case n.Segment < 1 || n.Segment > limit:
			c.at(s, "segment", "%s %d is out of range 1-%d", what, n.Segment, limit)
		default:
			valid(n.Segment)
		}
	case Flat, Local:
		if s.Has("segment") {
			c.at(s, "segment", "a %s network has no segment (segments are for vlan and vxlan)", n.Type)
		}
	}
}

// checkPhysical checks the uplink name of a network.
func (c *checker) checkPhysical(n *Network) {
	s := &n.Source
	switch n.Type {
	case Flat, VLAN:
		if !s.Has("physical") {
			c.on(s, "missing required field \"physical\": a %s network needs an uplink to leave the node by", n.Type)
			return
		}
		if n.Physical != "" && len(c.ix.uplinks[n.Physical]) == 0 {
			c.missing(s, "physical", "uplink", n.Physical)
		}
	case Local, VXLAN:
		if s.Has("physical") {
			c.at(s, "physical", "a %s network does not use an uplink (physical is for flat and vlan)", n.Type)
		}
	}
}

// checkSubnet checks one subnet against itself and the subnets before it on
// its network, and fills in its gateway.
func (c *checker) checkSubnet(s *Subnet, before []*Subnet) {
	src := &s.Source
	if s.Name != "" {
		if first := c.ix.subnets[s.Name]; first != nil {
			c.at(src, "name", "duplicate subnet name %q (first at line %d)", s.Name, firstLine(&first.Source))
		} else {
			c.ix.subnets[s.Name] = s
		}
	}
	cidr := s.CIDR
	if !cidr.IsValid() {
		return
	}
	for _, o := range before {
		if overlaps(cidr, o.CIDR) {
			c.at(src, "cidr", "%s overlaps subnet %s (%s, line %d) of the same network", cidr, o.Name, o.CIDR, firstLine(&o.Source))
			s.CIDR = netip.Prefix{} // checked no further: its addresses would only clash
			return
		}
	}
	if !src.Has("gateway") {
		s.Gateway = firstHost(cidr)
	} else {
		c.checkHost(src, "gateway", cidr, s.Gateway)
	}
	if !s.EnableDHCP {
		if src.Has("dhcp_ip") {
			c.at(src, "dhcp_ip", "dhcp_ip is set but enable_dhcp is false")
		}
		if s.AllocationPool != nil {
			c.at(src, "allocation_pool", "an allocation pool is served by DHCP, but enable_dhcp is false")
		}
	}
	c.checkHost(src, "dhcp_ip", cidr, s.DHCPIP)
	seen := map[netip.Addr]int{}
	for i, a := range s.DNSNameservers {
		if !a.IsValid() {
			continue
		}
		if j, dup := seen[a]; dup {
			c.at(src, item("dns_nameservers", i), "%s is listed twice (also dns_nameservers[%d])", a, j)
			continue
		}
		seen[a] = i
	}
	type routeKey struct {
		dst netip.Prefix
		hop netip.Addr
	}
	routes := map[routeKey]*HostRoute{}
	for _, r := range s.HostRoutes {
		if !c.checkRouteFamily(&r.Source, r.Destination, r.NextHop, cidr) {
			continue
		}
		k := routeKey{r.Destination, r.NextHop}
		if first := routes[k]; first != nil {
			c.on(&r.Source, "duplicate host route (first at line %d)", firstLine(&first.Source))
			continue
		}
		routes[k] = r
	}
	if p := s.AllocationPool; p != nil {
		ok := c.checkHost(&p.Source, "start", cidr, p.Start)
		ok = c.checkHost(&p.Source, "end", cidr, p.End) && ok
		if ok && p.Start.IsValid() && p.End.IsValid() && p.Start.Compare(p.End) > 0 {
			c.at(&p.Source, "start", "start %s is after end %s", p.Start, p.End)
			ok = false
		}
		if !ok {
			p.Start, p.End = netip.Addr{}, netip.Addr{} // a bad pool contains nothing
		}
	}
}

// checkHost reports when a (given, valid) address can't be a host of cidr:
// outside it, or its network or broadcast address. It returns false when it
// reported.
func (c *checker) checkHost(s *Source, field string, cidr netip.Prefix, a netip.Addr) bool {
	if !a.IsValid() || !cidr.IsValid() {
		return true
	}
	switch hostProblem(cidr, a) {
	case "":
		return true
	case "outside":
		c.at(s, field, "%s is outside the subnet %s", a, cidr)
	default:
		c.at(s, field, "%s is the %s of %s", a, hostProblem(cidr, a), cidr)
	}
	return false
}

// checkRouteFamily checks that a route's next hop is of the family of the
// subnet it is handed out on (when subnet is valid) and its destination of
// the family of its next hop. It returns true for a complete, sound route.
func (c *checker) checkRouteFamily(s *Source, dst netip.Prefix, hop netip.Addr, subnet netip.Prefix) bool {
	if !dst.IsValid() || !hop.IsValid() {
		return false
	}
	if subnet.IsValid() && subnet.Addr().Is4() != hop.Is4() {
		c.at(s, "nexthop", "%s is %s, but the subnet %s is %s", hop, family(hop), subnet, family(subnet.Addr()))
		return false
	}
	if dst.Addr().Is4() != hop.Is4() {
		c.at(s, "destination", "%s is %s, but the nexthop %s is %s", dst, family(dst.Addr()), hop, family(hop))
		return false
	}
	return true
}
