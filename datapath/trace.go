package datapath

import (
	"fmt"
	"net"

	"neutrino/packet"
	l2switch "neutrino/switch"
)

// The helpers below run only for traced frames.

// element names a port the way traces and counters do.
func (p *port) element() string {
	if p.spec.Kind == PortUplink {
		return "uplink:" + p.spec.Name
	}
	return "port:" + p.spec.Name
}

func gsoDetail(b *packet.Buffer) string {
	g := b.Meta.GSO
	switch {
	case g.IsGSO():
		return fmt.Sprintf(" (super-frame, mss %d)", g.Size)
	case g.NeedsCsum:
		return " (partial checksum)"
	}
	return ""
}

func wireTag(tagged bool, vid uint16) string {
	if tagged {
		return fmt.Sprintf("802.1Q vid %d", vid)
	}
	return "untagged"
}

func traceForward(tr *packet.Trace, n *Node, lvid uint16, eth []byte, d l2switch.Decision) {
	src, dst := net.HardwareAddr(eth[6:12]), net.HardwareAddr(eth[0:6])
	switch d.Learn {
	case l2switch.LearnNew:
		tr.Addf("br-int", "learn", "%s on vlan %d", src, lvid)
	case l2switch.LearnMoved:
		tr.Addf("br-int", "learn", "%s moved on vlan %d", src, lvid)
	}
	switch d.Action {
	case l2switch.Unicast:
		tr.Addf("br-int", "forward", "%s vlan %d -> %s", dst, lvid, n.ports[d.Port].spec.Name)
	case l2switch.Flood:
		if k := len(n.sw.FloodPorts(lvid)) - 1; k == 1 {
			tr.Addf("br-int", "flood", "%s vlan %d -> 1 port", dst, lvid)
		} else {
			tr.Addf("br-int", "flood", "%s vlan %d -> %d ports", dst, lvid, k)
		}
	}
}
