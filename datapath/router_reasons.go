package datapath

// RouterReason is why a router dropped a frame (stage router). Each has a
// counter; the ICMP error a drop answers with, if any, is in its comment.
type RouterReason uint8

// Drop reasons of the router stage.
const (
	RouterNotIPv4          RouterReason = iota + 1 // not ARP or IPv4 (IPv6 is not routed yet)
	RouterBadChecksum                              // IPv4 header checksum wrong
	RouterMartian                                  // source 0.0.0.0, loopback, multicast or broadcast
	RouterTTLExceeded                              // TTL 0 or 1 on a frame to forward (ICMP time exceeded)
	RouterNoRoute                                  // no FIB entry (ICMP net unreachable)
	RouterFragNeeded                               // DF set and larger than the egress MTU (ICMP fragmentation needed)
	RouterSegmentTooBig                            // a super-frame whose segments exceed the egress MTU
	RouterHostUnreachable                          // the next hop did not answer ARP (ICMP host unreachable)
	RouterNeighTableFull                           // no room for one more neighbour
	RouterNeighQueueFull                           // pushed out of a full queue of a resolving neighbour
	RouterNeighNoMemory                            // the frames waiting for neighbours hold all the memory allowed
	RouterConntrackFull                            // a new connection refused: the conntrack table is full
	RouterSNATExhausted                            // no free SNAT port for a new connection
	RouterNATClash                                 // the reply tuple of a new connection is taken by another
	RouterICMPUntranslated                         // an ICMP error about a NATed connection too short to translate
	RouterLocalDelivered                           // for the router itself: answered (ICMP, RST) or refused
	RouterARPInvalid                               // an ARP frame that is not Ethernet/IPv4, or a group sender
	RouterARPConflict                              // an ARP sender claiming one of the router's addresses
	RouterFragment                                 // a fragment held or dropped by reassembly (see show routers)
	RouterFragmentFailed                           // a datagram that could not be fragmented for the egress MTU
	NumRouterReasons
)

var routerReasonNames = [NumRouterReasons]string{
	RouterNotIPv4:          "not_ipv4",
	RouterBadChecksum:      "bad_ip_checksum",
	RouterMartian:          "martian_source",
	RouterTTLExceeded:      "ttl_exceeded",
	RouterNoRoute:          "no_route",
	RouterFragNeeded:       "frag_needed",
	RouterSegmentTooBig:    "segment_too_big",
	RouterHostUnreachable:  "host_unreachable",
	RouterNeighTableFull:   "neighbour_table_full",
	RouterNeighQueueFull:   "neighbour_queue_full",
	RouterNeighNoMemory:    "neighbour_queue_memory",
	RouterConntrackFull:    "conntrack_table_full",
	RouterSNATExhausted:    "snat_ports_exhausted",
	RouterNATClash:         "nat_clash",
	RouterICMPUntranslated: "icmp_error_untranslated",
	RouterLocalDelivered:   "local",
	RouterARPInvalid:       "arp_invalid",
	RouterARPConflict:      "arp_conflict",
	RouterFragment:         "fragment_reassembly",
	RouterFragmentFailed:   "fragmentation_failed",
}

// String returns the counter name of the reason.
func (r RouterReason) String() string {
	if r < NumRouterReasons && routerReasonNames[r] != "" {
		return routerReasonNames[r]
	}
	return "unknown"
}
