package datapath

import (
	"fmt"
	"net"
	"net/netip"
	"strings"

	"neutrino/conntrack"
	"neutrino/nat"
	"neutrino/packet"
	"neutrino/packet/header"
)

// The helpers below run only for traced frames.

// packetSummary describes an ARP or IPv4 frame the way tcpdump would, in
// one line: "ICMP 10.0.0.5 > 8.8.8.8 echo request id 7 seq 1, ttl 64".
func packetSummary(d []byte, l *header.Layout) string {
	switch {
	case l.Flags&header.IsARP != 0:
		a := header.ARP(d[l.L3:])
		if a.Op() == header.ARPRequest {
			return fmt.Sprintf("ARP who-has %s tell %s", netip.AddrFrom4(a.TPA()), netip.AddrFrom4(a.SPA()))
		}
		return fmt.Sprintf("ARP reply %s is-at %x", netip.AddrFrom4(a.SPA()), a.SHA())
	case l.Flags&header.IsIPv4 == 0:
		return frameSummary(d)
	}
	ip := header.IPv4(d[l.L3:])
	src, dst := ip.SrcAddr(), netip.AddrFrom4(ip.Dst())
	tail := fmt.Sprintf(", ttl %d, length %d", ip.TTL(), ip.TotalLength())
	if l.Flags&header.HasL4 == 0 {
		return fmt.Sprintf("IP %s > %s proto %d%s", src, dst, ip.Protocol(), tail)
	}
	t := d[l.L4:]
	switch l.Proto {
	case header.ProtoTCP:
		tc := header.TCP(t)
		return fmt.Sprintf("TCP %s:%d > %s:%d [%s]%s", src, tc.SrcPort(), dst, tc.DstPort(), tcpFlagString(tc.Flags()), tail)
	case header.ProtoUDP:
		u := header.UDP(t)
		return fmt.Sprintf("UDP %s:%d > %s:%d%s", src, u.SrcPort(), dst, u.DstPort(), tail)
	case header.ProtoICMP:
		ic := header.ICMPv4(t)
		switch ic.Type() {
		case icmpEcho:
			return fmt.Sprintf("ICMP %s > %s echo request id %d seq %d%s", src, dst, ic.ID(), ic.Seq(), tail)
		case icmpEchoReply:
			return fmt.Sprintf("ICMP %s > %s echo reply id %d seq %d%s", src, dst, ic.ID(), ic.Seq(), tail)
		}
		return fmt.Sprintf("ICMP %s > %s type %d code %d%s", src, dst, ic.Type(), ic.Code(), tail)
	}
	return fmt.Sprintf("IP %s > %s proto %d%s", src, dst, l.Proto, tail)
}

func tcpFlagString(f uint8) string {
	const names = "FSRPAUEC"
	var s []byte
	for i := 0; i < 8; i++ {
		if f&(1<<i) != 0 {
			s = append(s, names[i])
		}
	}
	if len(s) == 0 {
		return "none"
	}
	return string(s)
}

// tupleString formats a conntrack tuple for traces: "tcp 10.0.0.5:1234 ->
// 8.8.8.8:80".
func tupleString(k conntrack.Key) string {
	src, dst := netip.AddrFrom4(k.Src), netip.AddrFrom4(k.Dst)
	switch k.Proto {
	case header.ProtoTCP, header.ProtoUDP:
		proto := "tcp"
		if k.Proto == header.ProtoUDP {
			proto = "udp"
		}
		return fmt.Sprintf("%s %s:%d -> %s:%d", proto, src, k.SPort, dst, k.DPort)
	case header.ProtoICMP:
		return fmt.Sprintf("icmp %s -> %s id %d", src, dst, k.SPort)
	}
	return fmt.Sprintf("proto %d %s -> %s", k.Proto, src, dst)
}

// traceConntrack says what conntrack made of a routed packet.
func traceConntrack(tr *packet.Trace, e *routerElem, in int, v *conntrack.Verdict, k conntrack.Key) {
	switch {
	case v.State == conntrack.StateInvalid:
		tr.Addf(e.label, "conntrack", "invalid zone %d (%s): %s, not translated", e.zone, v.Reason, tupleString(k))
	case v.Conn.Valid():
		tr.Addf(e.label, "conntrack", "%s zone %d %s (%s)", strings.ToLower(v.State.String()), e.zone, tupleString(k), v.Dir)
	default:
		tr.Addf(e.label, "conntrack", "new zone %d %s", e.zone, tupleString(k))
	}
}

// traceNAT names a translation: "snat 10.0.0.5:1234 -> 172.24.4.10:1234";
// a packet of the reply direction is translated back: "un-snat" of its
// destination, "un-dnat" of its source.
func traceNAT(tr *packet.Trace, where string, from, to nat.Addrs, d conntrack.Dir) {
	src, dst := "snat", "dnat"
	if d == conntrack.Reply {
		src, dst = "un-dnat", "un-snat"
	}
	if from.Src != to.Src || from.SPort != to.SPort {
		tr.Addf(where, src, "%s:%d -> %s:%d", netip.AddrFrom4(from.Src), from.SPort, netip.AddrFrom4(to.Src), to.SPort)
	}
	if from.Dst != to.Dst || from.DPort != to.DPort {
		tr.Addf(where, dst, "%s:%d -> %s:%d", netip.AddrFrom4(from.Dst), from.DPort, netip.AddrFrom4(to.Dst), to.DPort)
	}
}

// commitDry is commit in a dry run: the addresses NAT would give the
// packet, with the SNAT port picked as commit would (a port no connection
// holds, of the table or of the trace), and the connection recorded in
// the trace's conntrack overlay so that a reply traced next is translated
// back with the same port. The table is not touched.
func (e *routerElem) commitDry(w *Worker, v *conntrack.Verdict, t conntrack.Key, to [4]byte, snat bool) (nat.Addrs, RouterReason) {
	reply := t.Invert()
	if snat {
		port, ok := e.pickPort(w, &t, to)
		if !ok {
			return nat.AddrsOf(v.Key()), RouterSNATExhausted
		}
		reply = nat.SNATReply(t, to, port)
	}
	w.commitDry(e.ct, v, reply)
	return nat.AddrsOf(reply.Invert()), 0
}

func neighMAC(mac [6]byte) string {
	if mac == ([6]byte{}) {
		return "(none)"
	}
	return net.HardwareAddr(mac[:]).String()
}
