package configs

import (
	"net/netip"
	"strings"
)

func (c *checker) checkRouters() {
	for _, r := range c.t.Routers {
		s := &r.Source
		if r.Name != "" {
			if first := c.ix.routers[r.Name]; first != nil {
				c.at(s, "name", "duplicate router name %q (first at line %d)", r.Name, firstLine(&first.Source))
			} else {
				c.ix.routers[r.Name] = r
			}
		}
		if r.Node = c.nodeOf(s, r.NodeName); r.Node != nil {
			r.NodeName = r.Node.Name
		}
		if g := r.ExternalGateway; g != nil {
			c.checkGateway(r, g)
		}
		for _, ri := range r.Interfaces {
			c.checkInterface(r, ri)
		}
	}
}

// checkGateway checks a router's external gateway; a missing ip is given
// later, by assignAddresses.
func (c *checker) checkGateway(r *Router, g *ExternalGateway) {
	s := &g.Source
	if g.NetworkName == "" {
		return
	}
	n := c.ix.networks[g.NetworkName]
	if n == nil {
		c.missing(s, "network", "network", g.NetworkName)
		return
	}
	g.Network = n
	if !g.Has("mac") && r.Name != "" {
		g.MAC = DeriveMAC(r.Name + "/" + n.Name)
	}
	if !n.External {
		c.at(s, "network", "network %s is not external (set external: true on it to hold router gateways)", n.Name)
		return
	}
	if len(n.Subnets) == 0 {
		c.at(s, "network", "network %s has no subnet to take the gateway's address from", n.Name)
		return
	}
	c.checkPlacement(s, "network", n, r.Node, "the external gateway of router "+r.Name)
	if g.IP.IsValid() {
		g.Subnet = c.subnetOf(s, "ip", n, g.IP)
	}
}

// subnetOf returns the subnet of network n that holds a (a usable host
// address), reporting when there is none.
func (c *checker) subnetOf(s *Source, field string, n *Network, a netip.Addr) *Subnet {
	for _, sn := range n.Subnets {
		if sn.CIDR.Contains(a) {
			if pr := hostProblem(sn.CIDR, a); pr != "" {
				c.at(s, field, "%s is the %s of subnet %s", a, pr, sn.Name)
				return nil
			}
			return sn
		}
	}
	c.at(s, field, "%s is not inside any subnet of network %s", a, n.Name)
	return nil
}

// checkInterface checks one router interface and attaches it to its subnet.
func (c *checker) checkInterface(r *Router, ri *RouterInterface) {
	s := &ri.Source
	if ri.SubnetName == "" {
		return
	}
	sn := c.ix.subnets[ri.SubnetName]
	if sn == nil {
		c.missing(s, "subnet", "subnet", ri.SubnetName)
		return
	}
	ri.Subnet = sn
	if !ri.Has("mac") && r.Name != "" {
		ri.MAC = DeriveMAC(r.Name + "/" + sn.Name)
	}
	if other := sn.Interface; other != nil {
		if other.Router == r {
			c.at(s, "subnet", "subnet %s is listed twice on this router (first at line %d)", sn.Name, firstLine(&other.Source))
		} else {
			c.at(s, "subnet", "subnet %s is already attached to router %s (line %d)", sn.Name, other.Router.Name, firstLine(&other.Source))
		}
		return
	}
	if !sn.Gateway.IsValid() {
		if sn.CIDR.IsValid() && !c.reported(sn.At("gateway")) {
			c.at(s, "subnet", "subnet %s has no gateway: a router interface takes the subnet's gateway IP", sn.Name)
		}
		return
	}
	for _, o := range r.Interfaces {
		if o == ri {
			break
		}
		if o.Subnet == nil || o.Subnet.Interface != o {
			continue
		}
		if o.Subnet.Network == sn.Network && o.Subnet.CIDR.Addr().Is4() && sn.CIDR.Addr().Is4() {
			c.at(s, "subnet", "router %s already has an interface on network %s (subnet %s, line %d): one IPv4 subnet per network and router", r.Name, sn.Network.Name, o.Subnet.Name, firstLine(&o.Source))
			return
		}
		if overlaps(o.Subnet.CIDR, sn.CIDR) {
			c.at(s, "subnet", "%s of subnet %s overlaps %s of subnet %s, also on router %s (line %d)", sn.CIDR, sn.Name, o.Subnet.CIDR, o.Subnet.Name, r.Name, firstLine(&o.Source))
			return
		}
	}
	if g := r.ExternalGateway; g != nil && g.Network != nil {
		for _, gs := range g.Network.Subnets {
			if overlaps(gs.CIDR, sn.CIDR) {
				c.at(s, "subnet", "%s of subnet %s overlaps %s of subnet %s, on the external network of router %s", sn.CIDR, sn.Name, gs.CIDR, gs.Name, r.Name)
				return
			}
		}
	}
	ri.IP = sn.Gateway
	sn.Interface = ri
	c.checkPlacement(s, "subnet", sn.Network, r.Node, "router "+r.Name)
}

