package configs

import (
	"net/netip"

	"neutrino/firewall"
)

// Topology is one parsed, defaulted and validated topology file
// (TOPOLOGY.md). Every reference between objects is resolved: a Port points
// at its *Network and *Node, a RouterInterface at its *Subnet, and so on. The
// *Name fields keep the names as written.
//
// A Topology is read-only after Parse; callers must not change it.
type Topology struct {
	Source
	File           string // the name given to Parse or Load, used in positions
	Version        int
	Nodes          []*Node
	Uplinks        []*Uplink
	Networks       []*Network
	Ports          []*Port
	Routers        []*Router
	FloatingIPs    []*FloatingIP
	SecurityGroups []*SecurityGroup

	index index
	// firewalls holds the ports' rules compiled by the check, for
	// CompileFirewall.
	firewalls *firewall.Memo
}

// Node is one appliance process: `neutrino run --node NAME`.
type Node struct {
	Source
	Name string
	// UnderlayIP is the VXLAN local_ip; the zero Addr when not given. A node
	// with a port or router on a vxlan network always has one.
	UnderlayIP netip.Addr
	// ConntrackMax bounds the node's connection table (its routers' and
	// security groups'); DefaultConntrackMax when not given.
	ConntrackMax int
	// Implicit is set on the node named "local" made up when the file has no
	// nodes section.
	Implicit bool
}

// Uplink is a physical bridge (br-ex, a physnet) on one node: where flat and
// vlan networks leave the node. The same uplink name may appear once per
// node; a flat or vlan network is usable on every node that has an uplink
// with its physical name.
type Uplink struct {
	Source
	Name     string
	NodeName string
	Node     *Node
	// Exactly one of Interface and Tap is set.
	Interface string // an existing interface, bound with AF_PACKET
	Tap       string // a TAP device the appliance creates
}

// Device returns the interface name of the uplink, whichever kind it is.
func (u *Uplink) Device() string {
	if u.Interface != "" {
		return u.Interface
	}
	return u.Tap
}

// Attach returns AttachExisting for an interface uplink, AttachTap for a tap.
func (u *Uplink) Attach() Attach {
	if u.Interface != "" {
		return AttachExisting
	}
	return AttachTap
}

// NetworkType is a Neutron provider:network_type.
type NetworkType string

// Network types.
const (
	Local NetworkType = "local"
	Flat  NetworkType = "flat"
	VLAN  NetworkType = "vlan"
	VXLAN NetworkType = "vxlan"
)

// Network is a Neutron network: one L2 domain.
type Network struct {
	Source
	Name string
	Type NetworkType
	// Segment is the VLAN id (vlan) or the VNI (vxlan); 0 for flat and local.
	Segment int
	// Physical is the uplink name for flat and vlan networks, "" otherwise.
	Physical string
	External bool
	MTU      int
	Subnets  []*Subnet
	// DHCPMAC is the MAC of the network's DHCP port (one per network, with
	// one address per DHCP-enabled subnet, like Neutron's). It is the zero MAC
	// when no subnet of the network has DHCP enabled.
	DHCPMAC MAC
}

// Subnet is an IP range on a network.
type Subnet struct {
	Source
	Name    string
	Network *Network
	CIDR    netip.Prefix
	// Gateway is the zero Addr when the subnet has no gateway ("none").
	Gateway    netip.Addr
	EnableDHCP bool
	// DHCPIP is the DHCP server's address; the zero Addr when DHCP is off.
	DHCPIP         netip.Addr
	DNSNameservers []netip.Addr
	HostRoutes     []*HostRoute
	// LeaseTime is in seconds; InfiniteLease (-1) means infinite.
	LeaseTime int
	Domain    string
	// AllocationPool is nil when not given (Neutron's static-only DHCP).
	AllocationPool *AllocationPool
	// Interface is the router interface attached to this subnet, or nil.
	Interface *RouterInterface
}

// HostRoute is a route handed to DHCP clients (option 121).
type HostRoute struct {
	Source
	Destination netip.Prefix
	NextHop     netip.Addr
}

// AllocationPool is an inclusive address range served to unknown MACs (a
// neutrino extension; Neutron's DHCP is static only).
type AllocationPool struct {
	Source
	Start, End netip.Addr
}

// Contains reports whether a lies inside the pool.
func (p *AllocationPool) Contains(a netip.Addr) bool {
	return p != nil && p.Start.IsValid() && p.End.IsValid() &&
		a.BitLen() == p.Start.BitLen() && p.Start.Compare(a) <= 0 && a.Compare(p.End) <= 0
}

// Attach says how a port's device comes to be.
type Attach string

// Attach kinds.
const (
	AttachTap      Attach = "tap"      // the appliance creates a TAP device
	AttachExisting Attach = "existing" // AF_PACKET on an existing interface
	// AttachNetns: the appliance creates a network namespace for the port
	// and a TAP device inside it, with the port's addresses and routes (a
	// neutrino extension: a lab host in one line).
	AttachNetns Attach = "netns"
)

// Addressing says who configures an attach: netns port's addresses.
type Addressing string

// Addressing kinds.
const (
	AddressingStatic Addressing = "static" // the appliance adds the fixed IPs and routes
	AddressingDHCP   Addressing = "dhcp"   // nothing: a DHCP client run in the namespace does it
)

// DefaultIfName is the device name inside an attach: netns port's namespace.
const DefaultIfName = "eth0"

