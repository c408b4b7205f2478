package datapath

import (
	"net"
	"net/netip"

	"neutrino/router"
)

// RouterSpec is a Neutron router on the node (a qrouter namespace): its
// qr- ports, its qg- port, its routes and its floating IPs.
type RouterSpec struct {
	Name string
	// Zone is the router's conntrack zone: every connection through it is
	// tracked there. Routers get zones 1, 2, ... in topology order.
	Zone uint16
	// Ports are the router's qr- ports in the order of its interfaces,
	// then its qg- port when it has a gateway. A port's index here is its
	// interface number in Routes.
	Ports []RouterPortSpec
	// Gateway is the index of the qg- port in Ports, -1 when the router
	// has no external gateway.
	Gateway int
	// EnableSNAT: traffic leaving by qg without a floating IP is SNATed
	// to the gateway IP (Neutron's enable_snat).
	EnableSNAT bool
	// Routes: connected subnets, the default route via the external
	// subnet's gateway, the extra routes.
	Routes      []router.Route
	FloatingIPs []FloatingIPSpec
}

// RouterPortSpec is one router port: qr- on a tenant subnet holding its
// gateway IP, or qg- on the external network holding the gateway IP.
type RouterPortSpec struct {
	Name    string // qr-xxxxxxxx-xx or qg-xxxxxxxx-xx, as Neutron's devices
	MAC     net.HardwareAddr
	Addr    netip.Prefix // the port's address with its subnet's prefix length
	Subnet  string
	Network string
	LVID    uint16 // the network's local VLAN on br-int
	MTU     int
	Gateway bool // the qg- port
}

// FloatingIPSpec is one floating IP the router serves: DNAT of Address to
// Fixed, SNAT of Fixed to Address.
type FloatingIPSpec struct {
	Address netip.Addr
	Fixed   netip.Addr
	Port    string // the Neutron port holding Fixed
}
