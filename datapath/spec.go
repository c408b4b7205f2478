package datapath

import (
	"net"
	"net/netip"

	"neutrino/dhcp"
	"neutrino/link/nstap"
)

// PortKind says what a port of the node is.
type PortKind uint8

// Port kinds.
const (
	// PortVM is a Neutron port: a VM's or namespace's interface on one
	// network (br-int access port with the network's local VLAN).
	PortVM PortKind = iota
	// PortUplink is a physical bridge's interface, where flat and vlan
	// networks leave the node.
	PortUplink
	// PortTunnel is the node's VXLAN endpoint: br-tun's tunnel ports to
	// every other node, behind one underlay socket (PortSpec.Tunnel).
	PortTunnel
)

func (k PortKind) String() string {
	switch k {
	case PortUplink:
		return "uplink"
	case PortTunnel:
		return "tunnel"
	}
	return "port"
}

// Attach says how a port's device is reached.
type Attach uint8

// Attachments.
const (
	// AttachTAP: a TAP device the node creates (or attaches to when it
	// exists already), with the port's MAC address.
	AttachTAP Attach = iota
	// AttachExisting: AF_PACKET on an existing interface, promiscuous.
	AttachExisting
	// AttachNetns: a network namespace of the port's own with a TAP
	// device inside it (PortSpec.Netns says how it is set up).
	AttachNetns
)

func (a Attach) String() string {
	switch a {
	case AttachExisting:
		return "existing"
	case AttachNetns:
		return "netns"
	}
	return "tap"
}

// PortSpec is one port of the node, resolved from the topology.
type PortSpec struct {
	Name    string // port or uplink name, as in the topology
	Kind    PortKind
	Attach  Attach
	Device  string           // TAP device or interface name
	MAC     net.HardwareAddr // the port's address (TAP devices get it)
	MTU     int              // largest L3 packet; the network's MTU for VM ports
	Network string           // VM ports: the network
	LVID    uint16           // VM ports: the network's local VLAN
	// PortSecurity is Neutron's port_security_enabled (VM ports); a port
	// without it is trusted (e.g. it may relay DHCP).
	PortSecurity bool
	// Security is the port's filtering, nil when it has none (no port
	// security, or not a VM port).
	Security *SecuritySpec
	// Tunnel is br-tun, for the tunnel port.
	Tunnel *TunnelSpec
	// IPs are a VM port's fixed IPv4 addresses (what a trace starts from).
	IPs []netip.Addr
	// Netns is the namespace an attach: netns port gets, nil otherwise.
	Netns *nstap.Plan

	// Uplinks: the flat network's local VLAN (0 when none) and, for vlan
	// networks, the 802.1Q id on the wire -> local VLAN.
	Untagged uint16
	Tags     map[uint16]uint16
}

// NetworkSpec is one network present on the node.
type NetworkSpec struct {
	Name     string
	Type     string // local | flat | vlan | vxlan
	Segment  uint32 // VLAN id or VNI; 0 for flat and local
	Physical string // uplink name for flat and vlan
	MTU      int
	LVID     uint16 // host-local VLAN on br-int
	// DHCP is the network's DHCP port on this node, nil when no subnet
	// of the network has DHCP enabled or no port of the node is on it.
	DHCP *DHCPSpec
}

// DHCPSpec is a network's DHCP port: Neutron gives it one MAC and one
// address in each DHCP-enabled subnet. Server, when set, is what it
// serves (without it the port answers ARP and ping only).
type DHCPSpec struct {
	MAC    net.HardwareAddr
	IPs    []netip.Addr
	Server *dhcp.Config
}

// Spec is what a node is made of.
type Spec struct {
	Node     string
	Networks []NetworkSpec
	Ports    []PortSpec
	Routers  []RouterSpec
	// ConntrackMax bounds the node's connection table (0: the default).
	ConntrackMax int
}

// network returns the network with the given local VLAN.
func (s *Spec) network(lvid uint16) *NetworkSpec {
	for i := range s.Networks {
		if s.Networks[i].LVID == lvid {
			return &s.Networks[i]
		}
	}
	return nil
}
