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

func traceForward(tr *packet.Trace, n *Node, in l2switch.PortID, lvid uint16, eth []byte, d l2switch.Decision) {
	src, dst := net.HardwareAddr(eth[6:12]), net.HardwareAddr(eth[0:6])
	switch d.Learn {
	case l2switch.LearnNew:
		tr.Addf("br-int", "learn", "%s on vlan %d", src, lvid)
	case l2switch.LearnMoved:
		tr.Addf("br-int", "learn", "%s moved on vlan %d", src, lvid)
	}
	switch d.Action {
	case l2switch.Unicast:
		tr.Addf("br-int", "forward", "%s vlan %d -> %s", dst, lvid, n.bridgePortName(d.Port))
	case l2switch.Flood:
		k := 0
		for _, q := range n.sw.FloodPorts(lvid) {
			if q != in {
				k++
			}
		}
		if k == 1 {
			tr.Addf("br-int", "flood", "%s vlan %d -> 1 port", dst, lvid)
		} else {
			tr.Addf("br-int", "flood", "%s vlan %d -> %d ports", dst, lvid, k)
		}
	}
}

// bridgePortName names br-int port id: a device port's name, or a DHCP
// port's element name.
func (n *Node) bridgePortName(id l2switch.PortID) string {
	g := n.g.Load()
	if int(id) < len(g.ports) && g.ports[id] != nil {
		return g.ports[id].spec.Name
	}
	if int(id) >= len(g.wires[0]) {
		return "?"
	}
	if t := g.wires[0][id]; t.elem != nil {
		if r, ok := t.elem.(*routerElem); ok {
			return r.ports[t.port].name
		}
		return t.elem.name()
	}
	return "?"
}
