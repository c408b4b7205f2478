package dhcp

import "sync/atomic"

// Result is what Handle did with a message. Its String is a stable counter
// name. Every value but Answered means no reply was sent.
type Result uint8

const (
	Answered       Result = iota // an OFFER, ACK or NAK is in the Reply
	Malformed                    // too short, bad header or options, no or bad message type
	NotBootRequest               // op is not BOOTREQUEST (1)
	IgnoredType                  // a message type a server does not answer (OFFER, ACK, NAK, ...)
	UnknownClient                // no static entry for the MAC and no pool to serve it, or a REQUEST from a client we have no record of
	ChaddrMismatch               // an untrusted port's message whose chaddr is not the frame's source MAC
	RelayUntrusted               // a relayed message (giaddr set) from a port with port security
	NoSubnet                     // giaddr (or an INFORM's ciaddr) is in none of the subnets
	RateLimited                  // the port sent DISCOVERs faster than Limits allow
	PortLeaseCap                 // the port holds Limits.MaxPoolLeasesPerPort pool leases already
	PoolExhausted                // no free address in the pool
	WrongServer                  // a REQUEST or DECLINE for another server: silently ignored
	Declined                     // a DECLINE: the address is set aside
	Released                     // a RELEASE: the lease is freed

	// NumResults sizes per-result counter arrays.
	NumResults = iota
)

var resultNames = [...]string{
	Answered:       "answered",
	Malformed:      "malformed",
	NotBootRequest: "not_boot_request",
	IgnoredType:    "ignored_type",
	UnknownClient:  "unknown_client",
	ChaddrMismatch: "chaddr_mismatch",
	RelayUntrusted: "relay_untrusted",
	NoSubnet:       "no_subnet",
	RateLimited:    "rate_limited",
	PortLeaseCap:   "port_lease_cap",
	PoolExhausted:  "pool_exhausted",
	WrongServer:    "wrong_server",
	Declined:       "declined",
	Released:       "released",
}

// String returns the result's counter name, e.g. "rate_limited".
func (r Result) String() string {
	if int(r) < len(resultNames) {
		return resultNames[r]
	}
	return "result_unknown"
}

// MessageType is a DHCP message type (option 53, RFC 2132 §9.6).
type MessageType uint8

// Message types. MessageNone counts received messages without a valid type.
const (
	MessageNone MessageType = iota
	Discover
	Offer
	Request
	Decline
	Ack
	Nak
	Release
	Inform

	// NumMessageTypes sizes per-type counter arrays.
	NumMessageTypes = iota
)

var messageNames = [...]string{
	MessageNone: "none",
	Discover:    "discover",
	Offer:       "offer",
	Request:     "request",
	Decline:     "decline",
	Ack:         "ack",
	Nak:         "nak",
	Release:     "release",
	Inform:      "inform",
}

// String returns the type's lower-case name, e.g. "discover".
func (t MessageType) String() string {
	if int(t) < len(messageNames) {
		return messageNames[t]
	}
	return "type_unknown"
}

// Stats is a snapshot of a Server's counters.
type Stats struct {
	Results  [NumResults]uint64      // messages handled, by Result
	Received [NumMessageTypes]uint64 // messages received, by type (MessageNone: malformed before the type was known, or none)
	Sent     [NumMessageTypes]uint64 // replies sent, by type (Offer, Ack, Nak)
}

// Counter is one named counter of a Stats.
type Counter struct {
	Name  string
	Value uint64
}

// Counters lists the non-zero counters with stable names: the Result
// names, "rx_TYPE" and "tx_TYPE".
func (s *Stats) Counters() []Counter {
	var out []Counter
	for i, v := range s.Results {
		if v != 0 {
			out = append(out, Counter{Result(i).String(), v})
		}
	}
	for i, v := range s.Received {
		if v != 0 {
			out = append(out, Counter{"rx_" + MessageType(i).String(), v})
		}
	}
	for i, v := range s.Sent {
		if v != 0 {
			out = append(out, Counter{"tx_" + MessageType(i).String(), v})
		}
	}
	return out
}

// counters are a Server's live counters, updated from any goroutine.
type counters struct {
	results  [NumResults]atomic.Uint64
	received [NumMessageTypes]atomic.Uint64
	sent     [NumMessageTypes]atomic.Uint64
}

func (c *counters) snapshot() Stats {
	var s Stats
	for i := range c.results {
		s.Results[i] = c.results[i].Load()
	}
	for i := range c.received {
		s.Received[i] = c.received[i].Load()
		s.Sent[i] = c.sent[i].Load()
	}
	return s
}
