package header

// Malformed is why Parse (or a view's Check) rejected a frame: OK or one
// reason per counter. The datapath counts drops per reason, so the values
// and their names are stable.
type Malformed uint8

// The reasons a frame is malformed.
const (
	OK                  Malformed = iota // nothing wrong
	Runt                                 // shorter than an Ethernet header
	TruncatedVLAN                        // 802.1Q/802.1ad tag cut short
	TruncatedARP                         // ARP shorter than 28 bytes
	TruncatedIPv4                        // IPv4 shorter than 20 bytes
	BadIPv4Version                       // IPv4 EtherType but version is not 4
	BadIPv4HeaderLength                  // IHL below 5 or past the frame
	BadIPv4TotalLength                   // total length below the header length or past the frame
	TruncatedTCP                         // TCP header cut short, or data offset below 5 or past the datagram
	TruncatedUDP                         // UDP header cut short, or length below 8 or past the datagram
	TruncatedICMP                        // ICMPv4 shorter than 8 bytes
	NumMalformed                         // number of values above, for counter arrays
)

var malformedNames = [NumMalformed]string{
	OK:                  "ok",
	Runt:                "runt",
	TruncatedVLAN:       "truncated_vlan",
	TruncatedARP:        "truncated_arp",
	TruncatedIPv4:       "truncated_ipv4",
	BadIPv4Version:      "bad_ipv4_version",
	BadIPv4HeaderLength: "bad_ipv4_header_length",
	BadIPv4TotalLength:  "bad_ipv4_total_length",
	TruncatedTCP:        "truncated_tcp",
	TruncatedUDP:        "truncated_udp",
	TruncatedICMP:       "truncated_icmp",
}

// String returns the reason's snake_case name, used as a counter name;
// values from NumMalformed on give "unknown".
func (m Malformed) String() string {
	if m < NumMalformed {
		return malformedNames[m]
	}
	return "unknown"
}
