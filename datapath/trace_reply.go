package datapath

import (
	"encoding/binary"
	"errors"
	"fmt"
	"net"
	"net/netip"

	"neutrino/packet/header"
	"neutrino/router"
)

// replyFrame builds the frame the host behind the port that s was sent to
// answers it with: addresses (Ethernet, IPv4, ports) swapped as s carries
// them there, after NAT; an ICMP echo request is answered with an echo
// reply, a TCP SYN with a SYN-ACK and other TCP segments with an ACK,
// UDP and other IP protocols with the same payload, an ARP request with
// the reply. The host's MAC is the VM port's, else the one the frame was
// sent to, else the one the topology gives its address, else a stand-in
// (note says so). On an uplink the frame carries the wire tag of its
// network.
func (n *Node) replyFrame(s sentFrame) (frame []byte, note string, err error) {
	p := n.portAt(s.port)
	d := s.data
	var l header.Layout
	if m := header.Parse(d, &l); m != header.OK {
		return nil, "", errors.New("it does not parse")
	}
	ip, _ := dstAddr(d)
	var me [6]byte
	switch {
	case p.spec.Kind == PortVM:
		me = [6]byte(p.spec.MAC)
	case d[0]&1 == 0:
		me = [6]byte(d[0:6])
	default:
		if m := n.macOf(s.lvid, ip); m[0]&1 == 0 {
			me = [6]byte(m)
		} else {
			me = standInMAC(ip)
			note = fmt.Sprintf("the MAC of %s is not known here: %s stands for it", ip, net.HardwareAddr(me[:]))
		}
	}
	peer := [6]byte(d[6:12])
	switch {
	case l.Flags&header.IsARP != 0:
		frame, err = arpAnswer(d, &l, me)
	case l.Flags&header.IsIPv4 != 0 && n.broadcast(ip):
		err = errors.New("a broadcast or multicast has no single answer")
	case l.Flags&header.IsIPv4 != 0:
		frame, err = ipv4Answer(d, &l, me, peer)
	default:
		err = fmt.Errorf("ethertype 0x%04x has no reply here", l.EtherType)
	}
	if err != nil {
		return nil, "", err
	}
	if len(frame) < 60 {
		frame = append(frame, make([]byte, 60-len(frame))...)
	}
	if p.spec.Kind == PortUplink {
		frame = wireTagged(frame, p.spec, s.lvid)
	}
	return frame, note, nil
}

// broadcast reports whether ip is multicast, the limited broadcast or the
// broadcast address of a subnet the node knows (a router's or a DHCP
// port's).
func (n *Node) broadcast(ip netip.Addr) bool {
	a := ip.As4()
	if a[0] >= 224 {
		return true
	}
	last := func(p netip.Prefix) bool {
		if p.Bits() >= 31 || !p.Contains(ip) {
			return false
		}
		b := p.Masked().Addr().As4()
		v := binary.BigEndian.Uint32(b[:]) | (1<<(32-p.Bits()) - 1)
		return v == binary.BigEndian.Uint32(a[:])
	}
	for _, r := range n.Spec().Routers {
		for _, rp := range r.Ports {
			if last(rp.Addr) {
				return true
			}
		}
	}
	for _, nw := range n.Spec().Networks {
		if nw.DHCP != nil && nw.DHCP.Server != nil {
			for _, sn := range nw.DHCP.Server.Subnets {
				if last(sn.CIDR) {
					return true
				}
			}
		}
	}
	return false
}

// dstAddr returns the address an IPv4 packet or an ARP request is for.
func dstAddr(d []byte) (netip.Addr, bool) {
	var l header.Layout
	if header.Parse(d, &l) != header.OK {
		return netip.Addr{}, false
	}
	switch {
	case l.Flags&header.IsARP != 0:
		return netip.AddrFrom4(header.ARP(d[l.L3:]).TPA()), true
	case l.Flags&header.IsIPv4 != 0:
		return netip.AddrFrom4(header.IPv4(d[l.L3:]).Dst()), true
	}
	return netip.Addr{}, false
}

// standInMAC is the MAC a trace gives a host whose MAC it does not know:
// locally administered, with its IPv4 address in the last four bytes.
func standInMAC(ip netip.Addr) [6]byte {
	a := ip.As4()
	return [6]byte{0x02, 0x00, a[0], a[1], a[2], a[3]}
}

// arpAnswer is the reply to the ARP request d from me, the owner of its
// target address.
func arpAnswer(d []byte, l *header.Layout, me [6]byte) ([]byte, error) {
	a := header.ARP(d[l.L3:])
	if a.Op() != header.ARPRequest {
		return nil, errors.New("an ARP reply is not answered")
	}
	f := make([]byte, router.ARPFrameLen)
	router.BuildReply(f, me, a.TPA(), a.SHA(), a.SPA())
	return f, nil
}

