// Package nat rewrites packets for the router's address translation, as
// Linux's nf_nat does for the iptables rules of the L3 agent: SNAT to a
// floating IP or the gateway IP, DNAT of a floating IP to the fixed IP
// behind it, and the reverse translation of ICMP errors that quote a
// translated packet.
//
// # Where it sits
//
// Deciding whether and how to translate is the datapath's job: conntrack
// says which connection a packet belongs to, and the connection's two
// tuples say what a packet of either direction should carry. This package
// only does the two things in between:
//
//   - Choosing the source port of a new SNAT connection (Allocator): the
//     original port when no other connection holds the reply tuple it
//     gives, otherwise a random one of the port's class, tried a bounded
//     number of times as --random-fully does. SNATReply and DNATReply build
//     the reply tuple to test with conntrack.Table.Lookup and to commit
//     with conntrack.Table.CommitReply.
//   - Writing the translation into the frame (Rewrite, RewriteICMPError):
//     addresses and ports, with every checksum they are part of patched
//     incrementally (RFC 1624) so that the payload is never read.
//
// A packet of the original direction carries the reply tuple inverted
// after translation; a packet of the reply direction carries the original
// tuple inverted. AddrsOf turns such a tuple into the Addrs to write.
//
// # ICMP errors
//
// An ICMP error about a translated packet quotes that packet as it was on
// the wire. ICMPErrorInner reads the quoted tuple; inverted, it is the
// tuple the error travels with, which conntrack finds as one direction of
// the connection (RELATED). The quote then gets the tuple it had before
// translation, the other direction's tuple inverted, and of the outer
// addresses each one the connection translates in the error's direction
// is translated too, as in Linux: an error from a router on the way keeps
// its source, an error from a VM behind a floating IP leaves from the
// floating IP. RewriteICMPError writes both.
//
// # Checksums
//
// The IPv4 header checksum, the TCP and UDP checksums (which cover the
// addresses through the pseudo-header) and the ICMP checksum are all
// patched, never recomputed: a packet whose checksum was wrong stays wrong
// by the same amount, so the receiver still drops it. A UDP checksum of 0
// (none) stays 0 and a patched one never becomes 0. Frames whose TCP or UDP
// checksum is left to the NIC (virtio-net NEEDS_CSUM, GSO super-frames)
// hold only the pseudo-header sum in the field; Rewrite's partial mode
// patches that sum for the addresses and leaves it alone for the ports,
// as Linux does under CHECKSUM_PARTIAL.
//
// The per-packet functions and the port search allocate nothing and take
// no lock; an Allocator is one worker's.
package nat
