package conntrack

import (
	"encoding/binary"

	"neutrino/packet/header"
)

// related classifies an ICMP error (destination unreachable, source
// quench, redirect, time exceeded, parameter problem) by the packet
// embedded in it, as Linux's icmp_error_message does:
//
//  1. The payload starts with the offending packet's IPv4 header and at
//     least 8 bytes of its L4 header (ports, or ICMP type and id); anything
//     shorter, a later fragment or an error about an error is
//     ReasonRelatedBad.
//  2. That packet's tuple, inverted, is the tuple the error travels with:
//     the error goes back to the packet's sender. Under NAT this is the
//     tuple as it was on the wire, so it is found as either direction.
//  3. Found: RELATED to that connection, in the direction found, and the
//     connection is not refreshed. Not found: ReasonRelatedNoConn.
func (t *Table) related(v *Verdict, payload []byte, ms int64) {
	if len(payload) < header.IPv4MinLen {
		t.invalid(v, ReasonRelatedBad, 0)
		return
	}
	ip := header.IPv4(payload)
	hl := ip.HeaderLen()
	if ip.Version() != 4 || hl < header.IPv4MinLen || len(payload) < hl+8 ||
		ip.FlagsFragment()&header.IPv4FragOffsetMask != 0 {
		t.invalid(v, ReasonRelatedBad, 0)
		return
	}
	in := Key{Src: ip.Src(), Dst: ip.Dst(), Zone: uint16(v.k1 >> 32), Proto: ip.Protocol()}
	l4 := payload[hl:]
	switch in.Proto {
	case header.ProtoTCP, header.ProtoUDP:
		in.SPort = binary.BigEndian.Uint16(l4[0:2])
		in.DPort = binary.BigEndian.Uint16(l4[2:4])
	case header.ProtoICMP:
		ic := header.ICMPv4(l4)
		if ic.Type() != header.ICMPv4Echo && ic.Type() != header.ICMPv4EchoReply {
			t.invalid(v, ReasonRelatedBad, 0)
			return
		}
		in.SPort, in.DPort = ic.ID(), ic.ID()
		in.EchoRequest = b2u(ic.Type() == header.ICMPv4Echo)
	}
	k := in.Invert()
	w0, w1 := k.pack()
	r, _, ok := t.lookup(w0, w1, ms)
	if !ok {
		t.invalid(v, ReasonRelatedNoConn, t.stripe(w0, w1))
		return
	}
	v.Conn = Ref{c: t.connOf(r), ref: r &^ (1 << 56)}
	v.Dir = refDir(r)
	v.State = StateRelated
}
