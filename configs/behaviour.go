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
		if n.Type == VXLAN && present(n) {
			add(&n.Source, n.Path, "vxlan networks are not implemented yet (no br-tun, no VTEP for VNI %d): ports on it switch locally only, nothing leaves the node", n.Segment)
		}
		for _, s := range n.Subnets {
			if s.EnableDHCP && s.CIDR.Addr().Is6() && present(n) {
				add(&s.Source, s.Path, "DHCPv6 and router advertisements are not implemented yet; nothing hands out addresses on this IPv6 subnet (DHCP serves IPv4 subnets only)")
			}
		}
	}

	var filtered []*Port // ports that expect filtering
	for _, p := range t.Ports {
		if !on(p.Node) {
			continue
		}
		if p.PortSecurity && expectsFiltering(t, p) {
			filtered = append(filtered, p)
		}
		for _, o := range p.ExtraDHCPOpts {
			if o.IPVersion != 4 {
				add(&o.Source, o.Path, "IPv%d DHCP options are not implemented yet (no DHCPv%d server); the option is not served", o.IPVersion, o.IPVersion)
			}
		}
	}
	if len(filtered) > 0 {
		p, path := filtered[0], "ports "+portNames(filtered)
		if groups := groupNames(filtered); len(groups) > 0 {
			add(&p.Source, path, "security groups (%s) are not implemented yet; no filtering or anti-spoofing: all traffic passes%s",
				strings.Join(groups, ", "), pairsDetail(filtered))
		} else {
			add(&p.Source, path, "port security is not implemented yet; no anti-spoofing: all traffic passes%s", pairsDetail(filtered))
		}
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

// expectsFiltering reports whether a port with port security on relies on
// filtering the appliance does not do. A port of a topology that never
// mentions security (no group written, nothing set on the port) is left
// out when it sits on a network that never leaves the node: there Neutron's
// implicit default group (egress anything, ingress from its members) lets
// every frame of its members through anyway.
func expectsFiltering(t *Topology, p *Port) bool {
	if p.Has("security_groups") || p.Has("port_security") || len(p.AllowedAddressPairs) > 0 {
		return true
	}
	for _, g := range p.SecurityGroups {
		if g != nil && !g.Implicit {
			return true // a group written in the file, with its own rules
		}
	}
	// Hosts behind an uplink are no members of default: Neutron would
	// drop what they send to the port.
	return p.Network != nil && (p.Network.Type == Flat || p.Network.Type == VLAN)
}

func portNames(ports []*Port) string {
	s := make([]string, len(ports))
	for i, p := range ports {
		s[i] = p.Name
	}
	return strings.Join(s, ", ")
}

// groupNames returns the groups of the ports, each once, in order of first
// use.
func groupNames(ports []*Port) []string {
	var out []string
	seen := map[string]bool{}
	for _, p := range ports {
		for _, g := range p.SecurityGroupNames {
			if !seen[g] {
				seen[g] = true
				out = append(out, g)
			}
		}
	}
	return out
}

// pairsDetail names the ports whose allowed_address_pairs change nothing.
func pairsDetail(ports []*Port) string {
	var with []*Port
	for _, p := range ports {
		if len(p.AllowedAddressPairs) > 0 {
			with = append(with, p)
		}
	}
	if len(with) == 0 {
		return ""
	}
	return " (so the allowed_address_pairs of " + portNames(with) + " change nothing)"
}
