package datapath

import (
	"net"
	"net/netip"
	"sync/atomic"

	"neutrino/dhcp"
	"neutrino/packet"
	"neutrino/packet/header"
)

// dhcpPort is a network's DHCP port on this node (Neutron's qdhcp
// namespace, answered in place as OVN does): it answers ARP for its
// addresses (one per DHCP-enabled subnet), ICMP echo to them, and DHCP
// from the node's ports. Frames reach it from a VM port's ingress (those
// portIn intercepts) or from br-int (floods, and frames from uplinks); its
// answers go straight back out the device port the request came in on
// (output i is device port i), so they never pass br-int and the DHCP
// port's MAC is learned nowhere.
type dhcpPort struct {
	out     []target // by device port
	spec    *DHCPSpec
	server  *dhcp.Server
	network string
	lvid    uint16
	mac     [6]byte
	ips     [][4]byte // the DHCP server address of each DHCP-enabled subnet
	c       *dhcpPortCounters
}

// dhcpPortCounters count what the DHCP port received and sent.
type dhcpPortCounters struct {
	arp, icmp, dhcp, ignored, replies atomic.Uint64
}

func (e *dhcpPort) name() string { return "qdhcp:" + e.network }

// wants reports whether a classified frame from a VM port is for the DHCP
// port: anything to its MAC, and broadcasts that ask for it: ARP for one
// of its addresses, DHCP from clients (UDP to port 67). A datagram to port
// 67 unicast to another MAC is for another server (a DHCP server or relay
// on a VM) and goes through br-int.
func (e *dhcpPort) wants(b *packet.Buffer) bool {
	d := b.Data()
	if [6]byte(d[0:6]) == e.mac {
		return true
	}
	if !header.Ethernet(d).IsBroadcast() {
		return false
	}
	l := &b.Meta.Layout
	switch {
	case l.Flags&header.IsARP != 0:
		a := header.ARP(d[l.L3:])
		return a.Op() == arpRequest && e.owns(a.TPA())
	case l.Flags&header.HasL4 != 0 && l.Proto == header.ProtoUDP:
		return header.UDP(d[l.L4:]).DstPort() == dhcpServerPort
	}
	return false
}

// owns reports whether ip is one of the DHCP port's addresses.
func (e *dhcpPort) owns(ip [4]byte) bool {
	for _, a := range e.ips {
		if a == ip {
			return true
		}
	}
	return false
}

const (
	arpRequest     = 1
	arpReply       = 2
	dhcpServerPort = 67
	icmpEchoReply  = 0
	icmpEcho       = 8
)

func (e *dhcpPort) receive(w *Worker, _ uint16, b *packet.Buffer) {
	d := b.Data()
	l := &b.Meta.Layout
	switch {
	case l.Flags&header.IsARP != 0:
		a := header.ARP(d[l.L3:])
		if a.Op() == arpRequest && a.IsEthernetIPv4() && e.owns(a.TPA()) {
			e.count(w, &e.c.arp)
			e.answerARP(w, b)
			return
		}
	case l.Flags&header.HasL4 != 0 && l.Proto == header.ProtoUDP:
		if e.server != nil && header.UDP(d[l.L4:]).DstPort() == dhcpServerPort && l.Flags&header.Fragment == 0 {
			e.count(w, &e.c.dhcp)
			e.serveDHCP(w, b)
			return
		}
	case l.Flags&header.HasL4 != 0 && l.Proto == header.ProtoICMP:
		ip := header.IPv4(d[l.L3:])
		if [6]byte(d[0:6]) == e.mac && e.owns(ip.Dst()) && header.ICMPv4(d[l.L4:]).Type() == icmpEcho {
			e.count(w, &e.c.icmp)
			e.answerEcho(w, b)
			return
		}
	}
	// Frames flooded to the DHCP port that are not for it: a host would
	// ignore them too; not a drop.
	e.count(w, &e.c.ignored)
	if tr := b.Meta.Trace; tr != nil {
		tr.Add(e.name(), "ignore", "not for the DHCP port")
	}
}

// answerARP turns an ARP request for one of the port's addresses into the
// reply, in place (in a copy when the request was flooded), and sends it
// back where the request came from.
func (e *dhcpPort) answerARP(w *Worker, b *packet.Buffer) {
	b = w.writable(e, b)
	if b == nil {
		return
	}
	d := b.Data()
	a := header.ARP(d[b.Meta.Layout.L3:])
	asker, askerIP, ip := a.SHA(), a.SPA(), a.TPA()
	eth := header.Ethernet(d)
	eth.SetDst(asker)
	eth.SetSrc(e.mac)
	a.SetOp(arpReply)
	a.SetTHA(asker)
	a.SetTPA(askerIP)
	a.SetSHA(e.mac)
	a.SetSPA(ip)
	if tr := b.Meta.Trace; tr != nil {
		tr.Addf(e.name(), "arp-reply", "%s is-at %s", netip.AddrFrom4(ip), net.HardwareAddr(e.mac[:]))
	}
	e.reply(w, b)
}

// answerEcho turns an ICMP echo request to one of the port's addresses
// into the echo reply, in place.
func (e *dhcpPort) answerEcho(w *Worker, b *packet.Buffer) {
	b = w.writable(e, b)
	if b == nil {
		return
	}
	d := b.Data()
	l := &b.Meta.Layout
	eth := header.Ethernet(d)
	eth.SetDst(eth.Src())
	eth.SetSrc(e.mac)
	ip := header.IPv4(d[l.L3:])
	src, dst := ip.Src(), ip.Dst()
	ip.SetSrc(dst)
	ip.SetDst(src)
	ip.SetTTL(64)
	ip.SetChecksum(0)
	ip.SetChecksum(ip.CalculateChecksum())
	ic := header.ICMPv4(l.Transport(d))
	ic.SetType(icmpEchoReply)
	ic.SetChecksum(0)
	ic.SetChecksum(ic.CalculateChecksum())
	b.Meta.GSO = packet.GSO{}
	if tr := b.Meta.Trace; tr != nil {
		tr.Addf(e.name(), "echo-reply", "to %s", netip.AddrFrom4(src))
	}
	e.reply(w, b)
}

// reply sends a frame the DHCP port made back out the device port the
// request came in on.
func (e *dhcpPort) reply(w *Worker, b *packet.Buffer) {
	e.count(w, &e.c.replies)
	w.emit(e.out[b.Meta.InPort], b)
}

// counters snapshots the DHCP port's counters.
func (e *dhcpPort) counters() map[string]uint64 {
	c := map[string]uint64{
		"arp_requests":  e.c.arp.Load(),
		"icmp_echoes":   e.c.icmp.Load(),
		"dhcp_messages": e.c.dhcp.Load(),
		"ignored":       e.c.ignored.Load(),
		"replies":       e.c.replies.Load(),
	}
	if e.server != nil {
		st := e.server.Stats()
		for _, sc := range st.Counters() {
			c[sc.Name] = sc.Value
		}
	}
	return c
}

// count adds one to c, except in a dry run.
func (e *dhcpPort) count(w *Worker, c *atomic.Uint64) {
	if !w.dryRun {
		c.Add(1)
	}
}
