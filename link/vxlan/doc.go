// Package vxlan is the endpoint of a node's VXLAN tunnels (the tunnel
// ports of Neutron's br-tun): frames the datapath writes leave in VXLAN
// (RFC 7348) to the remote VTEP their metadata names, with the VNI it
// gives; VXLAN datagrams received become frames again, tagged with their
// VNI and the VTEP they came from. The UDP itself is a Transport's: the
// node's underlay socket (link/udp), or a Fabric in tests.
package vxlan
