// Package header holds typed views over []byte for the protocol headers the
// datapath reads and writes (Ethernet, 802.1Q, ARP, IPv4, ICMPv4, UDP, TCP,
// VXLAN and the virtio-net header), the checksum helpers (full and RFC 1624
// incremental), and Parse, which walks a frame once into a Layout of offsets
// that every later stage reads. Nothing here allocates and nothing here
// imports another package of the project.
package header
