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
// # ICMP, resets and fragmentation
//
// What Linux's IPv4 stack sends on a router's behalf; the builders write
// into the caller's buffers and allocate nothing:
//
//   - ShouldSendError applies icmp_send's rules for when not to send an
//     ICMP error (not about an ICMP error, a later fragment, a martian
//     source or a group destination), and BuildICMPError builds the error:
//     from the interface's address, precedence 0xc0, as much of the
//     offending datagram as fits in 576 bytes, the next-hop MTU in
//     "fragmentation needed";
//   - ICMPLimiter then decides whether it may go out: Linux's global token
//     bucket (icmp_msgs_per_sec, icmp_msgs_burst) and per-destination
//     limit (icmp_ratelimit, bursts of 6) for the types in icmp_ratemask,
//     never for "fragmentation needed", on the injected clock, its table of
//     destinations bounded;
//   - EchoReply turns an echo request to one of the router's addresses
//     into the reply in place, and BuildTCPReset answers a TCP segment to
//     a port where nothing listens as tcp_v4_send_reset does;
//   - Fragment cuts a datagram larger than the egress MTU as
//     ip_do_fragment, into buffers the caller hands out one at a time; a
//     datagram with DF gets "fragmentation needed" instead.
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
