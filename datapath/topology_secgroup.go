package datapath

import (
	"encoding/binary"
	"fmt"
	"net/netip"

	"neutrino/configs"
)

// securitySpecs resolves the filtering of the node's ports, in the order
// of v.Ports: nil for a port without port security. The rules are those
// compiled when the topology was checked (ports with equal rules share
// one Set).
func securitySpecs(v *configs.NodeView) ([]*SecuritySpec, error) {
	members := configs.GroupMembers(v.Topology)
	out := make([]*SecuritySpec, len(v.Ports))
	for k, p := range v.Ports {
		if !p.PortSecurity {
			continue
		}
		set, err := v.Topology.CompileFirewall(configs.FirewallRules(p, members))
		if err != nil {
			return nil, fmt.Errorf("port %s: security groups: %w", p.Name, err)
		}
		if PortZoneBase+k > 0xffff {
			return nil, fmt.Errorf("port %s: more ports than conntrack zones (%d at most on a node)", p.Name, 0x10000-PortZoneBase)
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
			// neutrino extension) may be any of the pool's, none of the
			// rest of the subnet (the gateway, the DHCP server, fixed
			// IPs of other ports).
			for _, sn := range p.Network.Subnets {
				if ap := sn.AllocationPool; sn.EnableDHCP && ap != nil && ap.Start.Is4() {
					for _, pr := range rangePrefixes(ap.Start, ap.End) {
						s.Pairs = append(s.Pairs, AddressPair{MAC: mac, Prefix: pr})
					}
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

// rangePrefixes returns the fewest prefixes that cover the IPv4 addresses
// from a to b, both included.
func rangePrefixes(a, b netip.Addr) []netip.Prefix {
	a4, b4 := a.As4(), b.As4()
	lo, hi := binary.BigEndian.Uint32(a4[:]), binary.BigEndian.Uint32(b4[:])
	var out []netip.Prefix
	for lo <= hi {
		bits := 32
		// The largest block that starts at lo and ends by hi.
		for bits > 0 {
			size := uint64(1) << (32 - (bits - 1))
			if uint64(lo)%size != 0 || uint64(lo)+size-1 > uint64(hi) {
				break
			}
			bits--
		}
		var start [4]byte
		binary.BigEndian.PutUint32(start[:], lo)
		out = append(out, netip.PrefixFrom(netip.AddrFrom4(start), bits))
		next := uint64(lo) + uint64(1)<<(32-bits)
		if next > 0xffffffff {
			break
		}
		lo = uint32(next)
	}
	return out
}
