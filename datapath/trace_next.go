package datapath

import (
	"fmt"
	"net"
	"slices"
	"strings"

	"neutrino/packet"
	"neutrino/packet/header"
)

// traceReply is the second part of a reply trace: the frame the host that
// received the traced frame would send back, traced from the port the
// traced frame was delivered to, or why there is none. w holds what the
// traced frame's dry run left: the frames it would have sent and its
// connections (in the overlay the reply's conntrack sees); tr is its
// trace.
func (n *Node) traceReply(w *Worker, tr *packet.Trace) string {
	sent := w.trace.sent
	w.trace.sent = nil
	if at := answeredAt(tr); at > 0 {
		return fmt.Sprintf("no reply traced: the node answers the frame itself, in the trace at step %d (%s)\n", at, stepText(tr, at))
	}
	var got, notFor []sentFrame
	for _, s := range sent {
		if n.takes(s) {
			got = append(got, s)
		} else {
			notFor = append(notFor, s)
		}
	}
	switch {
	case len(got) == 1:
	case len(got) > 1:
		return fmt.Sprintf("no reply traced: the frame was flooded, %d copies to hosts (%s), and a reply has one sender; give dl_dst of the host that answers\n", len(got), n.sentPorts(got))
	case len(dropsOf(tr)) > 0:
		var why []string
		for _, at := range dropsOf(tr) {
			why = append(why, fmt.Sprintf("step %d: %s", at, stepText(tr, at)))
		}
		return fmt.Sprintf("no reply: the frame was dropped (%s)\n", strings.Join(why, "; "))
	case len(notFor) > 0:
		return fmt.Sprintf("no reply: the frame reached only ports it is not for (%s)\n", n.sentPorts(notFor))
	default:
		return "no reply: the frame reached no port\n"
	}
	s := got[0]
	p := n.portAt(s.port)
	frame, note, err := n.replyFrame(s)
	if err != nil {
		return fmt.Sprintf("no reply: %s reaches %s, and %v\n", frameKind(s.data), p.spec.Name, err)
	}
	var l header.Layout
	header.Parse(frame, &l)
	head := fmt.Sprintf("reply: %s at %s: ", p.spec.Name, p.spec.Kind)
	if p.spec.Kind == PortTunnel {
		head += fmt.Sprintf("vni %d from vtep %s, ", s.tunnel.VNI, vtepOf(p.spec.Tunnel, s.tunnel.VTEP))
	}
	head += fmt.Sprintf("%s > %s, %s\n", net.HardwareAddr(frame[6:12]), net.HardwareAddr(frame[0:6]), packetSummary(frame, &l))
	if note != "" {
		head += "note: " + note + "\n"
	}
	rtr := n.traceRun(w, s.port, frame, s.tunnel)
	return head + rtr.String()
}

// vtepOf names VTEP k (1 + its index) of tunnel spec t.
func vtepOf(t *TunnelSpec, k uint16) string {
	if t != nil && k >= 1 && int(k) <= len(t.VTEPs) {
		return t.VTEPs[k-1].String()
	}
	return "?"
}

// answeredAt returns the first step at which the node answers a frame
// itself (a router, the DHCP port, br-tun's ARP responder), 0 when none.
// A router takes a broadcast and answers nothing: its "local" step and
// the drop after it are no answer.
func answeredAt(tr *packet.Trace) int {
	bcast := -1
	for i := 0; i < tr.N; i++ {
		s := &tr.Steps[i]
		switch s.Decision {
		case "local":
			if strings.HasPrefix(s.Detail, "to a broadcast") {
				bcast = i + 1
				continue
			}
			return i + 1
		case "icmp-error", "echo-reply", "arp-reply", "proxy-arp-reply", "dhcp":
			return i + 1
		case "arp":
			if strings.HasPrefix(s.Detail, "responder") {
				return i + 1
			}
		case "drop":
			if s.Detail == RouterLocalDelivered.String() && s.Parent != bcast {
				return i + 1
			}
		}
	}
	return 0
}

// dropsOf returns the steps that drop the frame or a copy of it.
func dropsOf(tr *packet.Trace) []int {
	var at []int
	for i := 0; i < tr.N; i++ {
		if tr.Steps[i].Decision == "drop" {
			at = append(at, i+1)
		}
	}
	return at
}

func stepText(tr *packet.Trace, at int) string {
	s := &tr.Steps[at-1]
	return strings.TrimSpace(s.Element + " " + s.Decision + " " + s.Detail)
}

// sentPorts names the ports of frames sent, with the VTEP of each copy
// to the tunnels.
func (n *Node) sentPorts(ss []sentFrame) string {
	var names []string
	for _, s := range ss {
		ps := &n.portAt(s.port).spec
		name := ps.Name
		if ps.Kind == PortTunnel {
			name += " to " + vtepOf(ps.Tunnel, s.tunnel.VTEP)
		}
		names = append(names, name)
	}
	return strings.Join(names, ", ")
}

// takes reports whether the host behind the port a frame was sent to
// takes it: a VM takes frames to its MAC, and broadcasts for one of its
// addresses; behind an uplink or a tunnel there are hosts the node does
// not know, which may take anything.
func (n *Node) takes(s sentFrame) bool {
	ps := &n.portAt(s.port).spec
	if ps.Kind != PortVM {
		return true
	}
	d := s.data
	if len(d) < header.EthernetLen {
		return false
	}
	if [6]byte(d[0:6]) == [6]byte(ps.MAC) {
		return true
	}
	if d[0]&1 == 0 {
		return false
	}
	ip, ok := dstAddr(d)
	return ok && slices.Contains(ps.IPs, ip)
}

// frameKind names a frame in a few words, for why it has no reply.
func frameKind(d []byte) string {
	var l header.Layout
	if header.Parse(d, &l) != header.OK {
		return "the frame"
	}
	if l.Flags&(header.IsARP|header.IsIPv4) != 0 {
		return packetSummary(d, &l)
	}
	return "the frame"
}
