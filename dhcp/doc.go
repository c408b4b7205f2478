// Package dhcp is the DHCPv4 server of a network (NEUTRON.md §4): what
// dnsmasq does in Neutron's qdhcp namespace, as pure logic. It does no I/O
// on the network: the datapath hands Handle the UDP payload of a frame sent
// to port 67 and sends the Reply it gets back. Its only file is the lease
// file (OpenLeases, Flush).
//
// Server.Handle takes one message through these steps:
//
//  1. Decode: the fixed header is checked (op BOOTREQUEST, Ethernet
//     addresses, the magic cookie), the options decoded with
//     github.com/insomniacslk/dhcp/dhcpv4; a message type (option 53) is
//     required. Failures are Malformed or NotBootRequest, never a panic.
//  2. Trust: a relayed message (giaddr set) is answered only from a
//     trusted port (port_security false), from the subnet holding giaddr
//     (NoSubnet otherwise); an untrusted port may only speak for the MAC
//     it sends from (ChaddrMismatch).
//  3. Dispatch by type. DISCOVER: untrusted ports are rate limited per
//     port (RateLimited), then a static host gets its fixed address, and
//     an unknown MAC a pool address (PortLeaseCap, PoolExhausted) or
//     nothing (UnknownClient, Neutron's static-only DHCP). REQUEST in every
//     client state is ACKed when the address is the client's, NAKed when it
//     is not, ignored when it names another server (WrongServer). DECLINE
//     sets the address aside for DeclineHold, RELEASE ends the lease,
//     INFORM gets the options without a lease.
//  4. Lease: ACKs and OFFERs of pool addresses are recorded in the Leases,
//     on the injectable clock (now, Unix nanoseconds).
//  5. Encode: the reply is written into the caller's buffer with the
//     options Neutron's dnsmasq gives (mask, router, DNS, hostname,
//     domain, MTU, broadcast, lease times, server id, classless routes as
//     option 121 and 249), the port's extra_dhcp_opts overriding them,
//     and addressed as RFC 2131 §4.1 says (relay, ciaddr, broadcast or
//     yiaddr at chaddr).
//  6. Count: every message adds to one Result counter and one message
//     type counter (Stats).
//
// # Options
//
// All options are encoded once, in New, per subnet and per static host:
// answering costs a header and two copies. Option 121 (and its Microsoft
// twin 249) carries the host routes, then an on-link route (via 0.0.0.0)
// per sibling subnet of the network, then the default route via the
// gateway; it is sent only when there is a host route or a sibling, option
// 3 alone otherwise. Neutron's metadata route (169.254.169.254/32) is one
// of the host routes when the caller wants it.
//
// # Leases
//
// A Leases holds every subnet's records, keyed by subnet name, and
// outlives Servers (a reload builds new ones around it). A static host's
// ACK is recorded too, for `neutrino show leases`. An expired lease's
// address is free at once, but its record stays until the address is
// given to someone else, so a client that comes back gets its old address;
// a never-used address is preferred, searched from a point derived from
// the MAC. Records take 48 bytes plus the hostname, with two indexes
// (by MAC and by address); about 100 bytes a lease in all.
//
// # The lease file
//
// OpenLeases reads dir/leases; Flush writes what changed since the last
// Flush. The file is a journal: one lease a line with a CRC-32 of the
// line, later lines replacing earlier ones for the same client or
// address, and a "free" line (a tombstone) for a lease that ended. A
// Flush appends only the changed lines (write, fsync), so a burst of
// thousands of leases costs one small write; when the file holds many
// more lines than live leases, Flush (or Compact) rewrites it whole:
// temporary file, fsync, rename, so a crash leaves the old or the new
// file. A crash in the middle of an append leaves a last line that fails
// its check: it is skipped and reported at the next start, and every
// earlier line is kept.
//
// # Concurrency
//
// Handle may run from several goroutines at once. Servers are immutable
// after New; counters and rate limit buckets are atomics; the Leases of a
// node are behind one mutex, held for a few map operations per message.
package dhcp
