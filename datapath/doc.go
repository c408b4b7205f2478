// Package datapath builds a node from its slice of the topology and runs
// every frame to completion on the goroutine that read it, through a graph
// of elements (graph.go, build.go):
//
//  1. read a batch from a port's endpoint (TAP, AF_PACKET, capture file);
//  2. portIn: parse each frame once (header.Parse; malformed frames are
//     counted per reason and dropped), check it against the MTU, classify
//     it into a local VLAN (a VM port's network, or an uplink's tag,
//     stripped: inside the node frames travel untagged), and hand it to
//     br-int, or to the network's DHCP port when it is for that port;
//  3. bridge (br-int): learn the source, look up the destination
//     (l2switch), and send the frame to one bridge port or flood it to
//     every other member of its VLAN, as one shared read-only buffer;
//  4. the DHCP port (qdhcp) answers DHCP, ARP and ICMP echo on the node,
//     in frames from the worker's bounded pool or in a writable copy;
//  5. flush each device's output queue as one batch: push the uplink's
//     tag, segment super-frames or complete partial checksums where the
//     egress cannot take them, write, count.
//
// The graph is immutable and swapped whole (atomic pointer); long-lived
// state (the FDB, DHCP leases) lives outside it. Nothing on the forwarding
// path allocates or logs; drops are counted per stage and reason (Stage),
// per worker. A frame that carries a packet.Trace records each decision as
// a tree, one branch per flood copy or generated frame.
package datapath
