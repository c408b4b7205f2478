package datapath

import (
	"net/netip"

	"neutrino/configs"
	"neutrino/packet/header"
)

// tunnelSpec computes br-tun for the node: a VTEP per other node that
// shares a vxlan network with it, and per network the flood list, the
// L2 population FDB and the ARP responder entries, from what the
// topology says every node has (Neutron's l2pop gets the same from the
// agents). Nil when the node has no vxlan network.
func tunnelSpec(v *configs.NodeView) *TunnelSpec {
	t := v.Topology
	var s *TunnelSpec
	vtep := map[*configs.Node]uint16{}
	vtepOf := func(n *configs.Node) uint16 {
		if k, ok := vtep[n]; ok {
			return k
		}
		if !n.UnderlayIP.IsValid() {
			return 0
		}
		s.VTEPs = append(s.VTEPs, n.UnderlayIP)
		s.VTEPNodes = append(s.VTEPNodes, n.Name)
		vtep[n] = uint16(len(s.VTEPs))
		return vtep[n]
	}
	for _, nn := range v.Networks {
		if nn.Type != configs.VXLAN {
			continue
		}
		if s == nil {
			s = &TunnelSpec{Local: v.Node.UnderlayIP, Port: header.VXLANPort}
		}
		tn := TunnelNetwork{Name: nn.Name, VNI: uint32(nn.Segment), LVID: nn.LVID}
		for _, o := range nn.Peers {
			if k := vtepOf(o); k != 0 {
				tn.Flood = append(tn.Flood, k)
			}
		}
		remote := func(node *configs.Node, mac configs.MAC, ips []netip.Addr, owner string) {
			if node == v.Node {
				tn.Local = append(tn.Local, ips...)
				return
			}
			k := vtepOf(node)
			if k == 0 {
				return
			}
			tn.FDB = append(tn.FDB, TunnelFDBEntry{MAC: mac.HardwareAddr(), VTEP: k, Owner: owner})
			for _, ip := range ips {
				if ip.Is4() {
					tn.ARP = append(tn.ARP, TunnelARPEntry{IP: ip, MAC: mac.HardwareAddr(), Owner: owner})
				}
			}
		}
		for _, p := range t.Ports {
			if p.Network == nn.Network {
				remote(p.Node, p.MAC, p.IPv4(), p.Name)
			}
		}
		for _, r := range t.Routers {
			for _, ri := range r.Interfaces {
				if ri.Subnet != nil && ri.Subnet.Network == nn.Network {
					remote(r.Node, ri.MAC, []netip.Addr{ri.IP}, RouterDeviceName("qr-", r.Name+"/"+ri.Subnet.Name))
				}
			}
			if g := r.ExternalGateway; g != nil && g.Network == nn.Network {
				remote(r.Node, g.MAC, []netip.Addr{g.IP}, RouterDeviceName("qg-", r.Name+"/"+g.Network.Name))
			}
		}
		for _, sn := range nn.Subnets {
			if sn.EnableDHCP && sn.DHCPIP.IsValid() {
				tn.Local = append(tn.Local, sn.DHCPIP) // every node answers its own ports' DHCP
			}
		}
		s.Networks = append(s.Networks, tn)
	}
	return s
}
