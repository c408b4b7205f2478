// Package router holds the decisions of a Neutron qrouter (NEUTRON.md §3):
// the forwarding table, the neighbour (ARP) cache and the ARP answers of its
// qr- and qg- ports. It is pure logic: no I/O, no goroutines, no clock of
// its own (times are Unix nanoseconds passed in). The datapath's router
// element calls it and acts on the values it returns.
//
// # Forwarding
//
// Build turns a route list (connected subnets, extra routes, the default
// route) into an immutable FIB, validating that every next hop is on a
// connected subnet; FIBTable swaps FIBs atomically on reload. Lookup is a
// longest-prefix match (github.com/gaissmai/bart) that allocates nothing.
// Several next hops for one prefix are ECMP: FlowHash of the 5-tuple picks
// one by hash-threshold (RFC 2992), so a flow keeps its path.
//
// # Neighbours
//
// Cache follows Linux's neighbour states for ARP: INCOMPLETE (broadcast
// requests every RetransTime, Retries of them, frames queued up to
// MaxQueue, the oldest pushed out), REACHABLE for ReachableTime after a
// reply, then STALE, PROBE when used again (unicast requests), FAILED when
// requests go unanswered: queued frames come back to be answered with ICMP
// host unreachable. The table is bounded (MaxEntries); a new neighbour
// evicts a FAILED one, else the STALE one changed longest ago, and is
// refused when there is none. Resolve, Learn and Tick return decisions as
// values; Resolve's hit path takes no lock. The cache queues opaque items
// (its type parameter), so the datapath keeps its pooled buffers there.
//
// # ARP
//
// Responder answers requests for the router's addresses on each interface
// and, by proxy, for floating IPs on the gateway port, rewriting the request
// in place into the reply as Neutron's OVS ARP responder does.
// BuildGratuitous and BuildRequest write the frames the router sends itself.
//
// The datapath's router element ties them together for each routed frame:
//
//  1. FIB Lookup of the destination with the frame's FlowHash;
//  2. Cache Resolve of the next hop's Neighbour on its interface;
//  3. per the Action: send, send and probe, queue (and request), or drop
//     with ICMP host unreachable.
//
// ARP frames received on a router port go to Responder.Answer, then Learn
// with the evidence its verdict names.
package router
