// Package datapath builds a node from its slice of the topology and runs
// every frame to completion on the goroutine that read it:
//
//  1. read a batch from a port's endpoint (TAP, AF_PACKET, capture file);
//  2. parse each frame once (header.Parse); malformed frames are counted
//     per reason and dropped;
//  3. classify it into a local VLAN: a VM port's network, or an uplink's
//     tag (802.1Q for vlan networks, untagged for flat ones), stripping
//     the tag so that inside the node frames travel untagged;
//  4. br-int: learn the source, look up the destination (l2switch), and
//     queue the frame to one port or to every other port of its VLAN;
//  5. flush each port's queue as one batch: push the uplink's tag, segment
//     super-frames or complete partial checksums where the egress cannot
//     take them, write, count.
//
// Nothing on this path allocates or logs; drops are counted per reason.
// A frame that carries a packet.Trace records each decision.
package datapath
