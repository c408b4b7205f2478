package datapath

import (
	"net/netip"

	"neutrino/dhcp"
	"neutrino/packet"
	"neutrino/packet/header"
)

// udpHeaders is the length of the Ethernet, IPv4 and UDP headers in front
// of a DHCP reply.
const udpHeaders = header.EthernetLen + header.IPv4MinLen + header.UDPLen

// serveDHCP hands a DHCP message (UDP to port 67) to the network's
// server and sends its reply, built in a frame from the pool, back out
// the port the message came in on.
func (e *dhcpPort) serveDHCP(w *Worker, b *packet.Buffer) {
	if w.dryRun {
		// The server records leases as it answers: a dry run stops here.
		if tr := b.Meta.Trace; tr != nil {
			tr.Add(e.name(), "dhcp", "to the DHCP server (not run in a dry run: it would record a lease)")
		}
		return
	}
	d := b.Data()
	l := &b.Meta.Layout
	ip := header.IPv4(d[l.L3:])
	in := b.Meta.InPort
	c := dhcp.Client{
		Port:    int(in),
		SrcMAC:  dhcp.MAC(d[6:12]),
		SrcIP:   ip.SrcAddr(),
		Trusted: true,
	}
	if int(in) < len(w.g.ports) && w.g.ports[in] != nil {
		ps := &w.g.ports[in].spec
		c.PortName = ps.Name
		c.Trusted = ps.Kind == PortUplink || !ps.PortSecurity
	}
	r := w.alloc(e, b)
	if r == nil {
		return
	}
	space := r.Space()
	rep, res := e.server.Handle(l.L4Payload(d), c, w.now, space[udpHeaders:udpHeaders+dhcp.MaxReply])
	if tr := b.Meta.Trace; tr != nil {
		tr.Addf(e.name(), "dhcp", "from %s: %s", netip.AddrFrom4(ip.Src()), res)
	}
	switch res {
	case dhcp.Answered:
	case dhcp.Declined, dhcp.Released:
		return // handled; nothing to send
	default:
		w.drops[StageDHCP][res].inc()
		return
	}
	n := writeUDPReply(space, &rep)
	r.SetLen(n)
	r.Meta.LVID = b.Meta.LVID
	r.Meta.Time = b.Meta.Time
	r.Meta.InPort = in
	r.Meta.Trace = b.Meta.Trace
	header.Parse(r.Data(), &r.Meta.Layout)
	if tr := r.Meta.Trace; tr != nil {
		tr.Addf(e.name(), "dhcp-reply", "%s %s to %s:%d (%s)", rep.Type, yiaddr(rep.Payload),
			rep.DstIP, rep.DstPort, macString(rep.DstMAC))
	}
	e.reply(w, r)
}

// writeUDPReply writes the Ethernet, IPv4 and UDP headers of rep in front
// of its payload, which is already at space[udpHeaders:], and returns the
// frame's length.
func writeUDPReply(space []byte, rep *dhcp.Reply) int {
	n := udpHeaders + len(rep.Payload)
	f := space[:n]
	eth := header.Ethernet(f)
	eth.SetDst(rep.DstMAC)
	eth.SetSrc(rep.SrcMAC)
	eth.SetType(header.EtherTypeIPv4)
	ip := header.IPv4(f[header.EthernetLen:])
	ip.SetHeaderLen(header.IPv4MinLen)
	ip.SetTOS(0xc0) // internetwork control, as dnsmasq sends
	ip.SetTotalLength(uint16(n - header.EthernetLen))
	ip.SetID(0)
	ip.SetFlagsFragment(0)
	ip.SetTTL(64)
	ip.SetProtocol(header.ProtoUDP)
	ip.SetSrc(rep.SrcIP.As4())
	ip.SetDst(rep.DstIP.As4())
	ip.SetChecksum(0)
	ip.SetChecksum(ip.CalculateChecksum())
	u := header.UDP(f[header.EthernetLen+header.IPv4MinLen:])
	u.SetSrcPort(dhcp.ServerPort)
	u.SetDstPort(rep.DstPort)
	u.SetLength(uint16(header.UDPLen + len(rep.Payload)))
	u.SetChecksum(0)
	u.SetChecksum(u.CalculateChecksum(rep.SrcIP.As4(), rep.DstIP.As4()))
	return n
}

// yiaddr reads the address a DHCP reply gives, for traces.
func yiaddr(p []byte) netip.Addr {
	if len(p) < 20 {
		return netip.Addr{}
	}
	return netip.AddrFrom4([4]byte(p[16:20]))
}

// dhcpReasonName names a DHCP drop reason (a dhcp.Result): "dhcp_" and the
// result's counter name, unique beside the other stages' reasons.
func dhcpReasonName(r uint8) string { return "dhcp_" + dhcp.Result(r).String() }
