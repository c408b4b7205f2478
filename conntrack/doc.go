// Package conntrack is the connection tracker of the router and, next, of
// the security groups: Linux's nf_conntrack in what it decides (states,
// timeouts, RELATED, early drop, zones), with the FDB's lock-free table.
// It does no I/O, starts no goroutine and keeps no timer per connection.
//
// # Tracking a packet
//
// Track is the first of two phases, as gVisor's conntrack and OVS's ct():
//
//  1. The packet's tuple (zone, protocol, addresses, ports or ICMP echo id)
//     is read from the layout header.Parse made: a Key. Non-IPv4 packets
//     and later fragments are INVALID (reassembly is NAT's job).
//  2. The tuple is looked up, with no lock, among both tuples of every
//     connection: a hit says the connection and the packet's direction.
//  3. A hit advances the connection's state by the packet: the TCP state
//     machine of nf_conntrack_proto_tcp.c by flags and direction; for UDP
//     the first reply marks the connection replied and ASSURED; an echo
//     reply marks an ICMP one replied. Nothing is written when nothing
//     changes but the time, and the time at most once a second, so the
//     established path writes nothing shared.
//  4. The packet's state: NEW in the original direction until a reply is
//     seen, ESTABLISHED after; INVALID when no state allows it (a TCP
//     segment a state rejects, a segment without SYN and no connection
//     unless Config.TCPLoose picks it up mid-stream, an orphan echo reply).
//  5. An ICMP error is looked up by the packet embedded in it, inverted, and
//     is RELATED to that connection (see related).
//  6. A miss that may open a connection is NEW and creates nothing. Commit
//     (or CommitReply, with NAT's reply tuple) creates it once the packet is
//     accepted; two packets racing to commit the same tuple get one entry.
//
// # Dry runs
//
// TrackDry decides as Track would and writes nothing: what a trace needs.
// A trace of several packets (a frame, then its reply) tracks through an
// Overlay of the table instead: the connections its packets would have
// committed (with NAT's reply tuples) are kept there, where its next
// packets find them, and the table stays as it was. Track never consults
// an overlay, so the datapath's own packets pay nothing for it.
//
// # Bounds and timeouts
//
// The table holds at most Config.MaxEntries connections (262144 by
// default). A commit into a full table first evicts one connection that is
// timed out or not ASSURED from a sample of slots (Linux's early_drop); an
// ASSURED one is never evicted, so established flows survive a SYN flood;
// when the sample has none, the commit is refused (RefusedTableFull).
// Timeouts are Linux's defaults (Timeouts). A connection past its timeout
// is gone for lookups at once; Expire reclaims its slot a slice of the
// table per call.
//
// # Zones
//
// The zone is part of the key: the same tuple in two zones is two
// connections. The router uses a zone per router, the security groups one
// per port (a zone per network was Neutron bug 1478925).
//
// # Memory and concurrency
//
// A connection is 40 bytes in a per-shard slab, reused after it ends, plus
// two 24-byte slots (one per direction) in open-addressing tables kept at
// most 5/8 full: under 256 bytes per connection, allocation-free once the
// slab has grown. Lookups run from any number of goroutines; writers lock
// the shards of the connection's two tuples, in index order. See shard.go
// and conn.go for how readers stay consistent without locks.
//
// # Batches
//
// A new connection in a large table costs a few cache misses, each
// depending on the one before (see warm.go). A caller with a batch of
// frames tells the table the next ones: Prefetch after a lookup, Ahead
// before a commit; the misses of one frame are then asked for with the
// next frames', one round per connection instead of one per miss.
//
// # Not yet
//
// TCP window tracking (sequence numbers, Linux's unacknowledged and
// retransmission timeouts, in-window checks of RST), IPv6, and ICMP
// queries other than echo (INVALID for now). The ICMP key holds the echo id
// in both ports, so an echo request in the reply direction of a connection
// (both sides pinging with the same id at once) is INVALID rather than a
// second connection.
package conntrack
