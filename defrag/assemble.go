package defrag

import "neutrino/packet/header"

// ECN codepoints (RFC 3168) as bits of datagram.ecn.
const (
	ecnNotECT = 1 << 0
	ecnCE     = 1 << 3
)

// assemble writes the whole datagram to dst, which has room for it: the
// first fragment's header with MF and the offset cleared (DF and the
// reserved bit as the first fragment had them), the total length and
// checksum fixed, and CE set when any fragment carried it; then the
// payload. It returns the datagram's length, or ECNMismatch when the
// fragments mixed Not-ECT with ECT or CE, which RFC 3168 (section 5.3)
// says to drop, as Linux's ip_frag_ecn_table does.
func (d *datagram) assemble(dst []byte) (int, Outcome) {
	if d.ecn&ecnNotECT != 0 && d.ecn != ecnNotECT {
		return 0, ECNMismatch
	}
	n := d.hlen + d.end
	ip := header.IPv4(dst[:n])
	copy(ip, d.header[:d.hlen])
	ip.SetTotalLength(uint16(n))
	ip.SetFlagsFragment(ip.FlagsFragment() &^ (header.IPv4FlagMF | header.IPv4FragOffsetMask))
	if d.ecn&ecnCE != 0 {
		ip.SetTOS(ip.TOS() | 3)
	}
	ip.SetChecksum(ip.CalculateChecksum())
	at := d.hlen
	for i := range d.frags {
		at += copy(ip[at:], d.frags[i].buf)
	}
	return n, Complete
}
