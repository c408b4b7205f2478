// Package configs reads the topology file of TOPOLOGY.md: one YAML file
// that describes a whole lab cloud in Neutron's terms (nodes, uplinks,
// networks with subnets, ports, routers, floating IPs, security groups).
//
// Parse and Load decode the file strictly, by walking the yaml.Node tree by
// hand: unknown fields (with a "did you mean"), wrong types, duplicate keys
// and missing required fields are errors. They then apply the defaults of
// TOPOLOGY.md, resolve every reference to a pointer, and check everything
// the contract's "Validation" section lists, and more. All problems come back
// at once as an ErrorList, one FILE:LINE:COL: PATH: REASON a line, sorted by
// position; nothing is returned half-valid.
//
// Every object embeds a Source: its position, its path in error messages,
// and the position of each field, so that later stages can point at the file
// too.
//
// Topology.Node slices the topology for one node: its ports, uplinks and
// routers, and the networks present on it, each with a host-local VLAN id
// (NodeNetwork.LVID).
//
// Defaults worth knowing (the rest are in TOPOLOGY.md):
//
//   - nodes: one node named "local"; node fields default to the only node.
//   - device: "tap" + the first 11 characters of the port name.
//   - mac: fa:16:3e + the first 3 bytes of sha256 of a key (see DeriveMAC);
//     router interfaces and gateways and each network's DHCP port get one
//     too.
//   - gateway: the subnet's first host address; "none" (or null) for none.
//   - dhcp_ip: the lowest free address after the gateway; router gateway ip
//     and floating_ip_address: the lowest free address of the network's
//     first IPv4 subnet. Free means not written anywhere on the network and
//     not in the allocation pool. They are given in that order (DHCP, then
//     routers, then floating IPs), each in file order.
//   - security_groups: [default], none when port_security is false or the
//     network has no subnet. A "default" group with Neutron's rules exists
//     when the file has none.
//
// Extensions to TOPOLOGY.md: a router interface may be a mapping
// {subnet: NAME, mac: MAC} instead of a subnet name, and external_gateway
// takes a mac, so a lab can reproduce the MACs of a real cloud.
//
// Default returns the embedded default topology (default.yaml); examples/
// holds commented example files.
package configs