// checkRoutes checks the extra routes of each router: the next hop must be
// on a subnet the router is connected to, and not the router itself.
func (c *checker) checkRoutes() {
	type routeKey struct {
		dst netip.Prefix
		hop netip.Addr
	}
	for _, r := range c.t.Routers {
		var connected []*Subnet
		own := map[netip.Addr]bool{}
		for _, ri := range r.Interfaces {
			if ri.Subnet != nil && ri.Subnet.Interface == ri {
				connected = append(connected, ri.Subnet)
				own[ri.IP] = true
			}
		}
		if g := r.ExternalGateway; g != nil && g.Subnet != nil {
			connected = append(connected, g.Subnet)
			own[g.IP] = true
		}
		seen := map[routeKey]*Route{}
		for _, rt := range r.Routes {
			s := &rt.Source
			if !c.checkRouteFamily(s, rt.Destination, rt.NextHop, netip.Prefix{}) {
				continue
			}
			if own[rt.NextHop] {
				c.at(s, "nexthop", "%s is an address of router %s itself", rt.NextHop, r.Name)
				continue
			}
			on := false
			for _, sn := range connected {
				on = on || sn.CIDR.Contains(rt.NextHop)
			}
			if !on {
				c.at(s, "nexthop", "%s is not on a subnet connected to router %s", rt.NextHop, r.Name)
				continue
			}
			k := routeKey{rt.Destination, rt.NextHop}
			if first := seen[k]; first != nil {
				c.on(s, "duplicate route (first at line %d)", firstLine(&first.Source))
				continue
			}
			seen[k] = rt
		}
	}
}

// checkFloatingIPs checks each floating IP's network, port and fixed IP and
// finds the router that serves it. A missing floating_ip_address is given
// later, by assignAddresses.
func (c *checker) checkFloatingIPs() {
	// Neutron allows one floating IP per fixed IP and external network.
	type fixedKey struct {
		port *Port
		ip   netip.Addr
		net  *Network
	}
	mapped := map[fixedKey]*FloatingIP{}
	for _, f := range c.t.FloatingIPs {
		s := &f.Source
		if f.NetworkName != "" {
			if f.Network = c.ix.networks[f.NetworkName]; f.Network == nil {
				c.missing(s, "floating_network", "network", f.NetworkName)
			} else if !f.Network.External {
				c.at(s, "floating_network", "network %s is not external (set external: true on it to hold floating IPs)", f.Network.Name)
				f.Network = nil
			} else if f.Address.IsValid() {
				c.subnetOf(s, "floating_ip_address", f.Network, f.Address)
			}
		}
		if !s.Has("port") {
			if s.Has("fixed_ip_address") {
				c.at(s, "fixed_ip_address", "fixed_ip_address needs port")
			}
			continue
		}
		if f.PortName == "" {
			continue
		}
		if f.Port = c.ix.ports[f.PortName]; f.Port == nil {
			c.missing(s, "port", "port", f.PortName)
			continue
		}
		fixed := c.fixedIPOf(f)
		if fixed == nil {
			continue
		}
		f.FixedIP = fixed.Address
		k := fixedKey{f.Port, f.FixedIP, f.Network}
		if first := mapped[k]; first != nil && f.Network != nil {
			c.at(s, "port", "%s of port %s already has a floating IP on %s (line %d)", f.FixedIP, f.Port.Name, f.Network.Name, firstLine(&first.Source))
			continue
		}
		mapped[k] = f
		c.findRouter(f, fixed.Subnet)
	}
}

// fixedIPOf picks the fixed IP a floating IP maps to.
func (c *checker) fixedIPOf(f *FloatingIP) *FixedIP {
	s, p := &f.Source, f.Port
	if s.Has("fixed_ip_address") {
		if !f.FixedIP.IsValid() {
			return nil
		}
		for i := range p.FixedIPs {
			if p.FixedIPs[i].Address == f.FixedIP {
				if !f.FixedIP.Is4() {
					c.at(s, "fixed_ip_address", "%s: floating IPs map to IPv4 addresses", f.FixedIP)
					return nil
				}
				return &p.FixedIPs[i]
			}
		}
		c.at(s, "fixed_ip_address", "%s is not an address of port %s (%s)", f.FixedIP, p.Name, listAddrs(p))
		return nil
	}
	var v4 []*FixedIP
	for i := range p.FixedIPs {
		if p.FixedIPs[i].Address.Is4() {
			v4 = append(v4, &p.FixedIPs[i])
		}
	}
	switch len(v4) {
	case 0:
		c.at(s, "port", "port %s has no IPv4 address to map the floating IP to", p.Name)
		return nil
	case 1:
		return v4[0]
	}
	c.at(s, "port", "port %s has several IPv4 addresses (%s): choose one with fixed_ip_address", p.Name, listAddrs(p))
	return nil
}

func listAddrs(p *Port) string {
	if len(p.FixedIPs) == 0 {
		return "it has none"
	}
	var b []string
	for _, f := range p.FixedIPs {
		b = append(b, f.Address.String())
	}
	return "its addresses: " + strings.Join(b, ", ")
}

// findRouter finds the router that serves a floating IP: the one with an
// interface on the fixed IP's subnet and its external gateway on the
// floating IP's network (Neutron's "external network is not reachable").
func (c *checker) findRouter(f *FloatingIP, sn *Subnet) {
	if sn == nil || f.Network == nil {
		return
	}
	s := &f.Source
	ri := sn.Interface
	if ri == nil {
		c.at(s, "port", "port %s can't be reached from %s: its subnet %s is not attached to any router", f.Port.Name, f.Network.Name, sn.Name)
		return
	}
	r := ri.Router
	if g := r.ExternalGateway; g == nil || g.Network != f.Network {
		c.at(s, "port", "port %s can't be reached from %s: its subnet %s is on router %s, which has no external gateway on %s", f.Port.Name, f.Network.Name, sn.Name, r.Name, f.Network.Name)
		return
	}
	f.Router = r
	r.FloatingIPs = append(r.FloatingIPs, f)
}