// ipv4Answer is the answer to the IPv4 packet d from me to peer.
func ipv4Answer(d []byte, l *header.Layout, me, peer [6]byte) ([]byte, error) {
	in := header.IPv4(d[l.L3:])
	if in.IsFragment() {
		return nil, errors.New("a fragment is answered only once reassembled")
	}
	hl := in.HeaderLen()
	end := min(int(l.L3)+int(in.TotalLength()), len(d))
	f := make([]byte, header.EthernetLen, end)
	eth := header.Ethernet(f)
	eth.SetDst(peer)
	eth.SetSrc(me)
	eth.SetType(header.EtherTypeIPv4)
	f = append(f, d[l.L3:end]...)
	ip := header.IPv4(f[header.EthernetLen:])
	ip.SetSrc(in.Dst())
	ip.SetDst(in.Src())
	ip.SetTTL(64)
	ip.SetID(0)
	ip.SetFlagsFragment(0)
	body := ip[hl:]
	switch l.Proto {
	case header.ProtoICMP:
		ic := header.ICMPv4(body)
		if len(body) < 8 || ic.Type() != icmpEcho {
			return nil, fmt.Errorf("ICMP type %d is not answered", ic.Type())
		}
		ic.SetType(icmpEchoReply)
		ic.SetChecksum(0)
		ic.SetChecksum(ic.CalculateChecksum())
	case header.ProtoTCP:
		t := header.TCP(body)
		if len(body) < header.TCPMinLen || len(body) < t.HeaderLen() {
			return nil, errors.New("a truncated TCP segment is not answered")
		}
		flags := t.Flags()
		if flags&header.TCPFlagRST != 0 {
			return nil, errors.New("a reset is not answered")
		}
		seq, ack := t.Ack(), t.Seq()+uint32(len(body)-t.HeaderLen())
		if flags&(header.TCPFlagSYN|header.TCPFlagFIN) != 0 {
			ack++
		}
		next := uint8(header.TCPFlagACK)
		if flags&header.TCPFlagSYN != 0 && flags&header.TCPFlagACK == 0 {
			next |= header.TCPFlagSYN
			seq = 1 // the answering host's initial sequence number
		}
		body = body[:t.HeaderLen()] // no data in the answer
		sp, dp := t.SrcPort(), t.DstPort()
		binary.BigEndian.PutUint16(body[0:2], dp)
		binary.BigEndian.PutUint16(body[2:4], sp)
		binary.BigEndian.PutUint32(body[4:8], seq)
		binary.BigEndian.PutUint32(body[8:12], ack)
		body[13] = next
		binary.BigEndian.PutUint16(body[16:18], 0)
		binary.BigEndian.PutUint16(body[16:18], header.TCP(body).CalculateChecksum(ip.Src(), ip.Dst()))
		f = f[:header.EthernetLen+hl+len(body)]
		ip = header.IPv4(f[header.EthernetLen:])
		ip.SetTotalLength(uint16(hl + len(body)))
	case header.ProtoUDP:
		u := header.UDP(body)
		if len(body) < header.UDPLen {
			return nil, errors.New("a truncated UDP datagram is not answered")
		}
		sp, dp := u.SrcPort(), u.DstPort()
		binary.BigEndian.PutUint16(body[0:2], dp)
		binary.BigEndian.PutUint16(body[2:4], sp)
		if u.Checksum() != 0 {
			binary.BigEndian.PutUint16(body[6:8], 0)
			binary.BigEndian.PutUint16(body[6:8], u.CalculateChecksum(ip.Src(), ip.Dst()))
		}
	}
	ip.SetChecksum(0)
	ip.SetChecksum(ip.CalculateChecksum())
	return f, nil
}

// wireTagged returns frame as uplink ps carries the network of local VLAN
// lvid: untagged, or with its 802.1Q tag.
func wireTagged(frame []byte, ps PortSpec, lvid uint16) []byte {
	if ps.Untagged == lvid {
		return frame
	}
	for vid, lv := range ps.Tags {
		if lv == lvid {
			t := make([]byte, 0, len(frame)+header.VLANTagLen)
			t = append(t, frame[:12]...)
			t = binary.BigEndian.AppendUint16(t, header.EtherTypeVLAN)
			t = binary.BigEndian.AppendUint16(t, vid)
			return append(t, frame[12:]...)
		}
	}
	return frame
}
