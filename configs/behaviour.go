package configs

import (
	"fmt"
	"strings"
)

// This file lists what a valid topology may describe but the appliance does
// not do yet. The loader accepts the whole format of TOPOLOGY.md; until an
// element has behaviour, `neutrino check` and `neutrino run` say so instead
// of ignoring it silently. Remove a kind from here when its element lands.

// Unimplemented lists the parts of the whole topology that are accepted but
// have no behaviour yet, one human-readable line each, formatted as errors
// are (FILE:LINE:COL: path: what does not happen) and sorted by position.
// It is nil when everything the topology describes works.
func (t *Topology) Unimplemented() []string { return t.unimplemented(nil) }

// Unimplemented lists the parts of the node's slice of the topology that are
// accepted but have no behaviour yet, as Topology.Unimplemented does.
func (v *NodeView) Unimplemented() []string { return v.Topology.unimplemented(v.Node) }

// unimplemented collects the lines for one node, or for every node when node
// is nil.
func (t *Topology) unimplemented(node *Node) []string {
	on := func(n *Node) bool { return node == nil || n == node }
	present := func(n *Network) bool { return node == nil || containsNode(t.index.presence[n], node) }
	var l ErrorList
	add := func(src *Source, path, msg string, args ...any) {
		l = append(l, &Error{File: t.File, Pos: src.Pos, Path: path, Msg: fmt.Sprintf(msg, args...)})
	}

	for _, r := range t.Routers {
		if !on(r.Node) {
			continue
		}
		for _, ri := range r.Interfaces {
			if ri.Subnet != nil && ri.Subnet.CIDR.Addr().Is6() {
				add(&ri.Source, ri.Path, "IPv6 routing is not implemented yet; router %s has no qr- port on IPv6 subnet %s (its IPv4 subnets are routed)", r.Name, ri.Subnet.Name)
			}
		}
		if g := r.ExternalGateway; g != nil && g.IP.Is6() {
			add(&g.Source, g.Path, "IPv6 routing is not implemented yet; router %s has no qg- port on its IPv6 gateway %s", r.Name, g.IP)
		}
		for _, rt := range r.Routes {
			if rt.Destination.Addr().Is6() {
				add(&rt.Source, rt.Path, "IPv6 routing is not implemented yet; the route to %s is unused", rt.Destination)
			}
		}
	}

	for _, n := range t.Networks {
		for _, s := range n.Subnets {
			if s.EnableDHCP && s.CIDR.Addr().Is6() && present(n) {
				add(&s.Source, s.Path, "DHCPv6 and router advertisements are not implemented yet; nothing hands out addresses on this IPv6 subnet (DHCP serves IPv4 subnets only)")
			}
		}
	}

	var v6 []*Port // ports with port security and IPv6 addresses
	for _, p := range t.Ports {
		if !on(p.Node) {
			continue
		}
		if p.PortSecurity && hasIPv6(p) {
			v6 = append(v6, p)
		}
		for _, o := range p.ExtraDHCPOpts {
			if o.IPVersion != 4 {
				add(&o.Source, o.Path, "IPv%d DHCP options are not implemented yet (no DHCPv%d server); the option is not served", o.IPVersion, o.IPVersion)
			}
		}
	}
	if len(v6) > 0 {
		add(&v6[0].Source, "ports "+portNames(v6), "IPv6 is not filtered yet: a port with port security drops every IPv6 frame (its security groups filter IPv4)")
	}

	l = l.sortDedup()
	out := make([]string, len(l))
	for i, e := range l {
		out[i] = e.Error()
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// hasIPv6 reports whether a port has an IPv6 address: a fixed IP, an
// address pair, or a subnet of its network to take one from.
func hasIPv6(p *Port) bool {
	for _, a := range PortAddresses(p) {
		if a.Addr().Is6() {
			return true
		}
	}
	if p.Network != nil {
		for _, s := range p.Network.Subnets {
			if s.CIDR.Addr().Is6() {
				return true
			}
		}
	}
	return false
}

func portNames(ports []*Port) string {
	s := make([]string, len(ports))
	for i, p := range ports {
		s[i] = p.Name
	}
	return strings.Join(s, ", ")
}
