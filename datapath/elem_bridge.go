package datapath

import (
	"neutrino/packet"
	l2switch "neutrino/switch"
)

// bridge is br-int: l2switch learns and looks up, the element sends the
// frame to one output (a bridge port: a device, or a DHCP port) or floods
// it to every other member of its local VLAN. Its input and output ports
// are the bridge's port ids.
type bridge struct {
	n   *Node
	out []target // by bridge port id: a device's queue, its port's filter, a DHCP port, a router port
}

func (e *bridge) name() string { return "br-int" }

func (e *bridge) receive(w *Worker, in uint16, b *packet.Buffer) { e.forward(w, in, b, nil) }

// forward is receive for a frame from a VM port whose egress filtering
// the worker's flow cache answered (fl, else nil): when br-int sends it
// to an ingress filter, the cache may answer that too.
func (e *bridge) forward(w *Worker, in uint16, b *packet.Buffer, fl *sgFlow) {
	n := e.n
	eth := b.Data()
	_ = eth[11] // one bounds check for the two addresses (Parse saw 14 bytes)
	lvid := b.Meta.LVID
	if w.capt != nil && !w.dryRun {
		if cs := w.capt.bridge[int(in)]; cs != nil {
			record(cs, b, w.now, true) // a router port sends it
		}
	}
	dst, src := (*l2switch.MAC)(eth[0:6]), (*l2switch.MAC)(eth[6:12])
	var d l2switch.Decision
	if w.dryRun {
		d = n.sw.Lookup(l2switch.PortID(in), lvid, dst, src, w.now) // the same decision, nothing learned
	} else {
		d = n.sw.Forward(l2switch.PortID(in), lvid, dst, src, w.now)
	}
	if tr := b.Meta.Trace; tr != nil {
		traceForward(tr, n, l2switch.PortID(in), lvid, eth, d)
	}
	switch d.Action {
	case l2switch.Unicast:
		if int(d.Port) >= len(e.out) {
			// A port a reload added, learned by a frame of the new
			// graph while this one, the old, runs on: it is not here.
			w.vfc.rec.b = nil
			w.dropIn(e, StageGraph, uint8(ReasonPortRemoved), b)
			return
		}
		t := e.out[d.Port]
		if w.rec.b != nil {
			w.recBridge(b, true, t)
		}
		if r := &w.vfc.rec; r.b == b && r.out == 0 && r.in == in {
			r.out = uint16(d.Port) + 1 // the VM flow cache's: its first way through br-int
		}
		if t.elem == nil {
			w.enqueue(int(t.port), b) // a device without filter: the common case, inlined
		} else if fl == nil {
			w.emit(t, b)
		} else if fl.passes(&w.sgf, t, b.Len()) {
			w.enqueue(fl.inPort, b) // the flow cache answered t, the port's filter
		} else {
			w.sgf.ingressSlow(w, fl, t, b)
		}
	case l2switch.Flood:
		w.vfc.rec.b = nil
		if w.rec.b != nil {
			w.recBridge(b, false, target{})
		}
		w.flood(e.out, n.sw.FloodPorts(lvid), l2switch.PortID(in), b)
	default:
		w.vfc.rec.b = nil
		if int(in) < len(w.g.ports) && w.g.ports[in] != nil && !w.dryRun {
			w.g.ports[in].c.rxDrops.Add(1)
		}
		w.dropIn(e, StageBridge, uint8(d.Drop), b)
	}
}
