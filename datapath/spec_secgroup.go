package datapath

import (
	"net"
	"net/netip"

	"neutrino/firewall"
)

// SecuritySpec is the filtering of a VM port with port security: what
// Neutron's firewall driver does around the port. A port without it
// (PortSpec.Security nil) passes everything.
type SecuritySpec struct {
	// Zone is the port's conntrack zone: every connection through the
	// port's filters is tracked there, apart from other ports' and the
	// routers'. Ports get zones from PortZoneBase up, in port order.
	Zone uint16
	// Stateful: connections are tracked, replies pass as ESTABLISHED.
	// Stateless groups (stateful: false) match every packet against the
	// rules, replies included.
	Stateful bool
	// Groups are the port's security groups, by name, in its order.
	Groups []string
	// Pairs are the (MAC, prefix) pairs the port may send from: its fixed
	// IPs with its MAC, then its allowed address pairs.
	Pairs []AddressPair
	// Rules are the groups' rules, compiled.
	Rules *firewall.Set
}

// AddressPair is a source a port may use: a MAC and the addresses that
// may go with it.
type AddressPair struct {
	MAC    net.HardwareAddr
	Prefix netip.Prefix
}

// PortZoneBase is the first conntrack zone of a port; routers use the
// zones from 1 up, far below.
const PortZoneBase = 0x1000
