package datapath

import (
	"neutrino/configs"
	"neutrino/dhcp"
)

// dhcpSpec is the network's DHCP port on the node: there is one when a
// subnet of the network has DHCP enabled and a port of the node is on the
// network. Like OVN's native DHCP, every such node serves its own ports:
// the static host entries are the node's ports', and the allocation pool
// is split in node order between the nodes that serve the network (see
// poolShare).
func dhcpSpec(v *configs.NodeView, nn *configs.NodeNetwork) *DHCPSpec {
	if !servesNetwork(v.Node, v.Topology, nn.Network) {
		return nil
	}
	cfg := &dhcp.Config{Network: nn.Name, ServerMAC: dhcp.MAC(nn.DHCPMAC)}
	d := &DHCPSpec{MAC: nn.DHCPMAC.HardwareAddr(), Server: cfg}
	for _, sn := range nn.Subnets {
		if !sn.EnableDHCP || !sn.DHCPIP.Is4() {
			continue
		}
		d.IPs = append(d.IPs, sn.DHCPIP)
		cfg.Subnets = append(cfg.Subnets, dhcpSubnet(v, nn, sn))
	}
	if len(d.IPs) == 0 {
		return nil
	}
	for _, p := range v.Ports {
		if p.Network != nn.Network {
			continue
		}
		opts := portDHCPOptions(p)
		for _, f := range p.FixedIPs {
			if f.Subnet.EnableDHCP && f.Address.Is4() {
				cfg.Hosts = append(cfg.Hosts, dhcp.Host{MAC: dhcp.MAC(p.MAC), IP: f.Address, Port: p.Name, Options: opts})
			}
		}
	}
	return d
}

// dhcpSubnet is what the DHCP server of the node gives on one subnet.
func dhcpSubnet(v *configs.NodeView, nn *configs.NodeNetwork, sn *configs.Subnet) dhcp.Subnet {
	s := dhcp.Subnet{
		Name: sn.Name, CIDR: sn.CIDR, Gateway: sn.Gateway, ServerIP: sn.DHCPIP,
		DNS: sn.DNSNameservers, Domain: sn.Domain, MTU: nn.MTU, LeaseTime: sn.LeaseTime,
	}
	for _, r := range sn.HostRoutes {
		s.HostRoutes = append(s.HostRoutes, dhcp.Route{Dst: r.Destination, Via: r.NextHop})
	}
	for _, o := range nn.Subnets {
		if o != sn && o.CIDR.Addr().Is4() {
			s.OnLink = append(s.OnLink, o.CIDR)
		}
	}
	if p := sn.AllocationPool; p != nil {
		s.Pool = poolShare(v, nn.Network, dhcp.Range{Start: p.Start, End: p.End})
	}
	return s
}

// poolShare is this node's share of a subnet's allocation pool: the pool
// is cut into equal contiguous parts, one per node that serves the
// network, in the order of the topology's nodes section (the last part
// takes the remainder), so two nodes never hand out one address. nil when
// the share is empty (more nodes than addresses).
func poolShare(v *configs.NodeView, nw *configs.Network, pool dhcp.Range) *dhcp.Range {
	var serving []*configs.Node
	for _, node := range v.Topology.Nodes {
		if servesNetwork(node, v.Topology, nw) {
			serving = append(serving, node)
		}
	}
	for i, node := range serving {
		if node == v.Node {
			if r, ok := dhcp.SplitPool(pool, len(serving), i); ok {
				return &r
			}
		}
	}
	return nil
}

// servesNetwork reports whether node has a port on nw (and so a DHCP port
// for it, when DHCP is on).
func servesNetwork(node *configs.Node, t *configs.Topology, nw *configs.Network) bool {
	for _, p := range t.Ports {
		if p.Node == node && p.Network == nw {
			return true
		}
	}
	return false
}

// portDHCPOptions are a port's IPv4 extra_dhcp_opts, encoded. The
// topology's validation has parsed each already; one that fails here is
// left out.
func portDHCPOptions(p *configs.Port) []dhcp.Option {
	var out []dhcp.Option
	for _, o := range p.ExtraDHCPOpts {
		if o.IPVersion != 4 {
			continue
		}
		if opt, err := dhcp.ParseOption(o.Name, o.Value); err == nil {
			out = append(out, opt)
		}
	}
	return out
}
