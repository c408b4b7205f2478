package router

import "neutrino/packet/header"

// ARPFrameLen is the length of the untagged ARP frames built here, without
// Ethernet padding (the caller pads to 60 bytes where the link needs it).
const ARPFrameLen = header.EthernetLen + header.ARPLen

var broadcastMAC = [6]byte{0xff, 0xff, 0xff, 0xff, 0xff, 0xff}

// BuildGratuitous writes into buf a gratuitous ARP announcing that ip is at
// mac, broadcast, in one of the two forms arping sends (the L3 agent sends
// -U, then -A):
//
//   - reply=false, arping -U: a request, spa = tpa = ip, tha ff:ff:ff:ff:ff:ff;
//   - reply=true, arping -A: a reply, spa = tpa = ip, tha = mac.
//
// It returns the frame's length, or 0 when buf is shorter than ARPFrameLen.
func BuildGratuitous(buf []byte, mac [6]byte, ip [4]byte, reply bool) int {
	if len(buf) < ARPFrameLen {
		return 0
	}
	op, tha := header.ARPRequest, broadcastMAC
	if reply {
		op, tha = header.ARPReply, mac
	}
	writeARP(buf, broadcastMAC, mac, op, mac, ip, tha, ip)
	return ARPFrameLen
}

// BuildRequest writes into buf an ARP request from (mac, ip) asking for
// target, as Linux's arp_solicit: broadcast when to is zero, else unicast to
// it (a probe of a stale neighbour, Request.MAC); tha is zero. It returns
// the frame's length, or 0 when buf is shorter than ARPFrameLen.
func BuildRequest(buf []byte, mac [6]byte, ip [4]byte, target [4]byte, to [6]byte) int {
	if len(buf) < ARPFrameLen {
		return 0
	}
	if to == ([6]byte{}) {
		to = broadcastMAC
	}
	writeARP(buf, to, mac, header.ARPRequest, mac, ip, [6]byte{}, target)
	return ARPFrameLen
}

func writeARP(buf []byte, dst, src [6]byte, op uint16, sha [6]byte, spa [4]byte, tha [6]byte, tpa [4]byte) {
	eth := header.Ethernet(buf)
	eth.SetDst(dst)
	eth.SetSrc(src)
	eth.SetType(header.EtherTypeARP)
	a := header.ARP(buf[header.EthernetLen:])
	a.SetEthernetIPv4()
	a.SetOp(op)
	a.SetSHA(sha)
	a.SetSPA(spa)
	a.SetTHA(tha)
	a.SetTPA(tpa)
}

// BuildReply writes into buf the ARP reply that says ip is at mac, to the
// asker (toMAC, toIP), as an ARP responder turns a request around (br-tun's
// table 21). It returns the frame's length, or 0 when buf is shorter than
// ARPFrameLen.
func BuildReply(buf []byte, mac [6]byte, ip [4]byte, toMAC [6]byte, toIP [4]byte) int {
	if len(buf) < ARPFrameLen {
		return 0
	}
	writeARP(buf, toMAC, mac, header.ARPReply, mac, ip, toMAC, toIP)
	return ARPFrameLen
}
