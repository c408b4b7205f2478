package datapath

import (
	"net"
	"net/netip"
)

// TunnelSpec is the node's br-tun: its VXLAN tunnels to the other nodes
// and what L2 population tells it about their ports. All tunnels share
// one port of the node (PortTunnel), the underlay socket on Local.
type TunnelSpec struct {
	Local netip.Addr // the node's underlay_ip (local_ip)
	Port  uint16     // UDP port, 4789
	// VTEPs are the remote nodes' underlay addresses; frames name them
	// by 1 + their index (packet.Tunnel.VTEP).
	VTEPs []netip.Addr
	// VTEPNodes are the nodes of VTEPs, for show.
	VTEPNodes []string
	Networks  []TunnelNetwork
}

// TunnelNetwork is one vxlan network of the node, as br-tun's tables
// hold it.
type TunnelNetwork struct {
	Name string
	VNI  uint32
	LVID uint16
	// Flood are the VTEPs of the other nodes the network is present on:
	// head-end replication of broadcast and unknown unicast (table 22).
	Flood []uint16
	// FDB are the MACs of the network's ports, router interfaces on other
	// nodes, by VTEP (table 20).
	FDB []TunnelFDBEntry
	// ARP are the IPv4 addresses of those ports and interfaces with
	// their MACs, answered on this node (table 21); allowed address pairs
	// are never among them (they move).
	ARP []TunnelARPEntry
	// Local are the addresses of this node's own ports, router
	// interfaces and DHCP port on the network: their owners answer ARP
	// for them here, so requests for them never cross the tunnels.
	Local []netip.Addr
}

// TunnelFDBEntry is an L2 population entry: MAC is behind VTEP.
type TunnelFDBEntry struct {
	MAC   net.HardwareAddr
	VTEP  uint16
	Owner string // the port or router interface, for show
}

// TunnelARPEntry is an ARP responder entry.
type TunnelARPEntry struct {
	IP    netip.Addr
	MAC   net.HardwareAddr
	Owner string
}
