package defrag

import "neutrino/packet/header"

// maxDatagram is the longest IPv4 datagram, header included.
const maxDatagram = 0xffff

// piece is one fragment as Add reads it, checked on its own.
type piece struct {
	ip       header.IPv4 // the fragment, sliced to its total length
	hlen     int         // its header length
	off, end int         // where its payload goes in the datagram's payload
	more     bool        // MF: not the last fragment
}

// parse reads b as one IPv4 fragment and checks what can be checked
// without the rest of the datagram: a valid header with a right checksum
// (Linux drops a wrong one in ip_rcv, before netfilter sees it), a
// non-empty payload, and a payload length that is a multiple of 8 unless
// the fragment is the last. Linux trims a misaligned fragment to a multiple
// of 8 instead; nothing legitimate sends one. It returns Held for a
// fragment that passes, NotFragment for a datagram that is whole, and
// Malformed otherwise.
func parse(b []byte) (piece, Outcome) {
	ip := header.IPv4(b)
	if ip.Check() != header.OK {
		return piece{}, Malformed
	}
	ip = ip[:ip.TotalLength()]
	if !ip.ChecksumValid() {
		return piece{}, Malformed
	}
	if !ip.IsFragment() {
		return piece{}, NotFragment
	}
	p := piece{ip: ip, hlen: ip.HeaderLen(), off: int(ip.FragmentOffset()), more: ip.MoreFragments()}
	n := len(ip) - p.hlen
	p.end = p.off + n
	if n == 0 || p.more && n%8 != 0 {
		return piece{}, Malformed
	}
	return p, Held
}

// payload returns the fragment's data.
func (p *piece) payload() []byte { return p.ip[p.hlen:] }

// ecn returns the fragment's ECN codepoint as one bit of a set.
func (p *piece) ecn() uint8 { return 1 << (p.ip.TOS() & 3) }