// Port is a Neutron port: a VM's NIC.
type Port struct {
	Source
	Name        string
	NetworkName string
	Network     *Network
	NodeName    string
	Node        *Node
	Device      string
	Attach      Attach
	// Attach netns only: the namespace (default: the port's name), the
	// device inside it (default eth0), who sets the addresses, and whether
	// a namespace that exists already may be used (it is then left in
	// place at stop).
	Netns      string
	IfName     string
	Addressing Addressing
	NetnsReuse bool
	MAC        MAC
	FixedIPs   []FixedIP
	// SecurityGroupNames are the names as written (or the default);
	// SecurityGroups the resolved groups, in the same order.
	SecurityGroupNames  []string
	SecurityGroups      []*SecurityGroup
	PortSecurity        bool
	AllowedAddressPairs []*AddressPair
	ExtraDHCPOpts       []*DHCPOpt
}

// FixedIP is one address of a port and the subnet it belongs to.
type FixedIP struct {
	Address netip.Addr
	Subnet  *Subnet
}

// IPv4 returns the port's IPv4 fixed addresses.
func (p *Port) IPv4() []netip.Addr {
	var out []netip.Addr
	for _, f := range p.FixedIPs {
		if f.Address.Is4() {
			out = append(out, f.Address)
		}
	}
	return out
}

// AddressPair is an allowed_address_pairs entry: extra (IP or CIDR, MAC)
// pairs the port may send from.
type AddressPair struct {
	Source
	// IPAddress is a prefix; a single address is a /32 (or /128).
	IPAddress netip.Prefix
	// MAC is the port's MAC when not given.
	MAC MAC
}

// DHCPOpt is an extra_dhcp_opts entry.
type DHCPOpt struct {
	Source
	Name      string
	Value     string
	IPVersion int // 4 (default) or 6
}

// Router is a Neutron router (a qrouter namespace).
type Router struct {
	Source
	Name     string
	NodeName string
	Node     *Node
	// ExternalGateway is nil when the router has none.
	ExternalGateway *ExternalGateway
	Interfaces      []*RouterInterface
	Routes          []*Route
	// FloatingIPs are the associated floating IPs this router serves (their
	// port's subnet is on one of its interfaces, their network is its
	// gateway's).
	FloatingIPs []*FloatingIP
}

// ExternalGateway is a router's gateway port (qg-) on an external network.
type ExternalGateway struct {
	Source
	NetworkName string
	Network     *Network
	IP          netip.Addr
	Subnet      *Subnet // the subnet of IP
	EnableSNAT  bool
	// MAC is a neutrino extension (Neutron picks one); see DeriveMAC.
	MAC MAC
}

// RouterInterface is a router's port (qr-) on a subnet; it holds the subnet's
// gateway IP. In the file an interface is a subnet name, or (a neutrino
// extension) a mapping {subnet: NAME, mac: MAC}.
type RouterInterface struct {
	Source
	Router     *Router
	SubnetName string
	Subnet     *Subnet
	IP         netip.Addr // the subnet's gateway
	MAC        MAC
}

// Route is a router's extra route.
type Route struct {
	Source
	Destination netip.Prefix
	NextHop     netip.Addr
}

// FloatingIP maps an address of an external network to a port's fixed IP.
type FloatingIP struct {
	Source
	Address     netip.Addr
	NetworkName string
	Network     *Network
	// PortName is "" (and Port, FixedIP, Router zero) for a floating IP that
	// is not associated.
	PortName string
	Port     *Port
	FixedIP  netip.Addr
	Router   *Router // the router that serves it
}

// SecurityGroup is a named set of allow rules.
type SecurityGroup struct {
	Source
	Name     string
	Stateful bool
	Rules    []*Rule
	// Implicit is set on the "default" group made up when the file has none.
	Implicit bool
}

// Direction of a security group rule, seen from the VM.
type Direction string

// Directions.
const (
	Ingress Direction = "ingress"
	Egress  Direction = "egress"
)

// EtherType of a security group rule.
type EtherType string

// Ether types.
const (
	IPv4 EtherType = "IPv4"
	IPv6 EtherType = "IPv6"
)

// Rule is one security group rule.
type Rule struct {
	Source
	Direction Direction
	EtherType EtherType
	// ProtocolName is the protocol as written, lower-cased ("" when omitted).
	ProtocolName string
	// Protocol is the IP protocol number, or AnyProtocol (-1). For IPv6 rules
	// "icmp" is resolved to 58 (ipv6-icmp), as Neutron's drivers do.
	Protocol int
	// PortRangeMin and PortRangeMax are Unset (-1) when not given. For tcp,
	// udp, sctp, dccp and udplite they are ports (a lone min means min..min);
	// for icmp and ipv6-icmp min is the type and max the code.
	PortRangeMin int
	PortRangeMax int
	// RemoteIPPrefix is the zero Prefix when not given.
	RemoteIPPrefix  netip.Prefix
	RemoteGroupName string
	RemoteGroup     *SecurityGroup
}

// Sentinel values of Rule fields.
const (
	AnyProtocol = -1
	Unset       = -1
)

// Defaults and limits from TOPOLOGY.md.
const (
	DefaultNodeName      = "local"
	DefaultSecurityGroup = "default"
	DefaultDomain        = "openstacklocal"
	DefaultLeaseTime     = 86400
	InfiniteLease        = -1
	MinLeaseTime         = 120
	DefaultMTU           = 1500
	DefaultVXLANMTU      = 1450
	MinMTU               = 68
	MaxMTU               = 9000
	MaxDeviceName        = 15 // IFNAMSIZ - 1
	MaxVLAN              = 4094
	MaxVNI               = 1<<24 - 1
	// A node's connection table (neutrino extension conntrack_max).
	DefaultConntrackMax = 262144
	MinConntrackMax     = 1024
	MaxConntrackMax     = 1 << 24
)
