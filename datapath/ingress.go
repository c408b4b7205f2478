package datapath

import (
	"neutrino/packet"
	"neutrino/packet/header"
	l2switch "neutrino/switch"
)

// Process runs a batch of frames read from port in to completion, using
// the worker's queues, and returns when every frame has been written or
// dropped. The buffers stay the caller's.
func (n *Node) Process(w *Worker, in int, bufs []*packet.Buffer) {
	p := n.ports[in]
	now := n.clock.Now()
	var bytes uint64
	for _, b := range bufs {
		bytes += uint64(b.Len())
		n.ingress(w, p, b, now)
	}
	p.c.rxFrames.Add(uint64(len(bufs)))
	p.c.rxBytes.Add(bytes)
	w.flush(n)
}

// ingress takes one frame from parse to its output queues (steps 2-4).
func (n *Node) ingress(w *Worker, p *port, b *packet.Buffer, now int64) {
	b.Meta.InPort = uint16(p.id)
	tr := b.Meta.Trace
	if tr != nil {
		tr.Addf(p.element(), "receive", "%d bytes%s", b.Len(), gsoDetail(b))
	}
	l := &b.Meta.Layout
	if m := header.Parse(b.Data(), l); m != header.OK {
		n.dropIn(p, b, Reason(m))
		return
	}
	tagged := l.Flags&header.Tagged != 0
	if tooBig(p, b, tagged) {
		n.dropIn(p, b, ReasonOversize)
		return
	}

	// Step 3: into a local VLAN; inside the node frames are untagged.
	lvid := p.spec.LVID
	vid := l.TCI & header.MaxVID
	switch {
	case p.trunk != nil:
		var ok bool
		if lvid, ok = p.trunk.Ingress(tagged, vid); !ok {
			n.dropIn(p, b, ReasonUnknownVLAN)
			return
		}
		if tr != nil {
			tr.Addf(p.element(), "classify", "%s -> local vlan %d", wireTag(tagged, vid), lvid)
		}
	case tagged && vid != 0:
		n.dropIn(p, b, ReasonTaggedOnAccess)
		return
	}
	if tagged {
		// The wire tag (or a VM's priority tag, VLAN id 0) goes.
		b.PopVLAN()
		untag(l)
		if isTag(l.EtherType) {
			n.dropIn(p, b, ReasonDoubleTagged)
			return
		}
	}
	b.Meta.LVID = lvid

	// Step 4: br-int.
	eth := b.Data()
	d := n.sw.Forward(p.id, lvid, (*l2switch.MAC)(eth[0:6]), (*l2switch.MAC)(eth[6:12]), now)
	if tr != nil {
		traceForward(tr, n, lvid, eth, d)
	}
	switch d.Action {
	case l2switch.Unicast:
		w.enqueue(n.ports[d.Port], b)
	case l2switch.Flood:
		for _, q := range n.sw.FloodPorts(lvid) {
			if q != p.id {
				w.enqueue(n.ports[q], b)
			}
		}
	default:
		n.dropIn(p, b, switchReason(d.Drop))
	}
}

// tooBig reports whether a frame is larger than the port's MTU allows: the
// frame itself, or for a super-frame, each of the segments it stands for
// (its headers plus the segment size the sender asked for).
func tooBig(p *port, b *packet.Buffer, tagged bool) bool {
	limit := p.maxFrame
	if tagged {
		limit += header.VLANTagLen
	}
	g := &b.Meta.GSO
	if !g.IsGSO() {
		return b.Len() > limit
	}
	l := &b.Meta.Layout
	return l.Flags&header.HasL4 != 0 && int(l.Payload)+int(g.Size) > limit
}

// untag moves a Layout's offsets back over the 4 bytes of a popped tag,
// so the frame is not parsed twice.
func untag(l *header.Layout) {
	l.Flags &^= header.Tagged
	l.TCI = 0
	l.L3 -= header.VLANTagLen
	if l.Flags&header.HasL4 != 0 {
		l.L4 -= header.VLANTagLen
		l.Payload -= header.VLANTagLen
	}
}

// isTag reports whether an EtherType is a VLAN tag's.
func isTag(t uint16) bool { return t == header.EtherTypeVLAN || t == header.EtherTypeQinQ }

// dropIn counts a frame dropped on ingress.
func (n *Node) dropIn(p *port, b *packet.Buffer, r Reason) {
	n.drop(r)
	p.c.rxDrops.Add(1)
	if tr := b.Meta.Trace; tr != nil {
		tr.Add(p.element(), "drop", r.String())
	}
}

// switchReason maps br-int's drop reasons to the node's.
func switchReason(r l2switch.DropReason) Reason {
	switch r {
	case l2switch.DropMulticastSource:
		return ReasonMulticastSource
	case l2switch.DropSamePort:
		return ReasonSamePort
	case l2switch.DropMACLimit:
		return ReasonMACLimit
	}
	// DropInvalidVLAN; TestSwitchReasons keeps this mapping complete.
	return ReasonInvalidVLAN
}
