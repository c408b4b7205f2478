package datapath

import (
	"crypto/sha256"
	"encoding/hex"
	"net/netip"

	"neutrino/configs"
	"neutrino/router"
)

// routerSpecs resolves the node's routers: a qr- port per interface, a qg-
// port for the gateway, the routes and the floating IPs.
func routerSpecs(v *configs.NodeView) []RouterSpec {
	var out []RouterSpec
	for i, r := range v.Routers {
		rs := RouterSpec{Name: r.Name, Zone: uint16(i + 1), Gateway: -1}
		for _, ri := range r.Interfaces {
			sn := ri.Subnet
			if !ri.IP.Is4() {
				continue // IPv6 is not routed yet (configs says so)
			}
			nn := v.Network(sn.Network)
			idx := len(rs.Ports)
			rs.Ports = append(rs.Ports, RouterPortSpec{
				Name: RouterDeviceName("qr-", r.Name+"/"+sn.Name), MAC: ri.MAC.HardwareAddr(),
				Addr: netip.PrefixFrom(ri.IP, sn.CIDR.Bits()), Subnet: sn.Name, Network: sn.Network.Name,
				LVID: nn.LVID, MTU: sn.Network.MTU,
			})
			rs.Routes = append(rs.Routes, router.Route{Prefix: sn.CIDR.Masked(), Interface: idx})
		}
		if g := r.ExternalGateway; g != nil && g.IP.Is4() {
			nn := v.Network(g.Network)
			rs.Gateway = len(rs.Ports)
			rs.EnableSNAT = g.EnableSNAT
			rs.Ports = append(rs.Ports, RouterPortSpec{
				Name: RouterDeviceName("qg-", r.Name+"/"+g.Network.Name), MAC: g.MAC.HardwareAddr(),
				Addr: netip.PrefixFrom(g.IP, g.Subnet.CIDR.Bits()), Subnet: g.Subnet.Name, Network: g.Network.Name,
				LVID: nn.LVID, MTU: g.Network.MTU, Gateway: true,
			})
			rs.Routes = append(rs.Routes, router.Route{Prefix: g.Subnet.CIDR.Masked(), Interface: rs.Gateway})
			if gw := g.Subnet.Gateway; gw.Is4() {
				rs.Routes = append(rs.Routes, router.Route{Prefix: netip.PrefixFrom(netip.IPv4Unspecified(), 0), Gateway: gw})
			}
		}
		for _, rt := range r.Routes {
			if !rt.Destination.Addr().Is4() {
				continue
			}
			rs.Routes = append(rs.Routes, router.Route{Prefix: rt.Destination.Masked(), Gateway: rt.NextHop})
		}
		for _, f := range r.FloatingIPs {
			if f.Port == nil {
				continue
			}
			rs.FloatingIPs = append(rs.FloatingIPs, FloatingIPSpec{Address: f.Address, Fixed: f.FixedIP, Port: f.Port.Name})
		}
		out = append(out, rs)
	}
	return out
}

// RouterDeviceName is the name of a router port: the prefix (qr- or qg-)
// and eleven characters, as Neutron's devices (qr- and the first 11
// characters of the port's UUID). neutrino has no UUIDs, so the characters
// are hex of a hash of key, stable across restarts: "qr-2aa928c9-e8".
func RouterDeviceName(prefix, key string) string {
	sum := sha256.Sum256([]byte(key))
	h := hex.EncodeToString(sum[:5])
	return prefix + h[:8] + "-" + h[8:10]
}
