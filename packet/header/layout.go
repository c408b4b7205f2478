package header

// Layout is the result of parsing a frame once: where each header starts and
// what it carries. Later stages read it instead of parsing again.
type Layout struct {
	EtherType uint16      // EtherType after any 802.1Q tag
	TCI       uint16      // 802.1Q tag control information when Flags has Tagged
	L3        uint16      // offset of the L3 header (ARP, IPv4, or the first byte after the tags)
	L4        uint16      // offset of the L4 header when Flags has HasL4
	Payload   uint16      // offset of the L4 payload when Flags has HasL4
	Proto     uint8       // IPv4 protocol number when Flags has IPv4
	Flags     LayoutFlags // what was found
}

// LayoutFlags says which parts of a Layout are valid.
type LayoutFlags uint8

// The flags of a Layout.
const (
	Tagged   LayoutFlags = 1 << iota // an 802.1Q tag follows the MAC addresses
	IsARP                            // L3 is an ARP packet (Ethernet/IPv4)
	IsIPv4                           // L3 is an IPv4 header
	Fragment                         // IPv4 fragment other than the first: no L4 header
	HasL4                            // L4 and Payload are set (TCP, UDP or ICMPv4)
)

// IPv4 returns the IPv4 datagram of frame, header to total length, as a
// Valid view. Parse must have returned OK for frame with IsIPv4 set.
func (l *Layout) IPv4(frame []byte) IPv4 {
	ip := IPv4(frame[l.L3:])
	return ip[:ip.TotalLength()]
}

// Transport returns the L4 header and payload of frame, up to the end of the
// IP datagram, ready for TCP(...), UDP(...) or ICMPv4(...). Parse must have
// returned OK for frame with HasL4 set; the view is then Valid, except UDP
// in a first fragment, whose length counts bytes still to come.
func (l *Layout) Transport(frame []byte) []byte {
	return frame[l.L4:l.end(frame)]
}

// L4Payload returns the L4 payload of frame up to the end of the IP
// datagram. Parse must have returned OK for frame with HasL4 set.
func (l *Layout) L4Payload(frame []byte) []byte {
	return frame[l.Payload:l.end(frame)]
}

// end returns the offset of the end of the IP datagram in frame.
func (l *Layout) end(frame []byte) int {
	return int(l.L3) + int(IPv4(frame[l.L3:]).TotalLength())
}
