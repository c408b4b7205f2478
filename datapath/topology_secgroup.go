package datapath

import (
	"fmt"
	"net/netip"

	"neutrino/configs"
	"neutrino/firewall"
)

// securitySpecs resolves the filtering of the node's ports, in the order
// of v.Ports: nil for a port without port security. The rules compile
// here as they did when the topology was checked.
func securitySpecs(v *configs.NodeView) ([]*SecuritySpec, error) {
	members := configs.GroupMembers(v.Topology)
	out := make([]*SecuritySpec, len(v.Ports))
	for k, p := range v.Ports {
		if !p.PortSecurity {
			continue
		}
		set, err := firewall.Compile(configs.FirewallRules(p, members))
		if err != nil {
			return nil, fmt.Errorf("port %s: security groups: %w", p.Name, err)
		}
		s := &SecuritySpec{Zone: uint16(PortZoneBase + k), Stateful: true, Rules: set}
		for i, g := range p.SecurityGroups {
			s.Groups = append(s.Groups, g.Name)
			if i == 0 {
				s.Stateful = g.Stateful
			}
		}
		mac := p.MAC.HardwareAddr()
		for _, f := range p.FixedIPs {
			s.Pairs = append(s.Pairs, AddressPair{MAC: mac, Prefix: netip.PrefixFrom(f.Address, f.Address.BitLen())})
		}
		if len(p.IPv4()) == 0 {
			// No fixed address: one leased from an allocation pool (a
			// neutrino extension) may be any of the subnet's.
			for _, sn := range p.Network.Subnets {
				if sn.EnableDHCP && sn.AllocationPool != nil && sn.CIDR.Addr().Is4() {
					s.Pairs = append(s.Pairs, AddressPair{MAC: mac, Prefix: sn.CIDR})
				}
			}
		}
		for _, ap := range p.AllowedAddressPairs {
			s.Pairs = append(s.Pairs, AddressPair{MAC: ap.MAC.HardwareAddr(), Prefix: ap.IPAddress.Masked()})
		}
		out[k] = s
	}
	return out, nil
}
