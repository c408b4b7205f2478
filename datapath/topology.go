package datapath

import (
	"fmt"

	"neutrino/configs"
)

// SpecFromView resolves a node's slice of the topology into the ports and
// networks the datapath builds: one VM port per Neutron port of the node,
// one uplink port per uplink, each with its local VLANs, the VM ports
// with their security groups compiled.
func SpecFromView(v *configs.NodeView) (*Spec, error) {
	s := &Spec{Node: v.Node.Name}
	security, err := securitySpecs(v)
	if err != nil {
		return nil, err
	}
	for _, nn := range v.Networks {
		s.Networks = append(s.Networks, NetworkSpec{
			Name: nn.Name, Type: string(nn.Type), Segment: uint32(nn.Segment),
			Physical: nn.Physical, MTU: nn.MTU, LVID: nn.LVID, DHCP: dhcpSpec(v, nn),
		})
	}
	for k, p := range v.Ports {
		ps := PortSpec{
			Name: p.Name, Kind: PortVM, Device: p.Device, MAC: p.MAC.HardwareAddr(),
			MTU: p.Network.MTU, Network: p.Network.Name, LVID: v.LVID(p.Network),
			PortSecurity: p.PortSecurity, Security: security[k], IPs: p.IPv4(),
		}
		switch p.Attach {
		case configs.AttachExisting:
			ps.Attach = AttachExisting
		case configs.AttachNetns:
			ps.Attach = AttachNetns
			ps.Netns = netnsPlan(p)
		}
		s.Ports = append(s.Ports, ps)
	}
	for _, u := range v.Uplinks {
		ps := PortSpec{Name: u.Name, Kind: PortUplink, Device: u.Device(), Tags: map[uint16]uint16{}}
		if u.Attach() == configs.AttachExisting {
			ps.Attach = AttachExisting
		}
		for _, nn := range v.Networks {
			if nn.Uplink != u {
				continue
			}
			ps.MTU = max(ps.MTU, nn.MTU)
			switch nn.Type {
			case configs.Flat:
				ps.Untagged = nn.LVID
			case configs.VLAN:
				ps.Tags[uint16(nn.Segment)] = nn.LVID
			}
		}
		if ps.MTU == 0 {
			ps.MTU = 1500
		}
		s.Ports = append(s.Ports, ps)
	}
	if t := tunnelSpec(v); t != nil {
		ps := PortSpec{
			Name: "br-tun", Kind: PortTunnel, Device: fmt.Sprintf("vxlan %s:%d", t.Local, t.Port), Tunnel: t,
		}
		for _, nn := range v.Networks {
			if nn.Type == configs.VXLAN {
				ps.MTU = max(ps.MTU, nn.MTU)
			}
		}
		s.Ports = append(s.Ports, ps)
	}
	s.Routers = routerSpecs(v)
	if len(s.Routers) >= PortZoneBase {
		return nil, fmt.Errorf("node %s: %d routers, more than conntrack zones for them (%d)", s.Node, len(s.Routers), PortZoneBase-1)
	}
	s.ConntrackMax = v.Node.ConntrackMax
	return s, nil
}
