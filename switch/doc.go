// Package l2switch is br-int's VLAN-aware learning switch and the tag
// translation of the physical bridges (NEUTRON.md §1). The directory is
// switch/; the package is named l2switch because switch is a Go keyword.
//
// # Model
//
// Every network has a host-local VLAN id, the lvid (1..4094), assigned by the
// datapath; it means nothing outside this node. A port carries one lvid (an
// access port: a VM's tap, a router's qr-) or several (a trunk: the patch to
// br-tun, the uplink of a physical bridge). The datapath hands the switch
// its membership (SetMembership) and, per frame, the ingress port and lvid.
// The switch knows nothing of links, buffers or the topology.
//
// Forward is what OVS's NORMAL action does on br-int, one frame at a time:
//
//  1. A frame whose source MAC is multicast or broadcast is dropped
//     (DropMulticastSource), like OVS NORMAL.
//  2. Learn (lvid, source MAC) -> ingress port. A MAC seen on another port
//     moves there. A port may own at most Config.MaxMACsPerPort entries; a
//     frame that would learn one more is dropped (DropMACLimit) and counted
//     against that port, while its known MACs keep working. The whole
//     table holds at most Config.MaxEntries entries (65536 by default): a
//     new MAC on a full table takes the place of an aged entry or of the
//     least recently refreshed one learned on an uplink (a port without a
//     per-port limit); if there is none it is not learned (LearnTableFull)
//     and the frame goes on. Uplink floods of source MACs thus cost a
//     bounded table, and never push VMs' MACs out.
//  3. Look up (lvid, destination MAC): broadcast, multicast and unknown
//     unicast are flooded to the lvid's members (FloodPorts; the caller skips
//     the ingress port); a known MAC goes to its port, unless that port is the
//     ingress port (DropSamePort: NORMAL never sends a frame back out its
//     in_port).
//
// Ports of different lvids never see each other's frames: the same MAC in
// two lvids is two entries, and flood lists are per lvid.
//
// # Aging
//
// An entry not refreshed for Config.AgingTime (OVS mac-aging-time, 300 s by
// default) is gone. Lookups treat an aged entry as absent at once, so
// behaviour is exact on a fake clock; Expire removes aged entries from the
// table and gives their slots and per-port quota back (the datapath calls it
// periodically; a port that hits its limit also triggers a sweep, at most
// once per refresh interval, see below). A shard whose entries fall below
// 1/8 of its slots after Expire or FlushPort is rebuilt smaller, so the
// memory taken by a burst of MACs comes back once they age out. Timestamps
// are kept with a resolution of 1 ms.
//
// To keep the hot path free of shared writes, a known MAC seen again on the
// same port refreshes its entry only when the stored timestamp is at least
// the refresh interval old: one second, or AgingTime/8 when that is shorter.
// An entry may therefore age out up to one refresh interval before
// AgingTime has passed since its last frame.
//
// # Concurrency
//
// Forward runs concurrently from many goroutines (one per ingress port)
// while Lookup, Entries, Each, Expire, FlushPort, SetMembership and Stats
// run from others.
// The table is split into shards, each an open-addressing hash table keyed by
// lvid<<48 | MAC. Readers take no lock and write nothing: a shard's sequence
// number tells them to retry when an entry was moved under them. Writers
// (new MACs, moves, refreshes, expiry) lock only their shard. The flood lists
// are an immutable snapshot swapped with atomic.Pointer.
//
// # Uplinks
//
// A Trunk translates between the wire and lvids on a physical bridge's
// uplink (br-ex, br-eth1): a flat network travels untagged, a vlan network
// carries an 802.1Q tag equal to its segmentation id. Frames with a tag of no
// network are refused so the datapath can count and drop them.
package l2switch
