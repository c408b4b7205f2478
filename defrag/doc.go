// Package defrag reassembles IPv4 fragments into whole datagrams before the
// connection tracker sees them, as Linux's nf_defrag_ipv4 does in front of
// nf_conntrack: later fragments carry no ports, so a tracker that looks at
// them one by one can only call them INVALID. It does no I/O, starts no
// goroutine and keeps no timer per datagram.
//
// # Reassembly
//
// Table.Add takes one fragment at a time, in any order. Fragments belong
// to the same datagram when they share source, destination, protocol and
// identification (RFC 791) and the conntrack zone, which keeps the same id
// in two address spaces apart, as Linux's reassembly user does. Their
// payloads are copied into buffers the table owns, so the caller may reuse
// the fragment's memory at once. When the last missing byte arrives, Add
// writes the whole datagram to the caller's buffer: the header of the
// fragment at offset 0 (options included; later fragments' headers are
// not used) with MF and the offset cleared, the total length and header
// checksum fixed and CE set if any fragment had it (RFC 3168), then the
// payload. Its verdict also gives the largest fragment's size, Linux's
// frag_max_size, so that the router can refragment to it.
//
// # What is dropped
//
// Add's Outcome tells, and Stats counts, what happened to each fragment.
// Following Linux since the FragmentSmack fix (RFC 5722 applied to IPv4),
// a fragment that overlaps data already held drops the whole datagram: two
// readings of the same bytes are how overlaps evade inspection. An exact
// copy of a held fragment (same offset, same end) is a retransmission or a
// duplicate from the network, and is dropped alone, the datagram kept and
// the first copy's bytes used, as Linux does; Linux is laxer than this
// package in one case, a fragment lying inside contiguous held data
// without matching one fragment, which it drops alone as well, and which
// we take as an overlap.
//
// A fragment malformed in itself (a bad header or checksum, no payload, a
// payload that is not a multiple of 8 bytes before the last fragment) is
// dropped alone; Linux trims a misaligned fragment and kills its queue on
// an empty one. A fragment that contradicts its datagram (a second last
// fragment ending elsewhere, data past the end the last fragment set)
// drops the datagram, as in Linux. So do a datagram that would exceed
// 65535 bytes, one that needs more than MaxFragments fragments, and one
// whose fragments mix Not-ECT with ECT or CE.
//
// # Bounds and timeouts
//
// Memory is bounded by Config: MaxBytes of fragment buffers in all,
// MaxDatagrams waiting datagrams, MaxFragments per datagram; besides the
// buffers, a datagram's bookkeeping is about 200 bytes and 40 more per
// fragment it has held at once. Buffers come in a few size classes and go
// back to per-class free lists when their datagram ends, so a table in
// steady use allocates nothing; free buffers count against MaxBytes too.
// A fragment that does not fit evicts the oldest datagrams (free buffers
// of other sizes go first), and is refused only when its own datagram
// cannot fit. A datagram not complete Timeout after its first fragment
// arrived is dropped by Expire, or by Add when a late fragment of it
// arrives. No ICMP time exceeded is sent: Linux sends none for the
// conntrack reassembly queues of datagrams it forwards.
//
// # Differences from Linux
//
// Besides the stricter duplicate and alignment rules above, Linux sets DF
// on the reassembled datagram when its largest fragment had DF, where we
// keep the first fragment's flags; and current kernels refuse new
// datagrams when over ipfrag_high_thresh rather than evict old ones.
package defrag
